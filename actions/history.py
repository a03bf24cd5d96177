"""A fiche at one of its versions, with the participations, budget lines and sub-actions it had
then (each read from its own history), what differs between two such states, and what
restoring a version would write."""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.utils.text import Truncator, capfirst

from contrat.history import EMPTY, instance_changes
from enjeux.models import Enjeu, Orientation
from structures.models import Structure

from .models import FicheAction, LigneBudget, LigneFinancement, Participation, SousAction

ROW_MODELS = (Participation, LigneBudget, LigneFinancement, SousAction)
# A restore brings the content back. These stay as they are today: the fiche's place (its
# contract, its position in the recap, its public address), its publication state (which only
# the workflow moves) and the bookkeeping.
KEPT_FIELDS = ("id", "contrat", "ordre", "slug", "etat", "cree_le", "modifie_le", "version")
# Participation, ligne de budget, sous-action: all feminine.
OPERATIONS = {"+": "ajoutée", "~": "modifiée", "-": "supprimée"}
SHORT = 40


def short(text: str) -> str:
    return Truncator(text).chars(SHORT)


def row_label(row) -> str:
    """The row as it reads ('ADUS — Porteur', '30 000 €'), even when what it names is gone."""
    try:
        return str(row)
    except ObjectDoesNotExist:
        return f"n° {row.pk}"


def version_end(record) -> datetime | None:
    """When the fiche left the version `record` belongs to: the date of its first later record
    with a higher version number; None while that version still stands.

    Every write of a fiche claims a new version and writes the fiche's record before its rows'
    (the admin form's inlines, a row's own page, an import, a restore): a version's rows are
    those written until the next version's record. Its own date would leave out the lines
    saved with it, a few milliseconds later."""
    return (
        FicheAction.history.filter(
            id=record.id, version__gt=record.version, history_date__gt=record.history_date
        )
        .order_by("history_date", "history_id")
        .values_list("history_date", flat=True)
        .first()
    )


@dataclass
class FicheState:
    """A fiche's fields, orientations, enjeux and rows, today or at one of its versions."""

    fiche: FicheAction
    orientations: list[int]
    enjeux: list[int]
    rows: dict  # {model: {pk: instance}}, each in the fiche's reading order
    unknown: dict = field(default_factory=dict)  # {model: [row]}: state then not known

    def __post_init__(self):
        for model in ROW_MODELS:
            self.rows[model] = dict(
                sorted(self.rows.get(model, {}).items(), key=lambda item: reading_key(item[1]))
            )
            self.unknown.setdefault(model, [])
        # The fiche's total, by the fiche's own rule, over these lines rather than today's.
        self.fiche._prefetched_objects_cache = {
            **getattr(self.fiche, "_prefetched_objects_cache", {}),
            "lignes_budget": _cached(LigneBudget, self.lignes_budget),
        }

    @property
    def participations(self) -> list:
        return list(self.rows[Participation].values())

    @property
    def lignes_budget(self) -> list:
        return list(self.rows[LigneBudget].values())

    @property
    def budget_total(self):
        return self.fiche.budget_total

    def sous_actions_tree(self) -> list:
        """The sub-actions at the top of the tree, each with `enfants_list`."""
        nodes = list(self.rows[SousAction].values())
        children = {}
        for node in nodes:
            parent = node.parent_id if node.parent_id in self.rows[SousAction] else None
            children.setdefault(parent, []).append(node)
        for node in nodes:
            node.enfants_list = children.get(node.pk, [])
        return children.get(None, [])


def reading_key(row) -> tuple:
    """A row's place in the fiche: its `ordre`, or a financing line's year and nature."""
    return (getattr(row, "ordre", 0), getattr(row, "annee", 0), getattr(row, "nature", ""), row.pk)


def _cached(model, rows):
    queryset = model._default_manager.none()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    return queryset


def fiche_state_now(fiche: FicheAction) -> FicheState:
    fiche = FicheAction.objects.get(pk=fiche.pk)  # without a list's annotations
    return FicheState(
        fiche=fiche,
        orientations=list(fiche.orientations.values_list("pk", flat=True)),
        enjeux=list(fiche.enjeux.values_list("pk", flat=True)),
        rows={
            model: {row.pk: row for row in model.objects.filter(fiche_id=fiche.pk)}
            for model in ROW_MODELS
        },
    )


def fiche_state_at(record) -> FicheState:
    """The fiche as it stood at the version `record` belongs to: its fields and links from the
    record, each row from its latest record before the next version began (see version_end).

    A row without any record at all was loaded without history and never changed since: it
    stood then as it stands. A row whose first record is a change, after that moment, was
    loaded without history and changed since: its state then is not known (`unknown`)."""
    end = version_end(record)
    rows, unknown = {}, {}
    for model in ROW_MODELS:
        live = {row.pk: row for row in model.objects.filter(fiche_id=record.id)}
        ids = set(model.history.filter(fiche_id=record.id).values_list("id", flat=True))
        by_id = {}
        for version in model.history.filter(id__in=ids | set(live)).order_by(
            "history_date", "history_id"
        ):
            by_id.setdefault(version.id, []).append(version)
        state, unknown[model] = {}, []
        for pk in ids | set(live):
            versions = by_id.get(pk, [])
            before = [v for v in versions if end is None or v.history_date < end]
            if before:
                last = before[-1]
                if last.history_type != "-" and last.fiche_id == record.id:
                    state[pk] = last.instance
            elif pk in live:
                if not versions:
                    state[pk] = live[pk]
                elif versions[0].history_type != "+":
                    unknown[model].append(live[pk])
                # else: created since
        rows[model] = state
    return FicheState(
        fiche=record.instance,
        orientations=[row.orientation_id for row in record.orientations.all()],
        enjeux=[row.enjeu_id for row in record.enjeux.all()],
        rows=rows,
        unknown=unknown,
    )


# --- Differences between rows ------------------------------------------------------------------


@dataclass
class RowChange:
    """A participation, budget line or sub-action added, changed or removed."""

    model: type
    operation: str  # "+", "~" or "-"
    label: str  # the row as it read before (after, for an addition)
    fields: list = field(default_factory=list)  # for a change: contrat.history's dicts

    @property
    def noun(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def title(self) -> str:
        """'Ligne de budget « 30 000 € »'"""
        return f"{capfirst(self.noun)} « {short(self.label)} »"

    @property
    def done(self) -> str:
        return OPERATIONS[self.operation]

    def details(self) -> str:
        """'Montant (€) : 30 000 € → 45 000 €, Note : (vide) → À confirmer'"""
        return ", ".join(
            f"{change['field']} : {short(change['old'])} → {short(change['new'])}"
            for change in self.fields
        )

    def summary(self) -> str:
        """'ligne de budget « 30 000 € » modifiée (Montant (€) : 30 000 € → 45 000 €)'"""
        text = f"{self.noun} « {short(self.label)} » {self.done}"
        return f"{text} ({self.details()})" if self.fields else text


def rows_changes(old: FicheState, new: FicheState) -> list[RowChange]:
    """What turns the rows of `old` into those of `new`, model by model, in reading order."""
    changes = []
    for model in ROW_MODELS:
        before, after = old.rows[model], new.rows[model]
        for pk in [*before, *(pk for pk in after if pk not in before)]:
            if pk not in before:
                changes.append(RowChange(model, "+", row_label(after[pk])))
            elif pk not in after:
                changes.append(RowChange(model, "-", row_label(before[pk])))
            else:
                fields = instance_changes(before[pk], after[pk])
                if fields:
                    changes.append(RowChange(model, "~", row_label(before[pk]), fields))
    return changes


def record_change(record) -> RowChange | None:
    """What one version of a row changed, from the one before; None when nothing visible."""
    model = record.instance_type
    if record.history_type != "~":
        return RowChange(model, record.history_type, row_label(record.instance))
    previous = record.prev_record
    if previous is None:  # loaded without history: what it was before is not known
        return RowChange(model, "~", row_label(record.instance))
    fields = instance_changes(previous.instance, record.instance)
    return RowChange(model, "~", row_label(previous.instance), fields) if fields else None


# --- Restoring a version -------------------------------------------------------------------------


@dataclass
class RestorePlan:
    """What restoring `record` would write over the fiche as it stands (`today`)."""

    record: object
    target: FicheState
    today: FicheState
    field_changes: list = field(default_factory=list)  # the fiche's fields and links
    orientations: list = field(default_factory=list)  # what will be cited: those still there
    enjeux: list = field(default_factory=list)
    deletes: dict = field(default_factory=dict)  # {model: [row]}
    updates: dict = field(default_factory=dict)  # {model: [(row, as it was)]}
    creates: dict = field(default_factory=dict)  # {model: [row as it was]}
    notes: list = field(default_factory=list)  # what cannot come back, and why

    @property
    def row_changes(self) -> list[RowChange]:
        changes = []
        for model in ROW_MODELS:
            changes += [RowChange(model, "-", row_label(row)) for row in self.deletes[model]]
            changes += [
                RowChange(model, "~", row_label(row), instance_changes(row, wanted))
                for row, wanted in self.updates[model]
            ]
            changes += [RowChange(model, "+", row_label(row)) for row in self.creates[model]]
        return changes

    @property
    def has_changes(self) -> bool:
        return bool(self.field_changes or self.row_changes)


def restore_plan(*, fiche: FicheAction, record) -> RestorePlan:
    """Read-only: what `fiche_restore_version` writes, shown first on the version's page."""
    target, today = fiche_state_at(record), fiche_state_now(fiche)
    plan = RestorePlan(record=record, target=target, today=today)
    plan.field_changes = instance_changes(today.fiche, target.fiche, exclude=KEPT_FIELDS)
    for name, model in (("orientations", Orientation), ("enjeux", Enjeu)):
        wanted = getattr(target, name)
        kept = set(model.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        for pk in wanted:
            if pk not in kept:
                plan.notes.append(
                    f"{capfirst(model._meta.verbose_name)} n° {pk}, citée alors, a été supprimée "
                    "depuis : elle ne peut pas revenir."
                )
        setattr(plan, name, sorted(kept))
        if kept != set(getattr(today, name)):
            plan.field_changes.append(
                {
                    "field": capfirst(FicheAction._meta.get_field(name).verbose_name),
                    "old": _names(model, getattr(today, name)),
                    "new": _names(model, kept),
                    "diff": None,
                }
            )
    structures = _existing_structures(target)
    for model in ROW_MODELS:
        _plan_rows(plan, model, structures)
    return plan


def _financing_refusal(row, plan: RestorePlan, structures: set) -> str | None:
    """Why a financing line of then cannot come back today (its financer deleted, its year
    outside the contract's period as it is now), or None."""
    if row.financeur_id not in structures:
        return "son financeur a été supprimé depuis."
    contrat = plan.today.fiche.contrat
    if contrat.annees and row.annee not in contrat.annees:
        return f"l'année {row.annee} est hors de la période du contrat ({contrat.periode_annees})."
    return None


def _names(model, pks) -> str:
    names = [str(item) for item in model.objects.filter(pk__in=pks)]
    return ", ".join(names) if names else EMPTY


def _existing_structures(target: FicheState) -> set:
    wanted = {row.structure_id for row in target.participations}
    wanted |= {row.financeur_id for row in target.lignes_budget if row.financeur_id}
    wanted |= {row.financeur_id for row in target.rows[LigneFinancement].values()}
    return set(Structure.objects.filter(pk__in=wanted).values_list("pk", flat=True))


def _plan_rows(plan: RestorePlan, model, structures: set) -> None:
    live, wanted = plan.today.rows[model], plan.target.rows[model]
    unknown = {row.pk for row in plan.target.unknown[model]}
    elsewhere = set(
        model.objects.filter(pk__in=set(wanted) - set(live)).values_list("pk", flat=True)
    )
    noun = str(model._meta.verbose_name)
    plan.deletes[model] = [row for pk, row in live.items() if pk not in set(wanted) | unknown]
    plan.updates[model], plan.creates[model] = [], []
    for pk, row in wanted.items():
        label = short(row_label(row))
        if model is Participation and row.structure_id not in structures:
            plan.notes.append(
                f"La participation « {label} » ne peut pas revenir : sa structure a été "
                "supprimée depuis."
            )
            continue
        if model is LigneBudget and row.financeur_id and row.financeur_id not in structures:
            plan.notes.append(
                f"La ligne de budget « {label} » revient sans financeur : il a été supprimé depuis."
            )
            row.financeur_id = None
        if model is LigneFinancement and (refusal := _financing_refusal(row, plan, structures)):
            plan.notes.append(
                f"La ligne de financement « {label} » ne peut pas revenir : {refusal}"
            )
            continue
        if model is SousAction and (row.parent_id not in wanted or row.parent_id in elsewhere):
            row.parent_id = None
        if pk in live:
            if instance_changes(live[pk], row):
                plan.updates[model].append((live[pk], row))
        elif pk in elsewhere:
            plan.notes.append(
                f"La {noun} « {label} » appartient aujourd'hui à une autre fiche : elle y reste."
            )
        else:
            plan.creates[model].append(row)
    for row in plan.target.unknown[model]:
        plan.notes.append(
            f"La {noun} « {short(row_label(row))} » reste telle quelle : chargée sans "
            "historique, son état à cette date n'est pas connu."
        )
