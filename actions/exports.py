"""The recap as an XLSX workbook, and the fiches as CSV and JSON open data."""

import csv
import io
import json
import textwrap
from collections.abc import Iterable, Iterator
from copy import copy

import tablib
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from contrat.current import current_contrat
from contrat.spreadsheets import CSV, _is_blank, as_text, safe_cell, xlsx_text
from enjeux.models import Contrat

from .choices import NatureFinancement
from .plan import MEASURES, Matrix, financing_matrix, lines_of
from .recap import (
    CHUNK_SIZE,
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
from .resources import FicheActionResource, plain_amount, with_export_relations

# --- the recap workbook ---------------------------------------------------------------------

WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
# An unpublished fiche's title and state (included at an editor's request), as the PDF tints it.
UNPUBLISHED_FILL = PatternFill("solid", fgColor="FFF4D6")


class Cells:
    """Styled write-only cells for one sheet. openpyxl hashes every style object assigned to a
    cell (half the time of a 10,000-fiche workbook): each style is registered once here, on a
    prototype cell, and its style array copied onto the next cells."""

    def __init__(self, ws):
        self.ws = ws
        self._styles = {}
        self.formulas = {}  # formula text -> its value, to cache in the file

    def _make(self, value, key, **styles):
        if key not in self._styles:
            prototype = WriteOnlyCell(self.ws)
            for name, style in styles.items():
                setattr(prototype, name, style)
            self._styles[key] = prototype._style
        cell = WriteOnlyCell(self.ws, value=value)
        cell._style = copy(self._styles[key])
        return cell

    def text(self, value, bold=False, fill=None):
        styles = {"alignment": WRAP, **({"font": BOLD} if bold else {})}
        if fill is not None:
            styles["fill"] = fill
        key = ("text", bold, fill.fgColor.rgb if fill is not None else None)
        return as_text(self._make(xlsx_text(value) if value else None, key, **styles))

    def plain_text(self, value):
        """A short text without style (its cost): a bare string unless openpyxl would take it
        for a formula."""
        value = xlsx_text(value)
        if isinstance(value, str) and value.startswith("="):
            return as_text(WriteOnlyCell(self.ws, value=value))
        return value

    def euros(self, value, bold=False):
        value = plain_amount(value)
        number_format = EUROS if isinstance(value, int) else EUROS_CENTS
        styles = {"alignment": TOP, "number_format": number_format}
        if bold:
            styles["font"] = BOLD
        return self._make(value, ("euros", number_format, bold), **styles)

    def number(self, value, bold=False, number_format="General"):
        styles = {"alignment": TOP, "number_format": number_format}
        if bold:
            styles["font"] = BOLD
        return self._make(value, ("number", number_format, bold), **styles)

    def subtotal(self, function: int, column: int, last_row: int, cached, number_format):
        """`SUBTOTAL(function, <column>2:<column><last_row>)`, bold: it follows the sheet's
        autofilter. Its value, `cached`, is written in the file by `CachedFormulas`."""
        letter = _letter(column)
        formula = f"SUBTOTAL({function},{letter}2:{letter}{last_row})"
        cell = self._make(
            f"={formula}",
            ("subtotal", number_format),
            alignment=TOP,
            number_format=number_format,
            font=BOLD,
        )
        self.formulas[formula] = cached
        return cell

    def column(self, column, value):
        """`value` as the recap's `column` shows it (its number format, or wrapped text)."""
        if column.xlsx_format is None:
            return self.text(value)
        if column.xlsx_format == EUROS:
            return self.euros(value)
        return self.number(value, number_format=column.xlsx_format)


def cache_formula_values(ws, values: dict) -> None:
    """Write each formula's value next to it in the sheet's XML (`<f>…</f><v>value</v>`).

    openpyxl computes no formula and writes `<v></v>` after each: a viewer that does not
    recompute (a previewer, a phone, pandas, openpyxl's data_only) would show nothing. The
    write-only sheet is closed here, its XML complete in its temporary file, whose tail holds
    the total row: only that tail is read and rewritten, whatever the sheet's size. Relies on
    openpyxl 3.1's write-only sheet (`_writer.out`); tests/actions/test_exports.py reads the
    cached values back."""
    ws.close()
    path = ws._writer.out
    with open(path, "r+b") as sheet:
        sheet.seek(0, 2)
        start = max(0, sheet.tell() - 65536)
        sheet.seek(start)
        tail = sheet.read()
        for formula, value in values.items():
            cached = str(value if value is not None else 0).encode()
            element = f"<f>{formula}</f>".encode()
            for empty in (b"<v></v>", b"<v/>", b"<v />"):
                tail = tail.replace(element + empty, element + b"<v>" + cached + b"</v>")
            if element + b"<v>" + cached + b"</v>" not in tail:
                raise ValueError(f"Formula {formula} not found at the end of the sheet")
        sheet.seek(start)
        sheet.write(tail)
        sheet.truncate()


def print_setup(ws, *, title_rows: str = "1:1") -> None:
    """Printed on A4 landscape, as wide as the page, the header rows repeated on each page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows


def _header(ws, columns):
    for index, (_title, width) in enumerate(columns, 1):
        ws.column_dimensions[_letter(index)].width = width
    # Write-only sheets write their view (the frozen row) with the first row: set it before.
    ws.freeze_panes = "A2"
    cells = []
    for title, _width in columns:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
        cells.append(cell)
    ws.append(cells)


def _letter(index: int) -> str:
    return get_column_letter(index)


def build_recap_xlsx(
    queryset,
    *,
    filters: Iterable[str] = (),
    contrat: Contrat | None = None,
    now=None,
    with_unpublished: bool = False,
) -> bytes:
    """The recap workbook: 'Fiches actions', 'Par enjeu', 'Structures', 'Informations'.

    `with_unpublished`: the queryset may hold drafts and fiches in review (an editor asked for
    them): an 'État de publication' column follows the title, an unpublished fiche's title and
    state are tinted, and the total row and 'Informations' say how many there are."""
    contrat = contrat or current_contrat()
    wb = Workbook(write_only=True)
    wb.properties.title = RECAP_TITLE
    wb.properties.creator = str(contrat) if contrat else "Contrat de territoire"
    wb.properties.language = "fr-FR"
    fiches_ws = wb.create_sheet("Fiches actions")
    enjeux_ws = wb.create_sheet("Par enjeu")
    lignes_ws = wb.create_sheet("Financements")
    matrix_ws = wb.create_sheet("Financeurs × années")
    structures_ws = wb.create_sheet("Structures")
    info_ws = wb.create_sheet("Informations")
    fiche_cells, enjeu_cells, info_cells = Cells(fiches_ws), Cells(enjeux_ws), Cells(info_ws)
    structure_cells = Cells(structures_ws)

    columns = recap_columns(etat=with_unpublished)
    keys = [column.key for column in columns]
    print_setup(fiches_ws)  # before the first row: a write-only sheet writes its properties then
    _header(fiches_ws, [(column.label, column.xlsx_width) for column in columns])
    _header(structures_ws, [("Structure", 45), ("Rôle", 14), ("Précision", 30), ("Fiche", 60)])

    bilans = RecapBilans()
    structure_rows = 0
    for row in recap_rows(queryset):
        bilans.add(row)
        cells = [fiche_cells.column(column, getattr(row, column.key)) for column in columns]
        if row.non_publiee:
            for key in ("titre", "etat_libelle"):
                if key in keys:
                    value = getattr(row, key)
                    cells[keys.index(key)] = fiche_cells.text(value, fill=UNPUBLISHED_FILL)
        fiches_ws.append(cells)
        titre = structure_cells.plain_text(row.titre)
        for participation in row.participations:
            # Short texts, one line each: plain cells, without the cost of a style.
            structure_rows += 1
            structures_ws.append(
                [
                    structure_cells.plain_text(participation.structure.nom),
                    participation.get_role_display(),
                    structure_cells.plain_text(participation.precision) or None,
                    titre,
                ]
            )

    total = bilans.total
    note = unpublished_note(bilans.non_publiees)
    last_row = total.nombre + 1
    fiches_ws.auto_filter.ref = f"A1:{_letter(len(columns))}{last_row}"
    # Under the titles and the budget totals, what the autofilter shows: SUBTOTAL counts and
    # sums the visible rows only (103: non-empty cells, 109: sum). Under the descriptif, what
    # the whole sheet holds.
    total_row = [None] * (keys.index("budget_total") + 1)
    total_row[0] = fiche_cells.text("Total des fiches affichées", bold=True)
    total_row[keys.index("statut_libelle")] = fiche_cells.subtotal(
        103, 1, last_row, total.nombre, '0 "fiche(s)"'
    )
    total_row[keys.index("descriptif")] = fiche_cells.text(
        f"Sans filtre : {total.nombre} fiches, dont {total.sans_budget} sans budget chiffré "
        "(non comptées dans le total)" + (f". {note}" if note else ""),
        bold=True,
    )
    budget_column = keys.index("budget_total")
    budget = plain_amount(total.budget)
    total_row[budget_column] = fiche_cells.subtotal(
        109,
        budget_column + 1,
        last_row,
        budget,
        EUROS if isinstance(budget, int) else EUROS_CENTS,
    )
    fiches_ws.append(total_row)
    cache_formula_values(fiches_ws, fiche_cells.formulas)
    structures_ws.auto_filter.ref = f"A1:D{structure_rows + 1}"

    _header(
        enjeux_ws,
        [("Enjeu", 60), ("Fiches", 10), ("dont sans budget", 16), ("Budget total (€)", 18)],
    )
    for label, bilan in bilans.subtotals():
        enjeux_ws.append(
            [
                enjeu_cells.text(label),
                enjeu_cells.number(bilan.nombre),
                enjeu_cells.number(bilan.sans_budget),
                enjeu_cells.euros(bilan.budget),
            ]
        )
    enjeux_ws.append(
        [
            enjeu_cells.text("Ensemble des fiches (sans double compte)", bold=True),
            enjeu_cells.number(total.nombre, bold=True),
            enjeu_cells.number(total.sans_budget, bold=True),
            enjeu_cells.euros(total.budget, bold=True),
        ]
    )
    enjeux_ws.append([])
    enjeux_ws.append([enjeu_cells.text(MULTI_ENJEU_NOTE)])
    enjeux_ws.append([enjeu_cells.text(SANS_BUDGET_NOTE)])

    _financing_lines_sheet(lignes_ws, queryset)
    _matrix_sheet(matrix_ws, financing_matrix(queryset))

    info_ws.column_dimensions["A"].width = 24
    info_ws.column_dimensions["B"].width = 90
    filters = list(filters)
    informations = [
        ("Contrat", str(contrat) if contrat else ""),
        ("Document", RECAP_TITLE),
        ("Généré le", generated_label(now)),
        ("Filtres appliqués", "\n".join(filters) if filters else "Aucun : toutes les fiches"),
        ("Fiches", total.nombre),
    ]
    if note:
        informations.append(
            (
                "Fiches non publiées",
                f"{note} Colonne « État de publication » de la feuille « Fiches actions ». "
                "Document de travail : ce n'est pas le récapitulatif publié.",
            )
        )
    for label, value in informations:
        info_ws.append([info_cells.text(label, bold=True), info_cells.text(value)])

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- the financing plan's sheets ------------------------------------------------------------

PERCENT = "0.0 %"
FINANCEMENT_LINE_VALUES = (
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


def financing_lines(queryset):
    """The financing lines of the fiches, as value tuples (FINANCEMENT_LINE_VALUES), in recap
    order, then year, financer, nature."""
    return (
        lines_of(queryset)
        .order_by("fiche__ordre", "fiche", "annee", "financeur__nom", "nature", "pk")
        .values_list(*FINANCEMENT_LINE_VALUES)
        .iterator(chunk_size=CHUNK_SIZE)
    )


def _nature_label(code: str) -> str:
    return NatureFinancement(code).label if code in NatureFinancement.values else code


def _financing_lines_sheet(ws, queryset) -> None:
    """'Financements': one row per line, amounts as numbers in euros."""
    cells = Cells(ws)
    columns = [
        ("Fiche", 50),
        ("Financeur", 40),
        ("Année", 8),
        ("Nature", 16),
        ("Prévu (€)", 14),
        ("Accordé (€)", 14),
        ("Versé (€)", 14),
    ]
    _header(ws, columns)
    count = 0
    for (
        _slug,
        titre,
        _f,
        financeur,
        annee,
        nature,
        prevu,
        accorde,
        verse,
        *_rest,
    ) in financing_lines(queryset):
        count += 1
        ws.append(
            [
                cells.text(titre),
                cells.text(financeur),
                cells.number(annee),
                cells.text(_nature_label(nature)),
                cells.euros(prevu),
                cells.euros(accorde) if accorde is not None else None,
                cells.euros(verse),
            ]
        )
    ws.auto_filter.ref = f"A1:{_letter(len(columns))}{count + 1}"


def _matrix_sheet(ws, matrix: Matrix) -> None:
    """'Financeurs × années': a block per measure (planned, granted, paid), financers in rows,
    years in columns, with each row's total and share and each year's total."""
    cells = Cells(ws)
    ws.column_dimensions["A"].width = 45
    for index in range(2, len(matrix.years) + 4):
        ws.column_dimensions[_letter(index)].width = 14
    if not matrix.structures:
        ws.append([cells.text("Aucune ligne de financement pour ces fiches.")])
        return
    for key, _label, _caption in MEASURES:
        table = matrix.table(key)
        ws.append([cells.text(table.caption, bold=True)])
        header = ["Financeur", *map(str, table.years), "Total", "Part"]
        ws.append([cells.text(title, bold=True) for title in header])
        for row in table.rows:
            ws.append(
                [
                    cells.text(row.structure.nom),
                    *(cells.euros(v) if v is not None else None for v in row.cells),
                    cells.euros(row.total, bold=True),
                    cells.number(
                        float(row.total / table.total) if table.total else None,
                        number_format=PERCENT,
                    ),
                ]
            )
        ws.append(
            [
                cells.text("Total", bold=True),
                *(cells.euros(v, bold=True) for v in table.year_totals),
                cells.euros(table.total, bold=True),
                cells.number(1 if table.total else None, bold=True, number_format=PERCENT),
            ]
        )
        ws.append([])


def _french_number(amount) -> str:
    """12000.00 -> '12000', 1000.50 -> '1000,5': numbers as the other CSV writes them."""
    value = plain_amount(amount)
    return "" if value is None else str(value).replace(".", ",")


FINANCEMENTS_CSV_HEADERS = (
    "fiche",
    "fiche_titre",
    "financeur",
    "financeur_nom",
    "annee",
    "nature",
    "prevu",
    "accorde",
    "verse",
    "date_decision",
    "reference_decision",
    "note",
)


def build_financements_csv(queryset) -> bytes:
    """Every financing line of the fiches: UTF-8 with a BOM and `;`, formulas neutralised,
    like actions.csv (docs/open-data.md)."""
    dataset = tablib.Dataset(headers=list(FINANCEMENTS_CSV_HEADERS))
    for (
        slug,
        titre,
        f_slug,
        f_nom,
        annee,
        nature,
        prevu,
        accorde,
        verse,
        date,
        ref,
        note,
    ) in financing_lines(queryset):
        dataset.append(
            [
                slug,
                titre,
                f_slug,
                f_nom,
                annee,
                nature,
                _french_number(prevu),
                _french_number(accorde),
                _french_number(verse),
                date.isoformat() if date else "",
                ref,
                note,
            ]
        )
    return CSV().export_data(dataset).encode("utf-8")


# --- open data: CSV and JSON, streamed ------------------------------------------------------

# Rows written between two pieces of the streamed response: small pieces, flat memory.
STREAM_ROWS = 100


def _export_fiches(queryset):
    """The fiches with what the exports read, CHUNK_SIZE at a time (prefetches included)."""
    return with_export_relations(queryset).iterator(chunk_size=CHUNK_SIZE)


def stream_actions_csv(queryset) -> Iterator[bytes]:
    """One row per fiche, the resource's columns; UTF-8 with a BOM and `;` for French Excel,
    formulas neutralised: the pieces of the file, a few rows each, as the fiches are read."""
    resource = FicheActionResource()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")
    writer.writerow(resource.get_export_headers())
    for count, fiche in enumerate(_export_fiches(queryset), 1):
        row = [safe_cell(value) for value in resource.export_resource(fiche)]
        if any(not _is_blank(value) for value in row):
            writer.writerow(row)
        if count % STREAM_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def build_actions_csv(queryset) -> bytes:
    return b"".join(stream_actions_csv(queryset))


def _nested(fiche) -> dict:
    return {
        "orientations": [
            {
                "code": orientation.code,
                "titre": orientation.titre,
                "enjeu": orientation.enjeu.numero if orientation.enjeu_id else None,
            }
            for orientation in fiche.orientations.all()
        ],
        "enjeux": [{"numero": e.numero, "titre": e.titre} for e in fiche.enjeux.all()],
        "lignes_budget": [
            {
                "montant": plain_amount(ligne.montant),
                "periodicite": ligne.periodicite,
                "nombre_annees": ligne.nombre_annees,
                "total": plain_amount(ligne.total),
                "libelle": ligne.libelle,
                "nature": ligne.nature,
                "financeur": ligne.financeur.slug if ligne.financeur_id else None,
                "note": ligne.note,
            }
            for ligne in fiche.lignes_budget.all()
        ],
        "structures": [
            {
                "slug": participation.structure.slug,
                "nom": participation.structure.nom,
                "sigle": participation.structure.sigle,
                "role": participation.role,
                "role_libelle": participation.get_role_display(),
                "precision": participation.precision,
            }
            for participation in fiche.participations.all()
        ],
    }


def _json_item(resource, fields, names, fiche) -> dict:
    values = [resource.export_field(f, fiche, force_native_type=True) for f in fields]
    item = dict(zip(names, values, strict=True))
    item["statut"] = fiche.statut
    item["statut_libelle"] = fiche.get_statut_display()
    item["etat"] = fiche.etat
    item["etat_libelle"] = fiche.get_etat_display()
    item.update(_nested(fiche))
    return item


def stream_actions_json(queryset) -> Iterator[bytes]:
    """A list of fiches: the CSV's columns, with structures, orientations, enjeux and budget
    lines as nested lists instead of lines of text. Streamed as the array's items are read,
    the same bytes as `json.dumps(items, indent=2)` of the whole list."""
    resource = FicheActionResource()
    fields = resource.get_export_fields()
    names = [f.column_name for f in fields]
    pieces, first = [], True
    for count, fiche in enumerate(_export_fiches(queryset), 1):
        text = json.dumps(_json_item(resource, fields, names, fiche), ensure_ascii=False, indent=2)
        pieces.append(("[\n" if first else ",\n") + textwrap.indent(text, "  "))
        first = False
        if count % STREAM_ROWS == 0:
            yield "".join(pieces).encode("utf-8")
            pieces = []
    pieces.append("[]" if first else "\n]")
    yield "".join(pieces).encode("utf-8")


def build_actions_json(queryset) -> bytes:
    return b"".join(stream_actions_json(queryset))
