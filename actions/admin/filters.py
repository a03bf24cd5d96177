"""The fiche list's filters in the admin: enjeu, orientation, structure, budget."""

from django.contrib import admin
from django.db.models import Exists, OuterRef

from enjeux.models import Enjeu, Orientation
from structures.models import Structure

from ..models import LigneBudget


class EnjeuFilter(admin.SimpleListFilter):
    """A fiche belongs to an enjeu through one of its orientations or by citing it directly."""

    title = "enjeu"
    parameter_name = "enjeu"

    def lookups(self, request, model_admin):
        return [(str(enjeu.pk), str(enjeu)) for enjeu in Enjeu.objects.all()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.for_enjeu(self.value())
        return queryset


class OrientationFilter(admin.SimpleListFilter):
    title = "orientation"
    parameter_name = "orientation"

    def lookups(self, request, model_admin):
        # str() of an orientation reads its enjeu: fetched in the same query.
        return [(str(o.pk), str(o)) for o in Orientation.objects.select_related("enjeu")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.for_orientation(self.value())
        return queryset


class StructureFilter(admin.SimpleListFilter):
    """Fiches a structure takes part in, whatever its role (porteur, partenaire, financeur…).

    Its parameter, `structure`, is what the structure list links to."""

    title = "structure (tout rôle)"
    parameter_name = "structure"

    def lookups(self, request, model_admin):
        structures = Structure.objects.filter(participations__isnull=False).distinct()
        return [(str(s.pk), str(s)) for s in structures.order_by("nom")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.for_structure(self.value())
        return queryset


class BudgetFilter(admin.SimpleListFilter):
    title = "budget"
    parameter_name = "budget"

    def lookups(self, request, model_admin):
        return [("avec", "Avec budget chiffré"), ("sans", "Sans budget chiffré")]

    def queryset(self, request, queryset):
        lignes = LigneBudget.objects.filter(fiche=OuterRef("pk"))
        if self.value() == "avec":
            return queryset.filter(Exists(lignes))
        if self.value() == "sans":
            return queryset.filter(~Exists(lignes))
        return queryset
