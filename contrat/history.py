"""Change history in the admin (django-simple-history): versions listed and compared in French."""

import datetime
import difflib
from decimal import Decimal

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html_join
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from contrat.formats import format_euros
from contrat.spreadsheets import SpreadsheetAdmin

# Saved on every change, so they would show in every difference without saying anything.
NOISE_FIELDS = {"modifie_le", "cree_le", "version"}
EMPTY = "(vide)"
HISTORY_TYPES = {"+": "Création", "~": "Modification", "-": "Suppression"}


def author(record) -> str:
    """'Prénom Nom (identifiant)', or who saved it when nobody was logged in."""
    user = record.history_user
    if user is None:
        return "inconnu (chargement de données, commande ou script)"
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


def display_value(field, value) -> str:
    """A field's value as a French reader expects it: labels for choices, oui/non, euros..."""
    if isinstance(field, models.ManyToManyField):
        names = [str(item) for item in value or []]
        return ", ".join(names) if names else EMPTY
    if value is None or value == "":
        return EMPTY
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, Decimal):
        return format_euros(value) if "montant" in field.name else formats.number_format(value)
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "j F Y à H:i")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "j F Y")
    return str(value)


def field_changes(old_record, new_record) -> list[dict]:
    """[{'field': 'Titre', 'old': ..., 'new': ..., 'diff': html or None}] between two versions,
    in the model's field order, without the fields every save changes."""
    model = new_record.instance_type
    delta = new_record.diff_against(old_record, foreign_keys_are_objs=True)
    order = {f.name: index for index, f in enumerate(model._meta.get_fields())}
    changes = []
    for change in sorted(delta.changes, key=lambda c: order.get(c.field, 0)):
        if change.field in NOISE_FIELDS:
            continue
        field = model._meta.get_field(change.field)
        old, new = change.old, change.new
        if isinstance(field, models.ManyToManyField):
            target = field.m2m_reverse_field_name()
            old = [row[target] for row in old or []]
            new = [row[target] for row in new or []]
        if change := shown_change(field, old, new):
            changes.append(change)
    return changes


def shown_change(field, old, new) -> dict | None:
    """{'field', 'old', 'new', 'diff'} for one field, as a reader sees it; None when the two
    read alike (line endings only: a browser sends CRLF, nothing a reader would see)."""
    old_text, new_text = display_value(field, old), display_value(field, new)
    if old_text.splitlines() == new_text.splitlines():
        return None
    return {
        "field": capfirst(field.verbose_name),
        "old": old_text,
        "new": new_text,
        "diff": line_diff(old_text, new_text) if "\n" in old_text + new_text else None,
    }


def instance_changes(old, new, *, exclude=()) -> list[dict]:
    """The same list as field_changes, between two instances of a model (a row as it stands
    and as a version had it): its concrete fields, without the noise and `exclude`."""
    changes = []
    for field in type(new)._meta.concrete_fields:
        if field.primary_key or field.name in NOISE_FIELDS or field.name in exclude:
            continue
        old_value, new_value = getattr(old, field.attname), getattr(new, field.attname)
        if old_value == new_value:
            continue
        if field.is_relation:
            old_value, new_value = related_text(field, old_value), related_text(field, new_value)
        if change := shown_change(field, old_value, new_value):
            changes.append(change)
    return changes


def related_text(field, pk) -> str | None:
    """The object a foreign key points to, as text; said so when it was deleted since."""
    if pk is None:
        return None
    target = field.related_model._default_manager.filter(pk=pk).first()
    return str(target) if target is not None else f"(objet n° {pk} supprimé depuis)"


def line_diff(old: str, new: str):
    """A long text's changed lines: removed ones struck through, added ones underlined."""
    rows = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        tag, text = line[:2], line[2:]
        if tag == "- ":
            rows.append(("del", text))
        elif tag == "+ ":
            rows.append(("ins", text))
        elif tag == "  ":
            rows.append(("span", text))
    return format_html_join("\n", "<{0}>{1}</{0}>", rows)


class FrenchHistoryHelper(HistoricalRecordContextHelper):
    """The history list's "changes" column, in French and without the noise fields."""

    def context_for_delta_changes(self, delta):
        return field_changes(delta.old_record, delta.new_record)


class HistoryAdminMixin:
    """Put before SimpleHistoryAdmin: French history list, and a page comparing two versions."""

    object_history_template = "admin/history/object_history.html"
    object_history_list_template = "admin/history/object_history_list.html"
    history_compare_template = "admin/history/compare.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return FrenchHistoryHelper(self.model, historical_record)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.history_compare_view),
                name="{}_{}_history_compare".format(*info),
            ),
            *super().get_urls(),
        ]

    def _history_object(self, request, object_id):
        """The object, or for a deleted one its last version; None when it never existed."""
        object_id = unquote(object_id)
        history = self.model.history.filter(**{self.opts.pk.attname: object_id})
        obj = self.get_queryset(request).filter(pk=object_id).first()
        if obj is None:
            last = history.order_by("-history_date", "-history_id").first()
            obj = last.instance if last else None
        return obj, history

    def history_compare_view(self, request, object_id):
        obj, history = self._history_object(request, object_id)
        if obj is None:
            raise Http404("Aucune version de cet objet.")
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        history_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[object_id]
        )
        try:
            ids = [int(request.GET[key]) for key in ("de", "a")]
        except (KeyError, ValueError):
            messages.error(request, "Choisissez les deux versions à comparer.")
            return HttpResponseRedirect(history_url)
        records = {r.history_id: r for r in history.filter(history_id__in=ids)}
        if len(records) != len(set(ids)) or len(set(ids)) != 2:
            messages.error(request, "Choisissez deux versions différentes de cet objet.")
            return HttpResponseRedirect(history_url)
        old, new = sorted(records.values(), key=lambda r: (r.history_date, r.history_id))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Différences entre deux versions : {obj}",
            "opts": self.opts,
            "object": obj,
            "ancienne": old,
            "nouvelle": new,
            "ancienne_auteur": author(old),
            "nouvelle_auteur": author(new),
            "changements": field_changes(old, new),
            "history_url": history_url,
            **self.history_compare_context(request, old, new),
        }
        return render(request, self.history_compare_template, context)

    def history_compare_context(self, request, old, new) -> dict:
        """More for the comparison page (a fiche adds its rows' differences): none here."""
        return {}

    # --- Restoring a version: an edit of the object as it stands today ----------------------

    def has_restore_permission(self, request, current, version) -> bool:
        """May the user put `version` (an earlier version's instance) back? `current` is the
        object as it stands, None once deleted. django-simple-history itself checks only the
        view permission, on the old version: a restore is a change of today's object (with its
        per-object rules), and bringing a deleted one back is an addition."""
        if current is None:
            return self.has_add_permission(request)
        return self.has_change_permission(request, current)

    def _restore_allowed(self, request, object_id, version) -> bool:
        current = self.model._default_manager.filter(pk=unquote(str(object_id))).first()
        return self.has_restore_permission(request, current, version)

    def revert_disabled(self, request, obj=None):
        # The version page is read-only (no "Restaurer" button) for whoever may not restore it.
        if super().revert_disabled(request, obj):
            return True
        return obj is not None and not self._restore_allowed(request, obj.pk, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # The URL pattern takes any text: a typed address gets a 404, not a 500.
        if not (str(version_id).isdigit() and unquote(object_id).isdigit()):
            raise Http404("Aucune version de cet objet ne porte ce numéro.")
        if request.method == "POST":
            record = self.model.history.filter(
                **{self.opts.pk.attname: unquote(object_id), "history_id": version_id}
            ).first()
            if record is None:
                raise Http404("Aucune version de cet objet ne porte ce numéro.")
            if not self._restore_allowed(request, object_id, record.instance):
                raise PermissionDenied("Vous n'avez pas le droit de restaurer cette version.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "compare_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_history_compare",
                args=[object_id],
            ),
        }
        return super().history_view(request, object_id, extra_context)


class TracedAdmin(HistoryAdminMixin, SimpleHistoryAdmin):
    """A ModelAdmin whose objects keep every version (see HistoryAdminMixin)."""


class TracedSpreadsheetAdmin(HistoryAdminMixin, SimpleHistoryAdmin, SpreadsheetAdmin):
    """SpreadsheetAdmin (import, export) with the change history. SimpleHistoryAdmin overrides
    no change list or change form template, so import-export's buttons and the history link
    both show; both add their URLs through get_urls, chained by super()."""
