"""The two-page synthesis of a selection of fiches for the committee (synthese.pdf): totals,
a table per enjeu with its statuses, the financer × year table, progress charts."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.template.loader import render_to_string

from contrat.current import current_contrat
from enjeux.models import Enjeu

from .bilans import enjeu_bilans_by, sans_enjeu
from .budget import Bilan
from .chart import StatusChart, stacked_chart, status_chart
from .choices import Statut
from .pdf import PDF_OPTIONS, cyclic_gc_paused, html_document
from .plan import Matrix, financing_matrix, percent
from .recap import SANS_ENJEU, generated_label

SYNTHESE_TITLE = "Synthèse des fiches actions"
# What two A4 landscape pages hold: beyond, the smallest are summed up in one row or column.
MAX_ENJEUX = 10
MAX_FINANCEURS = 10
MAX_YEARS = 8
AUTRES_ENJEUX = "Autres enjeux"
AUTRES_FINANCEURS = "Autres financeurs"
STATUTS = list(Statut)
# WeasyPrint's SVG takes its colours from attributes, not from the stylesheet. The financers'
# are the site's chart's (static/css/site.css, serie-N); the statuses: proposed in grey, in
# progress in blue, done in green, abandoned in orange.
SERIES_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#8a8f96")
STATUT_COLOURS = ("#8a8f96", "#0072b2", "#009e73", "#d55e00")


@dataclass
class EnjeuRow:
    label: str
    bilan: Bilan
    statuts: list[int]  # fiches per status, in STATUTS order
    short: str = ""  # in the chart: "Enjeu 2"


@dataclass
class FinancerRow:
    label: str
    cells: list[Decimal | None]  # planned, per year column
    prevu: Decimal
    accorde: Decimal
    verse: Decimal
    share: Decimal | None
    grouped: int = 0  # how many financers this row sums up (the "others" row)


@dataclass
class FinancerTable:
    years: list[str]  # column headers: a year, or "2020–2022" for the early years summed up
    rows: list[FinancerRow] = field(default_factory=list)
    total: FinancerRow | None = None
    financeurs: int = 0
    lignes: int = 0


def _statuts(counts: dict) -> list[int]:
    return [counts.get(statut.value, 0) for statut in STATUTS]


def enjeu_rows(fiches, contrat) -> list[EnjeuRow]:
    """A row per enjeu the fiches cite (in the contract's order), then 'Sans enjeu'; beyond
    MAX_ENJEUX rows, the enjeux with the fewest fiches summed up in 'Autres enjeux'. A fiche
    counts in each enjeu it cites, as in the recap's subtotals. Three queries."""
    bilans = enjeu_bilans_by(fiches, "statut")
    by_enjeu: dict[int, tuple[Bilan, dict]] = {}
    for (enjeu_id, statut), bilan in bilans.items():
        total, counts = by_enjeu.setdefault(enjeu_id, (Bilan(), {}))
        by_enjeu[enjeu_id] = (total + bilan, {**counts, statut: bilan.nombre})
    enjeux = Enjeu.objects.filter(pk__in=list(by_enjeu)).order_by("contrat", "numero", "pk")
    rows = [
        EnjeuRow(
            str(enjeu),
            by_enjeu[enjeu.pk][0],
            _statuts(by_enjeu[enjeu.pk][1]),
            f"Enjeu {enjeu.numero}",
        )
        for enjeu in enjeux
    ]
    if len(rows) > MAX_ENJEUX:
        kept = sorted(rows, key=lambda row: -row.bilan.nombre)[: MAX_ENJEUX - 1]
        others = [row for row in rows if row not in kept]
        rows = [row for row in rows if row in kept]
        rows.append(
            EnjeuRow(
                f"{AUTRES_ENJEUX} ({len(others)})",
                sum((row.bilan for row in others), Bilan()),
                [sum(counts) for counts in zip(*(row.statuts for row in others), strict=True)],
                AUTRES_ENJEUX,
            )
        )
    sans = {row["statut"]: Bilan.from_row(row) for row in sans_enjeu(fiches).bilans("statut")}
    if sans:
        total = sum(sans.values(), Bilan())
        counts = _statuts({statut: bilan.nombre for statut, bilan in sans.items()})
        rows.append(EnjeuRow(SANS_ENJEU, total, counts, SANS_ENJEU))
    return rows


def financer_table(matrix: Matrix) -> FinancerTable:
    """The planned amounts per financer and year, with each financer's planned, granted and
    paid totals: the largest MAX_FINANCEURS - 1 financers, the others in one row; the earliest
    years summed up in one column beyond MAX_YEARS columns."""
    years = matrix.years
    groups = [[year] for year in years]
    if len(years) > MAX_YEARS:
        early = years[: len(years) - MAX_YEARS + 1]
        groups = [early] + [[year] for year in years[len(early) :]]
    headers = [str(group[0]) if len(group) == 1 else f"{group[0]}–{group[-1]}" for group in groups]
    grand = matrix.total

    def row(label, pks, grouped=0):
        cells = []
        for group in groups:
            amounts = [
                matrix.cells[(pk, year)].prevu
                for pk in pks
                for year in group
                if (pk, year) in matrix.cells
            ]
            cells.append(sum(amounts, Decimal(0)) if amounts else None)
        totals = [matrix.financer_total(pk) for pk in pks]
        prevu = sum((t.prevu for t in totals), Decimal(0))
        return FinancerRow(
            label,
            cells,
            prevu,
            sum((t.accorde for t in totals), Decimal(0)),
            sum((t.verse for t in totals), Decimal(0)),
            percent(prevu, grand.prevu),
            grouped,
        )

    structures = matrix.structures
    shown = structures if len(structures) <= MAX_FINANCEURS else structures[: MAX_FINANCEURS - 1]
    rows = [row(s.nom, [s.pk]) for s in shown]
    others = structures[len(shown) :]
    if others:
        rows.append(
            row(f"{AUTRES_FINANCEURS} ({len(others)})", [s.pk for s in others], len(others))
        )
    total = row("Total", [s.pk for s in structures])
    return FinancerTable(headers, rows, total, len(structures), matrix.lignes)


def synthese_context(fiches, *, filters=(), contrat=None, now=None) -> dict:
    """What templates/pdf/synthese.html shows of these fiches: a constant number of queries."""
    contrat = contrat or current_contrat()
    totals = fiches.bilan()
    by_statut = {row["statut"]: row["nombre"] for row in fiches.bilans("statut")}
    statuts = _statuts(by_statut)
    enjeux = enjeu_rows(fiches, contrat)
    matrix = financing_matrix(fiches)
    labels = [statut.label for statut in STATUTS]
    progress: StatusChart = status_chart(
        [("Toutes les fiches", statuts)] + [(row.short, row.statuts) for row in enjeux], labels
    )
    for bar in progress.bars:
        bar.segments = [(STATUT_COLOURS[i], x, w, title) for i, x, w, title in bar.segments]
    chart = stacked_chart(matrix)
    for bar in chart.bars:
        for segment in bar.segments:
            segment.colour = SERIES_COLOURS[segment.series % len(SERIES_COLOURS)]
    return {
        "contrat": contrat,
        "title": SYNTHESE_TITLE,
        "generated": generated_label(now),
        "filters": list(filters),
        "totals": totals,
        "statuts": list(zip(labels, statuts, strict=True)),
        "statut_labels": labels,
        "enjeux": enjeux,
        "progress": progress,
        "financeurs": financer_table(matrix),
        "chart": chart,
        "chart_legend": [(SERIES_COLOURS[i % len(SERIES_COLOURS)], nom) for i, nom in chart.series],
        "progress_legend": list(zip(STATUT_COLOURS, labels, strict=True)),
    }


def build_synthese_pdf(fiches, *, filters=(), contrat=None, now=None) -> bytes:
    """At most two A4 landscape pages: see `synthese_context`."""
    context = synthese_context(fiches, filters=filters, contrat=contrat, now=now)
    html = render_to_string("pdf/synthese.html", context)
    with cyclic_gc_paused():
        return html_document(html).write_pdf(**PDF_OPTIONS)
