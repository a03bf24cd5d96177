"""Imports into a ModelResource: all or nothing, each row compared with the database (an unchanged
one is skipped, nothing written), the preview's old → new values per column, summary, warnings."""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format
from import_export.results import Result, RowResult

from contrat import spreadsheets
from contrat.dataversion import data_version_bump
from contrat.spreadsheets import _is_blank, normalise_header, too_many_rows_message

NEW, UPDATE, SKIP = (
    RowResult.IMPORT_TYPE_NEW,
    RowResult.IMPORT_TYPE_UPDATE,
    RowResult.IMPORT_TYPE_SKIP,
)
_NUMBER_NOISE = re.compile(r"[\s\u00a0\u202f€]+")


def counted(number: int, singular: str, plural: str) -> str:
    """2 -> '2 modifiées', 1 -> '1 modifiée', 0 -> '0 modifiée' (French: below 2, singular)."""
    return f"{number} {singular if number < 2 else plural}"


def read_number(value) -> Decimal | None:
    """A number as a spreadsheet holds it (20000, '20 000 €', '12000,5'); None if unreadable."""
    if value is None or isinstance(value, bool):
        return None
    text = _NUMBER_NOISE.sub("", str(value)).replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def shown_number(value) -> str:
    """20000 -> '20 000', 12.5 -> '12,5': a number as the preview shows it."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    return number_format(value, use_l10n=True, force_grouping=True)


@dataclass
class Change:
    """One column of one row as the preview shows it: its label, old value, new value."""

    label: str
    old: str
    new: str


class ChangesResult(Result):
    """An import's result with what its preview opens with: a summary line, the rows that
    change (each with its columns' old → new values) and the warnings."""

    def count(self, import_type: str) -> int:
        return self.totals.get(import_type, 0)

    def summary(self, errors: bool = True) -> str:
        """'1 modifiée, 28 inchangées, 0 nouvelle, 0 erreur'."""
        parts = [
            counted(self.count(UPDATE), "modifiée", "modifiées"),
            counted(self.count(SKIP), "inchangée", "inchangées"),
            counted(self.count(NEW), "nouvelle", "nouvelles"),
        ]
        if errors:
            found = self.count(RowResult.IMPORT_TYPE_ERROR) + len(self.invalid_rows)
            parts.append(counted(found + len(self.base_errors), "erreur", "erreurs"))
        return ", ".join(parts)

    def changed_rows(self) -> list:
        return [row for row in self.rows if row.import_type in (NEW, UPDATE)]

    def warned_rows(self) -> list:
        return [row for row in self.rows if getattr(row, "warnings", None)]


def _kept(queryset):
    """A queryset giving the rows `queryset` holds now, whatever later becomes of it."""
    if queryset._result_cache is None:
        return queryset
    kept = queryset.model._default_manager.none()
    kept._result_cache = list(queryset._result_cache)
    kept._prefetch_done = True
    return kept


class ValueDiff:
    """The library's Diff, at value level: for a new or updated row, [Change] of the columns
    whose shown value differs ('20 000' → '18 000', not a character-level diff). A skipped
    row is never rendered: the unchanged rows of a large file cost nothing to preview."""

    def __init__(self, resource, instance, new):
        self.original = None if new else instance
        self.changes = []
        # The library's copy of the row's object has its prefetched relations emptied (a
        # deepcopied QuerySet drops its cache): it would read them again, after the import
        # wrote them. Give it the rows the object was read with.
        read = getattr(resource, "_row_instance", None)
        if not new and read is not None:
            cache = read.__dict__.get("_prefetched_objects_cache", {})
            instance.__dict__["_prefetched_objects_cache"] = {
                name: _kept(queryset) for name, queryset in cache.items()
            }

    def compare_with(self, resource, instance):
        if instance is None or instance.__dict__.get("_import_skipped"):
            return
        for field in resource.preview_fields():
            old = "" if self.original is None else resource.shown_value(field, self.original)
            new = resource.shown_value(field, instance)
            if old != new:
                self.changes.append(Change(resource.column_label(field), old, new))

    def as_html(self):
        return self.changes


class ImportChangesMixin:
    """For a ModelResource (before RelatedRowsMixin, if any): rows identical to the database
    are skipped — no write, no version, no history; the preview lists the others, column by
    column; a computed column edited in the file is reported, not imported.

    The subclass may set `column_labels` ({column name: French label}, the admin's headers)."""

    column_labels: dict[str, str] = {}

    def preview_fields(self) -> list:
        saved_anyway = set(getattr(self, "fields_saved_on_update", ()))
        return [field for field in self.get_export_fields() if field.attribute not in saved_anyway]

    def column_label(self, field) -> str:
        return self.column_labels.get(field.column_name, field.column_name)

    def shown_value(self, field, instance) -> str:
        display = getattr(field.widget, "display", None)
        if display is not None:
            return display(field.get_value(instance))
        value = self.export_field(field, instance)
        return "" if value is None else str(value)

    def row_unchanged(self, instance, original) -> bool:
        """Whether importing the row would write nothing new: the model columns the file
        holds, and the related rows it describes (RelatedRowsMixin.related_unchanged)."""
        model_fields = self._meta.model._meta
        saved_anyway = set(getattr(self, "fields_saved_on_update", ()))
        for name in getattr(self, "_update_fields", None) or []:
            if name in saved_anyway:
                continue
            field = model_fields.get_field(name)
            before = field.to_python(getattr(original, field.attname))
            after = field.to_python(getattr(instance, field.attname))
            if before != after:
                return False
        related_unchanged = getattr(self, "related_unchanged", None)
        return related_unchanged is None or related_unchanged(instance)

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        self._row_instance = instance
        if kwargs.get("dry_run"):
            # What the export wrote in the computed columns: a file that still holds it was
            # not edited there, even when its other columns change that value.
            self._computed_before = {
                field.column_name: field.get_value(instance)
                for field in self.get_export_fields()
                if getattr(field, "computed", False) and field.column_name in row
            }

    def skip_row(self, instance, original, row, import_validation_errors=None):
        self._row_instance = instance
        if import_validation_errors or original is None or original.pk is None:
            return False
        if not self.row_unchanged(instance, original):
            return False
        instance.__dict__["_import_skipped"] = True
        return True

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        instance = getattr(self, "_row_instance", None)
        self._row_instance = None
        if (
            kwargs.get("dry_run")
            and instance is not None
            and row_result.import_type
            in (
                NEW,
                UPDATE,
                SKIP,
            )
        ):
            row_result.warnings = self.computed_warnings(row, instance)
            row_result.label = str(instance)
            row_result.line = kwargs.get("row_number", 0) + 1  # the header is line 1

    def computed_warnings(self, row, instance) -> list[str]:
        """'La colonne « Budget total » est calculée : …' for each computed column (an
        export-only number) whose value in the file is not the one the row will have."""
        warnings = []
        for field in self.get_export_fields():
            if not getattr(field, "computed", False) or field.column_name not in row:
                continue
            written = row[field.column_name]
            if written is None or str(written).strip() == "":
                continue
            computed = field.get_value(instance)
            before = getattr(self, "_computed_before", {}).get(field.column_name)
            if any(
                value is not None and read_number(written) == Decimal(str(value))
                for value in (computed, before)
            ):
                continue
            value = shown_number(read_number(written)) if read_number(written) is not None else ""
            warnings.append(
                f"La colonne « {self.column_label(field)} » est calculée : la valeur du fichier "
                f"({value or written}) est ignorée ; elle vaut {shown_number(computed) or '0'}."
            )
        return warnings


class LineNumberResult(ChangesResult):
    """Report errors with the spreadsheet's own line numbers (the header being line 1)."""

    def append_error_row(self, number, row, errors):
        super().append_error_row(number + 1, row, errors)

    def append_invalid_row(self, number, row, validation_error):
        super().append_invalid_row(number + 1, row, validation_error)


class _NoDiff:
    def __init__(self, *args, **kwargs):
        pass

    def compare_with(self, *args, **kwargs):
        pass

    def as_html(self):
        return []


class AtomicImportMixin(ImportChangesMixin):
    """For a ModelResource: one invalid row and nothing is written; wrong headers are refused;
    an existing row is updated in the columns of the file only, and not at all when the file
    holds what the database does (ImportChangesMixin).

    The subclass sets `required_columns`; every other column must be one of the resource's,
    by its name or its French label. `admin_file=True` (the admin's exports): headers are the
    labels, and the `admin_columns` (a version) are written too."""

    required_columns: tuple[str, ...] = ()
    # Model fields written with every update whatever the file holds (a version, a date).
    fields_saved_on_update: tuple[str, ...] = ()
    # Columns of the admin's files only, not of the open-data exports.
    admin_columns: tuple[str, ...] = ()

    def __init__(self, admin_file: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.admin_file = admin_file

    def get_export_fields(self, selected_fields=None):
        fields = super().get_export_fields(selected_fields)
        if self.admin_file:
            return fields
        return [field for field in fields if field.column_name not in self.admin_columns]

    def get_export_headers(self, selected_fields=None):
        fields = self.get_export_fields(selected_fields)
        if self.admin_file:
            return [self.column_label(field) for field in fields]
        return [field.column_name for field in fields]

    def column_names(self) -> dict[str, str]:
        """{header as read: column name}: each column by its name or its label."""
        names = {}
        for field in self.fields.values():
            names[normalise_header(field.column_name)] = field.column_name
            names[normalise_header(self.column_label(field))] = field.column_name
        return names

    def technical_headers(self, headers) -> list:
        names = self.column_names()
        return [names.get(normalise_header(h), h) if not _is_blank(h) else h for h in headers]

    @classmethod
    def get_result_class(cls):
        return LineNumberResult

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        if dataset.headers:
            dataset.headers = self.technical_headers(dataset.headers)
        problems = self.dataset_errors(dataset)
        if problems:  # refused whole, before any row is read
            result = self.get_result_class()()
            result.total_rows = len(dataset)
            self.handle_import_error(result, ValueError(" ".join(problems)), raise_errors)
            return result
        # django-import-export keeps the valid rows of a file with invalid ones unless told.
        kwargs["rollback_on_validation_errors"] = True
        self._showing_diff = dry_run
        self._update_fields = self.update_fields(dataset.headers or [])
        return super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        # Inside the import's transaction: one new data version at its commit, whatever the
        # rows (some written by bulk_create, which sends no signal); none for a file that
        # changes nothing, nor for a preview, whose transaction is rolled back with its bump
        # (django-import-export passes no `dry_run` to after_import).
        written = (NEW, UPDATE, RowResult.IMPORT_TYPE_DELETE)
        if any(result.totals.get(kind) for kind in written):
            data_version_bump()

    def update_fields(self, headers) -> list[str]:
        """The model fields an update writes: those whose column is in the file, and
        `fields_saved_on_update`. Relations (contacts, orientations…) are not model columns:
        RelatedRowsMixin rewrites them only when their column is in the file."""
        concrete = {field.name for field in self._meta.model._meta.concrete_fields}
        names = [
            field.attribute
            for field in self.get_import_fields()
            if not field.readonly and field.attribute in concrete and field.column_name in headers
        ]
        return names + [name for name in self.fields_saved_on_update if name not in names]

    def do_instance_save(self, instance, is_create):
        update_fields = getattr(self, "_update_fields", None)
        if is_create or update_fields is None:
            return super().do_instance_save(instance, is_create)
        # The instance is the copy read when the import started: a column the file does not
        # have may hold a value saved over since, which must not be written back.
        instance.save(update_fields=update_fields)
        return None

    def get_diff_class(self):
        # Only the preview (dry run) shows the changes; the confirmed import redirects, and
        # computing a diff it never shows would take half its time.
        return ValueDiff if getattr(self, "_showing_diff", True) else _NoDiff

    def get_user_visible_fields(self):
        return [field for field in super().get_user_visible_fields() if not field.readonly]

    def header_errors(self, headers) -> list[str]:
        """The reasons (in French) why a file with these column headers cannot be imported."""
        known = [field.column_name for field in self.fields.values()]
        present = [h for h in self.technical_headers(headers) if not _is_blank(h)]
        errors = []
        missing = [c for c in self.required_columns if c not in present]
        if missing:
            errors.append(
                "Colonnes obligatoires absentes : " + ", ".join(missing) + ". "
                "La première ligne du fichier doit porter les noms des colonnes, "
                "comme dans un export."
            )
        unknown = [h for h in present if h not in known]
        if unknown:
            errors.append(
                "Colonnes inconnues : " + ", ".join(str(h) for h in unknown) + ". "
                "Colonnes possibles : " + ", ".join(known) + "."
            )
        duplicates = sorted({h for h in present if present.count(h) > 1})
        if duplicates:
            errors.append("Colonnes en double : " + ", ".join(duplicates) + ".")
        return errors

    def dataset_errors(self, dataset) -> list[str]:
        errors = self.header_errors(dataset.headers or [])
        # Our formats refuse it while reading already.
        if len(dataset) > spreadsheets.IMPORT_MAX_ROWS:
            errors.append(too_many_rows_message())
        return errors
