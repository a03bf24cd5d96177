"""The financing plan in figures: who pays what, each year (planned, granted, paid), summed in
SQL over a set of fiches, a constant number of queries whatever their number. Read by the
/financements/ page, a fiche's and a financer's pages, the recap's exports and the chart."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, FloatField, OuterRef, Q, Sum
from django.db.models.functions import Cast

from contrat.text import french_sort_key
from enjeux.models import Enjeu, Orientation
from structures.models import Structure

from .financements import LigneFinancement
from .recap import SANS_ENJEU

ZERO = Decimal(0)
# (key, column header, table caption): the three amounts of a line, in the plan's order.
MEASURES = (
    ("prevu", "Prévu", "Montants prévus"),
    ("accorde", "Accordé", "Montants accordés"),
    ("verse", "Versé", "Montants versés"),
)
MEASURE_KEYS = tuple(key for key, _label, _caption in MEASURES)
# A financer's page lists at most this many of the fiches it finances (the largest first);
# every line is in /financements/export/financements.csv.
FINANCED_FICHES_SHOWN = 50

# Sums named apart from the model's fields (an annotation may not shadow one).
SUMS = {f"s_{key}": Sum(key) for key in MEASURE_KEYS}


@dataclass
class Amounts:
    """Planned, granted and paid euros (a line not yet decided counts 0 granted)."""

    prevu: Decimal = ZERO
    accorde: Decimal = ZERO
    verse: Decimal = ZERO

    @classmethod
    def from_row(cls, row: dict) -> "Amounts":
        return cls(*(Decimal(row[f"s_{key}"] or 0) for key in MEASURE_KEYS))

    def __add__(self, other: "Amounts") -> "Amounts":
        return Amounts(*(getattr(self, key) + getattr(other, key) for key in MEASURE_KEYS))

    def of(self, key: str) -> Decimal:
        return getattr(self, key)


def total_of(amounts: Iterable[Amounts]) -> Amounts:
    return sum(amounts, Amounts())


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole in %, to one decimal; None when the whole is 0 (no share to speak of)."""
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def lines_of(fiches):
    """The financing lines of these fiches (a FicheActionQuerySet, as filtered and visible)."""
    return LigneFinancement.objects.filter(fiche__in=fiches.order_by().values("pk"))


# A financing line as the exports write it (its fiche and financer named), in this order.
LINE_VALUES = (
    "fiche__slug",
    "fiche__titre",
    "financeur__slug",
    "financeur__nom",
    "annee",
    "nature",
    "prevu",
    "accorde",
    "verse",
    "date_decision",
    "reference_decision",
    "note",
)
LINES_CHUNK_SIZE = 2000
LINES_ORDER = ("fiche__ordre", "fiche", "annee", "financeur__nom", "nature", "pk")
MEASURE_KEYS = ("prevu", "accorde", "verse")


def line_values(fiches):
    """The financing lines of these fiches as LINE_VALUES tuples, in recap order, then year,
    financer and nature, read in chunks."""
    return (
        lines_of(fiches)
        .order_by(*LINES_ORDER)
        .values_list(*LINE_VALUES)
        .iterator(chunk_size=LINES_CHUNK_SIZE)
    )


def line_figures(fiches):
    """The same lines as `line_values`, as (fiche's title, financer's name, year, nature,
    planned, granted, paid), the amounts as floats (None when not given): what a spreadsheet
    keeps of them, read without making a Decimal of each (62,000 lines at 10,000 fiches)."""
    return (
        lines_of(fiches)
        .order_by(*LINES_ORDER)
        .values_list(
            "fiche__titre",
            "financeur__nom",
            "annee",
            "nature",
            *(Cast(key, FloatField()) for key in MEASURE_KEYS),
        )
        .iterator(chunk_size=LINES_CHUNK_SIZE)
    )


def _financeur(row: dict) -> Structure:
    """An unsaved Structure from a values() row: its name, acronym and slug for the pages."""
    return Structure(
        pk=row["financeur"],
        nom=row["financeur__nom"],
        sigle=row["financeur__sigle"],
        slug=row["financeur__slug"],
    )


FINANCEUR_VALUES = ("financeur", "financeur__nom", "financeur__sigle", "financeur__slug")


def _by_financeur_order(totals: dict[int, Amounts], structures: dict[int, Structure]) -> list:
    """Financer ids, the largest planned total first, then by name the French way."""
    return sorted(
        totals, key=lambda pk: (-totals[pk].prevu, french_sort_key(structures[pk].nom), pk)
    )


# --- the financer × year matrix -------------------------------------------------------------


@dataclass
class MatrixRow:
    structure: Structure
    cells: list  # one value per year (None: no line that year)
    total: Decimal
    share: Decimal | None  # of the table's grand total, in %


@dataclass
class MeasureTable:
    """One measure's financer × year table: what the page, the PDF and the workbook show."""

    key: str
    label: str
    caption: str
    years: list[int]
    rows: list[MatrixRow]
    year_totals: list[Decimal]
    total: Decimal


@dataclass
class Matrix:
    """Every financer × year sum of a set of fiches' lines."""

    years: list[int] = field(default_factory=list)
    structures: list[Structure] = field(default_factory=list)  # largest planned first
    cells: dict[tuple[int, int], Amounts] = field(default_factory=dict)  # (financer, year)
    fiches: int = 0  # how many fiches have a line
    lignes: int = 0

    def financer_total(self, pk: int) -> Amounts:
        return total_of(a for (f, _y), a in self.cells.items() if f == pk)

    def year_total(self, year: int) -> Amounts:
        return total_of(a for (_f, y), a in self.cells.items() if y == year)

    @property
    def total(self) -> Amounts:
        return total_of(self.cells.values())

    @property
    def year_totals(self) -> list[tuple[int, Amounts]]:
        return [(year, self.year_total(year)) for year in self.years]

    def table(self, key: str) -> MeasureTable:
        label, caption = next((lab, cap) for k, lab, cap in MEASURES if k == key)
        grand = self.total.of(key)
        rows = []
        for structure in self.structures:
            cells = [self.cells.get((structure.pk, year)) for year in self.years]
            row_total = self.financer_total(structure.pk).of(key)
            rows.append(
                MatrixRow(
                    structure=structure,
                    cells=[cell.of(key) if cell is not None else None for cell in cells],
                    total=row_total,
                    share=percent(row_total, grand),
                )
            )
        return MeasureTable(
            key=key,
            label=label,
            caption=caption,
            years=self.years,
            rows=rows,
            year_totals=[amounts.of(key) for _year, amounts in self.year_totals],
            total=grand,
        )

    @property
    def tables(self) -> list[MeasureTable]:
        return [self.table(key) for key in MEASURE_KEYS]


def financing_matrix(fiches) -> Matrix:
    """The financer × year sums of the lines of `fiches`, in two queries."""
    lines = lines_of(fiches)
    rows = list(
        lines.order_by()
        .values(*FINANCEUR_VALUES, "annee")
        .annotate(**SUMS)
        .order_by("financeur", "annee")
    )
    counts = lines.order_by().aggregate(fiches=Count("fiche", distinct=True), lignes=Count("pk"))
    structures = {}
    cells = {}
    for row in rows:
        structures.setdefault(row["financeur"], _financeur(row))
        cells[(row["financeur"], row["annee"])] = Amounts.from_row(row)
    totals = {pk: total_of(a for (f, _y), a in cells.items() if f == pk) for pk in structures}
    return Matrix(
        years=sorted({year for _f, year in cells}),
        structures=[structures[pk] for pk in _by_financeur_order(totals, structures)],
        cells=cells,
        fiches=counts["fiches"],
        lignes=counts["lignes"],
    )


# --- per enjeu ------------------------------------------------------------------------------


@dataclass
class EnjeuPlan:
    """One enjeu's financers, each with its planned, granted and paid totals."""

    label: str
    enjeu: Enjeu | None
    rows: list[tuple[Structure, Amounts, Decimal | None]]  # share of the planned total, in %
    total: Amounts


def _enjeu_rows(lines):
    """(enjeu id, financer, sums) rows: each line once in each enjeu its fiche cites, through
    its first orientation of that enjeu, or directly and through none of its orientations (the
    pairing of actions/bilans.py). Both EXISTS sit in the filter() call of the join they refer
    to, so that Django reuses that join."""
    par_orientation = lines.filter(
        Q(fiche__orientations__enjeu__isnull=False),
        ~Exists(
            Orientation.objects.filter(
                fiches=OuterRef("fiche"),
                enjeu=OuterRef("fiche__orientations__enjeu"),
                pk__lt=OuterRef("fiche__orientations"),
            )
        ),
    )
    directes = lines.filter(
        Q(fiche__enjeux__isnull=False),
        ~Exists(
            Orientation.objects.filter(fiches=OuterRef("fiche"), enjeu=OuterRef("fiche__enjeux"))
        ),
    )
    grouped = [
        query.order_by().values(path, *FINANCEUR_VALUES).annotate(**SUMS)
        for query, path in (
            (par_orientation, "fiche__orientations__enjeu"),
            (directes, "fiche__enjeux"),
        )
    ]
    return grouped[0].union(grouped[1], all=True)


def enjeu_plans(fiches, enjeux: Iterable[Enjeu]) -> list[EnjeuPlan]:
    """A table per enjeu of `enjeux` (in their order) whose fiches have lines, then 'Sans
    enjeu': in two queries. A fiche counts in every enjeu it cites, like the recap's
    subtotals, so the tables may add up to more than the plan."""
    lines = lines_of(fiches)
    sums: dict[int | None, dict[int, Amounts]] = {}
    structures: dict[int, Structure] = {}
    for row in _enjeu_rows(lines):
        enjeu_id = row["fiche__orientations__enjeu"]
        structures.setdefault(row["financeur"], _financeur(row))
        by_financer = sums.setdefault(enjeu_id, {})
        by_financer[row["financeur"]] = by_financer.get(row["financeur"], Amounts()) + (
            Amounts.from_row(row)
        )
    sans_enjeu = lines.exclude(
        Q(fiche__orientations__enjeu__isnull=False) | Q(fiche__enjeux__isnull=False)
    )
    # exclude() over multi-valued relations is a NOT IN subquery: each line once.
    for row in sans_enjeu.order_by().values(*FINANCEUR_VALUES).annotate(**SUMS):
        structures.setdefault(row["financeur"], _financeur(row))
        sums.setdefault(None, {})[row["financeur"]] = Amounts.from_row(row)

    def plan(label, enjeu, by_financer):
        total = total_of(by_financer.values())
        order = _by_financeur_order(by_financer, structures)
        rows = [
            (
                structures[pk],
                by_financer[pk],
                percent(by_financer[pk].prevu, total.prevu),
            )
            for pk in order
        ]
        return EnjeuPlan(label=label, enjeu=enjeu, rows=rows, total=total)

    plans = [plan(str(e), e, sums[e.pk]) for e in enjeux if e.pk in sums]
    if None in sums:
        plans.append(plan(SANS_ENJEU, None, sums[None]))
    return plans


# --- one fiche: years × financers -----------------------------------------------------------


@dataclass
class FichePlan:
    years: list[int]
    structures: list[Structure]
    rows: list[tuple[int, list[Amounts | None], Amounts]]  # year, one cell per financer, total
    financer_totals: list[Amounts]
    total: Amounts
    reste_a_financer: Decimal | None  # the budget minus what is granted; None without budget

    def __bool__(self) -> bool:
        return bool(self.years)


def fiche_plan(fiche, budget_total: Decimal | None) -> FichePlan:
    """The fiche's lines as a years × financers table (natures added up), in one query."""
    rows = (
        LigneFinancement.objects.filter(fiche=fiche)
        .order_by()
        .values(*FINANCEUR_VALUES, "annee")
        .annotate(**SUMS)
    )
    structures, cells = {}, {}
    for row in rows:
        structures.setdefault(row["financeur"], _financeur(row))
        cells[(row["financeur"], row["annee"])] = Amounts.from_row(row)
    totals = {pk: total_of(a for (f, _y), a in cells.items() if f == pk) for pk in structures}
    order = _by_financeur_order(totals, structures)
    years = sorted({year for _f, year in cells})
    table = []
    for year in years:
        line = [cells.get((pk, year)) for pk in order]
        table.append((year, line, total_of(cell for cell in line if cell is not None)))
    total = total_of(totals.values())
    return FichePlan(
        years=years,
        structures=[structures[pk] for pk in order],
        rows=table,
        financer_totals=[totals[pk] for pk in order],
        total=total,
        reste_a_financer=None if budget_total is None else budget_total - total.accorde,
    )


# --- one financer: per year, per fiche ------------------------------------------------------


@dataclass
class FinancedFiche:
    titre: str
    slug: str
    amounts: Amounts


@dataclass
class FinancerPlan:
    years: list[tuple[int, Amounts]]
    fiches: list[FinancedFiche]  # at most FINANCED_FICHES_SHOWN, the largest planned first
    nombre_fiches: int
    total: Amounts

    def __bool__(self) -> bool:
        return bool(self.years)


def financer_plan(structure, fiches) -> FinancerPlan:
    """What `structure` finances among `fiches`, per year and per fiche: three queries."""
    lines = lines_of(fiches).filter(financeur=structure)
    years = [
        (row["annee"], Amounts.from_row(row))
        for row in lines.order_by().values("annee").annotate(**SUMS).order_by("annee")
    ]
    per_fiche = (
        lines.order_by()
        .values("fiche", "fiche__titre", "fiche__slug", "fiche__ordre")
        .annotate(**SUMS)
        .order_by("-s_prevu", "fiche__ordre", "fiche")[:FINANCED_FICHES_SHOWN]
    )
    nombre = lines.order_by().aggregate(n=Count("fiche", distinct=True))["n"]
    return FinancerPlan(
        years=years,
        fiches=[
            FinancedFiche(row["fiche__titre"], row["fiche__slug"], Amounts.from_row(row))
            for row in per_fiche
        ],
        nombre_fiches=nombre,
        total=total_of(amounts for _year, amounts in years),
    )
