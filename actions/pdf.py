"""The recap PDF and a fiche's PDF, rendered by WeasyPrint from templates/pdf/."""

import gc
import math
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from contrat.current import current_contrat

from .plan import financing_matrix
from .recap import (
    MULTI_ENJEU_NOTE,
    PDF_COLUMNS,
    RECAP_TITLE,
    SANS_BUDGET_NOTE,
    RecapBilans,
    cited_enjeux,
    generated_label,
    recap_rows,
    unpublished_note,
)

STATIC_DIR = Path(settings.BASE_DIR) / "static"
# The lines a recap page holds under the repeated header (A4 landscape, 9 pt): a row taller
# than that has to break across pages anyway, and keeping it whole would only push it to the
# next page and leave a blank one behind.
RECAP_PAGE_LINES = 34
# Tagged PDF (structure tree, /Lang, title in the window bar) for screen readers.
PDF_OPTIONS = {"pdf_tags": True, "pdf_variant": "pdf/ua-1"}


@contextmanager
def cyclic_gc_paused():
    """No cyclic garbage collection inside, one young-generation collection at the end.

    WeasyPrint's boxes of every page stay alive until the PDF is written, and each automatic
    full collection walks them all again: ~10% of a long recap's CPU time, more in cache
    misses. Reference counting still frees most garbage as it goes; the cycles left (the
    laid-out document, ~1 million objects at 1,000 fiches) are young, so `collect(0)` frees 99%
    of them without walking the rest of the process. Costs ~15% more peak memory."""
    if not gc.isenabled():  # paused already (by another render in this process): leave it so
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


class LocalOnlyFetcher(URLFetcher):
    """Lets WeasyPrint read our own static files and data: URLs, and nothing else: a PDF
    never waits on the network, and a fiche's text cannot make the server fetch a URL."""

    def __init__(self, roots=(STATIC_DIR,)):
        super().__init__(allowed_protocols=("file", "data"), fail_on_errors=False)
        self.roots = [Path(root).resolve() for root in roots]

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        if parsed.scheme == "data":
            return super().fetch(url, headers)
        if parsed.scheme == "file":
            path = Path(unquote(parsed.path)).resolve()
            if any(path.is_relative_to(root) for root in self.roots):
                return super().fetch(url, headers)
        raise ValueError(f"Ressource refusée (seuls les fichiers statiques sont lus) : {url}")


def estimated_cell_lines(row) -> dict[str, int]:
    """How many lines each of the recap row's cells takes, roughly (its column's `pdf_chars`
    characters a line; an unpublished fiche's title has its state above it)."""
    return {
        column.key: sum(
            max(1, math.ceil(len(line) / column.pdf_chars)) for line in text.split("\n")
        )
        + (row.non_publiee and column.key == "titre")
        for column, text in row.pdf_cells
    }


def estimated_lines(row) -> int:
    """How many lines the recap row's tallest cell takes, roughly."""
    return max(estimated_cell_lines(row).values())


def html_document(html: str) -> HTML:
    return HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=LocalOnlyFetcher())


def render_pdf(template_name: str, context: dict) -> bytes:
    return html_document(render_to_string(template_name, context)).write_pdf(**PDF_OPTIONS)


def build_recap_pdf(queryset, *, filters=(), contrat=None, now=None) -> bytes:
    """The recap table of these fiches, in this order: A4 landscape, totals, subtotals, then
    the financer × year tables of their financing lines. An
    unpublished fiche among them (an editor asked for them) has its state in its title cell,
    and the header says how many there are. A page that starts in the middle of a row repeats
    that row's title above the table, marked "(suite)"."""
    context = recap_context(queryset, filters=filters, contrat=contrat, now=now)
    with cyclic_gc_paused():
        return render_pdf("pdf/recap.html", context)


def recap_context(queryset, *, filters=(), contrat=None, now=None) -> dict:
    """What templates/pdf/recap.html shows of these fiches."""
    contrat = contrat or current_contrat()
    bilans = RecapBilans()
    rows = []
    for row in recap_rows(queryset):
        bilans.add(row)
        lines = estimated_cell_lines(row)
        row.may_split = max(lines.values()) > RECAP_PAGE_LINES
        # The cell that ends the row: the end of its text ends the row's "(suite)" heading.
        row.tallest = max(lines, key=lines.get)
        rows.append(row)
    return {
        "contrat": contrat,
        "title": RECAP_TITLE,
        "generated": generated_label(now),
        "filters": list(filters),
        "columns": PDF_COLUMNS,
        "rows": rows,
        "totals": bilans.total,
        "subtotals": bilans.subtotals(),
        "unpublished_note": unpublished_note(bilans.non_publiees),
        "multi_enjeu_note": MULTI_ENJEU_NOTE,
        "sans_budget_note": SANS_BUDGET_NOTE,
        "plan": financing_matrix(queryset),
    }


def sous_actions_tree(fiche) -> list[dict]:
    """The sub-actions as nested {'node', 'children'} dicts, in reading order."""
    nodes = {sa.pk: {"node": sa, "children": []} for sa in fiche.sous_actions.all()}
    roots = []
    for item in nodes.values():
        parent = nodes.get(item["node"].parent_id)
        (parent["children"] if parent else roots).append(item)
    return roots


def build_fiche_pdf(fiche, *, now=None) -> bytes:
    """One fiche, every field: a printable 'fiche action' (A4 portrait).

    Give it a fiche from `FicheAction.objects.for_detail()` to keep the queries constant."""
    lignes = list(fiche.lignes_budget.all())
    return render_pdf(
        "pdf/fiche.html",
        {
            "fiche": fiche,
            "contrat": fiche.contrat,
            "generated": generated_label(now),
            "orientations": list(fiche.orientations.all()),
            "enjeux": cited_enjeux(fiche.orientations.all(), fiche.enjeux.all()),
            "enjeux_directs": list(fiche.enjeux.all()),
            "lignes": lignes,
            "budget_total": fiche.budget_total,
            "participations": list(fiche.participations.all()),
            "sous_actions": sous_actions_tree(fiche),
        },
    )
