"""The structures, French-sorted, and what each one carries (served under /structures/)."""

from django import forms
from django.db.models import Q
from django.views.generic import DetailView, ListView

from contrat.datacache import data_key
from contrat.pagination import CountedPaginator
from contrat.search import parse_query, text_matches
from contrat.text import french_sort_key
from structures.models import Structure

from ..choices import Role
from ..plan import financer_plan
from .mixins import VisibleFichesMixin

# The roles, grouped as the structure page shows them.
ROLE_GROUPS = [
    ("porteur", "Porteur de", (Role.PORTEUR, Role.CO_PORTEUR)),
    ("partenaire", "Partenaire de", (Role.PARTENAIRE,)),
    ("financeur", "Financeur de", (Role.FINANCEUR,)),
]


class StructureSearchForm(forms.Form):
    q = forms.CharField(
        label="Rechercher une structure",
        required=False,
        max_length=200,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text="Nom, sigle ou autre écriture du nom ; au singulier comme au pluriel, sans "
        "tenir compte des accents ni des majuscules.",
        error_messages={
            "max_length": "La recherche est limitée à %(limit_value)d caractères : elle n'a "
            "pas été appliquée."
        },
    )


class StructureListView(VisibleFichesMixin, ListView):
    context_object_name = "structures"

    def get_queryset(self):
        return Structure.objects.all()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        structures = self.cached(
            "structures", lambda: self.structures_with_counts(context), single=True
        )
        # Searched in Python too, with the fiches' words and stems (contrat/search.py): the
        # whole list is read anyway, so the search costs no query.
        form = StructureSearchForm(self.request.GET)
        recherche = parse_query(form.cleaned_data["q"] if form.is_valid() else "")
        context.update(form=form, recherche=recherche, nombre_total=len(structures))
        if recherche:
            structures = [
                s for s in structures if text_matches(recherche, s.nom, s.sigle, s.autres_graphies)
            ]
        context["structures"] = context["object_list"] = structures
        # The rows of the whole list are cached as HTML; a search's are rendered (no key).
        context["cle_lignes"] = (
            "" if recherche else data_key("structures", audience=self.audience())
        )
        # No financer column while no structure finances anything (the recap names none).
        context["avec_financeurs"] = any(s.compteurs["financeur"] for s in structures)
        return context

    def structures_with_counts(self, context) -> list[Structure]:
        """Every structure, in French order, with how many visible fiches it carries, joins
        and finances (`compteurs`): cached per data version."""
        fiches = self.visible_fiches()
        roles = fiches.roles_by_structure() if fiches is not None else {}
        # Sorted in Python: the list is short and the order is then the same on every engine.
        structures = sorted(context["structures"], key=lambda s: french_sort_key(s.nom))
        for structure in structures:
            counts = roles.get(structure.pk, {})
            structure.compteurs = {
                key: sum(counts.get(role, 0) for role in values)
                for key, _label, values in ROLE_GROUPS
            }
        return structures


class StructureDetailView(VisibleFichesMixin, DetailView):
    """A structure, its totals as porteur, partner and financer, and its fiches 20 a page,
    grouped by its role (a fiche where it holds two roles shows under both)."""

    context_object_name = "structure"
    paginate_by = 20

    def get_queryset(self):
        return Structure.objects.prefetch_related("contacts")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fiches = self.visible_fiches()
        if fiches is None:
            context["groupes"] = []
            return context
        structure = self.object
        siennes = fiches.for_structure(structure)
        plan, bilans = self.cached(
            "structure",
            lambda: (financer_plan(structure, fiches), structure_bilans(structure, fiches)),
            params=[("pk", structure.pk)],
        )
        context["plan"] = plan
        groups = [
            {
                "key": key,
                "label": label,
                "bilan": bilans[key],
                "roles": set(roles),
                "fiches": [],
            }
            for key, label, roles in ROLE_GROUPS
        ]
        paginator = CountedPaginator(
            siennes.for_listing().sorted_by("ordre"),
            self.paginate_by,
            count=bilans["toutes"].nombre,  # counted already
        )
        page = paginator.get_page(self.request.GET.get("page"))
        for fiche in page.object_list:
            own_roles = {
                p.role for p in fiche.participations.all() if p.structure_id == structure.pk
            }
            for group in groups:
                if own_roles & group["roles"]:
                    group["fiches"].append(fiche)
        context.update(
            groupes=[g for g in groups if g["bilan"].nombre],
            paginator=paginator,
            page_obj=page,
            is_paginated=page.has_other_pages(),
        )
        return context


def structure_bilans(structure, fiches) -> dict:
    """The bilans of each role group of `structure` and of all its fiches, in one query."""
    return fiches.for_structure(structure).bilans_of(
        toutes=Q(),
        **{
            key: Q(pk__in=fiches.for_structure(structure, roles=roles).values("pk"))
            for key, _label, roles in ROLE_GROUPS
        },
    )
