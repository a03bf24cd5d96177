"""Public pages of the fiches actions: list with filters and search, and detail."""

import functools
import logging
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from csp.decorators import csp_exempt
from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.views import View
from django.views.generic import DetailView
from django_filters.views import FilterView

from contrat.current import current_contrat
from contrat.datacache import data_key
from contrat.downloads import RenderBusy, busy_response, cached_render, download_key, throttled
from contrat.pagination import CountedPaginator
from contrat.streamfiles import StreamBusy, built_file, write_pieces

from ..chart import indicator_chart
from ..exports import stream_actions_csv, stream_actions_json, write_in_process
from ..filters import FicheFilter
from ..models import FicheAction, Role
from ..pdf import build_fiche_pdf, build_recap_pdf
from ..plan import fiche_plan
from ..search import search_suggestion
from ..services.exports import export_job_request
from ..synthese import build_synthese_pdf
from ..workbook import build_recap_xlsx
from .mixins import VisibleFichesMixin

logger = logging.getLogger(__name__)


class FicheListView(VisibleFichesMixin, FilterView):
    """The fiches, filtered by the query string. A bad filter value is left out with a
    French message (strict = False) and a bad page number shows a page that exists."""

    filterset_class = FicheFilter
    template_name = "actions/ficheaction_list.html"
    context_object_name = "fiches"
    paginate_by = 20
    strict = False

    def get_queryset(self):
        return FicheAction.objects.visible_to(self.request.user).for_listing()

    def paginate_queryset(self, queryset, page_size):
        # The totals query counts the fiches too: the paginator need not count them again.
        # Counted once per data version for these filters (the page number aside).
        params = [(k, v) for k, values in self.request.GET.lists() if k != "page" for v in values]
        self.totaux = self.cached("liste-totaux", queryset.bilan, params=params)
        paginator = CountedPaginator(queryset, page_size, count=self.totaux.nombre)
        self.page_error = ""
        try:
            page = paginator.page(self.request.GET.get("page") or 1)
        except PageNotAnInteger:
            page = paginator.page(1)
            self.page_error = "Le numéro de page n'est pas un nombre : voici la première page."
        except EmptyPage:
            page = paginator.page(paginator.num_pages)
            self.page_error = (
                f"Il n'y a que {paginator.num_pages} page(s) de résultats : voici la dernière."
            )
        page.object_list = self.page_fiches(page, params)
        return paginator, page, page.object_list, page.has_other_pages()

    def page_fiches(self, page, params) -> list:
        """The page's fiches. Which ones (a search ranks every match, a far page skips
        thousands) is cached per data version as their ids, read alone: the page's own query
        computes each skipped fiche's budget before the offset (7,500 subqueries on page 377 of
        10,000 fiches on PostgreSQL, 40 ms, against 3 ms for the ids); the fiches themselves
        are read by id, with what their cards show."""
        page_ids = self.cached(
            "liste-page",
            lambda: list(page.object_list.values_list("pk", flat=True)),
            params=[*params, ("page", str(page.number))],
        )
        by_pk = {fiche.pk: fiche for fiche in self.get_queryset().filter(pk__in=page_ids)}
        return [by_pk[pk] for pk in page_ids if pk in by_pk]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = context["filter"]
        params = self.request.GET.copy()
        params.pop("page", None)
        # The downloads ask for unpublished fiches with their own checkbox, never by a link.
        params.pop(UNPUBLISHED_PARAM, None)
        context.update(
            # The search read into stemmed terms: the cards highlight the words it matched.
            recherche=filterset.search_query,
            # A search that finds nothing proposes the same words spelled as the texts do.
            suggestion=(
                search_suggestion(filterset.search_query.text)
                if filterset.search_query and not self.totaux.nombre
                else ""
            ),
            totaux=self.totaux,
            filtres_actifs=filterset.describe(),
            erreurs_filtres=[
                (filterset.form[name].label if name in filterset.form.fields else "", errors)
                for name, errors in filterset.form.errors.items()
            ],
            erreur_page=self.page_error,
            cle_menus=data_key("menus-liste"),
            filter_query=f"?{params.urlencode()}" if params else "",
            filter_params=[(name, value) for name, values in params.lists() for value in values],
            # The refining filters stay folded on a phone unless one of them is in use.
            affiner_ouvert=any(value for key, value in params.items() if key != "q"),
        )
        return context


class FicheDetailView(VisibleFichesMixin, DetailView):
    context_object_name = "fiche"

    def get_queryset(self):
        return FicheAction.objects.reachable_by(self.request.user).for_detail().with_suivi()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fiche = self.object
        participations = list(fiche.participations.all())
        porteurs = {Role.PORTEUR, Role.CO_PORTEUR}
        # The sub-actions tree, built from the one prefetched list.
        sous_actions = list(fiche.sous_actions.all())
        lignes = list(fiche.lignes_budget.all())
        children = {}
        for node in sous_actions:
            children.setdefault(node.parent_id, []).append(node)
        for node in sous_actions:
            node.enfants_list = children.get(node.pk, [])
        # A structure may hold two roles in a fiche: list its contacts once.
        contacts = {
            contact.pk: contact for p in participations for contact in p.structure.contacts.all()
        }
        context.update(
            porteurs=[p for p in participations if p.role in porteurs],
            partenaires=[p for p in participations if p.role not in porteurs],
            lignes_budget=lignes,
            budget_precisions=any(
                ligne.nature or ligne.financeur_id or ligne.note for ligne in lignes
            ),
            sous_actions=children.get(None, []),
            contacts=list(contacts.values()),
            plan=fiche_plan(fiche, fiche.budget_total),
            **suivi_context(fiche, today=timezone.localdate()),
        )
        return context


def suivi_context(fiche, *, today) -> dict:
    """The follow-up a fiche's page shows, from the rows `with_suivi` prefetched: the notes
    newest first, each indicator with its chart and latest value, the milestones (late ones
    marked)."""
    indicateurs = list(fiche.indicateurs.all())
    for indicateur in indicateurs:
        valeurs = list(indicateur.valeurs.all())
        indicateur.derniere = valeurs[-1] if valeurs else None
        indicateur.est_atteint = indicateur.atteint(valeurs[-1].valeur if valeurs else None)
        indicateur.chart = indicator_chart(indicateur)
    etapes = list(fiche.etapes.all())
    for etape in etapes:
        etape.est_en_retard = etape.en_retard(today)
    return {
        "points_avancement": list(fiche.points_avancement.all()),
        "indicateurs": indicateurs,
        "etapes": etapes,
        "etapes_en_retard": sum(etape.est_en_retard for etape in etapes),
    }


# --- Exports: the list's fiches (same FilterSet, same order) as PDF, XLSX, CSV, JSON ---------

# `?brouillons=1` (the downloads' checkbox): an editor's download includes the unpublished fiches
# it may see, each marked with its state. Without it, or for anyone else, published fiches only.
UNPUBLISHED_PARAM = "brouillons"


@method_decorator(throttled, name="dispatch")
class FicheExportView(View):
    """One download of the published fiches `/actions/?…` lists for the same query string, and
    of the unpublished ones the visitor sees there if it asks for them; the builder (in
    exports.py / pdf.py) makes the bytes, the view only wraps them. Throttled, and built once
    per query, option, audience and data version (contrat/downloads.py)."""

    kind = ""  # names the download in its cache key
    content_type = "application/octet-stream"
    filename = "fiches-actions"
    extension = ""
    disposition = "attachment"

    # The setting naming how many fiches this download builds while the visitor waits; beyond,
    # a background job builds it (actions/tasks.py) and the visitor watches /exports/<id>/.
    job_threshold_setting = ""

    def build(self, fiches, filterset) -> bytes:
        raise NotImplementedError

    def job_threshold(self) -> int | None:
        return getattr(settings, self.job_threshold_setting) if self.job_threshold_setting else None

    def get(self, request, *args, **kwargs):
        # Whose unpublished fiches are in: "" (none) unless asked by someone who sees some.
        self.unpublished = ""
        if request.GET.get(UNPUBLISHED_PARAM) == "1":
            self.unpublished = FicheAction.objects.unpublished_scope(request.user)
        fiches = (
            FicheAction.objects.visible_to(request.user)
            if self.unpublished
            else FicheAction.objects.published()
        )
        filterset = FicheFilter(request.GET, queryset=fiches.for_listing(), request=request)
        return self.download(filterset)

    def content_params(self, filterset) -> list[tuple[str, str]]:
        # The filters alone make the content: other parameters (page, junk) share its build.
        params = [
            (name, value)
            for name in filterset.filters
            for value in self.request.GET.getlist(name)
            if value
        ]
        if self.unpublished:
            params.append((UNPUBLISHED_PARAM, "1"))
        return params

    def download(self, filterset):
        params = self.content_params(filterset)
        # Published fiches only: the same file for everyone. With unpublished ones: shared only
        # by those who see the same (every editor, or one contributor's account).
        key = download_key(self.kind, params, audience=self.unpublished or "public")
        self.file_name = self.name_file(filterset)
        threshold = self.job_threshold()
        if threshold is not None and self.count(filterset) > threshold:
            job = export_job_request(
                kind=self.kind,
                key=key,
                query=urlencode(params),
                audience=self.unpublished or "public",
                user=self.request.user,
                file_name=self.file_name,
                content_type=self.content_type,
            )
            # 303: the progress page, asked with GET whatever asked for the download.
            response = redirect(job)
            response.status_code = 303
            return response
        try:
            content = cached_render(key, lambda: self.build(filterset.qs, filterset))
        except RenderBusy:
            return busy_response()
        return self.respond(content)

    def count(self, filterset) -> int:
        if not hasattr(self, "_count"):
            self._count = filterset.qs.count()
        return self._count

    def name_file(self, filterset) -> str:
        """What is inside, said by the name: 'recap-2026-11-29.pdf',
        'recap-2026-11-29-enjeu-2-avec-brouillons.pdf'."""
        words = [self.filename, timezone.localdate().isoformat(), filterset.file_name_words()]
        if self.unpublished:
            words.append("avec-brouillons")
        return "-".join(word for word in words if word) + f".{self.extension}"

    def respond(self, content: bytes) -> HttpResponse:
        """The file's response, named by `name_file`; an editor's may hold drafts, so no shared
        cache may keep it."""
        response = HttpResponse(content, content_type=self.content_type)
        response["Content-Disposition"] = f'{self.disposition}; filename="{self.file_name}"'
        patch_cache_control(response, private=True, no_cache=True)
        return response


# Chrome shows a PDF through an internal <embed> that the PDF response's own policy governs:
# `object-src 'none'` would leave a blank "content blocked" page instead of the document
# (crbug.com/271452). A PDF runs none of our scripts; nosniff and its exact Content-Type still
# protect it, and X-Frame-Options keeps it out of other sites' frames. So the PDF responses
# alone, not the pages that refuse them (429, 503, too long), go without a CSP header.
pdf_csp_exempt = method_decorator(csp_exempt())


class RecapPdfView(FicheExportView):
    kind = "recap-pdf"
    content_type = "application/pdf"
    filename = "recap"
    extension = "pdf"
    disposition = "inline"
    job_threshold_setting = "EXPORT_JOB_PDF_FICHES"

    def build(self, fiches, filterset):
        if settings.EXPORT_RENDER_IN_PROCESS:
            return self.build_in_process(filterset)
        return build_recap_pdf(fiches, filters=filterset.describe(), contrat=current_contrat())

    def build_in_process(self, filterset) -> bytes:
        """Rendered by a process of its own at a lower priority (`ecrire_donnees`): this
        thread waits without holding Python's lock, the worker's other threads serve pages."""
        folder = Path(settings.EXPORT_STREAMS_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".pdf") as target:
            try:
                write_in_process(
                    kind=self.kind,
                    query=urlencode(self.content_params(filterset)),
                    user=self.request.user if self.unpublished else None,
                    path=target.name,
                )
            except subprocess.SubprocessError as error:
                logger.exception("PDF récapitulatif : le processus de rendu a échoué")
                raise RenderBusy from error
            return Path(target.name).read_bytes()

    @pdf_csp_exempt
    def respond(self, content):
        return super().respond(content)

    def download(self, filterset):
        nombre = self.count(filterset)
        if nombre <= settings.RECAP_PDF_MAX_FICHES:
            return super().download(filterset)
        # Reached by a link typed or kept: the pages offer no PDF link beyond the limit.
        query = self.request.GET.urlencode()
        return render(
            self.request,
            "actions/recap_pdf_trop_long.html",
            {
                "contrat": current_contrat(),
                "nombre": nombre,
                "recap_pdf_max": settings.RECAP_PDF_MAX_FICHES,
                "query": f"?{query}" if query else "",
            },
        )


class SynthesePdfView(FicheExportView):
    """The list's selection in two pages for the committee: totals, enjeux and their statuses,
    financers × years, charts (actions/synthese.py). Its size does not grow with the number of
    fiches: no limit like the recap's."""

    kind = "synthese-pdf"
    content_type = "application/pdf"
    filename = "synthese"
    extension = "pdf"
    disposition = "inline"

    def build(self, fiches, filterset):
        return build_synthese_pdf(fiches, filters=filterset.describe(), contrat=current_contrat())

    @pdf_csp_exempt
    def respond(self, content):
        return super().respond(content)


class RecapXlsxView(FicheExportView):
    kind = "recap-xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    filename = "recap"
    extension = "xlsx"
    job_threshold_setting = "EXPORT_JOB_XLSX_FICHES"

    def build(self, fiches, filterset):
        return build_recap_xlsx(
            fiches,
            filters=filterset.describe(),
            contrat=current_contrat(),
            with_unpublished=bool(self.unpublished),
        )


class StreamedExportView(FicheExportView):
    """CSV and JSON: written as the fiches are read, a few rows at a time, to a file of this
    machine (flat memory whatever the number of fiches: docs/benchmarks.md), sent as it is to
    every visitor asking for the same content at the same data version (contrat/streamfiles.py):
    10,000 fiches take seconds of CPU, which the pages' workers need; never queued. Throttled
    like the others; the filters and the audience as for the others."""

    def stream(self, fiches):
        raise NotImplementedError

    def write(self, path, filterset) -> None:
        """The file, written here for a few fiches; for more, by a process of its own at a
        lower CPU priority (`ecrire_donnees`), which this thread waits for without holding
        Python's lock: the pages served by this worker's other threads keep their speed."""
        if self.count(filterset) <= settings.EXPORT_STREAM_INLINE_FICHES:
            write_pieces(path, self.stream(filterset.qs))
            return
        write_in_process(
            kind=self.kind,
            query=urlencode(self.content_params(filterset)),
            user=self.request.user if self.unpublished else None,
            path=path,
        )

    def download(self, filterset):
        self.file_name = self.name_file(filterset)
        key = download_key(
            self.kind, self.content_params(filterset), audience=self.unpublished or "public"
        )
        try:
            built = built_file(key, lambda path: self.write(path, filterset))
        except StreamBusy:
            return busy_response()
        except subprocess.SubprocessError:
            # Its process failed or ran out of time (the machine is overloaded): its log says
            # why; the visitor gets the French "réessayez" page.
            logger.exception("Export %s : le processus d'écriture a échoué", self.kind)
            return busy_response()
        response = FileResponse(built, content_type=self.content_type)
        response["Content-Disposition"] = f'{self.disposition}; filename="{self.file_name}"'
        patch_cache_control(response, private=True, no_cache=True)
        return response


class ActionsCsvView(StreamedExportView):
    kind = "actions-csv"
    content_type = "text/csv; charset=utf-8"
    extension = "csv"

    def stream(self, fiches):
        return stream_actions_csv(fiches)


class ActionsJsonView(StreamedExportView):
    kind = "actions-json"
    content_type = "application/json; charset=utf-8"
    extension = "json"

    def stream(self, fiches):
        return stream_actions_json(fiches)


@method_decorator(throttled, name="dispatch")
class FichePdfView(View):
    """One fiche as a printable PDF; a draft is a 404 for whoever may not see it. Throttled and
    cached like the exports."""

    def get(self, request, slug):
        audience = f"compte-{request.user.pk}" if request.user.is_authenticated else "public"
        key = download_key("fiche-pdf", [("slug", slug)], audience=audience)
        fiche = get_object_or_404(
            FicheAction.objects.reachable_by(request.user).for_detail(), slug=slug
        )
        try:
            content = cached_render(key, lambda: build_fiche_pdf(fiche))
        except RenderBusy:
            return busy_response()
        return self.respond(fiche, content)

    @pdf_csp_exempt
    def respond(self, fiche, content):
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="fiche-action-{fiche.slug}.pdf"'
        patch_cache_control(response, private=True, no_cache=True)
        return response


def former_slugs_redirect(view):
    """A fiche's page or PDF asked at one of its former slugs (models.AncienSlug): a permanent
    redirect to its current address, for whoever may see the fiche; the others get the 404.
    Looked up only once the view found no fiche: the pages pay nothing for it."""

    @functools.wraps(view)
    def wrapped(request, *args, slug, **kwargs):
        try:
            return view(request, *args, slug=slug, **kwargs)
        except Http404:
            current = (
                FicheAction.objects.reachable_by(request.user)
                .filter(anciens_slugs__slug=slug)
                .values_list("slug", flat=True)
                .first()
            )
            if current is None:
                raise
            url = reverse(request.resolver_match.view_name, kwargs={"slug": current})
            query = request.GET.urlencode()
            return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)

    return wrapped
