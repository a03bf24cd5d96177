"""Staff admin for structures (porteurs, partners, financers) and their contacts."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from contrat.history import TracedAdmin, TracedSpreadsheetAdmin

from .models import Contact, Structure
from .resources import StructureResource

# The fiches a structure takes part in are reached through the reverse relation
# `participations` (defined by the actions app) and the admin URL names, never by importing
# actions: the arrow between apps points from actions to structures only.
FICHE_CHANGE_URL = "admin:actions_ficheaction_change"
FICHE_CHANGELIST_URL = "admin:actions_ficheaction_changelist"


def visible_participations(participations, user):
    """A structure's participations as `user` may see their fiches in the admin: a contributor
    (who may change fiches, but only its structures': actions/permissions.py) sees no other
    structure's draft or fiche in review; the other roles see every fiche."""
    scoped = user is None or (
        user.has_perm("actions.change_ficheaction")
        and not user.has_perm("actions.change_any_ficheaction")
    )
    if not scoped:
        return participations
    public = Q(fiche__etat__in=("publiee", "archivee"))
    if user is None:
        return participations.filter(public)
    own = Q(
        fiche__participations__role__in=("porteur", "co_porteur"),
        fiche__participations__structure__representants=user,
    )
    return participations.filter(public | own).distinct()


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ["nom", "fonction", "email", "telephone"]
    extra = 0


@admin.register(Structure)
class StructureAdmin(TracedSpreadsheetAdmin):
    # Import (preview, then confirm) and export in CSV/XLSX; columns in structures/resources.py.
    resource_classes = [StructureResource]
    list_display = ["nom", "sigle", "nature", "nombre_fiches"]
    list_filter = ["nature"]
    # Also what the autocompletes of participations and budget lines search.
    search_fields = ["nom", "sigle", "autres_graphies", "siret", "rna"]
    # Explicit: the fiche count's GROUP BY makes Django drop Meta.ordering, and the autocomplete
    # and changelist pages would paginate an unordered list.
    ordering = ["nom"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    prepopulated_fields = {"slug": ("nom",)}
    fieldsets = [
        (None, {"fields": ["nom", "slug", "sigle", "nature", "site_web", "description"]}),
        (
            "Identifiants officiels",
            {
                "fields": ["siret", "rna"],
                "description": "Facultatifs. Le SIRET d'un financeur et celui ou le numéro RNA "
                "d'un bénéficiaire servent à publier les subventions en données ouvertes.",
            },
        ),
        (
            "Dans les documents",
            {
                "fields": ["autres_graphies"],
                "description": "Les variantes du nom servent à retrouver la structure "
                "dans la recherche.",
            },
        ),
        ("Fiches actions", {"fields": ["fiches"]}),
        (
            "Représentants",
            {
                "fields": ["representants"],
                "description": "Les comptes « Contributeur structure » liés à cette structure "
                "modifient les fiches qu'elle porte ou co-porte (sans pouvoir les publier). "
                "Seul un administrateur les désigne.",
            },
        ),
    ]
    readonly_fields = ["fiches"]
    filter_horizontal = ["representants"]
    inlines = [ContactInline]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # Choosing who edits a structure's fiches is user management: administrators only.
        if not request.user.has_perm("auth.change_user"):
            readonly.append("representants")
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "representants":
            kwargs["queryset"] = (
                get_user_model().objects.filter(is_active=True).order_by("username")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(nb_fiches=Count("participations__fiche", distinct=True))
        )

    @admin.display(description="fiches actions", ordering="nb_fiches")
    def nombre_fiches(self, obj):
        if not obj.nb_fiches:
            return 0
        # The "structure" filter of the fiche list: every fiche it takes part in, any role.
        url = f"{reverse(FICHE_CHANGELIST_URL)}?structure={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.nb_fiches)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.viewer = request.user  # whose eyes the "participe à" list is for
        return obj

    @admin.display(description="participe à")
    def fiches(self, obj):
        if obj.pk is None:
            return "Aucune fiche action pour l'instant."
        # One query for the whole list, whatever its length.
        participations = visible_participations(
            obj.participations.select_related("fiche").order_by("fiche__ordre", "pk"),
            getattr(obj, "viewer", None),
        )
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> — {}{}</li>',
            (
                (
                    reverse(FICHE_CHANGE_URL, args=[p.fiche_id]),
                    p.fiche.titre,
                    p.get_role_display(),
                    f" ({p.precision})" if p.precision else "",
                )
                for p in participations
            ),
        )
        if not items:
            return "Aucune fiche action pour l'instant."
        return format_html('<ul class="fiches-de-la-structure">{}</ul>', items)


@admin.register(Contact)
class ContactAdmin(TracedAdmin):
    list_display = ["nom", "structure", "fonction", "email", "telephone"]
    list_select_related = ["structure"]
    search_fields = ["nom", "fonction", "email", "structure__nom", "structure__sigle"]
    autocomplete_fields = ["structure"]
