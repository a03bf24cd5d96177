"""The fiche admin's history: its rows' versions beside its own, a restored version taken
off the portal when a contributor restores it, deleted fiches listed and brought back."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst

from contrat.history import author

from .. import services
from ..models import FicheAction, LigneBudget, Participation, SousAction
from ..permissions import can_publish, scope_deleted_fiches
from .common import WITHDRAWN_MESSAGE, refusal_text

ROWS_HISTORY_SHOWN = 50
HISTORY_OPERATIONS = {"+": "ajout", "~": "modification", "-": "suppression"}


class FicheHistoryAdminMixin:
    """For FicheActionAdmin, before TracedSpreadsheetAdmin (contrat/history.py)."""

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
            *super().get_urls(),
        ]

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
