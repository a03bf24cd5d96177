"""Import/export of structures (and their contacts): one column list for the admin and exports."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.db.models.manager import BaseManager
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader

from contrat.imports import AtomicImportMixin

from .models import Contact, Nature, Structure

SEPARATOR = " | "


def split_lines(value) -> list[str]:
    """The non-blank lines of a cell."""
    if value is None:
        return []
    return [line.strip() for line in str(value).splitlines() if line.strip()]


def related_items(value) -> list:
    """The objects behind a related manager (prefetched when the queryset did), or a list;
    nothing for an instance not saved yet (a new row of an import preview)."""
    if value is None:
        return []
    if isinstance(value, BaseManager):
        if getattr(value, "instance", None) is not None and value.instance.pk is None:
            return []
        return list(value.all())
    return list(value)


class ChoiceWidget(widgets.Widget):
    """Writes a choice's French label; reads back the label or the code, in any case."""

    def __init__(self, choices, label: str, default=None):
        super().__init__(coerce_to_string=True)
        self.choices = choices
        self.label = label
        self.default = default

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if not text:
            return self.default
        for code, libelle in self.choices.choices:
            if text.casefold() in (code.casefold(), libelle.casefold()):
                return code
        allowed = ", ".join(libelle for _code, libelle in self.choices.choices)
        raise ValueError(f"« {text} » : {self.label} inconnu(e). Valeurs possibles : {allowed}.")

    def render(self, value, obj=None, **kwargs):
        if not value:
            return ""
        return str(self.choices(value).label)


class OuiNonWidget(widgets.Widget):
    """'oui' / 'non' in files; reads oui/non, vrai/faux, true/false, 1/0, x."""

    TRUE = {"oui", "o", "vrai", "true", "1", "x", "yes"}
    FALSE = {"non", "n", "faux", "false", "0", "no", ""}

    def __init__(self, default=False):
        super().__init__(coerce_to_string=True)
        self.default = default

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return self.default
        if isinstance(value, bool):
            return value
        text = str(value).strip().casefold()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False if text else self.default
        raise ValueError(f"« {value} » : répondez « oui » ou « non ».")

    def render(self, value, obj=None, **kwargs):
        return "oui" if value else "non"


class ContactsWidget(widgets.Widget):
    """One contact a line: 'Nom | fonction | courriel | téléphone' (empty parts may be left)."""

    def clean(self, value, row=None, **kwargs):
        contacts = []
        for number, line in enumerate(split_lines(value), 1):
            parts = [part.strip() for part in line.split("|")]
            if len(parts) > 4:
                raise ValueError(
                    f"Contact n° {number} (« {line} ») : au plus 4 parties séparées par « | » "
                    "(nom | fonction | courriel | téléphone)."
                )
            parts += [""] * (4 - len(parts))
            if not parts[0]:
                raise ValueError(f"Contact n° {number} (« {line} ») : le nom manque.")
            contacts.append(
                {"nom": parts[0], "fonction": parts[1], "email": parts[2], "telephone": parts[3]}
            )
        return contacts

    def render(self, value, obj=None, **kwargs):
        lines = []
        for contact in related_items(value):
            parts = [contact.nom, contact.fonction, contact.email, contact.telephone]
            while parts and not parts[-1]:
                parts.pop()
            lines.append(SEPARATOR.join(parts))
        return "\n".join(lines)


def remember_related(manager, objects) -> None:
    """Let `manager.all()` give `objects` without a query, as prefetch_related() would: the
    import preview then renders the rows it has just written for free."""
    instance = manager.instance
    name = getattr(manager, "prefetch_cache_name", None) or manager.field.remote_field.cache_name
    queryset = manager.model._default_manager.none()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def _row_values(model, rows, names) -> list[tuple]:
    """Rows (dicts read from a file, or objects) as comparable tuples of the model values
    `names`, sorted unless the model keeps an order of its own (`ordre`)."""
    values = []
    for row in rows:
        cells = []
        for name in names:
            field = model._meta.get_field(name)
            if isinstance(row, dict):
                value = row.get(name)
                value = value.pk if isinstance(value, models.Model) else value
            else:
                value = getattr(row, field.attname)
            cells.append(None if value in (None, "") else field.to_python(value))
        values.append(tuple(cells))
    ordered = any(field.name == "ordre" for field in model._meta.fields)
    return values if ordered else sorted(values, key=repr)


class RelatedRowsMixin:
    """Columns that describe related rows (contacts, participations…): they are parsed with the
    other columns, so errors are reported per field, and written once the row itself is saved,
    by `save_<attribute>(instance, value, new)`."""

    related_columns: tuple[str, ...] = ()

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        instance.__dict__["_import_new"] = new
        if kwargs.get("dry_run"):
            # A preview is rolled back: writing its version history (django-simple-history)
            # would only double its time.
            instance.skip_history_when_saving = True

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute in self.related_columns:
            if field.column_name in row:
                pending = instance.__dict__.setdefault("_pending_related", {})
                pending[field.attribute] = field.clean(row, **kwargs)
            return
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for attribute, value in instance.__dict__.get("_pending_related", {}).items():
            try:
                getattr(self, f"check_{attribute}")(instance, value)
            except ValueError as error:
                errors[attribute] = [str(error)]
        if errors:
            # Report each problem under the column the user sees ("structures", not the
            # model's "participations").
            columns = {f.attribute: f.column_name for f in self.fields.values() if f.attribute}
            raise ValidationError({columns.get(key, key): value for key, value in errors.items()})

    def related_unchanged(self, instance) -> bool:
        """Whether the related rows the file describes are those in the database: the same
        objects for a many-to-many column (in any order), the same rows field by field for a
        one-to-many one (in the file's order when the rows keep one, `ordre`)."""
        for attribute, value in instance.__dict__.get("_pending_related", {}).items():
            manager = getattr(instance, attribute)
            current = list(manager.all())  # prefetched by get_queryset(): no query
            if value and isinstance(value[0], dict):
                names = list(value[0])
                if _row_values(manager.model, value, names) != _row_values(
                    manager.model, current, names
                ):
                    return False
            elif {item.pk for item in value} != {item.pk for item in current}:
                return False
        return True

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        new = instance.__dict__.get("_import_new", False)
        for attribute, value in instance.__dict__.pop("_pending_related", {}).items():
            getattr(self, f"save_{attribute}")(instance, value, new)

    @staticmethod
    def replace_related(manager, model, objects, new: bool) -> None:
        """Replace the rows of a one-to-many relation by `objects` (all of them, in order)."""
        if not new:  # a new row has nothing to delete
            manager.all().delete()
        model.objects.bulk_create(objects)
        remember_related(manager, objects)

    @staticmethod
    def full_clean_all(objects, label: str, exclude=()):
        """full_clean() each related object; ValueError listing their problems, in French.

        Uniqueness and constraints are left to the parsers and checks (one query per
        constraint and object otherwise)."""
        messages = []
        for number, obj in enumerate(objects, 1):
            try:
                obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    where = f"{label} n° {number}" + ("" if field == "__all__" else f", {field}")
                    messages += [f"{where} : {message}" for message in errors]
        if messages:
            raise ValueError(" ".join(messages))


class StructureResource(AtomicImportMixin, RelatedRowsMixin, resources.ModelResource):
    slug = fields.Field(attribute="slug", column_name="slug", widget=widgets.CharWidget())
    nom = fields.Field(attribute="nom", column_name="nom", widget=widgets.CharWidget())
    sigle = fields.Field(attribute="sigle", column_name="sigle", widget=widgets.CharWidget())
    nature = fields.Field(
        attribute="nature",
        column_name="nature",
        widget=ChoiceWidget(Nature, "nature", default=Nature.AUTRE),
    )
    site_web = fields.Field(
        attribute="site_web", column_name="site_web", widget=widgets.CharWidget()
    )
    description = fields.Field(
        attribute="description", column_name="description", widget=widgets.CharWidget()
    )
    autres_graphies = fields.Field(
        attribute="autres_graphies", column_name="autres_graphies", widget=widgets.CharWidget()
    )
    siret = fields.Field(attribute="siret", column_name="siret", widget=widgets.CharWidget())
    rna = fields.Field(attribute="rna", column_name="rna", widget=widgets.CharWidget())
    contacts = fields.Field(attribute="contacts", column_name="contacts", widget=ContactsWidget())

    required_columns = ("slug", "nom")
    related_columns = ("contacts",)
    column_labels = {
        "slug": "Identifiant (slug)",
        "nom": "Nom",
        "sigle": "Sigle",
        "nature": "Nature",
        "site_web": "Site web",
        "description": "Description",
        "autres_graphies": "Autres graphies",
        "siret": "SIRET",
        "rna": "RNA",
        "contacts": "Contacts",
    }

    class Meta:
        model = Structure
        name = "Structures (avec leurs contacts)"
        fields = (
            "slug",
            "nom",
            "sigle",
            "nature",
            "site_web",
            "description",
            "autres_graphies",
            "siret",
            "rna",
            "contacts",
        )
        export_order = fields
        import_id_fields = ("slug",)
        instance_loader_class = CachedInstanceLoader
        clean_model_instances = True

    def get_queryset(self):
        return Structure.objects.prefetch_related("contacts")

    def export(self, queryset=None, **kwargs):
        # The admin passes its changelist's queryset: read the contacts in bulk there too.
        if isinstance(queryset, QuerySet) and "contacts" not in queryset._prefetch_related_lookups:
            queryset = queryset.prefetch_related("contacts")
        return super().export(queryset, **kwargs)

    def check_contacts(self, structure, contacts):
        objects = [Contact(**data) for data in contacts]
        self.full_clean_all(objects, "Contact", exclude=["structure"])

    def save_contacts(self, structure, contacts, new):
        objects = [Contact(structure=structure, **data) for data in contacts]
        self.replace_related(structure.contacts, Contact, objects, new)
