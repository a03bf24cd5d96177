"""Concurrent edits: a fiche's version claimed before a save, and what changed meanwhile."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.text import Truncator

from ..models import FicheAction, LigneBudget, Participation, SousAction


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
