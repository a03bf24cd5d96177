"""Writes that touch several rows or apps: loading the recap, ensuring an admin account, and
moving a fiche through the publication workflow (the only writer of its transitions)."""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import transaction
from django.db.models import F, Max
from django.utils import formats, timezone
from django.utils.text import Truncator

from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Contact, Structure

from .models import Etat, FicheAction, LigneBudget, Participation, SousAction, TransitionFiche
from .permissions import can_edit_fiche, can_publish

RECAP_FIXTURE = "recap"
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
ADMIN_USERNAME = "admin"


class AdminUsernameTaken(Exception):
    """The admin username belongs to an account that is not a superuser."""


@transaction.atomic
def recap_seed(*, force: bool = False) -> bool:
    """Load the recap fixture into an empty database, or over it with `force`.

    Returns whether it loaded: a database that already holds fiches keeps the staff's edits.
    The fixture's primary keys make a forced reload update rows in place, never duplicate them.
    """
    if not force and FicheAction.objects.exists():
        return False
    marks = {
        model: model.history.aggregate(last=Max("history_id"))["last"] or 0
        for model in HISTORY_MODELS
    }
    call_command("loaddata", RECAP_FIXTURE, verbosity=0)
    # loaddata saves raw, which django-simple-history skips, except for the fiches' orientations
    # and enjeux (many-to-many signals), which leave a half version without a first one. Those
    # are dropped, and every loaded row gets one whole version instead.
    for model, mark in marks.items():
        partial = model.history.filter(history_id__gt=mark)
        for m2m_model in _m2m_history_models(model):
            m2m_model.objects.filter(history__in=partial).delete()
        partial.delete()
    history_snapshot(reason="Chargement de la récapitulation")
    return True


def _m2m_history_models(model) -> list:
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


@transaction.atomic
def admin_ensure(*, username: str = ADMIN_USERNAME) -> str | None:
    """Create a superuser when there is none; return its one-time password, else None."""
    user_model = get_user_model()
    if user_model.objects.filter(is_superuser=True).exists():
        return None
    if user_model.objects.filter(username=username).exists():
        raise AdminUsernameTaken(username)
    password = secrets.token_urlsafe(16)
    user = user_model(username=username, is_staff=True, is_superuser=True, is_active=True)
    user.set_password(password)
    user.full_clean()
    user.save()
    return password


# --- Publication workflow ----------------------------------------------------------------------

REFUS_PUBLICATION = (
    "Seuls les rédacteurs du CG59 peuvent publier, renvoyer ou archiver une fiche : "
    "envoyez-la en relecture."
)


def _move(
    *, fiche: FicheAction, user, vers: str, depuis: tuple[str, ...], verbe: str, commentaire=""
) -> TransitionFiche:
    """Move `fiche` to `vers` if it stands in one of `depuis`, and record who did it.

    The row is locked first, so that two people clicking at once cannot both move it from the
    same state. `fiche` is updated in place."""
    current = FicheAction.objects.select_for_update().get(pk=fiche.pk)
    if current.etat not in depuis:
        raise ValidationError(
            f"La fiche « {current.titre} » est à l'état « {current.get_etat_display()} » : "
            f"on ne peut pas la {verbe} depuis cet état."
        )
    avant = current.etat
    current.etat = vers
    current.version += 1  # an edit form opened before this move is now stale
    current._history_user = user  # django-simple-history: the author of this version
    current.full_clean()
    current.save()
    fiche.etat, fiche.version, fiche.modifie_le = current.etat, current.version, current.modifie_le
    transition = TransitionFiche(
        fiche=current,
        etat_avant=avant,
        etat_apres=vers,
        auteur=user if user.is_authenticated else None,
        commentaire=commentaire,
    )
    transition.full_clean()
    transition.save()
    return transition


@transaction.atomic
def fiche_submit_for_review(*, fiche: FicheAction, user) -> TransitionFiche:
    """Brouillon → en relecture: the fiche's contributor or an editor asks for publication."""
    if not can_edit_fiche(user, fiche):
        raise PermissionDenied(
            "Vous ne pouvez envoyer en relecture que les fiches portées par l'une de vos "
            "structures."
        )
    return _move(
        fiche=fiche,
        user=user,
        vers=Etat.EN_RELECTURE,
        depuis=(Etat.BROUILLON,),
        verbe="envoyer en relecture",
    )


@transaction.atomic
def fiche_publish(*, fiche: FicheAction, user) -> TransitionFiche:
    """En relecture (or brouillon, or archivée) → publiée: an editor validates the fiche."""
    if not can_publish(user):
        raise PermissionDenied(REFUS_PUBLICATION)
    return _move(
        fiche=fiche,
        user=user,
        vers=Etat.PUBLIEE,
        depuis=(Etat.BROUILLON, Etat.EN_RELECTURE, Etat.ARCHIVEE),
        verbe="publier",
    )


@transaction.atomic
def fiche_send_back(*, fiche: FicheAction, user, comment: str) -> TransitionFiche:
    """En relecture (or archivée) → brouillon, with the editor's reason for the contributor."""
    if not can_publish(user):
        raise PermissionDenied(REFUS_PUBLICATION)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(
            "Dites en commentaire ce qui reste à reprendre : il est obligatoire pour renvoyer "
            "une fiche en brouillon."
        )
    return _move(
        fiche=fiche,
        user=user,
        vers=Etat.BROUILLON,
        depuis=(Etat.EN_RELECTURE, Etat.ARCHIVEE),
        verbe="renvoyer en brouillon",
        commentaire=comment,
    )


@transaction.atomic
def fiche_archive(*, fiche: FicheAction, user) -> TransitionFiche:
    """Publiée → archivée: the fiche leaves the lists, its page stays with a banner."""
    if not can_publish(user):
        raise PermissionDenied(REFUS_PUBLICATION)
    return _move(
        fiche=fiche, user=user, vers=Etat.ARCHIVEE, depuis=(Etat.PUBLIEE,), verbe="archiver"
    )


RETRAIT_APRES_MODIFICATION = (
    "Modifiée par un contributeur : retirée du portail jusqu'à sa relecture."
)


@transaction.atomic
def fiche_withdraw_after_edit(*, fiche: FicheAction, user) -> TransitionFiche | None:
    """A published fiche changed by someone who may not publish goes back to brouillon, so
    that the public only ever sees what an editor validated. Nothing to do for an editor,
    or for a fiche that is not published."""
    if can_publish(user) or fiche.etat != Etat.PUBLIEE:
        return None
    if not can_edit_fiche(user, fiche):
        raise PermissionDenied("Vous ne pouvez pas modifier cette fiche.")
    return _move(
        fiche=fiche,
        user=user,
        vers=Etat.BROUILLON,
        depuis=(Etat.PUBLIEE,),
        verbe="retirer",
        commentaire=RETRAIT_APRES_MODIFICATION,
    )


@transaction.atomic
def fiche_rows_edited(*, fiche_ids, user) -> list[FicheAction]:
    """Participations, budget lines or sub-actions of these fiches were written outside the
    fiche's form (their own admin page, a restore of one of them): each fiche takes a new
    version, so that a form opened before is refused instead of putting the old rows back, and
    a published one changed by someone who may not publish leaves the portal, as when edited
    through its form. Returns the fiches withdrawn."""
    FicheAction.objects.filter(pk__in=fiche_ids).update(version=F("version") + 1)
    published = FicheAction.objects.filter(pk__in=fiche_ids, etat=Etat.PUBLIEE)
    return [fiche for fiche in published if fiche_withdraw_after_edit(fiche=fiche, user=user)]


# --- Concurrent edits --------------------------------------------------------------------------


class StaleFicheError(ValidationError):
    """The fiche was saved by someone else since the form was opened."""


@transaction.atomic
def fiche_claim_version(*, fiche: FicheAction, expected: int | None) -> int:
    """Take the next version of `fiche` if it is still at `expected`, before saving it.

    A conditional UPDATE: on PostgreSQL a concurrent claim waits for this transaction and then
    finds the version changed; on SQLite writers are serialised anyway. Raises StaleFicheError,
    with what changed in between, when someone else saved first. Returns the new version."""
    if expected is None:
        raise ValidationError(
            "Le formulaire ne dit pas quelle version de la fiche il modifie : rechargez la page."
        )
    claimed = FicheAction.objects.filter(pk=fiche.pk, version=expected).update(version=expected + 1)
    if not claimed:
        raise StaleFicheError(stale_message(fiche_id=fiche.pk, version=expected))
    fiche.version = expected + 1
    return fiche.version


def _short(value: str) -> str:
    return Truncator(value).chars(40)


def stale_message(*, fiche_id: int, version: int) -> str:
    """'Cette fiche a été modifiée… Entre-temps : le 3 mars 2026 à 10:12, Rémi Dacteur (rdacteur)
    a modifié Titre (« A » → « B »).'"""
    from contrat.history import author, field_changes

    changes = []
    records = FicheAction.history.filter(id=fiche_id, version__gt=version).order_by(
        "history_date", "history_id"
    )
    for record in records.select_related("history_user"):
        when = formats.date_format(timezone.localtime(record.history_date), "j F Y à H:i")
        previous = record.prev_record
        fields = field_changes(previous, record) if previous else []
        described = ", ".join(
            f"{c['field']} (« {_short(c['old'])} » → « {_short(c['new'])} »)" for c in fields
        )
        changes.append(
            f"le {when}, {author(record)} a "
            + (
                f"modifié {described}"
                if described
                else "enregistré la fiche sans changement visible"
            )
        )
    # Row edits take a version without a version of the fiche's own: the form's version may
    # then have no record, and the one before it tells when the form's state began.
    since = (
        FicheAction.history.filter(id=fiche_id, version__lte=version)
        .order_by("-history_date")
        .values_list("history_date", flat=True)
        .first()
    )
    if since is not None:
        for model in (Participation, LigneBudget, SousAction):
            rows = model.history.filter(fiche_id=fiche_id, history_date__gt=since)
            for record in rows.select_related("history_user").order_by("history_date"):
                when = formats.date_format(timezone.localtime(record.history_date), "j F Y à H:i")
                operation = {"+": "ajouté", "~": "modifié", "-": "supprimé"}[record.history_type]
                changes.append(
                    f"le {when}, {author(record)} a {operation} : "
                    f"{model._meta.verbose_name} « {Truncator(str(record.instance)).chars(60)} »"
                )
    message = (
        "Cette fiche a été modifiée par quelqu'un d'autre depuis que vous l'avez ouverte : "
        "vos modifications n'ont pas été enregistrées, pour ne pas écraser les siennes."
    )
    if changes:
        message += " Entre-temps : " + " ; ".join(changes) + "."
    return (
        message + " Rechargez la page pour partir de la version actuelle, puis refaites vos "
        "modifications."
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
