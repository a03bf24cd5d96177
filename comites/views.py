"""The committees' public pages (/comites/): the timeline of snapshots and amendments, a
snapshot's frozen recap and files, and what changed since (or between two snapshots).

Every figure of a snapshot comes from its JSON: a constant number of queries whatever the
number of fiches; today's side of a comparison is read in one chunk (comites/snapshot.py)."""

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import SimpleLazyObject
from django.views import View
from django.views.generic import TemplateView

from actions.pdf import render_pdf
from actions.views.fiches import pdf_csp_exempt
from contrat.current import current_contrat
from contrat.datacache import data_cached, data_key
from contrat.downloads import RenderBusy, busy_response, cached_render, download_key, throttled

from .ecarts import compare, indicator_text
from .models import Avenant, AvenantFiche, Instantane
from .services import published_fiches
from .snapshot import Frozen, snapshot_data

UNKNOWN = "Aucun instantané ne porte ce nom : il n'a peut-être jamais été arrêté."
# The snapshots whose page and comparison with today the background worker computes after each
# write: the latest, which the next committee compares with, and the one before it.
PRECOMPUTED_SNAPSHOTS = 2


def precomputed_pages() -> list[str]:
    """The latest snapshots' pages (their frozen figures, once) and their comparison with today
    (five seconds at 10,000 fiches, docs/benchmarks.md): contrat/precompute.py."""
    latest = Instantane.objects.listed().filter(contrat=current_contrat())
    pages = []
    for instantane in latest[:PRECOMPUTED_SNAPSHOTS]:
        pages += [instantane.get_absolute_url(), reverse("comites:ecarts", args=[instantane.slug])]
    return pages


def avenants_of(contrat):
    """The contract's amendments, newest first, with their fiches (two queries)."""
    lignes = AvenantFiche.objects.select_related("fiche").only(
        "avenant_id", "role", "fiche__titre", "fiche__slug"
    )
    return Avenant.objects.filter(contrat=contrat).prefetch_related(
        Prefetch("lignes", queryset=lignes)
    )


class TimelineView(TemplateView):
    template_name = "comites/timeline.html"

    def get_context_data(self, **kwargs):
        contrat = current_contrat()
        instantanes = list(Instantane.objects.listed().filter(contrat=contrat))
        avenants = list(avenants_of(contrat))
        timeline = [("instantane", i.date, i.arrete_le.date(), i) for i in instantanes]
        timeline += [("avenant", a.date, a.date, a) for a in avenants]
        # Newest first; on the same day, the amendment before the committee that saw it.
        timeline.sort(key=lambda entry: (entry[1], entry[2], entry[0] == "instantane"))
        timeline.reverse()
        return super().get_context_data(
            contrat=contrat,
            timeline=[(kind, obj) for kind, _date, _second, obj in timeline],
            nombre_instantanes=len(instantanes),
            nombre_avenants=len(avenants),
            **kwargs,
        )


class InstantaneDetailView(TemplateView):
    template_name = "comites/instantane_detail.html"

    paginate_by = 100

    def get_context_data(self, **kwargs):
        instantane = Instantane.objects.listed().filter(slug=self.kwargs["slug"]).first()
        if instantane is None:
            raise Http404(UNKNOWN)
        # Its JSON (megabytes at 10,000 fiches) is read and summed once, never again: the
        # snapshot is frozen, so is what is cached from it, whatever is written since.
        frozen_key = [("pk", instantane.pk), ("arrete", instantane.arrete_le.isoformat())]
        figures = data_cached(
            "instantane",
            lambda: frozen_figures(instantane, tables=False),
            params=frozen_key,
            single=True,
            frozen=True,
        )
        paginator = Paginator(range(figures["nombre"]), self.paginate_by)
        page = paginator.get_page(self.request.GET.get("page"))
        page.object_list = data_cached(
            "instantane-page",
            lambda: frozen_rows(instantane)[page.start_index() - 1 : page.end_index()],
            params=[*frozen_key, ("page", page.number)],
            single=True,
            frozen=True,
        )
        # The financers' tables: their HTML is cached under cle_tableaux; read only without it.
        tables = SimpleLazyObject(
            lambda: data_cached(
                "instantane-tableaux",
                lambda: frozen_figures(instantane, tables=True)["tables"],
                params=frozen_key,
                single=True,
                frozen=True,
            )
        )
        autres = Instantane.objects.listed().exclude(pk=instantane.pk).only("nom", "slug", "date")
        return super().get_context_data(
            contrat=current_contrat(),
            instantane=instantane,
            total=figures["total"],
            subtotals=figures["subtotals"],
            tables=tables,
            # The indicators of this page's fiches (thousands in all at 10,000 fiches).
            indicateurs=[
                {**indicateur, "fiche_titre": fiche["titre"], "fiche_slug": fiche["slug"]}
                for fiche in page.object_list
                for indicateur in fiche["indicateurs"]
            ],
            nombre_indicateurs=figures["indicateurs"],
            atteints=figures["atteints"],
            cle_tableaux=data_key("instantane-tableaux", params=frozen_key, frozen=True),
            fiches=page.object_list,
            paginator=paginator,
            page_obj=page,
            is_paginated=page.has_other_pages(),
            autres=list(autres),
            **kwargs,
        )


def frozen_figures(instantane, *, tables: bool) -> dict:
    """What a snapshot's page shows of its frozen JSON: totals, per enjeu, how many fiches,
    and with `tables` the financers' tables."""
    frozen = Frozen(frozen_data(instantane))
    indicateurs = frozen.indicators
    figures = {
        "total": frozen.total,
        "subtotals": frozen.subtotals,
        "nombre": len(frozen.fiches),
        "indicateurs": len(indicateurs),
        "atteints": sum(1 for indicateur in indicateurs if indicateur["atteint"]),
    }
    if tables:
        figures["tables"] = frozen.matrix.tables
    return figures


def frozen_rows(instantane) -> list[dict]:
    """Each frozen fiche's row (title, porteurs, status, budget, its indicators with their
    text), in the recap's order."""
    keys = ("slug", "titre", "porteurs", "statut", "statut_libelle", "budget_total")
    return [
        {
            **{key: fiche.get(key) for key in keys},
            "indicateurs": [
                {**indicateur, "texte": indicator_text(indicateur)}
                for indicateur in fiche.get("indicateurs", [])
            ],
        }
        for fiche in frozen_data(instantane)["fiches"]
    ]


class RecapFileView(View):
    """A snapshot's recap PDF or XLSX, the bytes stored when it was arrested."""

    field = ""
    content_type = ""
    extension = ""
    disposition = "attachment"

    def get(self, request, slug):
        row = Instantane.objects.filter(slug=slug).values_list(self.field, "date").first()
        if row is None:
            raise Http404(UNKNOWN)
        content, date = row
        return self.respond(bytes(content), f"recap-{slug}-{date.isoformat()}.{self.extension}")

    def respond(self, content, file_name):
        response = HttpResponse(content, content_type=self.content_type)
        response["Content-Disposition"] = f'{self.disposition}; filename="{file_name}"'
        # Frozen for good: any cache may keep it.
        response["Cache-Control"] = "public, max-age=86400"
        return response


class RecapPdfView(RecapFileView):
    field = "recap_pdf"
    content_type = "application/pdf"
    extension = "pdf"
    disposition = "inline"

    @pdf_csp_exempt
    def respond(self, content, file_name):
        return super().respond(content, file_name)


class RecapXlsxView(RecapFileView):
    field = "recap_xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    extension = "xlsx"


def ecarts_context(request, slug) -> tuple[dict, int]:
    """The comparison's context and status: the snapshot with today, or with `?avec=`'s
    snapshot (the older of the two is "avant"); an unknown `avec` is said on the page (404).
    The comparison reads every fiche of both sides: computed once per data version (and day)
    with today, once for good between two snapshots."""
    instantane = Instantane.objects.listed().filter(slug=slug).first()
    if instantane is None:
        raise Http404(UNKNOWN)
    contrat = current_contrat()
    context = {"contrat": contrat, "instantane": instantane}
    avec = request.GET.get("avec", "").strip()
    base = {
        "label": instantane.nom,
        "date": instantane.date,
        "url": instantane.get_absolute_url(),
    }
    if avec and avec != slug:
        other = Instantane.objects.listed().filter(slug=avec).first()
        if other is None:
            context["avec_inconnu"] = avec
            context["autres"] = list(
                Instantane.objects.listed().exclude(pk=instantane.pk).only("nom", "slug", "date")
            )
            return context, 404
        sides = [
            (instantane, base),
            (other, {"label": other.nom, "date": other.date, "url": other.get_absolute_url()}),
        ]
        sides.sort(key=lambda side: (side[0].date, side[0].arrete_le))
        (avant, avant_side), (apres, apres_side) = sides
        ecarts = data_cached(
            "ecarts",
            lambda: compare(
                Frozen(frozen_data(avant)),
                Frozen(frozen_data(apres)),
                avant_side=avant_side,
                apres_side=apres_side,
            ),
            params=[
                ("avant", avant.pk),
                ("apres", apres.pk),
                ("arretes", f"{avant.arrete_le.isoformat()} {apres.arrete_le.isoformat()}"),
            ],
            single=True,
            frozen=True,  # two snapshots: nothing written since changes their comparison
        )
        context["avec"] = other
    else:
        today = {"label": "Aujourd'hui", "date": timezone.localdate(), "url": ""}
        avant_side, apres_side = base, today
        ecarts = data_cached(
            "ecarts",
            lambda: compare(
                Frozen(frozen_data(instantane)),
                Frozen(snapshot_data(published_fiches(contrat))),
                avant_side=base,
                apres_side=today,
            ),
            params=[("avant", instantane.pk), ("jour", today["date"].isoformat())],
            single=True,
        )
    context["ecarts"] = ecarts
    between = avenants_of(contrat).filter(date__gt=avant_side["date"], date__lte=apres_side["date"])
    context["avenants"] = list(between)
    return context, 200


def frozen_data(instantane) -> dict:
    """A snapshot's frozen JSON, read only when a comparison needs it (megabytes)."""
    return Instantane.objects.filter(pk=instantane.pk).values_list("donnees", flat=True)[0]


class EcartsView(View):
    def get(self, request, slug):
        context, status = ecarts_context(request, slug)
        return render(request, "comites/ecarts.html", context, status=status)


@method_decorator(throttled, name="get")
class EcartsPdfView(View):
    """The comparison as a PDF, built once per comparison and data version (the amendments'
    last change is part of the key: they are not in the data version)."""

    def get(self, request, slug):
        context, status = ecarts_context(request, slug)
        if status != 200:
            return render(request, "comites/ecarts.html", context, status=status)
        stamp = Avenant.history.order_by("-history_id").values_list("history_id", flat=True)[:1]
        params = [
            ("de", slug),
            ("avec", context.get("avec").slug if context.get("avec") else ""),
            ("avenants", str(next(iter(stamp), 0))),
            ("jour", timezone.localdate().isoformat()),
        ]
        context["generated"] = timezone.localtime()
        try:
            content = cached_render(
                download_key("ecarts-pdf", params, audience="public"),
                lambda: render_pdf("pdf/ecarts.html", context),
            )
        except RenderBusy:
            return busy_response()
        other = context.get("avec")
        name = f"ecarts-{slug}-" + (other.slug if other else timezone.localdate().isoformat())
        return self.respond(content, f"{name}.pdf")

    @pdf_csp_exempt
    def respond(self, content, file_name):
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{file_name}"'
        return response
