"""The recap as an XLSX workbook, written with XlsxWriter: fiches, per enjeu, financing plan.

XlsxWriter rather than openpyxl (which reads the imports): it writes a formula with its value
(a SUBTOTAL's total is read by viewers that compute nothing) and writes the 10,000-fiche
workbook with its 60,000 financing lines twice as fast (docs/benchmarks.md)."""

import io
from collections.abc import Iterable

import xlsxwriter

from contrat.current import current_contrat
from contrat.spreadsheets import xlsx_text
from enjeux.models import Contrat

from .choices import NatureFinancement
from .plan import MEASURES, Matrix, financing_matrix, line_values
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


class Sheet:
    """One worksheet written row by row, each cell with one of the workbook's formats,
    registered once per combination."""

    def __init__(self, book: "Book", name: str):
        self.book = book
        self.ws = book.workbook.add_worksheet(name)
        self.row = 0

    def columns(self, widths: Iterable[int]) -> None:
        for index, width in enumerate(widths):
            self.ws.set_column(index, index, width)

    def header(self, columns: list[tuple[str, int]]) -> None:
        """Bold titles on a tinted band, frozen above the rows."""
        self.columns(width for _title, width in columns)
        self.ws.freeze_panes(1, 0)
        self.append([Text(title, header=True) for title, _width in columns])

    def append(self, cells: list) -> None:
        ws, row, fmt = self.ws, self.row, self.book.format
        for column, cell in enumerate(cells):
            if cell is None:
                continue
            if isinstance(cell, str):  # a short text, without the cost of a format
                ws.write_string(row, column, xlsx_text(cell))
            elif isinstance(cell, Text):
                if cell.value:
                    ws.write_string(row, column, xlsx_text(cell.value), fmt(cell.style))
            elif isinstance(cell, Formula):
                ws.write_formula(row, column, cell.formula, fmt(cell.style), cell.cached)
            elif cell.value is not None:  # Number
                ws.write_number(row, column, cell.value, fmt(cell.style))
        self.row += 1

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


def euros(value, *, bold=False) -> Number:
    value = plain_amount(value)
    return Number(value, bold=bold, number_format=EUROS if isinstance(value, int) else EUROS_CENTS)


def column_cell(column, value):
    """`value` as the recap's `column` shows it (its number format, or wrapped text)."""
    if column.xlsx_format is None:
        return Text(value)
    if column.xlsx_format == EUROS:
        return euros(value)
    return Number(plain_amount(value), number_format=column.xlsx_format)


class Book:
    """The workbook and its formats. Not XlsxWriter's constant-memory mode:
    it writes every text in its cell, where the shared strings table writes a title or a
    financer once for all its rows (5.5 s instead of 7 s at 10,000 fiches, 190 MB instead of
    105 MB at the peak)."""

    def __init__(self, title: str, author: str):
        self._buffer = io.BytesIO()
        # Its sheets' XML go to temporary files (XlsxWriter removes them), the file to memory.
        self.workbook = xlsxwriter.Workbook(self._buffer)
        self.workbook.set_properties({"title": title, "author": author})
        self._formats = {}

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
    for row in recap_rows(queryset):
        bilans.add(row)
        cells = [column_cell(column, getattr(row, column.key)) for column in columns]
        if row.non_publiee:
            for index in tinted:
                cells[index] = Text(cells[index].value, fill=UNPUBLISHED_FILL)
        fiches_ws.append(cells)
        for participation in row.participations:
            structures_ws.append(
                [
                    participation.structure.nom,
                    participation.get_role_display(),
                    participation.precision or None,
                    row.titre,
                ]
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
    letter = xlsxwriter.utility.xl_col_to_name(budget_column)
    total_row[budget_column] = Formula(
        f"SUBTOTAL(109,{letter}2:{letter}{last_row})",
        budget,
        number_format=EUROS if isinstance(budget, int) else EUROS_CENTS,
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
    # The longest sheet (six lines a fiche or so): written cell by cell without the cell
    # objects of `append`, each text cleaned once (a title or a financer comes back often).
    write_string, write_number = ws.ws.write_string, ws.ws.write_number
    euros_format = ws.book.format(("number", False, EUROS))
    cents_format = ws.book.format(("number", False, EUROS_CENTS))
    texts = {label: label for label in NATURE_LABELS.values()}
    texts.update((code, nature_label(code)) for code in NATURE_LABELS)

    def text(value: str) -> str:
        if value not in texts:
            texts[value] = xlsx_text(value)
        return texts[value]

    row = ws.row
    for _slug, titre, _f, financeur, annee, nature, *amounts, _d, _r, _n in line_values(queryset):
        write_string(row, 0, text(titre))
        write_string(row, 1, text(financeur))
        write_number(row, 2, annee)
        write_string(row, 3, text(nature))
        for column, amount in enumerate(amounts, 4):
            if amount is not None:
                value = plain_amount(amount)
                number_format = euros_format if isinstance(value, int) else cents_format
                write_number(row, column, value, number_format)
        row += 1
    ws.row = row
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
