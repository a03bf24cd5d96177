"""What changed between two states of the recap (a snapshot and today, or two snapshots):
fiches added, removed, changed (title, status, budget, each financer's amounts) as old → new,
with both sides' totals. Both sides are the same JSON (comites/snapshot.py)."""

from dataclasses import dataclass, field
from decimal import Decimal

from actions.budget import Bilan
from actions.plan import MEASURES, Amounts
from contrat.formats import format_euros

from .snapshot import Frozen, decimal_or_none

NON_CHIFFRE = "non chiffré"


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class FicheChange:
    pk: int
    titre: str
    slug: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class Side:
    """One side of the comparison: its name, its date, its totals."""

    label: str
    date: object
    total: Bilan
    url: str = ""


@dataclass
class Ecarts:
    avant: Side
    apres: Side
    ajoutees: list[dict]
    retirees: list[dict]
    modifiees: list[FicheChange]

    @property
    def difference(self) -> Decimal | None:
        old, new = self.avant.total.budget, self.apres.total.budget
        if old is None and new is None:
            return None
        return (new or Decimal(0)) - (old or Decimal(0))

    def __bool__(self) -> bool:
        return bool(self.ajoutees or self.retirees or self.modifiees)


def euros(value: Decimal | None) -> str:
    return NON_CHIFFRE if value is None else format_euros(value)


def financed(fiche: dict) -> dict[int, tuple[str, Amounts]]:
    """{financer pk: (its name, its amounts over every year and nature)} of a fiche."""
    found: dict[int, tuple[str, Amounts]] = {}
    for line in fiche["financements"]:
        amounts = Amounts(*(Decimal(line[key] or 0) for key, _l, _c in MEASURES))
        name, before = found.get(line["financeur_pk"], (line["financeur"], Amounts()))
        found[line["financeur_pk"]] = (name, before + amounts)
    return found


def indicator_text(indicateur: dict | None) -> str:
    if indicateur is None:
        return "aucun"
    last = indicateur["derniere"]
    if last is None:
        return "pas encore mesuré"
    unite = f" {indicateur['unite']}" if indicateur["unite"] else ""
    cible = " (cible atteinte)" if indicateur["atteint"] else ""
    return f"{Decimal(last[0]).normalize():f}{unite} en {last[1]}{cible}"


def fiche_changes(old: dict, new: dict) -> list[Change]:
    changes = []
    if old["titre"] != new["titre"]:
        changes.append(Change("Titre", old["titre"], new["titre"]))
    if old["statut"] != new["statut"]:
        changes.append(Change("État d'avancement", old["statut_libelle"], new["statut_libelle"]))
    old_budget, new_budget = (decimal_or_none(f["budget_total"]) for f in (old, new))
    if old_budget != new_budget:
        changes.append(Change("Budget total", euros(old_budget), euros(new_budget)))
    old_plan, new_plan = financed(old), financed(new)
    for pk in sorted(old_plan.keys() | new_plan.keys(), key=lambda k: (old_plan | new_plan)[k][0]):
        name = (new_plan.get(pk) or old_plan[pk])[0]
        before = old_plan.get(pk, (name, None))[1]
        after = new_plan.get(pk, (name, None))[1]
        for key, label, _caption in MEASURES:
            a = None if before is None else before.of(key)
            b = None if after is None else after.of(key)
            if a != b:
                changes.append(
                    Change(
                        f"Financement {name} ({label.lower()})",
                        "aucun" if a is None else format_euros(a),
                        "aucun" if b is None else format_euros(b),
                    )
                )
    # Snapshots arrested before the indicators existed have none: nothing to compare then.
    if "indicateurs" in old:
        before = {i["pk"]: i for i in old["indicateurs"]}
        after = {i["pk"]: i for i in new.get("indicateurs", [])}
        for pk in [*before, *(pk for pk in after if pk not in before)]:
            a, b = indicator_text(before.get(pk)), indicator_text(after.get(pk))
            if a != b:
                name = (after.get(pk) or before[pk])["nom"]
                changes.append(Change(f"Indicateur « {name} » (dernière valeur)", a, b))
    return changes


def compare(avant: Frozen, apres: Frozen, *, avant_side: dict, apres_side: dict) -> Ecarts:
    """The differences from `avant` to `apres`, fiches in `apres`'s recap order (removed
    ones in `avant`'s)."""
    old = {fiche["pk"]: fiche for fiche in avant.fiches}
    new = {fiche["pk"]: fiche for fiche in apres.fiches}
    modifiees = []
    for pk, fiche in new.items():
        if pk in old and (changes := fiche_changes(old[pk], fiche)):
            modifiees.append(FicheChange(pk, fiche["titre"], fiche["slug"], changes))
    return Ecarts(
        avant=Side(total=avant.total, **avant_side),
        apres=Side(total=apres.total, **apres_side),
        ajoutees=[fiche for pk, fiche in new.items() if pk not in old],
        retirees=[fiche for pk, fiche in old.items() if pk not in new],
        modifiees=modifiees,
    )
