"""The financing lines of the fiches: their inline on the fiche's form, narrow enough for a
1,366 px screen, and their own list for cross-fiche work, with import and export."""

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from contrat.formats import format_euros
from contrat.history import TracedSpreadsheetAdmin

from ..financements import DUPLICATE
from ..financements_resources import LigneFinancementResource
from ..models import FicheAction, LigneFinancement
from ..permissions import is_scoped
from .filters import EnjeuFilter
from .inlines import FicheRowsInlineMixin
from .rows import FicheRowsAdminMixin

# Widths from the admin's own stylesheet (5em for a year, 10em for an amount): no CSS of ours.
AMOUNT = forms.NumberInput(attrs={"class": "vBigIntegerField", "step": "0.01", "min": "0"})
NARROW_WIDGETS = {
    "annee": forms.NumberInput(attrs={"class": "vIntegerField"}),
    "prevu": AMOUNT,
    "accorde": AMOUNT,
    "verse": AMOUNT,
    "reference_decision": forms.TextInput(attrs={"size": 22}),
    "note": forms.TextInput(attrs={"size": 30}),
}


class NarrowFieldsMixin:
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in NARROW_WIDGETS:
            kwargs["widget"] = NARROW_WIDGETS[db_field.name]
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class LigneFinancementFormSet(BaseInlineFormSet):
    def get_unique_error_message(self, unique_check):
        # Django's own message names the fields in English ("financeur, annee et nature").
        if set(unique_check) - {self.fk.name} == {"financeur", "annee", "nature"}:
            return DUPLICATE
        return super().get_unique_error_message(unique_check)


class LigneFinancementInline(NarrowFieldsMixin, FicheRowsInlineMixin, admin.StackedInline):
    model = LigneFinancement
    formset = LigneFinancementFormSet
    # Stacked, a few fields a line: as a table, nine columns left the reference, the note and
    # the nature a few letters wide on a laptop's screen.
    fields = [
        ("financeur", "annee", "nature"),
        ("prevu", "accorde", "verse"),
        ("date_decision", "reference_decision"),
        "note",
    ]
    autocomplete_fields = ["financeur"]
    verbose_name_plural = "plan de financement (qui paie quoi, chaque année)"
    extra = 0


class LigneFinancementEnjeuFilter(EnjeuFilter):
    """The lines of the fiches of an enjeu (through an orientation or cited directly)."""

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(fiche__in=FicheAction.objects.for_enjeu(self.value()))
        return queryset


class FinanceurFilter(admin.RelatedOnlyFieldListFilter):
    """Only the structures that finance something, by name."""

    def field_choices(self, field, request, model_admin):
        return sorted(super().field_choices(field, request, model_admin), key=lambda c: c[1])


@admin.register(LigneFinancement)
class LigneFinancementAdmin(NarrowFieldsMixin, FicheRowsAdminMixin, TracedSpreadsheetAdmin):
    # Import (preview, then confirm) and export in CSV/XLSX; columns in financements_resources.
    resource_classes = [LigneFinancementResource]
    list_display = [
        "fiche",
        "financeur",
        "annee",
        "nature",
        "prevu_affiche",
        "accorde_affiche",
        "verse_affiche",
        "date_decision",
        "reference_decision",
    ]
    list_display_links = ["fiche", "financeur"]
    list_filter = [
        ("financeur", FinanceurFilter),
        "annee",
        LigneFinancementEnjeuFilter,
        "nature",
    ]
    list_select_related = ["fiche", "financeur"]
    search_fields = ["fiche__titre"]
    autocomplete_fields = ["fiche", "financeur"]
    ordering = ["fiche__ordre", "annee", "financeur__nom", "nature"]

    def has_import_permission(self, request):
        # A file may name any fiche: editors only, as for the fiches' own import.
        return not is_scoped(request.user) and super().has_import_permission(request)

    @admin.display(description="prévu", ordering="prevu")
    def prevu_affiche(self, obj):
        return format_euros(obj.prevu)

    @admin.display(description="accordé", ordering="accorde")
    def accorde_affiche(self, obj):
        return format_euros(obj.accorde) or "—"

    @admin.display(description="versé", ordering="verse")
    def verse_affiche(self, obj):
        return format_euros(obj.verse)
