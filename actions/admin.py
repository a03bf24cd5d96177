"""Staff admin for fiches actions and what hangs from them: participations, budget, sub-actions."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.text import Truncator, capfirst

from contrat.formats import format_euros
from contrat.history import TracedAdmin, TracedSpreadsheetAdmin, author
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Structure

from . import services
from .models import Etat, FicheAction, LigneBudget, Participation, SousAction, TransitionFiche
from .permissions import (
    can_edit_fiche,
    can_publish,
    can_view_fiche,
    is_scoped,
    scope_deleted_fiches,
    scope_fiches,
    scope_rows_of_fiches,
)
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


class TextareaField(forms.CharField):
    """Browsers send a textarea's lines with CRLF; the recap and imports store LF. Reading LF
    keeps an untouched text unchanged: no false version, no needless withdrawal."""

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n")


class FicheRowsInlineMixin:
    """The rows of a fiche are edited with the fiche: whoever may not change it (a contributor
    on another structure's fiche, a reader) may not add, change or delete them either."""

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and can_edit_fiche(request.user, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can_edit_fiche(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and can_edit_fiche(request.user, obj)


class ParticipationFormSet(BaseInlineFormSet):
    def get_unique_error_message(self, unique_check):
        # Django's own message names the fields in English ("structure et role").
        if set(unique_check) - {self.fk.name} == {"structure", "role"}:
            return "Cette structure a déjà ce rôle dans cette fiche : une seule ligne suffit."
        return super().get_unique_error_message(unique_check)


class ParticipationInline(FicheRowsInlineMixin, admin.TabularInline):
    model = Participation
    formset = ParticipationFormSet
    fields = ["structure", "role", "precision", "ordre"]
    autocomplete_fields = ["structure"]

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj else 1


class LigneBudgetInline(FicheRowsInlineMixin, admin.TabularInline):
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


class SousActionInline(FicheRowsInlineMixin, admin.TabularInline):
    model = SousAction
    formset = SousActionFormSet
    fields = ["ordre", "nature", "numero", "titre", "parent", "description"]
    formfield_overrides = {
        # Sub-action descriptions are short; the default textarea would swamp the table.
        models.TextField: {
            "form_class": TextareaField,
            "widget": forms.Textarea(attrs={"rows": 2, "cols": 40}),
        },
    }

    def get_extra(self, request, obj=None, **kwargs):
        return 0


# --- Fiche action ------------------------------------------------------------------------------


class FicheActionAdminForm(forms.ModelForm):
    # The version the form was opened on, sent back on save: see save_model.
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        required=False,
        min_value=0,
        error_messages={"invalid": "Version de fiche illisible : rechargez la page."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        record = getattr(self.instance, "_history", None)
        if record is not None and not self.is_bound:
            # Restoring an earlier version (django-simple-history's form): offer the
            # orientations and enjeux the fiche cited then, not today's, and check the
            # restoration against today's version, not the old one's.
            self.initial["orientations"] = [row.orientation_id for row in record.orientations.all()]
            self.initial["enjeux"] = [row.enjeu_id for row in record.enjeux.all()]
            self.initial["version"] = current_version(self.instance.pk)

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
            # input and what changed. save_model checks again, atomically.
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
class FicheActionAdmin(TracedSpreadsheetAdmin):
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
    inlines = [ParticipationInline, LigneBudgetInline, SousActionInline]
    formfield_overrides = {models.TextField: {"form_class": TextareaField}}
    actions = ["envoyer_en_relecture", "publier", "archiver"]
    list_per_page = 50

    def get_queryset(self, request):
        # Porteurs, orientations and the SQL total of the budget in a constant number of queries;
        # a contributor reaches only its structures' fiches, whatever the URL it types.
        return scope_fiches(request.user, super().get_queryset(request).for_listing())

    # --- Concurrent edits: a version checked on save --------------------------------------------

    def save_model(self, request, obj, form, change):
        # A conditional UPDATE of the version, in the admin's transaction: if someone saved since
        # the form was opened, nothing is written (changeform_view reports it). A deleted fiche
        # restored from its history has no row to check against.
        if change:
            services.fiche_claim_version(fiche=obj, expected=form.cleaned_data.get("version"))
            # The publication state changes only through the workflow: the form shows it read
            # only, but a restored version carries the state it had then. Today's stays.
            obj.etat = FicheAction.objects.values_list("etat", flat=True).get(pk=obj.pk)
        else:
            obj.version = 1
        super().save_model(request, obj, form, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refusal:  # raised by save_model, after its transaction
            self.message_user(request, refusal_text(refusal), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        try:
            with transaction.atomic():
                response = super().history_form_view(request, object_id, version_id, extra_context)
                restored = request.method == "POST" and response.status_code == 302
                fiche = FicheAction.objects.filter(pk=object_id).first() if restored else None
                # Restoring an old version is an edit too: off the portal until reread.
                if fiche and services.fiche_withdraw_after_edit(fiche=fiche, user=request.user):
                    self.message_user(request, WITHDRAWN_MESSAGE, messages.WARNING)
                return response
        except ValidationError as refusal:
            self.message_user(request, refusal_text(refusal), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

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

    # --- History: the rows' versions beside the fiche's, deleted fiches brought back --------

    def history_view(self, request, object_id, extra_context=None):
        # The fiche's participations, budget lines and sub-actions have versions of their own.
        rows = []
        for model in (Participation, LigneBudget, SousAction):
            records = model.history.filter(fiche_id=object_id).select_related("history_user")
            rows += [
                {
                    "date": record.history_date,
                    "auteur": author(record),
                    "quoi": f"{capfirst(model._meta.verbose_name)} : {record.instance}",
                    "operation": HISTORY_OPERATIONS[record.history_type],
                }
                for record in records.order_by("-history_date")[:ROWS_HISTORY_SHOWN]
            ]
        rows.sort(key=lambda row: row["date"], reverse=True)
        extra_context = {**(extra_context or {}), "lignes_rattachees": rows[:ROWS_HISTORY_SHOWN]}
        return super().history_view(request, object_id, extra_context)

    def deleted_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        seen, fiches = set(), []
        for record in scope_deleted_fiches(request.user, services.deleted_fiches()):
            if record.id not in seen:
                seen.add(record.id)
                fiches.append({"record": record, "auteur": author(record)})
        context = {
            **self.admin_site.each_context(request),
            "title": "Fiches actions supprimées",
            "opts": self.opts,
            "fiches": fiches,
            "peut_restaurer": self.has_add_permission(request) and can_publish(request.user),
        }
        return TemplateResponse(request, "admin/actions/ficheaction/deleted.html", context)

    def restore_view(self, request, fiche_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            result = services.fiche_restore(fiche_id=fiche_id, user=request.user)
        except (PermissionDenied, ValidationError) as error:
            self.message_user(request, refusal_text(error), messages.ERROR)
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_deleted")
            )
        self.message_user(
            request,
            f"Fiche « {result.fiche.titre} » restaurée, avec {result.restored} ligne(s) "
            "rattachée(s) (participations, budget, sous-actions).",
            messages.SUCCESS,
        )
        for note in result.skipped:
            self.message_user(request, note, messages.WARNING)
        return HttpResponseRedirect(
            reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[result.fiche.pk],
            )
        )

    # --- Publication workflow: the change page's buttons and the list's actions ---------------

    TRANSITIONS = {
        # name: (service, what the button says, past participle for the messages)
        "soumettre": (
            services.fiche_submit_for_review,
            "Envoyer en relecture",
            "envoyée en relecture",
        ),
        "publier": (services.fiche_publish, "Publier", "publiée"),
        "renvoyer": (services.fiche_send_back, "Renvoyer en brouillon", "renvoyée en brouillon"),
        "archiver": (services.fiche_archive, "Archiver", "archivée"),
    }

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "supprimees/",
                self.admin_site.admin_view(self.deleted_view),
                name="{}_{}_deleted".format(*info),
            ),
            path(
                "supprimees/<int:fiche_id>/restaurer/",
                self.admin_site.admin_view(self.restore_view),
                name="{}_{}_restore".format(*info),
            ),
            path(
                "<path:object_id>/transition/<slug:transition>/",
                self.admin_site.admin_view(self.transition_view),
                name="{}_{}_transition".format(*info),
            ),
            *super().get_urls(),
        ]

    def available_transitions(self, request, fiche) -> list[str]:
        user = request.user
        names = []
        if fiche.etat == Etat.BROUILLON and can_edit_fiche(user, fiche):
            names.append("soumettre")
        if can_publish(user):
            if fiche.etat in (Etat.BROUILLON, Etat.EN_RELECTURE, Etat.ARCHIVEE):
                names.append("publier")
            if fiche.etat in (Etat.EN_RELECTURE, Etat.ARCHIVEE):
                names.append("renvoyer")
            if fiche.etat == Etat.PUBLIEE:
                names.append("archiver")
        return names

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["workflow"] = {
                "fiche": obj,
                "boutons": [
                    {
                        "nom": name,
                        "libelle": self.TRANSITIONS[name][1],
                        "url": reverse(
                            f"admin:{self.opts.app_label}_{self.opts.model_name}_transition",
                            args=[obj.pk, name],
                        ),
                    }
                    for name in self.available_transitions(request, obj)
                ],
                "transitions": obj.transitions.select_related("auteur").order_by("-date", "-pk"),
                "retrait_si_modifiee": obj.etat == Etat.PUBLIEE and not can_publish(request.user),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def transition_view(self, request, object_id, transition):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        fiche = self.get_object(request, object_id)
        if fiche is None:
            # Missing, or out of this contributor's scope: the same answer, no hint.
            self.message_user(
                request, "Cette fiche n'existe pas ou ne vous est pas accessible.", messages.ERROR
            )
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            )
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[fiche.pk]
        )
        if transition not in self.TRANSITIONS:
            self.message_user(request, "Action de publication inconnue.", messages.ERROR)
            return HttpResponseRedirect(change_url)
        service, _label, done = self.TRANSITIONS[transition]
        kwargs = {"fiche": fiche, "user": request.user}
        if transition == "renvoyer":
            kwargs["comment"] = request.POST.get("commentaire", "")
        try:
            service(**kwargs)
        except (PermissionDenied, ValidationError) as error:
            self.message_user(request, refusal_text(error), messages.ERROR)
        else:
            self.message_user(request, f"Fiche « {fiche.titre} » {done}.", messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        edited = form.has_changed() or any(formset.has_changed() for formset in formsets)
        # Published content changed by someone who may not publish: off the portal until an
        # editor has read it again.
        if (
            change
            and edited
            and services.fiche_withdraw_after_edit(fiche=form.instance, user=request.user)
        ):
            self.message_user(request, WITHDRAWN_MESSAGE, messages.WARNING)

    def _apply_to_selection(self, request, queryset, transition):
        service, _label, done = self.TRANSITIONS[transition]
        moved, refusals = 0, []
        for fiche in queryset.order_by("ordre", "pk"):
            try:
                service(fiche=fiche, user=request.user)
            except (PermissionDenied, ValidationError) as error:
                refusals.append(refusal_text(error))
            else:
                moved += 1
        if moved == 0:
            self.message_user(request, f"Aucune fiche {done}.", messages.WARNING)
        elif moved == 1:
            self.message_user(request, f"1 fiche {done}.", messages.SUCCESS)
        else:
            plural = done.replace("ée", "ées", 1)
            self.message_user(request, f"{moved} fiches {plural}.", messages.SUCCESS)
        for refusal in refusals[:MAX_REFUSALS_SHOWN]:
            self.message_user(request, refusal, messages.WARNING)
        if len(refusals) > MAX_REFUSALS_SHOWN:
            self.message_user(
                request,
                f"… et {len(refusals) - MAX_REFUSALS_SHOWN} autres fiches laissées telles quelles.",
                messages.WARNING,
            )

    @admin.action(
        description="Envoyer en relecture les fiches sélectionnées", permissions=["change"]
    )
    def envoyer_en_relecture(self, request, queryset):
        self._apply_to_selection(request, queryset, "soumettre")

    @admin.action(description="Publier les fiches sélectionnées", permissions=["publish"])
    def publier(self, request, queryset):
        self._apply_to_selection(request, queryset, "publier")

    @admin.action(description="Archiver les fiches sélectionnées", permissions=["publish"])
    def archiver(self, request, queryset):
        self._apply_to_selection(request, queryset, "archiver")


MAX_REFUSALS_SHOWN = 5
WITHDRAWN_MESSAGE = (
    "La fiche était publiée : vos modifications la repassent en brouillon, retirée du portail "
    "jusqu'à ce qu'un rédacteur la publie de nouveau. Envoyez-la en relecture quand elle est "
    "prête."
)
ROWS_HISTORY_SHOWN = 50
HISTORY_OPERATIONS = {"+": "ajout", "~": "modification", "-": "suppression"}


def refusal_text(error) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "Vous n'avez pas le droit de faire cela."


# --- The rows hanging from a fiche, each with its own list for cross-fiche work ----------------


class FicheRowsAdminMixin:
    """The cross-fiche lists of rows: a contributor sees and edits those of its own fiches,
    never moves one to another fiche, and adds rows only through its fiche's form."""

    def get_queryset(self, request):
        return scope_rows_of_fiches(request.user, super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if is_scoped(request.user):
            readonly.append("fiche")
        return readonly

    def has_add_permission(self, request):
        return not is_scoped(request.user) and super().has_add_permission(request)

    def has_view_permission(self, request, obj=None):
        if not super().has_view_permission(request, obj):
            return False
        return obj is None or can_view_fiche(request.user, obj.fiche)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or can_edit_fiche(request.user, obj.fiche)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or can_edit_fiche(request.user, obj.fiche)

    def has_restore_permission(self, request, current, version) -> bool:
        if current is None:  # a row deleted on its own: brought back into a fiche one may edit
            fiche = FicheAction.objects.filter(pk=version.fiche_id).first()
            return (
                fiche is not None
                and not is_scoped(request.user)
                and self.has_add_permission(request)
                and can_edit_fiche(request.user, fiche)
            )
        return super().has_restore_permission(request, current, version)

    # --- A row written here is an edit of its fiche: see services.fiche_rows_edited ---------

    def save_model(self, request, obj, form, change):
        before = type(obj).objects.filter(pk=obj.pk).values_list("fiche_id", flat=True).first()
        super().save_model(request, obj, form, change)
        self._fiches_edited(request, {before, obj.fiche_id} - {None})

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._fiches_edited(request, {obj.fiche_id})

    def delete_queryset(self, request, queryset):
        fiche_ids = set(queryset.values_list("fiche_id", flat=True))
        super().delete_queryset(request, queryset)
        self._fiches_edited(request, fiche_ids)

    def _fiches_edited(self, request, fiche_ids):
        if services.fiche_rows_edited(fiche_ids=fiche_ids, user=request.user):
            self.message_user(request, WITHDRAWN_MESSAGE, messages.WARNING)


@admin.register(Participation)
class ParticipationAdmin(FicheRowsAdminMixin, TracedAdmin):
    list_display = ["structure", "role", "fiche", "precision"]
    list_filter = ["role"]
    list_select_related = ["structure", "fiche"]
    search_fields = ["structure__nom", "structure__sigle", "fiche__titre", "precision"]
    autocomplete_fields = ["fiche", "structure"]


@admin.register(LigneBudget)
class LigneBudgetAdmin(FicheRowsAdminMixin, TracedAdmin):
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
class SousActionAdmin(FicheRowsAdminMixin, TracedAdmin):
    list_display = ["__str__", "fiche", "parent", "ordre"]
    list_filter = ["nature"]
    list_select_related = ["fiche", "parent"]
    search_fields = ["titre", "numero", "description", "fiche__titre"]
    autocomplete_fields = ["fiche", "parent"]


@admin.register(TransitionFiche)
class TransitionFicheAdmin(admin.ModelAdmin):
    """The workflow's log, read-only: only the services of actions/services.py write it."""

    list_display = ["date", "fiche", "etat_avant", "etat_apres", "auteur", "commentaire"]
    list_filter = ["etat_apres"]
    list_select_related = ["fiche", "auteur"]
    search_fields = ["fiche__titre", "commentaire", "auteur__username"]
    date_hierarchy = "date"

    def get_queryset(self, request):
        return scope_rows_of_fiches(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
