"""Home page, the enjeux and each enjeu's page, with fiche counts and budgets."""

from django.http import Http404
from django.views.generic import DetailView, ListView, TemplateView

from .querysets import Bilan, current_contrat, current_enjeux, enjeux_with_bilans


class ContratMixin:
    """Gives every page the contract it belongs to (header, footer) and the fiches the
    visitor may see. Going through `contrat.fiches` keeps enjeux free of any actions import."""

    def get_contrat(self):
        if not hasattr(self, "_contrat"):
            self._contrat = current_contrat()
        return self._contrat

    def visible_fiches(self):
        """The FicheActionQuerySet of this contract's fiches shown to the visitor, or None."""
        contrat = self.get_contrat()
        if contrat is None:
            return None
        return contrat.fiches.visible_to(self.request.user)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("contrat", self.get_contrat())
        return super().get_context_data(**kwargs)


class HomeView(ContratMixin, TemplateView):
    template_name = "enjeux/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fiches = self.visible_fiches()
        if fiches is None:
            return context
        enjeux, sans_enjeu, total = enjeux_with_bilans(self.get_contrat(), fiches.for_totals())
        context.update(
            enjeux=enjeux,
            orientations_sans_enjeu=sans_enjeu,
            total=total,
            nombre_structures=fiches.count_structures(),
        )
        return context


class EnjeuListView(ContratMixin, ListView):
    context_object_name = "enjeux"

    def get_queryset(self):
        return current_enjeux()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fiches = self.visible_fiches()
        if fiches is not None:
            enjeux, sans_enjeu, total = enjeux_with_bilans(self.get_contrat(), fiches.for_totals())
            context.update(enjeux=enjeux, orientations_sans_enjeu=sans_enjeu, total=total)
        return context


class EnjeuDetailView(ContratMixin, DetailView):
    context_object_name = "enjeu"
    slug_field = "numero"
    slug_url_kwarg = "numero"

    def get_queryset(self):
        return current_enjeux().prefetch_related("orientations")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fiches = self.visible_fiches()
        if fiches is None:  # an enjeu exists, so does its contract: defensive only
            raise Http404("Aucun contrat.")
        fiches = list(fiches.for_enjeu(self.object).for_listing().sorted_by("ordre"))
        orientations = list(self.object.orientations.all())
        groups = {o.pk: [] for o in orientations}
        sans_orientation = []
        total = Bilan()
        for fiche in fiches:
            total.add(fiche)
            placed = False
            for orientation in fiche.orientations.all():
                if orientation.pk in groups:
                    groups[orientation.pk].append(fiche)
                    placed = True
            if not placed:
                sans_orientation.append(fiche)
        for orientation in orientations:
            orientation.fiches_visibles = groups[orientation.pk]
            orientation.bilan = Bilan()
            for fiche in groups[orientation.pk]:
                orientation.bilan.add(fiche)
        context.update(
            orientations=orientations,
            fiches_sans_orientation=sans_orientation,
            total=total,
        )
        return context
