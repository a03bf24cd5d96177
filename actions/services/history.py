"""Versions written in bulk (loading, imports, a first edit of data loaded without history), an
earlier version of a fiche restored with its rows, and a deleted fiche brought back whole."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.text import Truncator

from contrat.history import author
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Contact, Structure

from ..history import KEPT_FIELDS, ROW_MODELS, RestorePlan, restore_plan
from ..models import (
    Etape,
    FicheAction,
    Indicateur,
    LigneBudget,
    LigneFinancement,
    Participation,
    PointAvancement,
    SousAction,
    ValeurIndicateur,
)
from ..permissions import can_edit_fiche, can_publish
from .versions import fiche_claim_version
from .workflow import fiche_withdraw_after_edit

IMPORT_REASON = "Import d'un fichier"
BASELINE_REASON = "Version d'origine, chargée sans historique"
# An import deletes the rows it replaces as it goes, before it writes the fiches' versions.
IMPORT_WINDOW = timedelta(hours=1)
REASON_MAX_CHARS = 2000
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
    LigneFinancement,
    SousAction,
    PointAvancement,
    Indicateur,
    ValeurIndicateur,
    Etape,
)


def m2m_history_models(model) -> list:
    history_model = model.history.model
    return [getattr(history_model, f.name).model for f in history_model._history_m2m_fields]


def history_snapshot(*, reason: str) -> int:
    """One version of every row, as it stands: a creation for a row without any version yet,
    a modification otherwise. For writes that bypass `save()` (loaddata). Returns how many.

    All of them at one moment: a load is one step, and a fiche's rows belong to the version
    it wrote (actions/history.py, version_end)."""
    written, moment = 0, timezone.now()
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
                batch, update=update, default_change_reason=reason, default_date=moment
            )
            written += len(records)
            if model is FicheAction:
                _snapshot_links(records)
    return written


def history_record_import(*, fiches: list[FicheAction], user, reason: str = IMPORT_REASON) -> int:
    """One version per imported fiche (with its orientations and enjeux) and for its new
    participations, budget lines and sub-actions, written in bulk by `user`. Returns how many."""
    if not fiches:
        return 0
    user = user if user is not None and user.is_authenticated else None
    ids = [fiche.pk for fiche in fiches]
    known = set(FicheAction.history.filter(id__in=ids).values_list("id", flat=True).distinct())
    current = list(FicheAction.objects.filter(pk__in=ids))
    begins = _import_beginnings(ids)
    for fiche in current:
        if fiche.pk in begins:
            fiche._history_date = begins[fiche.pk]
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
    return written + _first_versions_of_rows(ids, default_user=user, default_change_reason=reason)


def _import_beginnings(ids) -> dict:
    """When the import began writing each fiche: the deletions of the rows it replaced, made
    since the fiche's last version. Its version is dated then, so that those deletions belong
    to it, not to the version before (which a restore would then bring back without them)."""
    since = dict(
        FicheAction.history.filter(id__in=ids)
        .values("id")
        .annotate(last=Max("history_date"))
        .values_list("id", "last")
    )
    floor = timezone.now() - IMPORT_WINDOW
    begins = {}
    for model in ROW_MODELS:
        deletions = model.history.filter(
            fiche_id__in=ids, history_type="-", history_date__gte=floor
        ).values_list("fiche_id", "history_date")
        for fiche_id, date in deletions:
            if since.get(fiche_id) is None or date > since[fiche_id]:
                begins[fiche_id] = min(date, begins.get(fiche_id, date))
    return begins


def history_baseline(*, fiche_ids, reason: str = BASELINE_REASON) -> int:
    """A first version of the fiches loaded without any (a plain `loaddata`, generated demo
    data) and of their rows, as they stand, written just before their first change: without
    it that change could be neither compared nor undone. Nothing for a fiche that has
    versions already. Returns how many versions it wrote."""
    fiche_ids = set(fiche_ids) - {None}
    known = FicheAction.history.filter(id__in=fiche_ids).values_list("id", flat=True)
    missing = fiche_ids - set(known)
    if not missing:
        return 0
    moment = timezone.now()
    fiches = list(FicheAction.objects.filter(pk__in=missing))
    records = FicheAction.history.bulk_history_create(
        _unauthored(fiches), default_change_reason=reason, default_date=moment
    )
    _snapshot_links(records)
    return len(records) + _first_versions_of_rows(
        missing, unauthored=True, default_change_reason=reason, default_date=moment
    )


def _unauthored(rows: list) -> list:
    # Loaded by a command or a script: not by whoever happens to edit them first.
    for row in rows:
        row._history_user = None
    return rows


def _first_versions_of_rows(fiche_ids, *, unauthored: bool = False, **options) -> int:
    """One version of each participation, budget line and sub-action of these fiches that has
    none yet, with bulk_history_create's `options`. Returns how many."""
    written = 0
    for model in ROW_MODELS:
        recorded = model.history.filter(fiche_id__in=fiche_ids).values("id")
        rows = list(model.objects.filter(fiche_id__in=fiche_ids).exclude(pk__in=recorded))
        if rows:
            rows = _unauthored(rows) if unauthored else rows
            written += len(model.history.bulk_history_create(rows, **options))
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


# --- Restoring an earlier version of a fiche ---------------------------------------------------


@dataclass
class VersionRestoration:
    fiche: FicheAction
    reason: str
    notes: list[str] = field(default_factory=list)  # what could not come back, and why
    withdrawn: bool = False  # a published fiche restored by a contributor leaves the portal


@transaction.atomic
def fiche_restore_version(
    *, fiche: FicheAction, record, user, expected: int | None = None
) -> VersionRestoration:
    """Bring `fiche` back as it stood at the version `record` belongs to: its fields, its
    orientations and enjeux, and its participations, budget lines and sub-actions as their
    own history had them then (rows added since removed, rows deleted since re-created).

    A change like any other: it needs the right to edit the fiche as it stands, claims its
    version (`expected`, the one the user saw; today's by default) so that a form opened before
    is refused, and writes one new version whose reason says what came back. The publication
    state, the address, the position in the recap and the contract stay today's
    (actions/history.py, KEPT_FIELDS); a contributor's restore of a published fiche withdraws
    it, as any edit of theirs."""
    if not can_edit_fiche(user, fiche):
        raise PermissionDenied(
            "Vous ne pouvez restaurer une version que d'une fiche que vous pouvez modifier."
        )
    if record.id != fiche.pk:
        raise ValidationError("Cette version n'est pas une version de cette fiche.")
    if record.history_type == "-":
        raise ValidationError(
            "Cette version est la suppression de la fiche : restaurez la version d'avant."
        )
    fiche_claim_version(fiche=fiche, expected=fiche.version if expected is None else expected)
    plan = restore_plan(fiche=fiche, record=record)
    reason = restore_reason(plan)
    current = plan.today.fiche
    for model_field in FicheAction._meta.concrete_fields:
        if model_field.name not in KEPT_FIELDS:
            name = model_field.attname
            setattr(current, name, getattr(plan.target.fiche, name))
    current.full_clean()
    # One version for the fiche and its links, not one per save and per list set.
    current.skip_history_when_saving = True
    try:
        current.save()
        current.orientations.set(plan.orientations)
        current.enjeux.set(plan.enjeux)
    finally:
        del current.skip_history_when_saving
    current._history_user = user if user.is_authenticated else None
    _snapshot_links(
        FicheAction.history.bulk_history_create(
            [current], update=True, default_change_reason=reason
        )
    )
    try:
        with transaction.atomic():
            _restore_rows(plan, user if user.is_authenticated else None)
    except IntegrityError:
        raise ValidationError(
            "Les lignes de cette version ne peuvent pas revenir telles quelles (une structure "
            "y aurait deux fois le même rôle, ou un financeur deux lignes pour la même année) : "
            "rien n'a été restauré."
        ) from None
    current._prefetched_objects_cache = {}  # today's lines, read for the plan: gone now
    withdrawn = fiche_withdraw_after_edit(fiche=current, user=user) is not None
    return VersionRestoration(fiche=current, reason=reason, notes=plan.notes, withdrawn=withdrawn)


def restore_reason(plan: RestorePlan) -> str:
    """'Restauration de la version du 3 mars 2026 à 10:12, enregistrée par Rémi Dacteur
    (rdacteur) : Titre ; ligne de budget « 45 000 € » modifiée (Montant (€) : …).'"""
    record = plan.record
    when = formats.date_format(timezone.localtime(record.history_date), "j F Y à H:i")
    parts = []
    if plan.field_changes:
        parts.append(", ".join(change["field"] for change in plan.field_changes))
    parts += [change.summary() for change in plan.row_changes]
    text = (
        f"Restauration de la version du {when}, enregistrée par {author(record)} : "
        + (" ; ".join(parts) if parts else "aucune différence avec la version remplacée")
        + "."
    )
    return Truncator(text).chars(REASON_MAX_CHARS)


def _restore_rows(plan: RestorePlan, user) -> None:
    for model in (Participation, LigneBudget, LigneFinancement):
        # Deletions first: a structure's role (a financer's year) freed by one row may be taken
        # by another.
        for row in plan.deletes[model]:
            row._history_user = user
            row.delete()
        for row, wanted in plan.updates[model]:
            _copy_fields(wanted, row)
            _save_row(row, user)
        for row in plan.creates[model]:
            _save_row(row, user, force_insert=True)
    # Sub-actions: parents before their children; the ones left out deepest first, so that no
    # cascade takes a child that stays (those now hang from their parent of then).
    existing = set(plan.today.rows[SousAction])
    pending = list(plan.creates[SousAction])
    while pending:
        ready = [row for row in pending if row.parent_id is None or row.parent_id in existing]
        if not ready:  # cannot happen with a tree; never loop forever on bad data
            for row in pending:
                row.parent_id = None
            ready = pending
        for row in ready:
            _save_row(row, user, force_insert=True)
            existing.add(row.pk)
        pending = [row for row in pending if row not in ready]
    for row, wanted in plan.updates[SousAction]:
        _copy_fields(wanted, row)
        _save_row(row, user)
    parents = {pk: row.parent_id for pk, row in plan.today.rows[SousAction].items()}

    def depth(pk) -> int:
        level = 0
        while parents.get(pk) is not None and level < len(parents):
            pk, level = parents[pk], level + 1
        return level

    for row in sorted(plan.deletes[SousAction], key=lambda row: depth(row.pk), reverse=True):
        row._history_user = user
        row.delete()


def _copy_fields(source, target) -> None:
    for model_field in type(target)._meta.concrete_fields:
        if not model_field.primary_key:
            setattr(target, model_field.attname, getattr(source, model_field.attname))


def _save_row(row, user, *, force_insert: bool = False) -> None:
    row._history_user = user
    # The database checks the constraints (a structure's role once per fiche).
    row.full_clean(validate_unique=False, validate_constraints=False)
    row.save(force_insert=force_insert)


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
    participations, budget lines, financing lines and sub-actions deleted with it."""
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
    contrat = fiche.contrat
    for record in LigneFinancement.history.filter(**window):
        if not Structure.objects.filter(pk=record.financeur_id).exists():
            result.skipped.append(
                f"Ligne de financement d'un financeur supprimé depuis : {record}."
            )
        elif contrat.annees and record.annee not in contrat.annees:
            result.skipped.append(
                f"Ligne de financement hors de la période du contrat ({contrat.periode_annees}) : "
                f"{record}."
            )
        else:
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
