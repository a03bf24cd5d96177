"""Staff admin for fiches actions and what hangs from them: participations, budget, sub-actions."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import models
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import Truncator

from contrat.formats import format_euros
from contrat.spreadsheets import SpreadsheetAdmin
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Structure

from .models import FicheAction, LigneBudget, Participation, SousAction
from .resources import FicheActionResource

NO_BUDGET = "—"


# --- Filters of the fiche list -----------------------------------------------------------------


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


# --- Inlines of the fiche form -----------------------------------------------------------------


class ParticipationFormSet(BaseInlineFormSet):
    def get_unique_error_message(self, unique_check):
        # Django's own message names the fields in English ("structure et role").
        if set(unique_check) - {self.fk.name} == {"structure", "role"}:
            return "Cette structure a déjà ce rôle dans cette fiche : une seule ligne suffit."
        return super().get_unique_error_message(unique_check)


class ParticipationInline(admin.TabularInline):
    model = Participation
    formset = ParticipationFormSet
    fields = ["structure", "role", "precision", "ordre"]
    autocomplete_fields = ["structure"]

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj else 1


class LigneBudgetInline(admin.TabularInline):
    model = LigneBudget
    fields = [
        "montant",
        "periodicite",
        "nombre_annees",
        "total_affiche",
        "nature",
        "financeur",
        "note",
        "ordre",
    ]
    readonly_fields = ["total_affiche"]
    autocomplete_fields = ["financeur"]

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj else 1

    @admin.display(description="total")
    def total_affiche(self, obj):
        if obj.pk is None:
            return ""
        return format_euros(obj.total)


class SousActionFormSet(BaseInlineFormSet):
    """Offers as parent only the sub-actions of the same fiche, read once for all the rows."""

    @cached_property
    def parents(self):
        if self.instance.pk is None:
            return SousAction.objects.none()
        return SousAction.objects.filter(fiche=self.instance)

    @cached_property
    def parent_choices(self):
        return [("", "---------"), *((parent.pk, str(parent)) for parent in self.parents)]

    def add_fields(self, form, index):
        super().add_fields(form, index)
        field = form.fields.get("parent")
        if field is None:
            return
        field.queryset = self.parents
        # A plain select with fixed choices: the admin's "+" would create a parent in no
        # particular fiche, and a queryset would be read again for every row shown.
        field.widget = forms.Select()
        field.choices = self.parent_choices

    def clean(self):
        super().clean()
        for form in self.forms:
            parent = form.cleaned_data.get("parent") if hasattr(form, "cleaned_data") else None
            if parent is not None and parent.pk == form.instance.pk:
                form.add_error("parent", "Une sous-action ne peut pas être rattachée à elle-même.")


class SousActionInline(admin.TabularInline):
    model = SousAction
    formset = SousActionFormSet
    fields = ["ordre", "nature", "numero", "titre", "parent", "description"]
    formfield_overrides = {
        # Sub-action descriptions are short; the default textarea would swamp the table.
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})},
    }

    def get_extra(self, request, obj=None, **kwargs):
        return 0


# --- Fiche action ------------------------------------------------------------------------------


@admin.register(FicheAction)
class FicheActionAdmin(SpreadsheetAdmin):
    # Import (preview, then confirm) and export in CSV/XLSX; columns in actions/resources.py.
    resource_classes = [FicheActionResource]
    list_display = [
        "titre",
        "statut",
        "publie",
        "porteurs_affiches",
        "budget_affiche",
        "orientations_affichees",
    ]
    list_filter = [
        EnjeuFilter,
        OrientationFilter,
        "statut",
        "publie",
        StructureFilter,
        BudgetFilter,
    ]
    search_fields = [
        "titre",
        "descriptif",
        "participations__structure__nom",
        "participations__structure__sigle",
        "participations__structure__autres_graphies",
    ]
    autocomplete_fields = ["orientations", "enjeux"]
    prepopulated_fields = {"slug": ("titre",)}
    readonly_fields = ["cree_le", "modifie_le", "budget_total_affiche"]
    fieldsets = [
        (None, {"fields": ["contrat", "titre", "slug", "ordre", "statut", "publie"]}),
        ("Contenu", {"fields": ["descriptif"]}),
        ("Enjeux et orientations", {"fields": ["orientations", "enjeux"]}),
        (
            "Textes de la fiche d'origine (tels qu'écrits dans la recap)",
            {
                "fields": ["enjeu_texte", "budget_texte", "structure_texte"],
                "description": "Les colonnes Enjeu, Budget et Structure du tableau "
                "récapitulatif, recopiées mot pour mot. Elles servent à l'affichage et au "
                "contrôle ; les liens, participations et lignes de budget en sont la lecture "
                "structurée, seule utilisée pour les filtres et les totaux.",
            },
        ),
        (
            "Budget",
            {
                "fields": ["budget_total_affiche"],
                "description": "Calculé à partir des lignes de budget ci-dessous, "
                "une fois enregistrées.",
            },
        ),
        ("Suivi", {"fields": ["cree_le", "modifie_le"]}),
    ]
    inlines = [ParticipationInline, LigneBudgetInline, SousActionInline]
    actions = ["publier", "depublier"]
    list_per_page = 50

    def get_queryset(self, request):
        # Porteurs, orientations and the SQL total of the budget in a constant number of queries.
        return super().get_queryset(request).for_listing()

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "orientations":
            # The autocomplete shows the chosen orientations with their code: one query.
            kwargs["queryset"] = Orientation.objects.select_related("enjeu")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        contrats = list(Contrat.objects.values_list("pk", flat=True)[:2])
        if len(contrats) == 1:  # the usual case: one contract, nothing to choose
            initial.setdefault("contrat", contrats[0])
        return initial

    @admin.display(description="porteur(s)")
    def porteurs_affiches(self, obj):
        return ", ".join(str(structure) for structure in obj.porteurs) or "—"

    # Without budget sorts below 0 €: last when sorting from the largest, on every database.
    @admin.display(description="budget total", ordering=Coalesce("budget_total_sql", Value(-1)))
    def budget_affiche(self, obj):
        return format_euros(obj.budget_total) or NO_BUDGET

    @admin.display(description="orientations")
    def orientations_affichees(self, obj):
        # An orientation the document cites without a number shows its title, shortened.
        codes = [o.code or Truncator(o.titre).chars(40) for o in obj.orientations.all()]
        codes += [f"Enjeu {e.numero}" for e in obj.enjeux.all()]
        return ", ".join(codes) or "—"

    @admin.display(description="total du budget")
    def budget_total_affiche(self, obj):
        if obj.pk is None:
            return NO_BUDGET
        return format_euros(obj.budget_total) or "Aucune ligne de budget chiffrée."

    def _set_publie(self, request, queryset, publie):
        fiches = list(
            FicheAction.objects.filter(pk__in=queryset.values("pk"))
            .exclude(publie=publie)
            .only("pk", "titre")
        )
        # `update()` skips auto_now: the modification date is set here so lists stay truthful.
        changed = FicheAction.objects.filter(pk__in=[fiche.pk for fiche in fiches]).update(
            publie=publie, modifie_le=timezone.now()
        )
        # Each fiche's history says who published it, as a save through its form would.
        LogEntry.objects.log_actions(
            user_id=request.user.pk,
            queryset=fiches,
            action_flag=CHANGE,
            change_message=[{"changed": {"fields": ["publiée"]}}],
        )
        verb = "publiée" if publie else "dépubliée"
        if changed == 0:
            self.message_user(
                request,
                f"Aucune fiche {verb} : la sélection l'était déjà.",
                messages.WARNING,
            )
        elif changed == 1:
            self.message_user(request, f"1 fiche {verb}.", messages.SUCCESS)
        else:
            self.message_user(request, f"{changed} fiches {verb}s.", messages.SUCCESS)

    @admin.action(description="Publier les fiches sélectionnées", permissions=["change"])
    def publier(self, request, queryset):
        self._set_publie(request, queryset, True)

    @admin.action(description="Dépublier les fiches sélectionnées", permissions=["change"])
    def depublier(self, request, queryset):
        self._set_publie(request, queryset, False)


# --- The rows hanging from a fiche, each with its own list for cross-fiche work ----------------


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = ["structure", "role", "fiche", "precision"]
    list_filter = ["role"]
    list_select_related = ["structure", "fiche"]
    search_fields = ["structure__nom", "structure__sigle", "fiche__titre", "precision"]
    autocomplete_fields = ["fiche", "structure"]


@admin.register(LigneBudget)
class LigneBudgetAdmin(admin.ModelAdmin):
    list_display = ["libelle_affiche", "total_affiche", "fiche", "nature", "financeur"]
    list_filter = ["periodicite"]
    list_select_related = ["fiche", "financeur"]
    search_fields = ["fiche__titre", "nature", "note", "financeur__nom", "financeur__sigle"]
    autocomplete_fields = ["fiche", "financeur"]

    @admin.display(description="montant", ordering="montant")
    def libelle_affiche(self, obj):
        return obj.libelle

    @admin.display(description="total")
    def total_affiche(self, obj):
        return format_euros(obj.total)


@admin.register(SousAction)
class SousActionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "fiche", "parent", "ordre"]
    list_filter = ["nature"]
    list_select_related = ["fiche", "parent"]
    search_fields = ["titre", "numero", "description", "fiche__titre"]
    autocomplete_fields = ["fiche", "parent"]
