"""Public pages of the structures: the French-sorted list and what each one carries."""

from django.views.generic import DetailView, ListView

from contrat.text import french_sort_key
from enjeux.querysets import Bilan
from enjeux.views import ContratMixin

from .models import Structure

# Role values of actions.models.Role, grouped as the structure page shows them.
ROLE_GROUPS = [
    ("porteur", "Porteur de", ("porteur", "co_porteur")),
    ("partenaire", "Partenaire de", ("partenaire",)),
    ("financeur", "Financeur de", ("financeur",)),
]


class StructureListView(ContratMixin, ListView):
    context_object_name = "structures"

    def get_queryset(self):
        return Structure.objects.all()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
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
        context["structures"] = context["object_list"] = structures
        # No financer column while no structure finances anything (the recap names none).
        context["avec_financeurs"] = any(s.compteurs["financeur"] for s in structures)
        return context


class StructureDetailView(ContratMixin, DetailView):
    context_object_name = "structure"

    def get_queryset(self):
        return Structure.objects.prefetch_related("contacts")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fiches = self.visible_fiches()
        fiches = [] if fiches is None else fiches.for_structure(self.object).for_listing()
        groups = [
            {"key": key, "label": label, "roles": roles, "fiches": [], "bilan": Bilan()}
            for key, label, roles in ROLE_GROUPS
        ]
        for fiche in fiches:
            own_roles = {
                p.role for p in fiche.participations.all() if p.structure_id == self.object.pk
            }
            for group in groups:
                if own_roles & set(group["roles"]):
                    group["fiches"].append(fiche)
                    group["bilan"].add(fiche)
        context["groupes"] = [g for g in groups if g["fiches"]]
        return context
