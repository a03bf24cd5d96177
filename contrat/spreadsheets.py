"""Spreadsheet safety shared by every export and import: formula guard, formats, upload checks."""

import csv
import io
import zipfile
from collections.abc import Iterator

import openpyxl
import tablib
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst, slugify
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats
from import_export.forms import ImportForm, SelectableFieldsExportForm
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from tablib.formats import _xlsx as tablib_xlsx
from tablib.formats._xlsx import safe_xlsx_sheet_title

from contrat.formats import NBSP

# A cell starting with one of these is read as a formula (or DDE payload) by Excel/LibreOffice.
# django-import-export's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT (4.x) is left off: it only
# handles "=", deletes it (the text cannot be imported back), and turns every cell into a string
# (None becomes "None", amounts become text). Our formats below apply this guard instead.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The apostrophe is guarded too, so that the guard can be undone exactly on import
# (a text that really starts with "'=" survives an export/import round trip).
_GUARDED_STARTS = (*FORMULA_TRIGGERS, "'")

IMPORT_MAX_BYTES = getattr(settings, "IMPORT_MAX_UPLOAD_SIZE", 5 * 1024 * 1024)
# An .xlsx is a zip: refuse a small file that would inflate to gigabytes (a "zip bomb").
IMPORT_MAX_UNZIPPED_BYTES = 60 * 1024 * 1024
# What an import reads at most, counted while reading: a file past one limit is refused there,
# before the rest is read (a small file may declare, or hold, a million rows or columns).
# Rows of data (the header and blank rows aside): as many as a preview and a confirm, each one
# request, handle well inside gunicorn's 120 s timeout even on a loaded machine
# (docs/benchmarks.md, scripts/bench_imports.py).
IMPORT_MAX_ROWS = 1_000
IMPORT_MAX_COLUMNS = 60  # our widest file has 17
IMPORT_MAX_BLANK_ROWS = 1_000  # blank rows anywhere (a sheet formatted far below its table)
IMPORT_MAX_CELLS = (IMPORT_MAX_ROWS + 1) * IMPORT_MAX_COLUMNS  # blank cells included
EXCEL_MAX_COLUMNS = 16_384  # XFD


def neutralise_formula(value):
    """'=1+1' -> "'=1+1": the one guard used by every CSV and XLSX cell we write."""
    if isinstance(value, str) and value.startswith(_GUARDED_STARTS):
        return "'" + value
    return value


def restore_formula(value):
    """Undo `neutralise_formula` on a cell read back from one of our files (or a partner's)."""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] and value[1] in _GUARDED_STARTS:
        return value[1:]
    return value


def safe_cell(value):
    """A CSV cell: no control characters, no formula (the apostrophe guard)."""
    if isinstance(value, str):
        return neutralise_formula(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def xlsx_text(value):
    """A text cell's value for an XLSX, to write in a cell typed as text (`text_cell`): no
    spreadsheet evaluates one, so it needs no guard apostrophe, which a reader would see. Only a
    text that starts with an apostrophe and a guarded character gets one more, so that the
    import's `restore_formula` gives it back exactly."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value[:1] == "'" and value[1:2] and value[1] in _GUARDED_STARTS:
        return "'" + value
    return value


def as_text(cell):
    """The openpyxl `cell` typed as text whatever it holds: openpyxl types a string starting
    with "=" as a formula."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def normalise_header(header) -> str:
    """' Budget texte ' -> 'budget_texte': our column names, whatever the case and spacing."""
    if header is None:
        return ""
    return "_".join(str(header).split()).lower()


class SpreadsheetRefused(ValueError):
    """A file refused whole, before any row is imported; the message (in French) says why."""


def _count(number: int) -> str:
    """20000 -> '20 000' (a no-break space), for the messages."""
    return f"{number:,}".replace(",", NBSP)


def too_many_rows_message() -> str:
    return (
        f"Le fichier compte plus de {_count(IMPORT_MAX_ROWS)} lignes ; un import en accepte "
        f"{_count(IMPORT_MAX_ROWS)} au plus : découpez-le."
    )


class _ReadingBudget:
    """What a reader has read so far; SpreadsheetRefused at the first limit passed.

    Every row read counts, the blank ones too: openpyxl yields one for each row missing
    between two rows of the file, so a cell in row 1 048 576 would otherwise be a million."""

    def __init__(self):
        self.line = 0  # the sheet's line number of the row being read
        self.data_rows = self.blank_rows = self.cells = 0

    def count(self, values: list, read: int) -> list:
        """Count one row of `read` cells (blank ones included); returns its values up to the
        last one filled (nothing for a blank row)."""
        self.line += 1
        self.cells += read
        if self.cells > IMPORT_MAX_CELLS:
            raise SpreadsheetRefused(
                f"Le fichier compte plus de {_count(IMPORT_MAX_CELLS)} cellules (vides "
                f"comprises, à la ligne {_count(self.line)}) ; un import en accepte "
                f"{_count(IMPORT_MAX_CELLS)} au plus : supprimez les lignes et colonnes en trop, "
                "ou découpez le fichier."
            )
        width = len(values)
        while width and _is_blank(values[width - 1]):
            width -= 1
        if width > IMPORT_MAX_COLUMNS:
            column = f"{_count(width)}" + (
                f" ({get_column_letter(width)})" if width <= EXCEL_MAX_COLUMNS else ""
            )
            raise SpreadsheetRefused(
                f"La ligne {_count(self.line)} a une cellule remplie dans la colonne {column} ; "
                f"un import accepte {IMPORT_MAX_COLUMNS} colonnes au plus : supprimez les "
                "colonnes en trop."
            )
        if self.line == 1:  # the headers
            return values[:width]
        if not width:
            self.blank_rows += 1
            if self.blank_rows > IMPORT_MAX_BLANK_ROWS:
                raise SpreadsheetRefused(
                    f"Le fichier compte plus de {_count(IMPORT_MAX_BLANK_ROWS)} lignes vides "
                    f"(il va au moins jusqu'à la ligne {_count(self.line)}) ; un import en "
                    f"accepte {_count(IMPORT_MAX_BLANK_ROWS)} au plus : supprimez les lignes "
                    "vides ou mises en forme sous le tableau."
                )
            return []
        self.data_rows += 1
        if self.data_rows > IMPORT_MAX_ROWS:
            raise SpreadsheetRefused(too_many_rows_message())
        return values[:width]


def _dataset(headers: list, rows: list[list], filler):
    """A Dataset of these rows (blank ones left out) under the normalised headers, every row
    made as wide as the widest with `filler`, the formula guard undone."""
    width = max([len(headers), *(len(row) for row in rows)])
    dataset = tablib.Dataset(headers=[normalise_header(h) for h in headers])
    dataset.headers += [""] * (width - len(headers))
    for row in rows:
        if row:
            cells = [restore_formula(cell) for cell in row]
            dataset.append(cells + [filler] * (width - len(row)))
    return dataset


def _map_dataset(dataset, func):
    """A copy of a tablib Dataset with `func` applied to every cell, entirely blank rows dropped."""
    mapped = tablib.Dataset(headers=dataset.headers, title=dataset.title)
    for row in dataset:
        row = [func(cell) for cell in row]
        if not all(_is_blank(cell) for cell in row):
            mapped.append(row)
    return mapped


def _lines(text: str):
    """The lines of `text`, with their ends, one at a time: no copy of the whole text (as
    io.StringIO makes, four bytes a character), no list of a million lines."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end == -1 else end + 1
        yield text[start:end]
        start = end


class CSV(base_formats.CSV):
    """CSV as French Excel opens it: UTF-8 with a BOM, `;` separators; formulas neutralised.

    On import, `;`, `,` or tab separators are all recognised (the header line decides)."""

    def export_data(self, dataset, **kwargs):
        kwargs.setdefault("delimiter", ";")
        dataset = _map_dataset(dataset, safe_cell)
        return "\ufeff" + dataset.export("csv", **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode(self.encoding or "utf-8-sig")
        in_stream = in_stream.removeprefix("\ufeff")
        first_line = next(_lines(in_stream), "")
        kwargs.setdefault("delimiter", max(";,\t", key=first_line.count))
        # Read row by row within the limits, not into a whole dataset first (tablib's way).
        budget = _ReadingBudget()
        headers, rows = None, []
        for row in csv.reader(_lines(in_stream), **kwargs):
            values = budget.count(row, len(row))
            if headers is None:
                headers = values
            elif len(values) > len(headers):
                raise SpreadsheetRefused(
                    f"La ligne {_count(budget.line)} a plus de cellules remplies que la "
                    f"première ligne n'a de colonnes ({len(headers)}) : vérifiez que les "
                    "textes contenant le séparateur sont entre guillemets."
                )
            else:
                rows.append(values)
        return _dataset(headers or [], rows, filler="")


# The formula cells named in a refusal: the rest are summed up, the message stays readable.
FORMULA_CELLS_SHOWN = 10
# A formula cell while reading: not blank (it counts for the row's width), then read as None.
FORMULA = object()


def _formula_refusal(cells: list[str]) -> str:
    shown = ", ".join(cells[:FORMULA_CELLS_SHOWN])
    if len(cells) > FORMULA_CELLS_SHOWN:
        shown += f" et {len(cells) - FORMULA_CELLS_SHOWN} autres"
    if len(cells) == 1:
        return (
            f"La cellule {shown} contient une formule : saisissez du texte, "
            "ou préfixez-la d'une apostrophe. Rien n'a été importé."
        )
    return (
        f"Les cellules {shown} contiennent une formule : saisissez du texte, "
        "ou préfixez-les d'une apostrophe. Rien n'a été importé."
    )


class XLSX(base_formats.XLSX):
    """XLSX whose text cells are typed as text on export (never a formula, no apostrophe) and
    whose guard is restored on import (files exported before had one).

    A workbook holding a real formula cell is refused (SpreadsheetRefused), naming the cells:
    its computed value cannot be trusted (a file saved by a script has none, so it would be
    read as empty and the text lost without a word). Text typed with a leading apostrophe in
    Excel ("'=1+1") is not a formula and is imported as "=1+1"."""

    def export_data(self, dataset, **kwargs):
        # tablib's own sheet (bold header, frozen first row, wrapped lines, widths), then every
        # string cell typed as text: openpyxl made a formula of a text starting with "=".
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = safe_xlsx_sheet_title(dataset.title, "-") if dataset.title else "Export"
        xlsx_format = tablib_xlsx.XLSXFormat
        xlsx_format.dset_sheet(_map_dataset(dataset, xlsx_text), sheet)
        xlsx_format._adapt_column_width(sheet, "adaptive")
        for row in sheet.iter_rows():
            for cell in row:
                as_text(cell)
        stream = io.BytesIO()
        workbook.save(stream)
        return stream.getvalue()

    def create_dataset(self, in_stream):
        # Not data_only: a formula cell must be seen as one, not as its (maybe missing) value.
        workbook = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=False)
        try:
            sheet = workbook.active
            # Read-only openpyxl pads every row to the width the file declares (A1:XFD1048576
            # takes a 1.6 KB file to gigabytes): each row is read as wide as its own cells.
            sheet.reset_dimensions()
            budget = _ReadingBudget()
            formulas = []
            headers, rows = None, []
            for cells in sheet.rows:
                values = []
                for index, cell in enumerate(cells):
                    if cell.data_type == "f":
                        if headers is None:
                            formulas.append(f"{cell.coordinate} (en-tête)")
                        else:
                            header = headers[index] if index < len(headers) else None
                            label = " ".join(str(header).split()) if header is not None else ""
                            formulas.append(
                                f"{cell.coordinate} ({label})" if label else cell.coordinate
                            )
                        values.append(FORMULA)
                    else:
                        values.append(cell.value)
                values = budget.count(values, len(cells))
                values = [None if value is FORMULA else value for value in values]
                if headers is None:
                    headers = values
                else:
                    rows.append(values)
        finally:
            workbook.close()
        if formulas:
            raise SpreadsheetRefused(_formula_refusal(formulas))
        return _dataset(headers or [], rows, filler=None)


IMPORT_FORMATS = [CSV, XLSX]


class SpreadsheetImportForm(ImportForm):
    """The admin's import form, refusing a bad upload before any row is looked at."""

    def __init__(self, formats, resources, request=None, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.request = request  # to say so when the file is not in the chosen format
        self._formats = formats
        self._resources = resources
        self.fields["import_file"].help_text = (
            f"Un classeur .xlsx ou un fichier .csv de {filesizeformat(IMPORT_MAX_BYTES)} et "
            f"{_count(IMPORT_MAX_ROWS)} lignes au plus, dont la première ligne porte les noms "
            "des colonnes (partez d'un export)."
        )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("import_file")
        if upload is None or self.errors:
            return cleaned
        if upload.size == 0:
            raise forms.ValidationError({"import_file": "Le fichier est vide."})
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                {
                    "import_file": f"Le fichier pèse {filesizeformat(upload.size)} ; "
                    f"la limite est de {filesizeformat(IMPORT_MAX_BYTES)}."
                }
            )
        try:
            file_format = self._formats[int(cleaned.get("format") or 0)]()
        except (ValueError, IndexError):
            raise forms.ValidationError({"format": "Choisissez un format : CSV ou XLSX."}) from None
        data = b"".join(upload.chunks())
        upload.seek(0)
        guessed = self._guess_format(data)
        if guessed is not None and type(file_format) is not self._formats[guessed]:
            # The file says what it is: an .xlsx sent as CSV (or the reverse) is read as such,
            # and so is it by the preview and the confirmation (both read this choice).
            cleaned["format"] = str(guessed)
            chosen, file_format = file_format, self._formats[guessed]()
            if self.request is not None:
                messages.info(
                    self.request,
                    f"Le fichier « {upload.name} » est au format {file_format.get_title().upper()} "
                    f"et non {chosen.get_title().upper()} comme indiqué : il a été lu comme tel.",
                )
        dataset = self._read(file_format, data)
        if not dataset.headers or all(_is_blank(h) for h in dataset.headers):
            raise forms.ValidationError(
                {"import_file": "Le fichier ne contient aucune ligne d'en-têtes : rien à importer."}
            )
        if len(dataset) == 0:
            raise forms.ValidationError(
                {"import_file": "Le fichier ne contient aucune ligne de données : rien à importer."}
            )
        try:
            resource_class = self._resources[int(cleaned.get("resource") or 0)]
        except (ValueError, IndexError):
            resource_class = self._resources[0]
        errors = resource_class().header_errors(dataset.headers)
        if errors:
            raise forms.ValidationError({"import_file": errors})
        return cleaned

    def _guess_format(self, data: bytes) -> int | None:
        """The index of the format the file is in: a zip is a workbook (XLSX), text in UTF-8
        is CSV; None when it is neither (the chosen format's reader then says why)."""
        wanted = XLSX if data.startswith(b"PK\x03\x04") else CSV
        if wanted is CSV:
            try:
                data[:4096].decode("utf-8")
            except UnicodeDecodeError as error:
                if error.start < 4090:  # not a character cut at the end of the sample
                    return None
        for index, file_format in enumerate(self._formats):
            if issubclass(file_format, wanted):
                return index
        return None

    def _read(self, file_format, data: bytes):
        label = file_format.get_title().upper()
        if label == "XLSX":
            self._check_zip(data)
        try:
            if file_format.is_binary():
                dataset = file_format.create_dataset(data)
            else:
                dataset = file_format.create_dataset(data.decode("utf-8-sig"))
        except SpreadsheetRefused as refusal:
            raise forms.ValidationError({"import_file": str(refusal)}) from None
        except UnicodeDecodeError:
            raise forms.ValidationError(
                {
                    "import_file": "Ce fichier n'est pas un CSV en UTF-8. Depuis Excel, "
                    "enregistrez-le au format « CSV UTF-8 (délimité par des virgules) »."
                }
            ) from None
        except Exception:  # whatever tablib/openpyxl/csv raise on a file that is not theirs
            raise forms.ValidationError(
                {
                    "import_file": f"Ce fichier n'a pas pu être lu comme un fichier {label}. "
                    "Vérifiez qu'il s'agit bien d'un tableur et que le format choisi "
                    "correspond."
                }
            ) from None
        return dataset

    @staticmethod
    def _check_zip(data: bytes):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                unzipped = sum(info.file_size for info in archive.infolist())
        except zipfile.BadZipFile:
            raise forms.ValidationError(
                {
                    "import_file": "Ce fichier n'est pas un classeur Excel (.xlsx). "
                    "Choisissez le format CSV s'il s'agit d'un fichier texte."
                }
            ) from None
        if unzipped > IMPORT_MAX_UNZIPPED_BYTES:
            raise forms.ValidationError(
                {"import_file": "Ce classeur est trop volumineux une fois décompressé."}
            )


# The problems a refused import's message names: the rest are counted.
PROBLEMS_SHOWN = 5


def result_problems(result) -> list[str]:
    """'Ligne 3 : …', 'Ligne 4, colonne titre : …': what stopped an import, in French."""
    found = [str(error.error) for error in result.base_errors]
    for number, errors in result.row_errors():
        found += [f"Ligne {number} : {error.error}" for error in errors]
    for row in result.invalid_rows:
        for column, errors in row.error_dict.items():
            where = f"Ligne {row.number}"
            if column != NON_FIELD_ERRORS:
                where += f", colonne {column}"
            found += [f"{where} : {error}" for error in errors]
    if len(found) > PROBLEMS_SHOWN:
        found[PROBLEMS_SHOWN:] = [f"Et {len(found) - PROBLEMS_SHOWN} autres problèmes."]
    return found


class LabelledExportForm(SelectableFieldsExportForm):
    """The export form, each column to tick named by its French label ("Nombre d'années")."""

    def _get_field_label(self, resource, field_name: str) -> str:
        field = resource.fields.get(field_name)
        if field is None:
            return super()._get_field_label(resource, field_name)
        return getattr(resource, "column_labels", {}).get(field.column_name, field.column_name)


class SpreadsheetAdmin(ImportExportModelAdmin):
    """A ModelAdmin with import (preview, then confirm) and export in CSV and XLSX: the files
    are named and their columns labelled in French, and carry the admin's columns (a version:
    AtomicImportMixin in contrat/imports.py)."""

    formats = IMPORT_FORMATS
    import_form_class = SpreadsheetImportForm
    export_form_class = LabelledExportForm

    def get_import_form_kwargs(self, request):
        return {**super().get_import_form_kwargs(request), "request": request}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "admin_file": True}

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "admin_file": True}

    def get_export_filename(self, request, queryset, file_format):
        """'fiches-actions-2026-03-01.xlsx'."""
        name = slugify(self.model._meta.verbose_name_plural)
        return f"{name}-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"

    def add_success_message(self, result, request):
        messages.success(request, f"Import terminé : {result.summary(errors=False)}.")

    def get_export_data(self, file_format, request, queryset, **kwargs):
        # django-import-export keeps numbers native only for its own XLSX class (an exact type
        # check): ours subclasses it, so say it here, or amounts would be written as text.
        if not self.has_export_permission(request):
            raise PermissionDenied
        data = self.get_data_for_export(
            request, queryset, force_native_type=file_format.is_binary(), **kwargs
        )
        data.title = capfirst(self.model._meta.verbose_name_plural)[:31]  # the XLSX sheet
        export_data = file_format.export_data(data)
        encoding = kwargs.get("encoding")
        if not file_format.is_binary() and encoding:
            export_data = export_data.encode(encoding)
        return export_data

    def process_result(self, result, request):
        # The preview was clean, but the data may have changed before the confirmation, or
        # during it (a fiche saved by someone else meanwhile).
        if result.has_errors() or result.has_validation_errors():
            messages.error(
                request,
                " ".join(
                    [
                        "L'import a été annulé, rien n'a été enregistré : le fichier ne passe "
                        "plus la validation (les données ont changé depuis l'aperçu ou pendant "
                        "l'import). Relancez l'import.",
                        *result_problems(result),
                    ]
                ),
            )
            info = self.model._meta.app_label, self.model._meta.model_name
            return HttpResponseRedirect(reverse("admin:{}_{}_import".format(*info)))
        return super().process_result(result, request)


def csv_pieces(rows, *, every: int, prefix: str = "", **dialect) -> Iterator[bytes]:
    """`rows` written by csv.writer (with its `dialect` options) in UTF-8, as pieces of `every`
    rows, as they are read: a streamed download's memory stays flat. `prefix` starts the file
    (a BOM)."""
    buffer = io.StringIO()
    buffer.write(prefix)
    writer = csv.writer(buffer, **dialect)
    for count, row in enumerate(rows, 1):
        writer.writerow(row)
        if count % every == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
