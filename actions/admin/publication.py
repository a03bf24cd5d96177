"""The fiche admin's publication workflow (declared in actions/workflow.py): the change page's
buttons, the list's bulk actions, and a published fiche withdrawn after a contributor's edit."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse

from .. import services, workflow
from ..models import Etat
from ..permissions import can_publish
from .common import MAX_REFUSALS_SHOWN, WITHDRAWN_MESSAGE, refusal_text

# The admin's action names: the POSTed "action" value, kept as they were before the table.
BULK_ACTION_NAMES = {"soumettre": "envoyer_en_relecture"}


def bulk_transition_action(transition):
    """The list's action applying `transition` to the selected fiches."""

    def action(modeladmin, request, queryset):
        modeladmin._apply_to_selection(request, queryset, transition.name)

    action.__name__ = BULK_ACTION_NAMES.get(transition.name, transition.name)
    return admin.action(description=transition.bulk_label, permissions=[transition.permission])(
        action
    )


class FichePublicationAdminMixin:
    """For FicheActionAdmin, before TracedSpreadsheetAdmin."""

    # The list's bulk moves, one per transition of actions/workflow.py that has one.
    actions = [
        bulk_transition_action(transition)
        for transition in workflow.TRANSITIONS
        if transition.bulk_label
    ]

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/transition/<slug:transition>/",
                self.admin_site.admin_view(self.transition_view),
                name="{}_{}_transition".format(*info),
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["workflow"] = {
                "fiche": obj,
                "boutons": [
                    {
                        "nom": transition.name,
                        "libelle": transition.label,
                        "url": reverse(
                            f"admin:{self.opts.app_label}_{self.opts.model_name}_transition",
                            args=[obj.pk, transition.name],
                        ),
                    }
                    for transition in workflow.buttons(request.user, obj)
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
        move = workflow.BY_NAME.get(transition)
        if move is None or not move.button:
            self.message_user(request, "Action de publication inconnue.", messages.ERROR)
            return HttpResponseRedirect(change_url)
        try:
            services.fiche_transition(
                fiche=fiche,
                user=request.user,
                name=move.name,
                comment=request.POST.get("commentaire", ""),
            )
        except (PermissionDenied, ValidationError) as error:
            self.message_user(request, refusal_text(error), messages.ERROR)
        else:
            self.message_user(request, f"Fiche « {fiche.titre} » {move.done}.", messages.SUCCESS)
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

    def _apply_to_selection(self, request, queryset, name):
        done = workflow.BY_NAME[name].done
        moved, refusals = 0, []
        # One transaction, so one new data version at its commit (the pages' figures computed
        # again once, contrat/precompute.py); a refused fiche is rolled back to its own
        # savepoint (fiche_transition is atomic) and the others still move.
        with transaction.atomic():
            for fiche in queryset.order_by("ordre", "pk"):
                try:
                    services.fiche_transition(fiche=fiche, user=request.user, name=name)
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
