"""Reads for the contract's pages: the current contract and fiche totals per enjeu/orientation."""

from dataclasses import dataclass
from decimal import Decimal

from .models import Contrat, Enjeu, Orientation


def current_contrat() -> Contrat | None:
    """The contract the portal shows: the portal serves one contract, the first created."""
    return Contrat.objects.order_by("pk").first()


@dataclass
class Bilan:
    """How many fiches and how much budget; `budget` stays None while no fiche has one."""

    nombre: int = 0
    budget: Decimal | None = None

    def add(self, fiche) -> None:
        self.nombre += 1
        if fiche.budget_total is not None:
            self.budget = (self.budget or Decimal(0)) + fiche.budget_total


def enjeux_with_bilans(contrat: Contrat, fiches) -> tuple[list[Enjeu], list[Orientation], Bilan]:
    """The contract's enjeux with their orientations, each carrying a `bilan` of `fiches`,
    the orientations cited without an enjeu, and the overall bilan.

    `fiches` comes from `FicheActionQuerySet.for_totals()`. A fiche counts once in each of its
    orientations and once per enjeu (through an orientation or cited directly), so the
    orientations' totals may add up to more than their enjeu's."""
    enjeux = list(Enjeu.objects.filter(contrat=contrat).prefetch_related("orientations"))
    sans_enjeu = list(
        Orientation.objects.filter(enjeu__isnull=True, fiches__contrat=contrat).distinct()
    )
    orientations = {o.pk: o for e in enjeux for o in e.orientations.all()}
    orientations.update({o.pk: o for o in sans_enjeu})
    for item in [*enjeux, *orientations.values()]:
        item.bilan = Bilan()
    by_pk = {e.pk: e for e in enjeux}
    total = Bilan()
    for fiche in fiches:
        total.add(fiche)
        enjeu_ids = {e.pk for e in fiche.enjeux.all()}
        for orientation in fiche.orientations.all():
            if orientation.pk in orientations:
                orientations[orientation.pk].bilan.add(fiche)
            if orientation.enjeu_id:
                enjeu_ids.add(orientation.enjeu_id)
        for enjeu_id in enjeu_ids & by_pk.keys():
            by_pk[enjeu_id].bilan.add(fiche)
    # An orientation without enjeu only matters where it leads to fiches the visitor may see.
    return enjeux, [o for o in sans_enjeu if o.bilan.nombre], total


def current_enjeux():
    """The current contract's enjeux, in one query (the contract is a subquery)."""
    first_contrat = Contrat.objects.order_by("pk").values("pk")[:1]
    return Enjeu.objects.filter(contrat__in=first_contrat)
