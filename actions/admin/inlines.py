"""The fiche form's inlines: participations, budget lines, sub-actions."""

from django import forms
from django.contrib import admin
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.utils.functional import cached_property

from contrat.formats import format_euros

from ..models import LigneBudget, Participation, SousAction
from ..permissions import can_edit_fiche


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


class LigneBudgetInline(FicheRowsInlineMixin, admin.StackedInline):
    model = LigneBudget
    # Stacked, a few fields a line: as a table, its eight columns ran off a laptop's screen.
    fields = [
        ("montant", "periodicite", "total_affiche"),
        "nombre_annees",
        ("financeur", "nature"),
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
