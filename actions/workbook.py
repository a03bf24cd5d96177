"""The recap as an XLSX workbook, written with XlsxWriter: fiches, per enjeu, financing plan.

XlsxWriter rather than openpyxl (which reads the imports): it writes a formula with its value
(a SUBTOTAL's total is read by viewers that compute nothing). The cells' XML is made here, row
by row (`RowsWorksheet`): the 10,000-fiche workbook with its 62,000 financing lines in 4.5 s
instead of 11 s through XlsxWriter's cell methods (docs/benchmarks.md)."""

import io
from collections.abc import Iterable
from functools import cache
from xml.sax.saxutils import escape

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from contrat.current import current_contrat
from contrat.spreadsheets import xlsx_text
from enjeux.models import Contrat

from .choices import NatureFinancement, Role
from .plan import MEASURES, Matrix, financing_matrix, line_figures
from .recap import (
    EUROS,
    EUROS_CENTS,
    MULTI_ENJEU_NOTE,
    RECAP_TITLE,
    SANS_BUDGET_NOTE,
    RecapBilans,
    generated_label,
    recap_columns,
    recap_rows,
    unpublished_note,
)
from .resources import plain_amount

HEADER_FILL = "#DDE4EE"
# An unpublished fiche's title and state (included at an editor's request), as the PDF tints it.
UNPUBLISHED_FILL = "#FFF4D6"
PERCENT = "0.0 %"
A4 = 9  # XlsxWriter's paper code
MAX_CELL_TEXT = 32_767


@cache
def column_letter(index: int) -> str:
    return xl_col_to_name(index)


class RowsWorksheet(Worksheet):
    """XlsxWriter's worksheet, its cells kept as the XML of their rows, made as `Sheet.append`
    receives them, instead of one object per cell turned into XML when the workbook closes:
    the 10,000-fiche recap has 500,000 cells, and XlsxWriter's own way (its `write_*` checks,
    its cell table, its XML writer with escaped attributes) took two thirds of its time
    (docs/benchmarks.md). Everything else is XlsxWriter's: formats, shared strings, columns,
    panes, autofilter, print setup, the package. `_write_sheet_data` is the hook XlsxWriter
    calls to write the `<sheetData>` element (pinned: xlsxwriter 3.x in pyproject.toml)."""

    def __init__(self):
        super().__init__()
        self.rows_xml: list[str] = []

    def _write_sheet_data(self) -> None:
        self.fh.write("<sheetData>")
        self.fh.writelines(self.rows_xml)
        self.fh.write("</sheetData>")


class Sheet:
    """One worksheet written row by row, each cell with one of the workbook's formats,
    registered once per combination."""

    def __init__(self, book: "Book", name: str):
        self.book = book
        self.ws = book.workbook.add_worksheet(name, worksheet_class=RowsWorksheet)
        self.row = 0  # rows written so far

    def columns(self, widths: Iterable[int]) -> None:
        for index, width in enumerate(widths):
            self.ws.set_column(index, index, width)

    def header(self, columns: list[tuple[str, int]]) -> None:
        """Bold titles on a tinted band, frozen above the rows."""
        self.columns(width for _title, width in columns)
        self.ws.freeze_panes(1, 0)
        self.append([Text(title, header=True) for title, _width in columns])

    def append(self, cells: list) -> None:
        number = self.row + 1
        cell_xml = self.book.cell_xml
        self.add_row(
            "".join(cell_xml(cell, f"{column_letter(i)}{number}") for i, cell in enumerate(cells)),
            len(cells),
        )

    def add_row(self, cells_xml: str, width: int) -> None:
        """The next row, its cells' XML made by `Book.cell_xml` (or alike) for its number."""
        self.row += 1
        if cells_xml:
            ws = self.ws
            ws.rows_xml.append(f'<row r="{self.row}">{cells_xml}</row>')
            # The sheet's extent, as XlsxWriter's write methods keep it (its <dimension>).
            ws.dim_rowmin, ws.dim_colmin = 0, 0
            ws.dim_rowmax = self.row - 1
            ws.dim_colmax = max(ws.dim_colmax or 0, width - 1)

    def autofilter(self, last_row: int, columns: int) -> None:
        """Over the header and the rows 2 to `last_row` (the spreadsheet's numbering)."""
        self.ws.autofilter(0, 0, max(last_row - 1, 0), columns - 1)

    def print_setup(self) -> None:
        """Printed on A4 landscape, as wide as the page, the header row repeated on each page."""
        self.ws.set_landscape()
        self.ws.set_paper(A4)
        self.ws.fit_to_pages(1, 0)
        self.ws.repeat_rows(0)


class Text:
    __slots__ = ("value", "style")

    def __init__(self, value, *, bold=False, fill=None, header=False):
        self.value = value
        # Wrapped, at the top of the row: the descriptifs are long.
        self.style = ("text", bold or header, HEADER_FILL if header else fill)


class Number:
    __slots__ = ("value", "style")

    def __init__(self, value, *, bold=False, number_format="General"):
        self.value = value
        self.style = ("number", bold, number_format)


class Formula:
    __slots__ = ("formula", "cached", "style")

    def __init__(self, formula: str, cached, *, number_format: str):
        self.formula = formula
        self.cached = cached if cached is not None else 0
        self.style = ("number", True, number_format)


def euro_format(value: int | float) -> str:
    """A plain amount's format (`plain_amount`: an int for whole euros): with cents or not."""
    return EUROS if isinstance(value, int) else EUROS_CENTS


def euros(value, *, bold=False) -> Number:
    value = plain_amount(value)
    return Number(value, bold=bold, number_format=euro_format(value))


TEXT_STYLE = Text("").style
UNPUBLISHED_STYLE = Text("", fill=UNPUBLISHED_FILL).style


def cell_maker(column):
    """How the recap's `column` writes a value: `make(ref, value, book)` gives the cell's XML
    (wrapped text, or a number in its format; nothing for an empty value)."""
    style = ("number", False, column.xlsx_format)

    def text(ref, value, book):
        return book.text_xml(ref, value, TEXT_STYLE) if value else ""

    def amount(ref, value, book):
        if value is None:
            return ""
        value = plain_amount(value)
        return book.number_xml(ref, value, ("number", False, euro_format(value)))

    def figure(ref, value, book):
        return "" if value is None else book.number_xml(ref, plain_amount(value), style)

    if column.xlsx_format is None:
        return text
    return amount if column.xlsx_format == EUROS else figure


class Book:
    """The workbook, its formats and its shared strings. Not XlsxWriter's constant-memory mode:
    it writes every text in its cell, where the shared strings table writes a title or a
    financer once for all its rows."""

    def __init__(self, title: str, author: str):
        self._buffer = io.BytesIO()
        # Its sheets' XML go to temporary files (XlsxWriter removes them), the file to memory.
        self.workbook = xlsxwriter.Workbook(self._buffer)
        self.workbook.set_properties({"title": title, "author": author})
        self._formats = {}
        self._styles = {None: ""}
        self._texts = {}
        self._shared = self.workbook.str_table._get_shared_string_index

    def format(self, style: tuple):
        if style not in self._formats:
            kind, bold, detail = style
            properties = {"valign": "top", "bold": bold}
            if kind == "text":
                properties["text_wrap"] = True
                if detail:
                    properties.update(pattern=1, bg_color=detail)
            else:
                properties["num_format"] = detail
            self._formats[style] = self.workbook.add_format(properties)
        return self._formats[style]

    def style(self, style: tuple | None) -> str:
        """A cell's format attribute: the index XlsxWriter gives the format in styles.xml."""
        if style not in self._styles:
            self._styles[style] = f' s="{self.format(style)._get_xf_index()}"'
        return self._styles[style]

    def text_xml(self, ref: str, value: str, style: tuple | None = None) -> str:
        """A text cell: its index in the shared strings (each text written once in the file,
        cleaned once: `xlsx_text`, and cut to a cell's 32,767 characters)."""
        text = self._texts.get(value)
        if text is None:
            text = self._texts[value] = xlsx_text(value)[:MAX_CELL_TEXT]
        return f'<c r="{ref}"{self.style(style)} t="s"><v>{self._shared(text)}</v></c>'

    def number_xml(self, ref: str, value, style: tuple | None = None) -> str:
        return f'<c r="{ref}"{self.style(style)}><v>{value:.16G}</v></c>'

    def cell_xml(self, cell, ref: str) -> str:
        """The XML of `cell` (a str, Text, Number, Formula or None) at `ref` ('B12')."""
        if cell is None:
            return ""
        if isinstance(cell, str):  # a short text, without a format
            return self.text_xml(ref, cell) if cell else ""
        if isinstance(cell, Text):
            return self.text_xml(ref, cell.value, cell.style) if cell.value else ""
        if isinstance(cell, Formula):
            return (
                f'<c r="{ref}"{self.style(cell.style)}><f>{escape(cell.formula)}</f>'
                f"<v>{cell.cached:.16G}</v></c>"
            )
        return "" if cell.value is None else self.number_xml(ref, cell.value, cell.style)

    def sheet(self, name: str) -> Sheet:
        return Sheet(self, name)

    def close(self) -> bytes:
        self.workbook.close()
        return self._buffer.getvalue()


def build_recap_xlsx(
    queryset,
    *,
    filters: Iterable[str] = (),
    contrat: Contrat | None = None,
    now=None,
    with_unpublished: bool = False,
) -> bytes:
    """The recap workbook: 'Fiches actions', 'Par enjeu', 'Financements', 'Financeurs ×
    années', 'Structures', 'Informations'.

    `with_unpublished`: the queryset may hold drafts and fiches in review (an editor asked for
    them): an 'État de publication' column follows the title, an unpublished fiche's title and
    state are tinted, and the total row and 'Informations' say how many there are."""
    contrat = contrat or current_contrat()
    book = Book(RECAP_TITLE, str(contrat) if contrat else "Contrat de territoire")
    # Sheets in reading order.
    fiches_ws = book.sheet("Fiches actions")
    enjeux_ws = book.sheet("Par enjeu")
    lignes_ws = book.sheet("Financements")
    matrix_ws = book.sheet("Financeurs × années")
    structures_ws = book.sheet("Structures")
    info_ws = book.sheet("Informations")

    columns = recap_columns(etat=with_unpublished)
    keys = [column.key for column in columns]
    tinted = [keys.index(key) for key in ("titre", "etat_libelle") if key in keys]
    fiches_ws.print_setup()
    fiches_ws.header([(column.label, column.xlsx_width) for column in columns])
    structures_ws.header([("Structure", 45), ("Rôle", 14), ("Précision", 30), ("Fiche", 60)])

    bilans = RecapBilans()
    # The two longest sheets after 'Financements', each row's XML in one piece.
    book = fiches_ws.book
    text = book.text_xml
    makers = [
        (column_letter(i), column.key, cell_maker(column)) for i, column in enumerate(columns)
    ]
    roles = dict(Role.choices)
    for row in recap_rows(queryset):
        bilans.add(row)
        r = fiches_ws.row + 1
        cells = [make(f"{letter}{r}", getattr(row, key), book) for letter, key, make in makers]
        if row.non_publiee:
            for index in tinted:
                letter, key, _make = makers[index]
                cells[index] = text(f"{letter}{r}", getattr(row, key), UNPUBLISHED_STYLE)
        fiches_ws.add_row("".join(cells), len(columns))
        for participation in row.participations:
            r = structures_ws.row + 1
            precision = participation.precision
            structures_ws.add_row(
                text(f"A{r}", participation.structure.nom)
                + text(f"B{r}", roles.get(participation.role, participation.role))
                + (text(f"C{r}", precision) if precision else "")
                + text(f"D{r}", row.titre),
                4,
            )

    total = bilans.total
    note = unpublished_note(bilans.non_publiees)
    last_row = total.nombre + 1
    fiches_ws.autofilter(last_row, len(columns))
    # Under the titles and the budget totals, what the autofilter shows: SUBTOTAL counts and
    # sums the visible rows only (103: non-empty cells, 109: sum), its value written with it.
    # Under the descriptif, what the whole sheet holds.
    budget_column = keys.index("budget_total")
    budget = plain_amount(total.budget)
    total_row = [None] * (budget_column + 1)
    total_row[0] = Text("Total des fiches affichées", bold=True)
    total_row[keys.index("statut_libelle")] = Formula(
        f"SUBTOTAL(103,A2:A{last_row})", total.nombre, number_format='0 "fiche(s)"'
    )
    total_row[keys.index("descriptif")] = Text(
        f"Sans filtre : {total.nombre} fiches, dont {total.sans_budget} sans budget chiffré "
        "(non comptées dans le total)" + (f". {note}" if note else ""),
        bold=True,
    )
    letter = column_letter(budget_column)
    total_row[budget_column] = Formula(
        f"SUBTOTAL(109,{letter}2:{letter}{last_row})",
        budget,
        number_format=euro_format(budget),
    )
    fiches_ws.append(total_row)
    structures_ws.autofilter(structures_ws.row, 4)

    enjeux_ws.header(
        [("Enjeu", 60), ("Fiches", 10), ("dont sans budget", 16), ("Budget total (€)", 18)]
    )
    for label, bilan in bilans.subtotals():
        enjeux_ws.append(
            [Text(label), Number(bilan.nombre), Number(bilan.sans_budget), euros(bilan.budget)]
        )
    enjeux_ws.append(
        [
            Text("Ensemble des fiches (sans double compte)", bold=True),
            Number(total.nombre, bold=True),
            Number(total.sans_budget, bold=True),
            euros(total.budget, bold=True),
        ]
    )
    enjeux_ws.append([])
    enjeux_ws.append([Text(MULTI_ENJEU_NOTE)])
    enjeux_ws.append([Text(SANS_BUDGET_NOTE)])

    _financing_lines_sheet(lignes_ws, queryset)
    _matrix_sheet(matrix_ws, financing_matrix(queryset))

    info_ws.columns([24, 90])
    filters = list(filters)
    informations = [
        ("Contrat", str(contrat) if contrat else ""),
        ("Document", RECAP_TITLE),
        ("Généré le", generated_label(now)),
        ("Filtres appliqués", "\n".join(filters) if filters else "Aucun : toutes les fiches"),
    ]
    for label, value in informations:
        info_ws.append([Text(label, bold=True), Text(value)])
    info_ws.append([Text("Fiches", bold=True), Number(total.nombre)])
    if note:
        info_ws.append(
            [
                Text("Fiches non publiées", bold=True),
                Text(
                    f"{note} Colonne « État de publication » de la feuille « Fiches actions ». "
                    "Document de travail : ce n'est pas le récapitulatif publié."
                ),
            ]
        )
    return book.close()


# --- the financing plan's sheets ------------------------------------------------------------

NATURE_LABELS = dict(NatureFinancement.choices)


def nature_label(code: str) -> str:
    return str(NATURE_LABELS.get(code, code))


def _financing_lines_sheet(ws: Sheet, queryset) -> None:
    """'Financements': one row per line, amounts as numbers in euros."""
    columns = [
        ("Fiche", 50),
        ("Financeur", 40),
        ("Année", 8),
        ("Nature", 16),
        ("Prévu (€)", 14),
        ("Accordé (€)", 14),
        ("Versé (€)", 14),
    ]
    ws.header(columns)
    # The longest sheet (six lines a fiche or so): each row's XML in one piece.
    text, number = ws.book.text_xml, ws.book.number_xml
    natures = {code: nature_label(code) for code in NATURE_LABELS}
    for titre, financeur, annee, nature, *amounts in line_figures(queryset):
        r = ws.row + 1
        cells = [
            text(f"A{r}", titre),
            text(f"B{r}", financeur),
            f'<c r="C{r}"><v>{annee}</v></c>',
            text(f"D{r}", natures.get(nature, nature)),
        ]
        # The database gives floats (line_figures): whole euros become ints, as plain_amount.
        for letter, amount in zip("EFG", amounts, strict=True):
            if amount is not None:
                amount = int(amount) if amount.is_integer() else amount
                cells.append(number(f"{letter}{r}", amount, ("number", False, euro_format(amount))))
        ws.add_row("".join(cells), len(columns))
    ws.autofilter(ws.row, len(columns))


def _matrix_sheet(ws: Sheet, matrix: Matrix) -> None:
    """'Financeurs × années': a block per measure (planned, granted, paid), financers in rows,
    years in columns, with each row's total and share and each year's total."""
    ws.columns([45, *[14] * (len(matrix.years) + 2)])
    if not matrix.structures:
        ws.append([Text("Aucune ligne de financement pour ces fiches.")])
        return
    for key, _label, _caption in MEASURES:
        table = matrix.table(key)
        ws.append([Text(table.caption, bold=True)])
        header = ["Financeur", *map(str, table.years), "Total", "Part"]
        ws.append([Text(title, bold=True) for title in header])
        for row in table.rows:
            ws.append(
                [
                    Text(row.structure.nom),
                    *(euros(v) if v is not None else None for v in row.cells),
                    euros(row.total, bold=True),
                    Number(
                        float(row.total / table.total) if table.total else None,
                        number_format=PERCENT,
                    ),
                ]
            )
        ws.append(
            [
                Text("Total", bold=True),
                *(euros(v, bold=True) for v in table.year_totals),
                euros(table.total, bold=True),
                Number(1 if table.total else None, bold=True, number_format=PERCENT),
            ]
        )
        ws.append([])
