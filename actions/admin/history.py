"""The fiche admin's history: its rows' versions beside its own, a version's page showing the
fiche then (with its rows) and restoring it whole, two versions compared with their rows,
deleted fiches listed and brought back."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.text import capfirst

from contrat.formats import format_euros
from contrat.history import HISTORY_TYPES, NOISE_FIELDS, author, display_value
from enjeux.models import Enjeu, Orientation

from .. import services
from ..history import KEPT_FIELDS, fiche_state_at, restore_plan, rows_changes
from ..models import FicheAction, LigneBudget, LigneFinancement, Participation, SousAction
from ..permissions import can_publish, scope_deleted_fiches
from .common import WITHDRAWN_MESSAGE, refusal_text

ROWS_HISTORY_SHOWN = 50
HISTORY_OPERATIONS = {"+": "ajout", "~": "modification", "-": "suppression"}
# Shown on a version's page as they stand today: a restore leaves them (see KEPT_FIELDS).
KEPT_SHOWN = ("etat", "slug", "ordre", "contrat")


class FicheRestoreForm(forms.Form):
    """The version's page's one button: the fiche's version the user saw, checked on restore."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


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

    # --- One version: what comes back, and the button that brings it back -------------------

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Replaces django-simple-history's form, which restores the fiche's own fields only:
        # an old title beside today's budget, a state that never existed.
        object_id = unquote(object_id)
        if not (str(version_id).isdigit() and object_id.isdigit()):
            raise Http404("Aucune version de cette fiche ne porte ce numéro.")
        record = (
            FicheAction.history.filter(id=object_id, history_id=version_id)
            .select_related("history_user")
            .first()
        )
        if record is None:
            raise Http404("Aucune version de cette fiche ne porte ce numéro.")
        fiche = FicheAction.objects.filter(pk=record.id).first()  # today's, whoever asks
        if not self.has_view_history_or_change_history_permission(
            request, fiche or record.instance
        ):
            raise PermissionDenied
        may_restore = fiche is not None and self.has_restore_permission(
            request, fiche, record.instance
        )
        if request.method == "POST":
            if not may_restore:
                raise PermissionDenied("Vous n'avez pas le droit de restaurer cette version.")
            return self._restore_version(request, fiche, record)
        return self._version_page(request, fiche, record, may_restore, extra_context)

    def _restore_version(self, request, fiche, record):
        form = FicheRestoreForm(request.POST)
        expected = form.cleaned_data["version"] if form.is_valid() else None
        try:
            if expected is None:
                raise ValidationError(
                    "Le formulaire ne dit pas quelle version de la fiche il remplace : "
                    "rechargez la page."
                )
            result = services.fiche_restore_version(
                fiche=fiche, record=record, user=request.user, expected=expected
            )
        except ValidationError as refusal:
            self.message_user(request, refusal_text(refusal), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        self.log_change(request, result.fiche, result.reason)
        self.message_user(
            request,
            f"Fiche « {result.fiche.titre} » restaurée telle qu'elle était le "
            f"{_when(record)}, avec ses lignes rattachées : une nouvelle version l'enregistre.",
            messages.SUCCESS,
        )
        for note in result.notes:
            self.message_user(request, note, messages.WARNING)
        if result.withdrawn:
            self.message_user(request, WITHDRAWN_MESSAGE, messages.WARNING)
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[fiche.pk])
        )

    def _version_page(self, request, fiche, record, may_restore, extra_context):
        plan = restore_plan(fiche=fiche, record=record) if fiche is not None else None
        state = plan.target if plan else fiche_state_at(record)
        shown = [
            f
            for f in FicheAction._meta.concrete_fields
            if f.name not in KEPT_FIELDS and f.name not in NOISE_FIELDS
        ]
        info = self.opts.app_label, self.opts.model_name
        context = {
            **self.admin_site.each_context(request),
            "title": f"Version du {_when(record)} : « {record.titre} »",
            "opts": self.opts,
            "record": record,
            "auteur": author(record),
            "operation": HISTORY_TYPES[record.history_type],
            "champs": [
                {
                    "label": capfirst(f.verbose_name),
                    "value": display_value(f, getattr(record, f.attname)),
                }
                for f in shown
            ],
            "orientations": Orientation.objects.filter(pk__in=state.orientations),
            "enjeux": Enjeu.objects.filter(pk__in=state.enjeux),
            "etat": state,
            "budget_total": format_euros(state.budget_total),
            "plan": plan,
            "conserves": [
                {
                    "label": capfirst(FicheAction._meta.get_field(name).verbose_name),
                    "value": display_value(
                        FicheAction._meta.get_field(name),
                        str(fiche.contrat) if name == "contrat" else getattr(fiche, name),
                    ),
                }
                for name in KEPT_SHOWN
            ]
            if fiche is not None
            else [],
            "peut_restaurer": may_restore and record.history_type != "-",
            "form": FicheRestoreForm(initial={"version": fiche.version if fiche else None}),
            "history_url": reverse("admin:{}_{}_history".format(*info), args=[record.id]),
            "change_url": reverse("admin:{}_{}_change".format(*info), args=[record.id])
            if fiche is not None
            else None,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/actions/ficheaction/version.html", context)

    def history_compare_context(self, request, old, new) -> dict:
        # The rows too: a change of budget is a change of the fiche.
        return {
            "lignes_titre": "Participations, lignes de budget, de financement et sous-actions",
            "lignes_changements": rows_changes(fiche_state_at(old), fiche_state_at(new)),
        }

    def history_view(self, request, object_id, extra_context=None):
        # The fiche's participations, budget and financing lines and sub-actions have versions of
        # their own.
        rows = []
        for model in (Participation, LigneBudget, LigneFinancement, SousAction):
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


def _when(record) -> str:
    return formats.date_format(timezone.localtime(record.history_date), "j F Y à H:i")
