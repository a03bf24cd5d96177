"""Import/export of financing lines, one row per fiche, financer, year and nature: the admin's
CSV and XLSX columns in one place.

A module of its own rather than a class in resources.py: the fiche's resource file is near its
600 lines, and this one has its own row key (fiche + financer + year + nature) and checks."""

import datetime
import re
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from import_export import fields, resources, widgets
from import_export.instance_loaders import BaseInstanceLoader

from contrat.imports import AtomicImportMixin
from structures.resources import ChoiceWidget

from . import services
from .cells import NumberWidget, StructureResolver, parse_amount
from .choices import NatureFinancement
from .models import FicheAction, LigneFinancement

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class FicheWidget(widgets.Widget):
    """A fiche by its slug (as in the fiches' export); a file's fiches read in one query."""

    def __init__(self):
        super().__init__(coerce_to_string=True)
        self.by_slug: dict[str, FicheAction] = {}

    def preload(self, slugs) -> None:
        wanted = {str(slug).strip() for slug in slugs if not _blank(slug)}
        fiches = FicheAction.objects.select_related("contrat").filter(slug__in=wanted)
        self.by_slug.update({fiche.slug: fiche for fiche in fiches})

    def clean(self, value, row=None, **kwargs):
        if _blank(value):
            raise ValueError("Indiquez la fiche par son slug (celui de l'export des fiches).")
        slug = str(value).strip()
        if slug not in self.by_slug:
            self.preload([slug])
        try:
            return self.by_slug[slug]
        except KeyError:
            raise ValueError(
                f"Fiche « {slug} » inconnue : indiquez son slug, tel qu'il figure dans l'export "
                "des fiches."
            ) from None

    def render(self, value, obj=None, **kwargs):
        return value.slug if value else ""


class FinanceurWidget(widgets.Widget):
    """A structure by its slug, name or acronym (actions.resources.StructureResolver)."""

    def __init__(self):
        super().__init__(coerce_to_string=True)
        self.structures = StructureResolver()

    def clean(self, value, row=None, **kwargs):
        if _blank(value):
            raise ValueError("Indiquez le financeur : son slug, son nom ou son sigle.")
        return self.structures(str(value))

    def render(self, value, obj=None, **kwargs):
        return value.slug if value else ""


class YearWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if _blank(value):
            raise ValueError("Indiquez l'année, en quatre chiffres (AAAA).")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        if not re.fullmatch(r"\d{4}", text):
            raise ValueError(f"« {text} » n'est pas une année : écrivez-la en quatre chiffres.")
        return int(text)

    def render(self, value, obj=None, **kwargs):
        return value


class AmountWidget(NumberWidget):
    """Euros as a spreadsheet holds them (a number) or as typed ('12 000 €', '2000,50'); a
    blank cell is `blank` (0 € for planned and paid, "not decided" for granted)."""

    def __init__(self, blank):
        super().__init__()
        self.blank = blank

    def clean(self, value, row=None, **kwargs):
        if _blank(value):
            return self.blank
        if isinstance(value, bool):
            raise ValueError(f"« {value} » n'est pas un montant en euros.")
        if isinstance(value, int | float | Decimal):
            return Decimal(str(value))
        return parse_amount(str(value))


class DecisionDateWidget(widgets.Widget):
    """AAAA-MM-JJ, or a date cell of a workbook."""

    def clean(self, value, row=None, **kwargs):
        if _blank(value):
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = str(value).strip()
        try:
            if not ISO_DATE.match(text):
                raise ValueError
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"« {text} » n'est pas une date au format AAAA-MM-JJ (par exemple 2025-03-14)."
            ) from None

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class LigneFinancementLoader(BaseInstanceLoader):
    """The existing lines of the file's fiches, by (fiche, financer, year, nature), read in one
    query. A row whose key does not read is a new line: its errors are reported by column."""

    KEY = ("fiche", "financeur", "annee", "nature")

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        fiches = {f.pk: f for f in resource.fields["fiche"].widget.by_slug.values()}
        self.lines = {}
        for line in LigneFinancement.objects.filter(fiche__in=list(fiches)):
            line.fiche = fiches[line.fiche_id]  # and its contract: already read
            self.lines[line.fiche_id, line.financeur_id, line.annee, line.nature] = line

    def get_instance(self, row):
        try:
            fiche, financeur, annee, nature = (
                self.resource.fields[name].clean(row) for name in self.KEY
            )
        except (ValueError, KeyError):
            return None
        return self.lines.get((fiche.pk, financeur.pk, annee, nature))


def _field(name, widget, **kwargs):
    return fields.Field(attribute=name, column_name=name, widget=widget, **kwargs)


class LigneFinancementResource(AtomicImportMixin, resources.ModelResource):
    fiche = _field("fiche", FicheWidget())
    financeur = _field("financeur", FinanceurWidget())
    annee = _field("annee", YearWidget())
    prevu = _field("prevu", AmountWidget(blank=Decimal(0)))
    accorde = _field("accorde", AmountWidget(blank=None))
    verse = _field("verse", AmountWidget(blank=Decimal(0)))
    date_decision = _field("date_decision", DecisionDateWidget())
    reference_decision = _field("reference_decision", widgets.CharWidget())
    nature = _field(
        "nature",
        ChoiceWidget(NatureFinancement, "nature", default=NatureFinancement.FONCTIONNEMENT),
    )
    note = _field("note", widgets.CharWidget())

    required_columns = ("fiche", "financeur", "annee")

    class Meta:
        model = LigneFinancement
        name = "Lignes de financement"
        fields = (
            "fiche",
            "financeur",
            "annee",
            "prevu",
            "accorde",
            "verse",
            "date_decision",
            "reference_decision",
            "nature",
            "note",
        )
        export_order = fields
        import_id_fields = ("fiche", "financeur", "annee", "nature")
        instance_loader_class = LigneFinancementLoader
        clean_model_instances = True

    def get_queryset(self):
        return LigneFinancement.objects.select_related("fiche", "financeur")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        # Optional: a file without it is about running costs (the key needs the column).
        if "nature" not in dataset.headers:
            dataset.append_col([""] * len(dataset), header="nature")
        fiches = self.fields["fiche"].widget
        fiches.preload(dataset["fiche"] if "fiche" in dataset.headers else [])
        self.lines_seen = {}  # key -> the file's line number where it first appears
        user = kwargs.get("user")
        if not kwargs.get("dry_run") and user is not None and fiches.by_slug:
            # Writing a fiche's lines is an edit of the fiche: it takes a new version first, as
            # on the lines' own admin page (a form opened before is then refused).
            fiche_ids = [fiche.pk for fiche in fiches.by_slug.values()]
            services.history_baseline(fiche_ids=fiche_ids)
            services.fiche_rows_edited(fiche_ids=fiche_ids, user=user)

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        if kwargs.get("dry_run"):
            # A preview is rolled back: its versions (django-simple-history) would be lost work.
            instance.skip_history_when_saving = True

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if not errors.keys() & set(LigneFinancementLoader.KEY):
            key = (instance.fiche_id, instance.financeur_id, instance.annee, instance.nature)
            line = kwargs.get("row_number", 0) + 1  # the header is the file's line 1
            first = self.lines_seen.setdefault(key, line)
            if first != line:
                instance.__dict__["_repeated"] = True
                errors[NON_FIELD_ERRORS] = [
                    f"Même fiche, financeur, année et nature qu'à la ligne {first} : une seule "
                    "ligne par financeur, année et nature (additionnez les montants)."
                ]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        if not instance.__dict__.pop("_repeated", False):
            return super().validate_instance(instance, import_validation_errors, validate_unique)
        # A row repeating an earlier one: said once, not again as a duplicate of the line that
        # earlier row has just written.
        errors = dict(import_validation_errors)
        try:
            instance.full_clean(exclude=[*errors, *LigneFinancementLoader.KEY])
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        raise ValidationError(errors)

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        instance.__dict__.pop("skip_history_when_saving", None)
