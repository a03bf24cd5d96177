"""The contract's financing plan (/financements/): financer × year tables of the fiches the
list's filters select, a table per enjeu, a chart; and its open-data files."""

import functools
from urllib.parse import urlencode

from django.shortcuts import render
from django.utils.functional import SimpleLazyObject
from django.views.generic import TemplateView

from contrat.current import current_contrat
from contrat.datacache import data_key
from enjeux.querysets import current_enjeux

from ..chart import stacked_chart
from ..exports import stream_financements_csv
from ..filters import FicheFilter
from ..models import FicheAction
from ..plan import enjeu_plans, financing_matrix
from ..subventions import left_out, stream_subventions_csv, unavailable_reason
from .fiches import UNPUBLISHED_PARAM, StreamedExportView
from .mixins import VisibleFichesMixin


class FinancementsView(VisibleFichesMixin, TemplateView):
    template_name = "financements/plan.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fiches = FicheAction.objects.visible_to(self.request.user)
        filterset = FicheFilter(self.request.GET, queryset=fiches, request=self.request)
        selected = filterset.qs
        financeur = self.get_contrat().financeur if self.get_contrat() else None
        subventions_absentes = unavailable_reason(financeur)
        # The sums over every selected line and their tables: once per data version, filters
        # and audience; the tables' HTML is cached under `cle_plan` (financements/plan.html),
        # so that the figures are not even read while it is there (lazy objects).
        query = [(k, v) for k, values in self.request.GET.lists() for v in values]
        figures = functools.cache(
            lambda: self.cached(
                "financements",
                lambda: (
                    (matrix := financing_matrix(selected)),
                    stacked_chart(matrix),
                    enjeu_plans(selected, current_enjeux()),
                ),
                params=query,
                single=True,
            )
        )
        matrix = SimpleLazyObject(lambda: figures()[0])
        hors_fichier = (
            0
            if subventions_absentes
            else self.cached(
                "subventions-hors-fichier", lambda: left_out(selected, financeur), params=query
            )
        )
        params = self.request.GET.copy()
        params.pop(UNPUBLISHED_PARAM, None)
        params = [
            (name, value) for name in filterset.filters for value in params.getlist(name) if value
        ]
        context.update(
            filter=filterset,
            filtres_actifs=filterset.describe(),
            erreurs_filtres=[
                (filterset.form[name].label if name in filterset.form.fields else "", errors)
                for name, errors in filterset.form.errors.items()
            ],
            matrix=matrix,
            tables=SimpleLazyObject(lambda: matrix.tables),
            chart=SimpleLazyObject(lambda: figures()[1]),
            enjeux_plans=SimpleLazyObject(lambda: figures()[2]),
            cle_plan=data_key("financements-plan", audience=self.audience(), params=query),
            filter_query=f"?{urlencode(params)}" if params else "",
            filter_params=params,
            financeur_contrat=financeur,
            subventions_absentes=subventions_absentes,
            subventions_hors_fichier=hors_fichier,
        )
        return context


class FinancementsCsvView(StreamedExportView):
    """Every financing line of the fiches the list's filters select, streamed to a file of
    this machine like actions.csv (62,000 lines for 10,000 fiches)."""

    kind = "financements-csv"
    content_type = "text/csv; charset=utf-8"
    filename = "financements"
    extension = "csv"

    def stream(self, fiches):
        return stream_financements_csv(fiches)


class SubventionsCsvView(StreamedExportView):
    """The contract financer's grants in the SCDL 'subventions' format: what it publishes, so
    published fiches only, even for an editor; a French page instead of an invalid file while
    the financer or its SIRET is missing."""

    kind = "subventions-csv"
    content_type = "text/csv; charset=utf-8"
    filename = "subventions"
    extension = "csv"

    def get(self, request, *args, **kwargs):
        self.contrat = current_contrat()
        self.financeur = self.contrat.financeur if self.contrat else None
        reason = unavailable_reason(self.financeur)
        if reason:
            return render(
                request,
                "financements/subventions_indisponible.html",
                {"contrat": self.contrat, "raison": reason},
                status=404,
            )
        self.unpublished = ""
        filterset = FicheFilter(
            request.GET, queryset=FicheAction.objects.published(), request=request
        )
        return self.download(filterset)

    def stream(self, fiches):
        return stream_subventions_csv(fiches, self.financeur)
