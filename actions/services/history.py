"""Versions written in bulk (loading, imports), and a deleted fiche brought back whole."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Contact, Structure

from ..models import FicheAction, LigneBudget, Participation, SousAction
from ..permissions import can_publish

IMPORT_REASON = "Import d'un fichier"
# Every model whose versions are kept, referential first (the order of a first load).
HISTORY_MODELS = (
    Contrat,
    Enjeu,
    Orientation,
    Structure,
    Contact,
    FicheAction,
    Participation,
    LigneBudget,
    SousAction,
)


def m2m_history_models(model) -> list:
    history_model = model.history.model
    return [getattr(history_model, f.name).model for f in history_model._history_m2m_fields]


def history_snapshot(*, reason: str) -> int:
    """One version of every row, as it stands: a creation for a row without any version yet,
    a modification otherwise. For writes that bypass `save()` (loaddata). Returns how many."""
    written = 0
    for model in HISTORY_MODELS:
        known = set(model.history.values_list("id", flat=True).distinct())
        rows = list(model.objects.all())
        for update, batch in (
            (False, [row for row in rows if row.pk not in known]),
            (True, [row for row in rows if row.pk in known]),
        ):
            if not batch:
                continue
            records = model.history.bulk_history_create(
                batch, update=update, default_change_reason=reason
            )
            written += len(records)
            if model is FicheAction:
                _snapshot_links(records)
    return written


def history_record_import(*, fiches: list[FicheAction], user, reason: str = IMPORT_REASON) -> int:
    """One version per imported fiche (with its orientations and enjeux) and for its new
    participations and budget lines, written in bulk by `user`. Returns how many."""
    if not fiches:
        return 0
    user = user if user is not None and user.is_authenticated else None
    ids = [fiche.pk for fiche in fiches]
    known = set(FicheAction.history.filter(id__in=ids).values_list("id", flat=True).distinct())
    current = list(FicheAction.objects.filter(pk__in=ids))
    written = 0
    for update, batch in (
        (False, [fiche for fiche in current if fiche.pk not in known]),
        (True, [fiche for fiche in current if fiche.pk in known]),
    ):
        if batch:
            records = FicheAction.history.bulk_history_create(
                batch, update=update, default_user=user, default_change_reason=reason
            )
            _snapshot_links(records)
            written += len(records)
    # The import writes these rows with bulk_create, which django-simple-history does not see.
    for model in (Participation, LigneBudget):
        recorded = model.history.filter(fiche_id__in=ids).values("id")
        rows = list(model.objects.filter(fiche_id__in=ids).exclude(pk__in=recorded))
        if rows:
            written += len(
                model.history.bulk_history_create(
                    rows, default_user=user, default_change_reason=reason
                )
            )
    return written


def _snapshot_links(records) -> None:
    """bulk_history_create leaves out the many-to-many lists: the fiches' orientations and
    enjeux go into their history tables here, as a save would have put them."""
    by_fiche = {record.id: record for record in records}
    history_model = FicheAction.history.model
    for name, target in (("orientations", "orientation_id"), ("enjeux", "enjeu_id")):
        through = getattr(FicheAction, name).through
        m2m_model = getattr(history_model, name).model
        m2m_model.objects.bulk_create(
            m2m_model(
                history=by_fiche[row.ficheaction_id],
                id=row.pk,
                ficheaction_id=row.ficheaction_id,
                **{target: getattr(row, target)},
            )
            for row in through.objects.filter(ficheaction_id__in=by_fiche)
        )


# --- Restoring a deleted fiche -----------------------------------------------------------------

# A fiche's rows are deleted with it, in the same request: their deletion versions fall within
# this span before the fiche's own. A row deleted on its own long before is left deleted.
RESTORE_WINDOW = timedelta(minutes=1)


@dataclass
class Restauration:
    fiche: FicheAction
    restored: int = 0
    skipped: list[str] = field(default_factory=list)


def deleted_fiches():
    """The last version of each deleted fiche (newest deletion first), as history records."""
    existing = FicheAction.objects.values("pk")
    return (
        FicheAction.history.filter(history_type="-")
        .exclude(id__in=existing)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


@transaction.atomic
def fiche_restore(*, fiche_id: int, user) -> Restauration:
    """Bring a deleted fiche back as it was, with the orientations and enjeux it cited and the
    participations, budget lines and sub-actions deleted with it."""
    if not (user.has_perm("actions.add_ficheaction") and can_publish(user)):
        raise PermissionDenied(
            "Seuls les rédacteurs du CG59 peuvent restaurer une fiche supprimée."
        )
    if FicheAction.objects.filter(pk=fiche_id).exists():
        raise ValidationError("Cette fiche existe toujours : il n'y a rien à restaurer.")
    deletion = (
        FicheAction.history.filter(id=fiche_id).order_by("-history_date", "-history_id").first()
    )
    if deletion is None or deletion.history_type != "-":
        raise ValidationError("Aucune fiche supprimée ne porte ce numéro.")
    fiche = deletion.instance
    result = Restauration(fiche=fiche)
    if FicheAction.objects.filter(slug=fiche.slug).exists():
        # Another fiche took the slug meanwhile: the restored one gets a new address.
        fiche.slug = f"{fiche.slug[:180]}-restauree-{fiche_id}"
        result.skipped.append(f"Le slug était repris : la fiche a pour adresse « {fiche.slug} ».")
    fiche._history_user = user
    fiche.full_clean(validate_unique=False)
    fiche.save(force_insert=True)

    # The deletion version's own lists are empty (the links go first): read the one before.
    before = deletion.prev_record
    if before is not None:
        fiche.orientations.set(
            Orientation.objects.filter(pk__in=[r.orientation_id for r in before.orientations.all()])
        )
        fiche.enjeux.set(Enjeu.objects.filter(pk__in=[r.enjeu_id for r in before.enjeux.all()]))

    window = {
        "fiche_id": fiche_id,
        "history_type": "-",
        "history_date__gte": deletion.history_date - RESTORE_WINDOW,
        "history_date__lte": deletion.history_date,
    }
    for record in Participation.history.filter(**window):
        if not Structure.objects.filter(pk=record.structure_id).exists():
            result.skipped.append(f"Participation d'une structure supprimée depuis : {record}.")
            continue
        _restore_row(record, user, result)
    for record in LigneBudget.history.filter(**window):
        if record.financeur_id and not Structure.objects.filter(pk=record.financeur_id).exists():
            record.financeur_id = None
        _restore_row(record, user, result)
    # Parents before their children, whatever the depth.
    pending = list(SousAction.history.filter(**window).order_by("ordre", "id"))
    while pending:
        ready = [
            r
            for r in pending
            if r.parent_id is None or SousAction.objects.filter(pk=r.parent_id).exists()
        ]
        if not ready:  # their parent was deleted earlier, on its own: attach them to the fiche
            for record in pending:
                record.parent_id = None
            ready = pending
        for record in ready:
            _restore_row(record, user, result)
        pending = [r for r in pending if r not in ready]
    return result


def _restore_row(record, user, result: Restauration) -> None:
    row = record.instance
    if type(row).objects.filter(pk=row.pk).exists():
        return
    row._history_user = user
    row.save(force_insert=True)
    result.restored += 1
