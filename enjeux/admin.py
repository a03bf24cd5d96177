"""Staff admin for the contract's referential: the contract, its enjeux and orientations."""

import re

from django.contrib import admin
from django.db.models import Count, F
from django.forms.models import BaseInlineFormSet

from contrat.history import TracedAdmin

from .models import Contrat, Enjeu, Orientation

# "7.7" (or "7,7", "7 . 7") typed in a search box means orientation 7 of enjeu 7.
ORIENTATION_CODE = re.compile(r"^\s*(\d+)\s*[.,]\s*(\d+)\s*$")


@admin.register(Contrat)
class ContratAdmin(TracedAdmin):
    list_display = ["nom", "territoire", "periode", "annees_affichees", "financeur"]
    list_select_related = ["financeur"]
    search_fields = ["nom", "territoire"]
    prepopulated_fields = {"slug": ("nom",)}
    autocomplete_fields = ["financeur"]
    fieldsets = [
        (None, {"fields": ["nom", "slug", "territoire", "periode", "description"]}),
        (
            "Période et financeur",
            {
                "fields": [("annee_debut", "annee_fin"), "financeur"],
                "description": "Les années des plans de financement des fiches : une ligne de "
                "financement ne peut pas tomber hors de cette période. Laissez-les vides tant "
                "que le contrat ne les fixe pas.",
            },
        ),
        (
            "Pages et exports",
            {
                "fields": ["pied_de_page"],
                "description": "Imprimé en bas de chaque page du site et des PDF. Le texte "
                "source s'arrête sur « est soutenu par » : ses logos n'ont pas été repris. "
                "Complétez-le (les soutiens, en toutes lettres) ou videz-le : un pied de page "
                "vide n'imprime aucun texte, les numéros de page restent.",
            },
        ),
    ]

    @admin.display(description="années", ordering="annee_debut")
    def annees_affichees(self, obj):
        return obj.periode_annees or "—"


class OrientationFormSet(BaseInlineFormSet):
    def get_unique_error_message(self, unique_check):
        # Django's own message names the field in English ("numero").
        if set(unique_check) - {self.fk.name} == {"numero"}:
            return "Deux orientations de cet enjeu portent le même numéro."
        return super().get_unique_error_message(unique_check)


class OrientationInline(admin.TabularInline):
    model = Orientation
    formset = OrientationFormSet
    fields = ["numero", "titre", "libelles_cites"]
    extra = 0


@admin.register(Enjeu)
class EnjeuAdmin(TracedAdmin):
    list_display = ["__str__", "numero", "contrat", "nombre_orientations"]
    list_display_links = ["__str__"]
    list_filter = ["contrat"]
    # Also what the fiche form's enjeu autocomplete searches; staff think of enjeux by number
    # ("7" finds enjeu 7 even when it has no title).
    search_fields = ["numero__exact", "titre", "description"]
    inlines = [OrientationInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("contrat")
            .annotate(nb_orientations=Count("orientations"))
        )

    @admin.display(description="orientations", ordering="nb_orientations")
    def nombre_orientations(self, obj):
        return obj.nb_orientations


@admin.register(Orientation)
class OrientationAdmin(TracedAdmin):
    list_display = ["code_affiche", "titre", "enjeu"]
    list_display_links = ["code_affiche", "titre"]
    list_filter = ["enjeu"]
    list_select_related = ["enjeu"]
    # Also the tie-breaker after a clicked column: orientations of one enjeu by number.
    ordering = ["enjeu__numero", "numero", "titre"]
    # Also what the fiche form's orientation autocomplete searches.
    search_fields = ["titre", "libelles_cites", "enjeu__titre", "enjeu__numero__exact"]
    autocomplete_fields = ["enjeu"]

    def get_queryset(self, request):
        # str() and the code read the enjeu: fetch it with the row, for the list and autocomplete.
        return super().get_queryset(request).select_related("enjeu")

    def get_search_results(self, request, queryset, search_term):
        match = ORIENTATION_CODE.match(search_term)
        if match:
            enjeu, numero = (int(group) for group in match.groups())
            return queryset.filter(enjeu__numero=enjeu, numero=numero), False
        return super().get_search_results(request, queryset, search_term)

    # Orientations cited without an enjeu (no code) come first, on every database.
    @admin.display(description="code", ordering=F("enjeu__numero").asc(nulls_first=True))
    def code_affiche(self, obj):
        return obj.code or "—"
