"""Staff admin of the committees: snapshots arrested (never changed nor deleted) and the
contract's amendments with the fiches they add or change, with their history."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from contrat.current import current_contrat
from contrat.formats import format_euros
from contrat.history import TracedAdmin

from .models import Avenant, AvenantFiche, Instantane
from .permissions import can_edit_avenants
from .services import instantane_arreter, name_problem

ARRETER = "Arrêter le récapitulatif"


class ArreterForm(forms.Form):
    nom = forms.CharField(
        label="Nom de l'instantané",
        max_length=200,
        help_text="Par exemple « Comité de pilotage 2026 ». Il donne son adresse à la page.",
    )
    date = forms.DateField(
        label="Date du comité",
        initial=datetime.date.today,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="AAAA-MM-JJ.",
        error_messages={"invalid": "Date illisible : écrivez-la AAAA-MM-JJ."},
    )

    def clean_nom(self):
        nom = self.cleaned_data["nom"].strip()
        if problem := name_problem(nom):
            raise ValidationError(problem)
        return nom


@admin.register(Instantane)
class InstantaneAdmin(admin.ModelAdmin):
    """Read-only once arrested: no change, no delete, for anyone (the model and the database
    refuse them anyway). "Ajouter" is "Arrêter le récapitulatif", the command's form."""

    list_display = ["nom", "date", "nombre_fiches", "budget_affiche", "arrete_par", "arrete_le"]
    search_fields = ["nom"]
    date_hierarchy = "date"
    fields = [
        "nom",
        "slug",
        "date",
        "arrete_le",
        "arrete_par",
        "nombre_fiches",
        "budget_affiche",
        "liens",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).listed()

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="budget total", ordering="budget_total")
    def budget_affiche(self, obj):
        return format_euros(obj.budget_total) if obj.budget_total is not None else "—"

    @admin.display(description="pages et fichiers figés")
    def liens(self, obj):
        return format_html(
            '<a href="{}">Page publique</a> · <a href="{}">PDF</a> · <a href="{}">XLSX</a> · '
            '<a href="{}">Écarts avec aujourd\'hui</a>',
            obj.get_absolute_url(),
            reverse("comites:recap-pdf", args=[obj.slug]),
            reverse("comites:recap-xlsx", args=[obj.slug]),
            reverse("comites:ecarts", args=[obj.slug]),
        )

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ArreterForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                instantane = instantane_arreter(
                    nom=form.cleaned_data["nom"],
                    date=form.cleaned_data["date"],
                    auteur=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.log_addition(request, instantane, [{"added": {}}])
                messages.success(
                    request,
                    f"Récapitulatif arrêté : « {instantane.nom} », {instantane.nombre_fiches} "
                    "fiches publiées. Il ne se modifie plus.",
                )
                return HttpResponseRedirect(
                    reverse("admin:comites_instantane_change", args=[instantane.pk])
                )
        contrat = current_contrat()
        context = {
            **self.admin_site.each_context(request),
            "title": ARRETER,
            "opts": self.opts,
            "form": form,
            "contrat": contrat,
            "now": timezone.localtime(),
        }
        return render(request, "admin/comites/instantane/arreter.html", context)


class AvenantFicheInline(admin.TabularInline):
    model = AvenantFiche
    fields = ["fiche", "role"]
    autocomplete_fields = ["fiche"]
    extra = 1
    verbose_name = "fiche ajoutée ou modifiée"
    verbose_name_plural = "fiches ajoutées ou modifiées par l'avenant"

    def has_add_permission(self, request, obj=None):
        return can_edit_avenants(request.user, "change" if obj else "add")

    def has_change_permission(self, request, obj=None):
        return can_edit_avenants(request.user)

    def has_delete_permission(self, request, obj=None):
        return can_edit_avenants(request.user)


@admin.register(Avenant)
class AvenantAdmin(TracedAdmin):
    list_display = ["__str__", "date", "deliberation", "nombre_fiches"]
    search_fields = ["resume", "deliberation"]
    date_hierarchy = "date"
    inlines = [AvenantFicheInline]
    fields = ["contrat", "numero", "date", "deliberation", "resume"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(nombre=Count("lignes"))

    @admin.display(description="fiches", ordering="nombre")
    def nombre_fiches(self, obj):
        return obj.nombre

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        contrat = current_contrat()
        if contrat is not None:
            initial.setdefault("contrat", contrat.pk)
            last = Avenant.objects.filter(contrat=contrat).order_by("-numero").first()
            initial.setdefault("numero", (last.numero + 1) if last else 1)
        return initial

    def has_add_permission(self, request):
        return can_edit_avenants(request.user, "add")

    def has_change_permission(self, request, obj=None):
        return can_edit_avenants(request.user, "change")

    def has_delete_permission(self, request, obj=None):
        return can_edit_avenants(request.user, "delete")
