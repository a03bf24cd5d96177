"""The financing plan's chart, drawn on the server as SVG (no JavaScript): one bar per year,
stacked by financer (templates/financements/_chart.html), and an indicator's values year by year
(templates/actions/_suivi.html)."""

import math
from dataclasses import dataclass, field
from decimal import Decimal

from contrat.formats import format_euros, format_number

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


# --- An indicator: its values year by year, from the baseline towards the target ------------

LINE_WIDTH, LINE_HEIGHT = 480, 220
LINE_LEFT, LINE_RIGHT, LINE_TOP, LINE_BOTTOM = 72, 26, 14, 30


@dataclass
class Point:
    x: float
    y: float
    title: str
    reference: bool = False  # the baseline, drawn apart from the measured values


@dataclass
class LineChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    baseline: float
    ticks: list[tuple[float, str]]
    years: list[tuple[float, int]]
    points: list[Point]
    line: str  # the polyline's points, "x,y x,y"
    target_y: float
    target_label: str
    summary: str


def indicator_chart(indicateur) -> LineChart:
    """The baseline, then each measured value, joined by a line; the target as a dashed rule.
    The years run from the baseline's to the target's (or the last measured, if later)."""
    unit = indicateur.unite
    valeurs = sorted(indicateur.valeurs.all(), key=lambda v: v.annee)
    years = [indicateur.annee_reference, *(v.annee for v in valeurs)]
    first, last = min(years), max([*years, indicateur.annee_cible])
    amounts = [indicateur.valeur_reference, indicateur.valeur_cible, *(v.valeur for v in valeurs)]
    low = min([Decimal(0), *amounts])
    high = max(amounts)
    plot_height = LINE_HEIGHT - LINE_TOP - LINE_BOTTOM
    baseline = LINE_TOP + plot_height
    span = high - low
    step = nice_step(span) if span else Decimal(1)
    bottom = step * math.floor(low / step)
    top = step * math.ceil(high / step)
    if top == bottom:
        top = bottom + step
    scale = plot_height / float(top - bottom)

    def y_of(value) -> float:
        return round(baseline - float(value - bottom) * scale, 1)

    ticks = [
        (y_of(bottom + step * n), format_number(bottom + step * n))
        for n in range(int((top - bottom) / step) + 1)
    ]
    plot_width = LINE_WIDTH - LINE_LEFT - LINE_RIGHT
    slot = plot_width / max(last - first, 1)

    def x_of(year: int) -> float:
        if last == first:
            return round(LINE_LEFT + plot_width / 2, 1)
        return round(LINE_LEFT + (year - first) * slot, 1)

    # At most about eight year labels: every other (or third...) year on a long span.
    every = max(1, math.ceil((last - first + 1) / 8))
    year_labels = [(x_of(year), year) for year in range(first, last + 1, every)]
    measured_years = {v.annee for v in valeurs}
    points = []
    if indicateur.annee_reference not in measured_years:
        points.append(
            Point(
                x_of(indicateur.annee_reference),
                y_of(indicateur.valeur_reference),
                f"Référence {indicateur.annee_reference} : "
                f"{format_number(indicateur.valeur_reference, unit)}",
                reference=True,
            )
        )
    points += [
        Point(x_of(v.annee), y_of(v.valeur), f"{v.annee} : {format_number(v.valeur, unit)}")
        for v in valeurs
    ]
    points.sort(key=lambda point: point.x)
    target = format_number(indicateur.valeur_cible, unit)
    summary = (
        f"Référence {indicateur.annee_reference} : "
        f"{format_number(indicateur.valeur_reference, unit)} ; cible "
        f"{indicateur.annee_cible} : {target}"
    )
    if valeurs:
        summary += " ; mesuré : " + " ; ".join(
            f"{v.annee} : {format_number(v.valeur, unit)}" for v in valeurs
        )
    else:
        summary += " ; aucune valeur mesurée"
    return LineChart(
        LINE_WIDTH,
        LINE_HEIGHT,
        LINE_LEFT,
        LINE_WIDTH - LINE_RIGHT,
        baseline,
        ticks,
        year_labels,
        points,
        " ".join(f"{p.x},{p.y}" for p in points),
        y_of(indicateur.valeur_cible),
        f"Cible {indicateur.annee_cible} : {target}",
        summary + ".",
    )


# --- fiches per status: one horizontal bar per group (the whole selection, each enjeu) -------

STATUS_WIDTH, STATUS_LABEL, STATUS_ROW = 480, 150, 22


@dataclass
class StatusBar:
    label: str
    y: float
    total: int
    segments: list[tuple[int, float, float, str]]  # (status index, x, width, title)

    @property
    def end(self) -> float:
        """Where the bar ends: its total is written after it."""
        return self.segments[-1][1] + self.segments[-1][2] if self.segments else STATUS_LABEL


@dataclass
class StatusChart:
    width: int
    height: int
    label_width: int
    bars: list[StatusBar]
    series: list[tuple[int, str]]  # (colour index, status label) for the legend
    summary: str

    def __bool__(self) -> bool:
        return any(bar.total for bar in self.bars)


def status_chart(rows: list[tuple[str, list[int]]], statuses: list[str]) -> StatusChart:
    """One bar per (label, counts per status) row, its segments the fiches of each status,
    all bars on the scale of the longest: the progress of each enjeu at a glance."""
    longest = max((sum(counts) for _label, counts in rows), default=0)
    plot = STATUS_WIDTH - STATUS_LABEL - 36  # room for the total after the bar
    bars = []
    for index, (label, counts) in enumerate(rows):
        x, segments = float(STATUS_LABEL), []
        for status, count in enumerate(counts):
            if not count:
                continue
            width = plot * count / longest
            segments.append((status, round(x, 1), round(width, 1), f"{statuses[status]} : {count}"))
            x += width
        bars.append(StatusBar(label, index * STATUS_ROW + 4, sum(counts), segments))
    summary = " ; ".join(
        f"{label} : "
        + ", ".join(f"{count} {statuses[i].lower()}" for i, count in enumerate(counts) if count)
        for label, counts in rows
        if sum(counts)
    )
    return StatusChart(
        STATUS_WIDTH,
        len(rows) * STATUS_ROW + 4,
        STATUS_LABEL,
        bars,
        list(enumerate(statuses)),
        summary + "." if summary else "",
    )
