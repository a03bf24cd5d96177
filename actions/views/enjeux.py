"""The home page, the enjeux and each enjeu's page, with the visible fiches' bilans (served
under / and /enjeux/)."""

from django.http import Http404
from django.views.generic import DetailView, ListView, TemplateView

from contrat.pagination import CountedPaginator
from enjeux.querysets import current_enjeux

from ..avancement import Avancement, rollup_total, rollups_by_enjeu, rollups_by_orientation
from ..bilans import attach_bilans, enjeux_with_bilans, with_bilans
from .mixins import VisibleFichesMixin


class HomeView(VisibleFichesMixin, TemplateView):
    template_name = "enjeux/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fiches = self.visible_fiches()
        if fiches is None:
            return context
        context.update(
            self.cached("accueil", lambda: home_figures(self.get_contrat(), fiches), single=True)
        )
        return context


def home_figures(contrat, fiches) -> dict:
    """Everything the home page counts (ten queries): cached per data version."""
    enjeux, sans_enjeu, total = enjeux_with_bilans(contrat, fiches)
    return {
        "enjeux": enjeux,
        "orientations_sans_enjeu": sans_enjeu,
        "total": total,
        "nombre_structures": fiches.count_structures(),
        "avancement_rows": enjeux_avancement(fiches, enjeux),
    }


def enjeux_avancement(fiches, enjeux) -> list:
    """[(label, link, Avancement)]: the whole contract first, then each enjeu (four queries)."""
    found = rollups_by_enjeu(fiches)
    rows = [("Toutes les fiches", "", rollup_total(fiches))]
    # "Enjeu 7": its title is in the table above, and a phone's narrow column stays readable.
    rows += [
        (f"Enjeu {e.numero}", e.get_absolute_url(), found.get(e.pk, Avancement())) for e in enjeux
    ]
    return rows


class EnjeuListView(VisibleFichesMixin, ListView):
    context_object_name = "enjeux"

    def get_queryset(self):
        return current_enjeux()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fiches = self.visible_fiches()
        if fiches is not None:
            enjeux, sans_enjeu, total = self.cached(
                "enjeux", lambda: enjeux_with_bilans(self.get_contrat(), fiches), single=True
            )
            context.update(enjeux=enjeux, orientations_sans_enjeu=sans_enjeu, total=total)
        return context


class EnjeuDetailView(VisibleFichesMixin, DetailView):
    """An enjeu, its orientations with their totals, and its fiches 20 a page, grouped by
    orientation (a fiche citing two of its orientations shows under both)."""

    context_object_name = "enjeu"
    slug_field = "numero"
    slug_url_kwarg = "numero"
    paginate_by = 20

    def get_queryset(self):
        fiches = self.visible_fiches()
        if fiches is None:  # no contract, so no enjeu either
            return current_enjeux().none()
        return with_bilans(current_enjeux(), fiches)

    def get_object(self, queryset=None):
        # The enjeu with its bilans and its orientations' (subqueries over every visible
        # fiche), and the follow-up's roll-ups: computed once per data version.
        numero = self.kwargs[self.slug_url_kwarg]
        figures = self.cached(
            "enjeu",
            lambda: self.enjeu_figures(queryset),
            params=[("numero", numero)],
            single=True,
        )
        self.rollups = figures["rollups"]
        return figures["enjeu"]

    def enjeu_figures(self, queryset) -> dict:
        enjeu = attach_bilans(super().get_object(queryset))
        fiches = self.visible_fiches()
        orientations = [o.pk for o in enjeu.orientations.all()]
        return {
            "enjeu": enjeu,
            # The enjeu's follow-up and each orientation's: four queries.
            "rollups": (
                rollups_by_enjeu(fiches, [enjeu.pk]).get(enjeu.pk, Avancement()),
                rollups_by_orientation(fiches, orientations),
            ),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fiches = self.visible_fiches()
        if fiches is None:  # an enjeu exists, so does its contract: defensive only
            raise Http404("Aucun contrat.")
        total = self.object.bilan
        # The enjeu's bilan has counted these fiches already: no second COUNT query.
        paginator = CountedPaginator(
            fiches.for_enjeu(self.object).for_listing().sorted_by("ordre"),
            self.paginate_by,
            count=total.nombre,
        )
        page = paginator.get_page(self.request.GET.get("page"))
        orientations = list(self.object.orientations.all())
        groups = {o.pk: [] for o in orientations}
        sans_orientation = []
        for fiche in page.object_list:
            placed = False
            for orientation in fiche.orientations.all():
                if orientation.pk in groups:
                    groups[orientation.pk].append(fiche)
                    placed = True
            if not placed:
                sans_orientation.append(fiche)
        for orientation in orientations:
            orientation.fiches_visibles = groups[orientation.pk]
        enjeu, found = self.rollups
        avancement_rows = [("Toutes les fiches de l'enjeu", "", enjeu)]
        avancement_rows += [
            # "Orientation 7.2": its title heads its section below (the link goes there).
            (
                f"Orientation {o.code}" if o.code else o.titre,
                f"#orientation-{o.pk}",
                found.get(o.pk, Avancement()),
            )
            for o in orientations
        ]
        context.update(
            orientations=orientations,
            fiches_sans_orientation=sans_orientation,
            avancement_rows=avancement_rows,
            total=total,
            paginator=paginator,
            page_obj=page,
            is_paginated=page.has_other_pages(),
        )
        return context
