"""Chainable reads of fiches actions; every page's select/prefetch lives here, once."""

from django.db import models
from django.db.models import Case, DecimalField, F, OuterRef, Prefetch, Q, Subquery, Sum, When

BUDGET_FIELD = DecimalField(max_digits=14, decimal_places=2)


def ligne_total_expression():
    """SQL for one budget line's total: the amount, times the years when it is per year."""
    return Case(
        When(periodicite="annuel", then=F("montant") * F("nombre_annees")),
        default=F("montant"),
        output_field=BUDGET_FIELD,
    )


class FicheActionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(publie=True)

    def visible_to(self, user):
        """Staff see drafts too; everybody else sees published fiches only."""
        if user.is_authenticated and user.is_staff:
            return self
        return self.published()

    def for_structure(self, structure, role=None):
        participations = Q(participations__structure=structure)
        if role:
            participations &= Q(participations__role=role)
        ids = self.model.objects.filter(participations).values("pk")
        return self.filter(pk__in=ids)

    def for_enjeu(self, enjeu):
        ids = self.model.objects.filter(
            Q(orientations__enjeu=enjeu) | Q(enjeux=enjeu)
        ).values("pk")
        return self.filter(pk__in=ids)

    def for_orientation(self, orientation):
        return self.filter(pk__in=self.model.objects.filter(orientations=orientation).values("pk"))

    def with_budget_total(self):
        """Annotate `budget_total_sql`: the sum of the lines' totals, NULL without lines."""
        from .models import LigneBudget

        totals = (
            LigneBudget.objects.filter(fiche=OuterRef("pk"))
            .order_by()
            .values("fiche")
            .annotate(total=Sum(ligne_total_expression()))
            .values("total")
        )
        return self.annotate(budget_total_sql=Subquery(totals, output_field=BUDGET_FIELD))

    def for_listing(self):
        """What a list row shows: porteur, orientations, total budget, in constant queries."""
        from .models import Participation

        return (
            self.select_related("contrat")
            .with_budget_total()
            .prefetch_related(
                Prefetch(
                    "participations",
                    queryset=Participation.objects.select_related("structure"),
                ),
                "orientations__enjeu",
                "enjeux",
            )
        )

    def for_detail(self):
        """Everything a fiche's page or PDF shows."""
        from .models import LigneBudget, Participation, SousAction

        return self.select_related("contrat").prefetch_related(
            Prefetch(
                "participations",
                queryset=Participation.objects.select_related("structure").prefetch_related(
                    "structure__contacts"
                ),
            ),
            Prefetch("lignes_budget", queryset=LigneBudget.objects.select_related("financeur")),
            Prefetch("sous_actions", queryset=SousAction.objects.all()),
            "orientations__enjeu",
            "enjeux",
        )
