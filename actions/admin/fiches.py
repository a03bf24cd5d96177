"""The fiche action's admin: list, form with a version check, inlines; its history and its
publication workflow come from the mixins beside it."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.utils.text import Truncator

from contrat.formats import format_euros
from contrat.history import TracedSpreadsheetAdmin
from enjeux.models import Contrat, Orientation

from .. import services
from ..models import FicheAction
from ..permissions import can_edit_fiche, can_publish, can_view_fiche, is_scoped, scope_fiches
from ..resources import FicheActionResource
from .common import NO_BUDGET, refusal_text
from .filters import BudgetFilter, EnjeuFilter, OrientationFilter, StructureFilter
from .financements import LigneFinancementInline
from .history import FicheHistoryAdminMixin
from .inlines import LigneBudgetInline, ParticipationInline, SousActionInline, TextareaField
from .publication import FichePublicationAdminMixin
from .suivi import EtapeInline, FicheSuiviAdminMixin, IndicateurInline, PointAvancementInline


class FicheActionAdminForm(forms.ModelForm):
    # The version the form was opened on, sent back on save: see save_model.
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        required=False,
        min_value=0,
        error_messages={"invalid": "Version de fiche illisible : rechargez la page."},
    )

    def clean(self):
        cleaned = super().clean()
        current = current_version(self.instance.pk)
        if current is not None and cleaned.get("version") is None and "version" not in self.errors:
            raise ValidationError(
                "Le formulaire ne dit pas quelle version de la fiche il modifie : "
                "rechargez la page."
            )
        if current is not None and cleaned.get("version") != current:
            # The friendly case: someone saved meanwhile, the form comes back with the user's
            # input and the list of what changed (HTML, escaped part by part). save_model
            # checks again, atomically.
            raise ValidationError(
                services.stale_message(
                    fiche_id=self.instance.pk, version=cleaned.get("version") or 0
                )
            )
        return cleaned


def current_version(pk) -> int | None:
    if pk is None:
        return None
    return FicheAction.objects.filter(pk=pk).values_list("version", flat=True).first()


@admin.register(FicheAction)
class FicheActionAdmin(
    FicheSuiviAdminMixin,
    FicheHistoryAdminMixin,
    FichePublicationAdminMixin,
    TracedSpreadsheetAdmin,
):
    # Import (preview, then confirm) and export in CSV/XLSX; columns in actions/resources.py.
    resource_classes = [FicheActionResource]
    form = FicheActionAdminForm
    # Adds the "deleted fiches" link; import-export wraps it with its buttons.
    change_list_template = "admin/actions/ficheaction/change_list.html"
    list_display = [
        "titre",
        "statut",
        "etat",
        "porteurs_affiches",
        "budget_affiche",
        "orientations_affichees",
    ]
    list_filter = [
        EnjeuFilter,
        OrientationFilter,
        "statut",
        "etat",
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
    # The publication state changes only through the workflow's buttons, which record it.
    readonly_fields = ["etat", "cree_le", "modifie_le", "budget_total_affiche"]
    fieldsets = [
        (None, {"fields": ["contrat", "titre", "slug", "ordre", "statut", "etat"]}),
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
        ("Suivi", {"fields": ["cree_le", "modifie_le", "version"]}),
    ]
    inlines = [
        ParticipationInline,
        LigneBudgetInline,
        LigneFinancementInline,
        SousActionInline,
        PointAvancementInline,
        IndicateurInline,
        EtapeInline,
    ]
    formfield_overrides = {models.TextField: {"form_class": TextareaField}}
    list_per_page = 50

    def get_queryset(self, request):
        # Porteurs, orientations and the SQL total of the budget in a constant number of queries;
        # a contributor reaches only its structures' fiches, whatever the URL it types.
        return scope_fiches(request.user, super().get_queryset(request).for_listing())

    # The fiche's address and its place in the recap are the editors': a contributor edits
    # the content. Read only for them, a value they post is ignored.
    EDITORS_FIELDS = ["slug", "ordre"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if is_scoped(request.user):
            readonly += [name for name in self.EDITORS_FIELDS if name not in readonly]
        return readonly

    def get_prepopulated_fields(self, request, obj=None):
        # A read-only slug is not in the form: nothing to fill in from the title.
        if is_scoped(request.user):
            return {}
        return super().get_prepopulated_fields(request, obj)

    # --- Concurrent edits: a version checked on save --------------------------------------------

    def save_model(self, request, obj, form, change):
        # A conditional UPDATE of the version, in the admin's transaction: if someone saved since
        # the form was opened, nothing is written (changeform_view reports it).
        former = ""
        if change:
            # Loaded without history (a plain loaddata, demo data): a first version of the
            # fiche and its rows as they stand, so that this change can be undone.
            services.history_baseline(fiche_ids=[obj.pk])
            services.fiche_claim_version(fiche=obj, expected=form.cleaned_data.get("version"))
            # The publication state changes only through the workflow: the form shows it
            # read only, and what was posted for it is not trusted. Today's stays.
            former, obj.etat = FicheAction.objects.values_list("slug", "etat").get(pk=obj.pk)
        else:
            obj.version = 1
        super().save_model(request, obj, form, change)
        # The former address keeps answering, with a redirect to the new one.
        services.fiche_slug_changed(fiche=obj, former=former)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refusal:  # raised by save_model, after its transaction
            self.message_user(request, refusal_text(refusal), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_search_results(self, request, queryset, search_term):
        # The portal's own search (FicheActionQuerySet.search): accents and case ignored,
        # structures' other spellings and sub-actions included. `search_fields` stays for the
        # search box and the autocompletes that point here.
        if not search_term.strip():
            return queryset, False
        return queryset.search(search_term), False

    def has_view_permission(self, request, obj=None):
        # Also guards the history of a fiche (SimpleHistoryAdmin asks with the object).
        if not super().has_view_permission(request, obj):
            return False
        return obj is None or can_view_fiche(request.user, obj)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or can_edit_fiche(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        # A contributor never deletes, not even its own fiches.
        return not is_scoped(request.user) and super().has_delete_permission(request, obj)

    def has_restore_permission(self, request, current, version) -> bool:
        # A deleted fiche comes back whole (with its rows) through "Fiches supprimées" only.
        return current is not None and super().has_restore_permission(request, current, version)

    def has_publish_permission(self, request):
        return can_publish(request.user)

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
