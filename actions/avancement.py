"""The fiches' follow-up rolled up, for the home and enjeu pages: how many fiches per statut,
the share of the budget in fiches en cours or réalisées, the indicators that reached their
target. In SQL: two GROUP BY queries for the whole contract, for its enjeux, or for orientations,
whatever their number; tests/actions/test_suivi.py holds them equal to a count in Python."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery

from enjeux.models import Orientation

from .bilans import enjeu_pairs
from .choices import Statut
from .models import Indicateur, ValeurIndicateur

# The fiches whose budget counts as engaged: under way or done.
ENGAGES = (Statut.EN_COURS, Statut.REALISEE)


@dataclass
class Avancement:
    par_statut: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Statut.values, 0))
    budget: Decimal | None = None  # all the fiches' budget; None while none has one
    budget_engage: Decimal | None = None  # of the fiches en cours or réalisées
    indicateurs: int = 0
    indicateurs_atteints: int = 0

    @property
    def nombre(self) -> int:
        return sum(self.par_statut.values())

    @property
    def statuts(self) -> list[tuple[str, str, int]]:
        """(value, label, count) of each statut, in the order of the workflow."""
        return [(value, label, self.par_statut.get(value, 0)) for value, label in Statut.choices]

    @property
    def part_engagee(self) -> int | None:
        """The engaged share of the budget, in whole percent; None without a budget."""
        if not self.budget:
            return None
        return round(100 * (self.budget_engage or Decimal(0)) / self.budget)


def latest_value() -> Subquery:
    """SQL: an indicator's value of its latest measured year."""
    latest = ValeurIndicateur.objects.filter(indicateur=OuterRef("pk")).order_by("-annee")
    return Subquery(latest.values("valeur")[:1])


# Reached: at or above a target set above (or at) the baseline, at or below one set below it.
REACHED = Q(valeur_cible__gte=F("valeur_reference"), derniere_valeur__gte=F("valeur_cible")) | Q(
    valeur_cible__lt=F("valeur_reference"), derniere_valeur__lte=F("valeur_cible")
)


def _indicators(fiches):
    # Unordered: a UNION's halves may not be.
    fiche_ids = fiches.order_by().values("pk")
    return (
        Indicateur.objects.filter(fiche__in=fiche_ids)
        .order_by()
        .annotate(derniere_valeur=latest_value())
    )


def _indicator_counts(distinct: bool = False) -> dict:
    return {
        "indicateurs": Count("pk", distinct=distinct),
        "atteints": Count("pk", distinct=distinct, filter=REACHED),
    }


def _collect(statut_rows, indicator_rows, key: str | None) -> dict:
    """{key value: Avancement} from GROUP BY rows: (key, statut, nombre, budget) and (key,
    indicateurs, atteints); a key met twice (the two halves of a UNION ALL) adds up."""
    found: dict = {}
    for row in statut_rows:
        item = found.setdefault(row[key] if key else None, Avancement())
        item.par_statut[row["statut"]] = item.par_statut.get(row["statut"], 0) + row["nombre"]
        if row["budget"] is not None:
            item.budget = (item.budget or Decimal(0)) + row["budget"]
            if row["statut"] in ENGAGES:
                item.budget_engage = (item.budget_engage or Decimal(0)) + row["budget"]
    for row in indicator_rows:
        item = found.setdefault(row[key] if key else None, Avancement())
        item.indicateurs += row["indicateurs"]
        item.indicateurs_atteints += row["atteints"]
    return found


def rollup_total(fiches) -> Avancement:
    """The Avancement of all the `fiches`: two queries."""
    statut_rows = fiches.bilans("statut")
    indicator_row = _indicators(fiches).order_by().aggregate(**_indicator_counts())
    return _collect(statut_rows, [indicator_row], None).get(None, Avancement())


def rollups_by_orientation(fiches, orientation_ids) -> dict[int, Avancement]:
    """{orientation id: Avancement of the `fiches` citing it}: two GROUP BY queries over the
    fiche-orientation pairs (each pair joined to its fiche's budget lines, or indicators)."""
    key = "orientations"
    statut_rows = fiches.filter(orientations__in=orientation_ids).bilans(key, "statut")
    indicator_rows = (
        _indicators(fiches)
        .filter(fiche__orientations__in=orientation_ids)
        .values(key=F("fiche__orientations"))
        .annotate(**_indicator_counts())
    )
    rows = [{**row, key: row["key"]} for row in indicator_rows]
    return _collect(statut_rows, rows, key)


def rollups_by_enjeu(fiches, enjeu_ids=None) -> dict[int, Avancement]:
    """{enjeu id: Avancement of the `fiches` citing it, through an orientation or directly}, for
    every enjeu or those of `enjeu_ids`: two queries, each a UNION ALL of the (fiche, enjeu)
    pairs counted once (bilans.enjeu_pairs for the statuts and budgets; distinct indicators
    per enjeu for the indicators). For every enjeu, no IN list: SQLite plans it three times
    faster at 10,000 fiches."""
    premiere, directe = enjeu_pairs(fiches, enjeu_ids)
    key = "orientations__enjeu"
    statut_rows = (
        premiere.bilans(key, "statut")
        .union(directe.bilans("enjeux", "statut"), all=True)
        .values(key, "statut", "nombre", "sans_budget", "budget")
    )
    par_orientation = Q(fiche__orientations__enjeu__isnull=False)
    directs = Q(fiche__enjeux__isnull=False)
    if enjeu_ids is not None:
        par_orientation &= Q(fiche__orientations__enjeu__in=enjeu_ids)
        directs &= Q(fiche__enjeux__in=enjeu_ids)
    indicators = _indicators(fiches)
    first_half = (
        indicators.filter(par_orientation)
        .values(key=F("fiche__orientations__enjeu"))
        .annotate(**_indicator_counts(distinct=True))
    )
    cited_only = Orientation.objects.filter(
        fiches=OuterRef("fiche"), enjeu=OuterRef("fiche__enjeux")
    )
    second_half = (
        indicators.filter(directs, ~Exists(cited_only))
        .values(key=F("fiche__enjeux"))
        .annotate(**_indicator_counts(distinct=True))
    )
    rows = [
        {**row, key: row["key"]}
        for row in first_half.union(second_half, all=True).values("key", "indicateurs", "atteints")
    ]
    return _collect(statut_rows, rows, key)
