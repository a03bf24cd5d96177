"""Concurrent edits: a fiche's version claimed before a save, and what changed meanwhile."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from contrat.history import author, field_changes

from ..history import ROW_MODELS, record_change, short
from ..models import FicheAction

STALE_INTRO = (
    "Cette fiche a été modifiée par quelqu'un d'autre depuis que vous l'avez ouverte : vos "
    "modifications n'ont pas été enregistrées, pour ne pas écraser les siennes."
)
STALE_OUTRO = (
    "Rechargez la page pour partir de la version actuelle, puis refaites vos modifications."
)
# What someone did to a row: "a ajouté la ligne de budget « 5 000 € »".
ROW_VERBS = {"+": "ajouté", "~": "modifié", "-": "supprimé"}


class StaleFicheError(ValidationError):
    """The fiche was saved by someone else since the form was opened. Its message is plain
    text (an import's report); `html` says the same with a list, for the admin's pages."""

    def __init__(self, message, *, html=None):
        super().__init__(message)
        self.html = html if html is not None else message


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
        changes = stale_changes(fiche_id=fiche.pk, version=expected)
        raise StaleFicheError(stale_text(changes), html=stale_html(changes))
    fiche.version = expected + 1
    return fiche.version


@dataclass
class Change:
    """One thing someone did to the fiche: 'le 3 mars 2026 à 10:12, Alice Martin (alice) a
    modifié Titre (« A » → « B »)'."""

    when: datetime
    who: str
    what: str

    @property
    def date(self) -> str:
        return formats.date_format(timezone.localtime(self.when), "j F Y à H:i")

    def __str__(self):
        return f"le {self.date}, {self.who} {self.what}"


def stale_changes(*, fiche_id: int, version: int) -> list[Change]:
    """What was done to the fiche since it stood at `version` (the one a form was opened on):
    its fields, field by field, and its rows, in the order it happened.

    The versions after `version` say when that began: every write claims a version and writes
    the fiche's version before its rows' (actions/history.py, version_end). Rows written
    before, even a few milliseconds after the fiche's version `version` (those saved with it,
    a whole load's), were there when the form was opened."""
    records = list(
        FicheAction.history.filter(id=fiche_id, version__gt=version)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    changes = []
    for record in records:
        previous = record.prev_record
        for change in field_changes(previous, record) if previous else []:
            changes.append(
                Change(
                    record.history_date,
                    author(record),
                    f"a modifié {change['field']} "
                    f"(« {short(change['old'])} » → « {short(change['new'])} »)",
                )
            )
    if records:
        rows_since = {"history_date__gte": records[0].history_date}
    else:
        # Only a version claimed without a record of the fiche (a script's update): after its
        # last known version, then.
        last = (
            FicheAction.history.filter(id=fiche_id)
            .order_by("-history_date", "-history_id")
            .values_list("history_date", flat=True)
            .first()
        )
        rows_since = {"history_date__gt": last} if last else None
    for model in ROW_MODELS if rows_since else ():
        rows = model.history.filter(fiche_id=fiche_id, **rows_since).select_related("history_user")
        for record in rows.order_by("history_date", "history_id"):
            change = record_change(record)
            if change is not None:
                changes += _row_changes(record, change, author(record))
    if not changes and records:
        last = records[-1]
        changes.append(
            Change(last.history_date, author(last), "a enregistré la fiche sans changement visible")
        )
    changes.sort(key=lambda change: change.when)  # stable: a version's fields stay in order
    return changes


def _row_changes(record, change, who: str) -> list[Change]:
    what = f"a {ROW_VERBS[change.operation]} la {change.noun} « {short(change.label)} »"
    if not change.fields:
        return [Change(record.history_date, who, what)]
    return [
        Change(
            record.history_date,
            who,
            f"{what} : {field['field']} (« {short(field['old'])} » → « {short(field['new'])} »)",
        )
        for field in change.fields
    ]


def stale_text(changes: list[Change]) -> str:
    text = STALE_INTRO
    if changes:
        text += " Entre-temps : " + " ; ".join(str(change) for change in changes) + "."
    return f"{text} {STALE_OUTRO}"


def stale_html(changes: list[Change]) -> SafeString:
    """The same as a list, each part escaped: for a form's errors or a message."""
    if not changes:
        return format_html("<p>{}</p><p>{}</p>", STALE_INTRO, STALE_OUTRO)
    return format_html(
        '<p>{}</p><p>Entre-temps :</p><ul class="stale-changes">{}</ul><p>{}</p>',
        STALE_INTRO,
        format_html_join("", "<li>{}</li>", ((str(change),) for change in changes)),
        STALE_OUTRO,
    )


def stale_message(*, fiche_id: int, version: int) -> SafeString:
    """'Cette fiche a été modifiée… Entre-temps :' and the list of what was done since the
    fiche stood at `version`, as HTML."""
    return stale_html(stale_changes(fiche_id=fiche_id, version=version))
