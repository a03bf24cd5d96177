"""The financing plan's chart, drawn on the server as SVG (no JavaScript): one bar per year,
stacked by financer; templates/financements/_chart.html renders this geometry."""

import math
from dataclasses import dataclass, field
from decimal import Decimal

from contrat.formats import format_euros

from .plan import Matrix

# The SVG's own units: drawn at most 32rem wide (site.css), its 15-unit text stays readable
# from a phone (about 11 px) to a desktop (16 px).
WIDTH, HEIGHT = 480, 300
LEFT, RIGHT, TOP, BOTTOM = 84, 8, 12, 30
# Financers drawn each in its own colour, the largest first; the others share one.
MAX_SERIES = 6
OTHERS = "Autres financeurs"


@dataclass
class Segment:
    series: int  # its colour: CSS class serie-<n> (static/css/site.css)
    y: float
    height: float
    title: str


@dataclass
class Bar:
    year: int
    x: float
    width: float
    label_x: float
    total: Decimal
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    baseline: float
    ticks: list[tuple[float, str]]
    bars: list[Bar]
    series: list[tuple[int, str]]  # (colour index, financer) for the legend
    summary: str  # what the chart says, in words, for screen readers

    def __bool__(self) -> bool:
        return bool(self.bars)


def nice_step(maximum: Decimal, count: int = 4) -> Decimal:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `count` ticks."""
    raw = float(maximum) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return Decimal(str(factor * magnitude))
    return Decimal(str(10 * magnitude))  # not reached


def stacked_chart(matrix: Matrix, key: str = "prevu") -> Chart:
    """Years stacked by financer, of the `key` amounts (planned by default)."""
    named = matrix.structures[:MAX_SERIES]
    others = matrix.structures[MAX_SERIES:]
    if len(others) == 1:  # a colour of its own rather than "others" for one financer
        named, others = matrix.structures, []
    series = [(index, s.nom) for index, s in enumerate(named)]
    if others:
        series.append((len(named), OTHERS))
    totals = [amounts.of(key) for _year, amounts in matrix.year_totals]
    maximum = max(totals, default=Decimal(0))
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    if not maximum:
        return Chart(WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, baseline, [], [], series, "")
    step = nice_step(maximum)
    top = step * math.ceil(maximum / step)
    scale = plot_height / float(top)
    ticks = [
        (round(baseline - float(step * n) * scale, 1), format_euros(step * n))
        for n in range(int(top / step) + 1)
    ]
    slot = (WIDTH - LEFT - RIGHT) / len(matrix.years)
    bar_width = min(slot * 0.6, 56)
    bars = []
    for index, (year, total) in enumerate(zip(matrix.years, totals, strict=True)):
        x = LEFT + slot * index + (slot - bar_width) / 2
        bar = Bar(year, round(x, 1), round(bar_width, 1), round(x + bar_width / 2, 1), total)
        values = [(i, s.nom, matrix.cells.get((s.pk, year))) for i, s in enumerate(named)]
        rest = sum(
            (matrix.cells[(s.pk, year)].of(key) for s in others if (s.pk, year) in matrix.cells),
            Decimal(0),
        )
        stacked = [(i, name, cell.of(key)) for i, name, cell in values if cell is not None]
        if rest:
            stacked.append((len(named), OTHERS, rest))
        y = baseline
        for series_index, name, value in stacked:
            if not value:
                continue
            height = float(value) * scale
            y -= height
            bar.segments.append(
                Segment(
                    series_index,
                    round(y, 1),
                    round(height, 1),
                    f"{year}, {name} : {format_euros(value)}",
                )
            )
        bars.append(bar)
    summary = "Total par année : " + " ; ".join(
        f"{bar.year} : {format_euros(bar.total)}" for bar in bars
    )
    return Chart(WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, baseline, ticks, bars, series, summary + ".")
