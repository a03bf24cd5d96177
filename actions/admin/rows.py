"""The rows hanging from a fiche, each with its own admin list for cross-fiche work, and the
workflow's read-only log."""

from django.contrib import admin, messages

from contrat.formats import format_euros
from contrat.history import TracedAdmin

from .. import services
from ..models import FicheAction, LigneBudget, Participation, SousAction, TransitionFiche
from ..permissions import can_edit_fiche, can_view_fiche, is_scoped, scope_rows_of_fiches
from .common import WITHDRAWN_MESSAGE


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
    # The fiche takes its new version before the row is written, as its own form does: the
    # row's version then belongs to it (actions/history.py, version_end).

    def save_model(self, request, obj, form, change):
        before = type(obj).objects.filter(pk=obj.pk).values_list("fiche_id", flat=True).first()
        self._fiches_edited(request, {before, obj.fiche_id} - {None})
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        self._fiches_edited(request, {obj.fiche_id})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        self._fiches_edited(request, set(queryset.values_list("fiche_id", flat=True)))
        super().delete_queryset(request, queryset)

    def _fiches_edited(self, request, fiche_ids):
        services.history_baseline(fiche_ids=fiche_ids)
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
