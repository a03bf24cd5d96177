"""The fiches' follow-up rolled up, for the home and enjeu pages: how many fiches per statut,
the share of the budget in fiches en cours or réalisées, the indicators that reached their
target. In SQL, two queries for any number of named subsets (the whole contract, each enjeu,
each orientation); tests/actions/test_suivi.py holds them equal to a count in Python."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum

from .budget import ligne_total_expression
from .choices import Statut
from .models import FicheAction, Indicateur, ValeurIndicateur

# The fiches whose budget counts as engaged: under way or done.
ENGAGES = (Statut.EN_COURS, Statut.REALISEE)


@dataclass
class Avancement:
    par_statut: dict[str, int] = field(default_factory=dict)
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


def citing_enjeu(enjeu_id: int) -> QuerySet:
    """The ids of the fiches citing an enjeu, through one of its orientations or directly."""
    by_orientation = FicheAction.orientations.through.objects.filter(orientation__enjeu=enjeu_id)
    direct = FicheAction.enjeux.through.objects.filter(enjeu=enjeu_id)
    return (
        by_orientation.order_by()
        .values("ficheaction_id")
        .union(direct.order_by().values("ficheaction_id"))
    )


def citing_orientation(orientation_id: int) -> QuerySet:
    return FicheAction.orientations.through.objects.filter(orientation=orientation_id).values(
        "ficheaction_id"
    )


def _within(subset: QuerySet | None, path: str, extra: Q | None = None) -> Q | None:
    condition = Q(**{f"{path}__in": subset}) if subset is not None else None
    if extra is None:
        return condition
    return extra if condition is None else condition & extra


def latest_value() -> Subquery:
    """SQL: an indicator's value of its latest measured year."""
    latest = ValeurIndicateur.objects.filter(indicateur=OuterRef("pk")).order_by("-annee")
    return Subquery(latest.values("valeur")[:1])


# Reached: at or above a target set above (or at) the baseline, at or below one set below it.
REACHED = Q(valeur_cible__gte=F("valeur_reference"), derniere_valeur__gte=F("valeur_cible")) | Q(
    valeur_cible__lt=F("valeur_reference"), derniere_valeur__lte=F("valeur_cible")
)


def rollups(fiches: QuerySet, subsets: dict[str, QuerySet | None]) -> dict[str, Avancement]:
    """{name: Avancement} of the `fiches` within each subset (a queryset of fiche ids, or None
    for all of them): one query over the fiches and their budget lines, one over their
    indicators, whatever the number of fiches and subsets."""
    aggregates = {}
    total = ligne_total_expression("lignes_budget__")
    for index, subset in enumerate(subsets.values()):
        for value in Statut.values:
            aggregates[f"s{index}_{value}"] = Count(
                "pk", distinct=True, filter=_within(subset, "pk", Q(statut=value))
            )
        aggregates[f"s{index}_budget"] = Sum(total, filter=_within(subset, "pk"))
        aggregates[f"s{index}_engage"] = Sum(
            total, filter=_within(subset, "pk", Q(statut__in=ENGAGES))
        )
    row = fiches.order_by().aggregate(**aggregates)

    indicators = Indicateur.objects.filter(fiche__in=fiches.order_by().values("pk")).annotate(
        derniere_valeur=latest_value()
    )
    counts = {}
    for index, subset in enumerate(subsets.values()):
        counts[f"i{index}_tous"] = Count("pk", filter=_within(subset, "fiche_id"))
        counts[f"i{index}_atteints"] = Count("pk", filter=_within(subset, "fiche_id", REACHED))
    indicator_row = indicators.order_by().aggregate(**counts)

    result = {}
    for index, name in enumerate(subsets):
        result[name] = Avancement(
            par_statut={value: row[f"s{index}_{value}"] for value in Statut.values},
            budget=row[f"s{index}_budget"],
            budget_engage=row[f"s{index}_engage"],
            indicateurs=indicator_row[f"i{index}_tous"],
            indicateurs_atteints=indicator_row[f"i{index}_atteints"],
        )
    return result
