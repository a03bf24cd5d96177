"""A fiche's follow-up in the admin: its progress notes, indicators and milestones inline on
the fiche's form (stacked or three columns: they fit a 1,366 px screen), each with its own list
for cross-fiche work; an indicator's yearly values on the indicator's page."""

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from contrat.history import TracedAdmin

from .. import services
from ..models import Etape, Indicateur, PointAvancement, ValeurIndicateur
from ..permissions import can_edit_fiche, can_view_fiche
from ..suivi import DUPLICATE_YEAR
from .inlines import FicheRowsInlineMixin, TextareaField
from .rows import FicheRowsAdminMixin

YEAR = forms.NumberInput(attrs={"class": "vIntegerField"})
VALUE = forms.NumberInput(attrs={"class": "vBigIntegerField", "step": "any"})
WIDGETS = {
    "avancement": forms.NumberInput(attrs={"class": "vIntegerField", "min": 0, "max": 100}),
    "annee": YEAR,
    "annee_reference": YEAR,
    "annee_cible": YEAR,
    "valeur": VALUE,
    "valeur_reference": VALUE,
    "valeur_cible": VALUE,
    "nom": forms.TextInput(attrs={"size": 50}),
    "unite": forms.TextInput(attrs={"size": 12}),
    "titre": forms.TextInput(attrs={"size": 50}),
}


class SuiviWidgetsMixin:
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in WIDGETS:
            kwargs["widget"] = WIDGETS[db_field.name]
        if db_field.name == "commentaire":
            kwargs.update(
                form_class=TextareaField, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class PointAvancementInline(SuiviWidgetsMixin, FicheRowsInlineMixin, admin.StackedInline):
    model = PointAvancement
    # Stacked like the budget lines: a comment beside four columns left no room to read it.
    fields = [("date", "statut", "avancement"), "commentaire", "auteur"]
    readonly_fields = ["auteur"]
    verbose_name_plural = "points d'avancement (le dernier donne l'état d'avancement de la fiche)"
    extra = 0


class IndicateurInline(SuiviWidgetsMixin, FicheRowsInlineMixin, admin.StackedInline):
    model = Indicateur
    fields = [
        ("nom", "unite"),
        ("valeur_reference", "annee_reference"),
        ("valeur_cible", "annee_cible"),
        "ordre",
    ]
    # The yearly values on the indicator's own page (an inline cannot hold another inline).
    show_change_link = True
    verbose_name_plural = "indicateurs (les valeurs mesurées se saisissent sur la page de chacun)"
    extra = 0


class EtapeInline(SuiviWidgetsMixin, FicheRowsInlineMixin, admin.TabularInline):
    model = Etape
    fields = ["titre", "date_prevue", "date_realisation"]
    extra = 0


class FicheSuiviAdminMixin:
    """For the fiche's admin: a note's author is whoever writes it, and the fiche's statut
    follows its latest note (read only on the form once the fiche has notes)."""

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        has_notes = obj is not None and obj.pk and obj.points_avancement.exists()
        if has_notes and "statut" not in readonly:
            readonly.append("statut")
        return readonly

    def save_formset(self, request, form, formset, change):
        if formset.model is not PointAvancement:
            return super().save_formset(request, form, formset, change)
        for note_form in formset.forms:
            if note_form.instance.pk is None and note_form.has_changed():
                note_form.instance.auteur = request.user
        super().save_formset(request, form, formset, change)
        fiche = form.instance
        for changed in services.fiche_statut_follow(fiche_ids=[fiche.pk], user=request.user):
            # The withdrawal that may follow saves this instance: with the new statut.
            fiche.statut = changed.statut
        return None


class ValeurIndicateurFormSet(BaseInlineFormSet):
    def get_unique_error_message(self, unique_check):
        # Django's own message names the fields in English ("indicateur et annee").
        if set(unique_check) - {self.fk.name} == {"annee"}:
            return DUPLICATE_YEAR
        return super().get_unique_error_message(unique_check)


class ValeurIndicateurInline(SuiviWidgetsMixin, admin.TabularInline):
    """On the indicator's page: its values are edited by whoever may edit its fiche."""

    model = ValeurIndicateur
    formset = ValeurIndicateurFormSet
    fields = ["annee", "valeur"]
    extra = 1

    def _fiche(self, obj):
        return obj.fiche if obj is not None else None

    def has_add_permission(self, request, obj=None):
        allowed = super().has_add_permission(request, obj)
        return allowed and can_edit_fiche(request.user, self._fiche(obj))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and can_edit_fiche(request.user, self._fiche(obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and can_edit_fiche(request.user, self._fiche(obj))

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or can_view_fiche(request.user, obj.fiche))


@admin.register(PointAvancement)
class PointAvancementAdmin(SuiviWidgetsMixin, FicheRowsAdminMixin, TracedAdmin):
    list_display = ["date", "fiche", "statut", "avancement", "auteur"]
    list_filter = ["statut"]
    list_select_related = ["fiche", "auteur"]
    search_fields = ["fiche__titre", "commentaire"]
    autocomplete_fields = ["fiche"]
    readonly_fields = ["auteur"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        before = PointAvancement.objects.filter(pk=obj.pk).values_list("fiche_id", flat=True)
        fiche_ids = {before.first(), obj.fiche_id} - {None}
        if obj.pk is None:
            obj.auteur = request.user
        super().save_model(request, obj, form, change)
        services.fiche_statut_follow(fiche_ids=fiche_ids, user=request.user)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.fiche_statut_follow(fiche_ids=[obj.fiche_id], user=request.user)

    def delete_queryset(self, request, queryset):
        fiche_ids = set(queryset.values_list("fiche_id", flat=True))
        super().delete_queryset(request, queryset)
        services.fiche_statut_follow(fiche_ids=fiche_ids, user=request.user)


@admin.register(Indicateur)
class IndicateurAdmin(SuiviWidgetsMixin, FicheRowsAdminMixin, TracedAdmin):
    list_display = ["nom", "fiche", "unite", "valeur_reference", "valeur_cible", "annee_cible"]
    list_select_related = ["fiche"]
    search_fields = ["nom", "fiche__titre"]
    autocomplete_fields = ["fiche"]
    inlines = [ValeurIndicateurInline]


@admin.register(Etape)
class EtapeAdmin(SuiviWidgetsMixin, FicheRowsAdminMixin, TracedAdmin):
    list_display = ["titre", "fiche", "date_prevue", "date_realisation"]
    list_select_related = ["fiche"]
    search_fields = ["titre", "fiche__titre"]
    autocomplete_fields = ["fiche"]
    date_hierarchy = "date_prevue"
