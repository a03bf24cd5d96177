"""Import/export of fiches actions: one column list for the admin, the CSV and the JSON."""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader

from contrat.formats import format_euros
from contrat.spreadsheets import AtomicImportMixin
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Structure
from structures.resources import (
    SEPARATOR,
    ChoiceWidget,
    RelatedRowsMixin,
    related_items,
    remember_related,
    split_lines,
)

from .models import Etat, FicheAction, LigneBudget, Participation, Periodicite, Role, Statut
from .recap import FIGURES
from .services import StaleFicheError, fiche_claim_version, history_record_import

EXPORT_CHUNK_SIZE = 1000
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def parse_amount(text: str) -> Decimal:
    """'250 550 €', '2000,50', '12000.00' -> Decimal; ValueError in French otherwise."""
    cleaned = _SPACES.sub("", str(text)).removesuffix("€").replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"« {text} » n'est pas un montant en euros.") from None
    if not amount.is_finite():
        raise ValueError(f"« {text} » n'est pas un montant en euros.")
    return amount


def plain_amount(amount: Decimal | None):
    """12000.00 -> 12000, 12.50 -> 12.5: the number a spreadsheet or JSON should hold."""
    if amount is None:
        return None
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        return int(amount)
    return float(amount)


class StructureResolver:
    """Finds a structure by slug, name or acronym (case-insensitive), with one query per import."""

    def __init__(self):
        self._index = None

    def __deepcopy__(self, memo):
        return StructureResolver()

    def __call__(self, text: str) -> Structure:
        if self._index is None:
            self._index = {}
            for structure in Structure.objects.all():
                for key in (structure.slug, structure.nom, structure.sigle):
                    if key:
                        self._index.setdefault(key.casefold(), []).append(structure)
        found = {s.pk: s for s in self._index.get(text.strip().casefold(), [])}
        if len(found) == 1:
            return next(iter(found.values()))
        if not found:
            raise ValueError(
                f"Structure « {text} » inconnue : indiquez son identifiant (slug), son nom ou "
                "son sigle, tels qu'ils figurent dans l'export des structures (importez-la "
                "d'abord si elle est nouvelle)."
            )
        raise ValueError(f"« {text} » désigne plusieurs structures : indiquez leur slug.")


class References:
    """The contracts, enjeux and orientations an import refers to, read once per import."""

    def __init__(self):
        self._loaded = False

    def __deepcopy__(self, memo):
        return References()

    def _load(self):
        if self._loaded:
            return
        self.contrats = {c.slug: c for c in Contrat.objects.all()}
        self.enjeux = {(e.contrat_id, e.numero): e for e in Enjeu.objects.all()}
        self.orientations = {}
        self.orientation_titles = {}
        for orientation in Orientation.objects.select_related("enjeu"):
            if orientation.enjeu_id is not None and orientation.numero is not None:
                key = (orientation.enjeu.contrat_id, orientation.enjeu.numero, orientation.numero)
                self.orientations[key] = orientation
            self.orientation_titles.setdefault(orientation.titre.casefold(), orientation)
        self._loaded = True

    def contrat(self, value) -> Contrat:
        """The contract of this slug; a blank cell means the portal's only contract."""
        self._load()
        text = "" if value is None else str(value).strip()
        if not text:
            if len(self.contrats) == 1:
                return next(iter(self.contrats.values()))
            raise ValueError("Indiquez le contrat (son slug).")
        try:
            return self.contrats[text]
        except KeyError:
            raise ValueError(f"Contrat « {text} » inconnu : indiquez son slug.") from None

    def enjeu(self, contrat, numero: int) -> Enjeu:
        self._load()
        try:
            return self.enjeux[contrat.pk, numero]
        except KeyError:
            raise ValueError(f"Enjeu {numero} inconnu dans le contrat « {contrat} ».") from None

    def orientation(self, contrat, enjeu: int, numero: int) -> Orientation:
        self._load()
        try:
            return self.orientations[contrat.pk, enjeu, numero]
        except KeyError:
            raise ValueError(
                f"Orientation {enjeu}.{numero} inconnue dans le contrat « {contrat} »."
            ) from None

    def orientation_titled(self, titre: str) -> Orientation:
        self._load()
        try:
            return self.orientation_titles[titre.strip().casefold()]
        except KeyError:
            raise ValueError(
                f"Orientation « {titre} » inconnue : indiquez son code (par exemple « 7.7 ») "
                "ou son titre exact."
            ) from None


class ReferenceWidget(widgets.Widget):
    def __init__(self):
        super().__init__()
        self.references = References()

    def row_contrat(self, row):
        return self.references.contrat((row or {}).get("contrat"))


class ContratWidget(ReferenceWidget):
    """The contract's slug; a blank cell means the only contract there is."""

    def clean(self, value, row=None, **kwargs):
        return self.references.contrat(value)

    def render(self, value, obj=None, **kwargs):
        return value.slug if value else ""


class OrientationsWidget(ReferenceWidget):
    """One orientation a line, as '7.7 Soutenir l'économie…' (the code decides) or its title."""

    CODE = re.compile(r"^(?:orientation\s*)?(\d+)\s*[.,]\s*(\d+)\b", re.IGNORECASE)

    def clean(self, value, row=None, **kwargs):
        contrat = self.row_contrat(row)
        orientations = []
        for line in split_lines(value):
            if match := self.CODE.match(line):
                found = self.references.orientation(contrat, int(match[1]), int(match[2]))
            else:
                found = self.references.orientation_titled(line)
            if found not in orientations:
                orientations.append(found)
        return orientations

    def render(self, value, obj=None, **kwargs):
        return "\n".join(str(o) for o in related_items(value))


class EnjeuxWidget(ReferenceWidget):
    """One enjeu a line: 'Enjeu 2 — titre' or just '2' (the number decides)."""

    NUMBER = re.compile(r"^(?:enjeu\s*)?(\d+)\b", re.IGNORECASE)

    def clean(self, value, row=None, **kwargs):
        contrat = self.row_contrat(row)
        enjeux = []
        for line in split_lines(value):
            match = self.NUMBER.match(line)
            if not match:
                raise ValueError(f"« {line} » : indiquez le numéro de l'enjeu (« Enjeu 2 »).")
            found = self.references.enjeu(contrat, int(match[1]))
            if found not in enjeux:
                enjeux.append(found)
        return enjeux

    def render(self, value, obj=None, **kwargs):
        return "\n".join(str(e) for e in related_items(value))


class ParticipationsWidget(widgets.Widget):
    """One participation a line: 'Porteur : adus' or 'Partenaire : cress : sur le volet emploi'."""

    def __init__(self):
        super().__init__()
        self.structures = StructureResolver()

    def clean(self, value, row=None, **kwargs):
        participations = []
        for number, line in enumerate(split_lines(value), 1):
            parts = [part.strip() for part in line.split(":", 2)]
            if len(parts) < 2 or not parts[1]:
                raise ValueError(
                    f"Participation n° {number} (« {line} ») : écrivez « rôle : structure », "
                    "par exemple « Porteur : adus »."
                )
            role = ChoiceWidget(Role, "rôle").clean(parts[0])
            if role is None:
                raise ValueError(f"Participation n° {number} (« {line} ») : le rôle manque.")
            participations.append(
                {
                    "role": role,
                    "structure": self.structures(parts[1]),
                    "precision": parts[2] if len(parts) > 2 else "",
                }
            )
        return participations

    def render(self, value, obj=None, **kwargs):
        lines = []
        for participation in related_items(value):
            parts = [participation.get_role_display(), participation.structure.slug]
            if participation.precision:
                parts.append(participation.precision)
            lines.append(" : ".join(parts))
        return "\n".join(lines)


class LignesBudgetWidget(widgets.Widget):
    """One budget line a line: '2 000 € par an sur 6 ans | financeur : cg59 | note : …'."""

    AMOUNT = re.compile(
        r"^(?P<montant>[\d\s\u00a0\u202f.,]+?)\s*€?"
        r"(?P<annuel>\s*(?:par an|/\s*an))?"
        r"(?:\s*sur\s*(?P<annees>\d+)\s*ans?)?"
        r"(?:\s*,\s*soit\s*[\d\s\u00a0\u202f.,]+\s*€?)?\s*$",
        re.IGNORECASE,
    )
    PARTS = re.compile(r"\s*\|\s*(?=(?:nature|financeur|note)\s*:)", re.IGNORECASE)

    def __init__(self):
        super().__init__()
        self.structures = StructureResolver()

    def clean(self, value, row=None, **kwargs):
        lignes = []
        for number, line in enumerate(split_lines(value), 1):
            head, *extras = self.PARTS.split(line)
            match = self.AMOUNT.match(head)
            if not match:
                raise ValueError(
                    f"Ligne de budget n° {number} (« {line} ») : écrivez un montant, par exemple "
                    "« 34 000 € », « 15 000 € sur 6 ans » ou « 2 000 € par an sur 6 ans »."
                )
            ligne = {
                "montant": parse_amount(match["montant"]),
                "periodicite": Periodicite.ANNUEL if match["annuel"] else Periodicite.TOTAL,
                "nombre_annees": int(match["annees"]) if match["annees"] else None,
                "nature": "",
                "financeur": None,
                "note": "",
            }
            if ligne["periodicite"] == Periodicite.ANNUEL and not ligne["nombre_annees"]:
                raise ValueError(
                    f"Ligne de budget n° {number} (« {line} ») : un montant par an demande "
                    "un nombre d'années (« 2 000 € par an sur 6 ans »)."
                )
            for extra in extras:
                key, _, text = extra.partition(":")
                key, text = key.strip().casefold(), text.strip()
                ligne[key] = self.structures(text) if key == "financeur" else text
            lignes.append(ligne)
        return lignes

    def render(self, value, obj=None, **kwargs):
        return "\n".join(self.render_line(ligne) for ligne in related_items(value))

    @staticmethod
    def render_line(ligne) -> str:
        text = format_euros(ligne.montant)
        if ligne.periodicite == Periodicite.ANNUEL:
            text += " par an"
        if ligne.nombre_annees:
            text += f" sur {ligne.nombre_annees} an" + ("s" if ligne.nombre_annees > 1 else "")
        if ligne.nature:
            text += f"{SEPARATOR}nature : {ligne.nature}"
        if ligne.financeur_id:
            text += f"{SEPARATOR}financeur : {ligne.financeur.slug}"
        if ligne.note:
            text += f"{SEPARATOR}note : {ligne.note}"
        return text


class NumberWidget(widgets.Widget):
    """A number: native in XLSX and JSON; in CSV the French way ('12000,5'), for French Excel."""

    def render(self, value, obj=None, **kwargs):
        value = plain_amount(value)
        if value is None:
            return None if kwargs.get("force_native_type") else ""
        if kwargs.get("force_native_type"):
            return value
        return str(value).replace(".", ",")


class ComputedField(fields.Field):
    """An export-only column computed from the fiche."""

    def __init__(self, compute, **kwargs):
        super().__init__(readonly=True, widget=NumberWidget(), **kwargs)
        self.compute = compute

    def get_value(self, instance):
        if instance.pk is None:  # a new row of an import preview: nothing to compute yet
            return None
        return self.compute(instance)


def figure_field(key: str) -> ComputedField:
    """The recap's figure `key` (its column spec, actions/recap.py) as the export-only column of
    that name, computed from the fiche's budget lines as the recap computes it."""
    of_lignes = FIGURES[key].of_lignes
    return ComputedField(lambda fiche: of_lignes(fiche.lignes_budget.all()), column_name=key)


def text_field(name):
    return fields.Field(attribute=name, column_name=name, widget=widgets.CharWidget())


class FicheActionResource(AtomicImportMixin, RelatedRowsMixin, resources.ModelResource):
    slug = text_field("slug")
    titre = text_field("titre")
    ordre = fields.Field(
        attribute="ordre", column_name="ordre", widget=widgets.IntegerWidget(), default=0
    )
    statut = fields.Field(
        attribute="statut",
        column_name="statut",
        widget=ChoiceWidget(Statut, "état d'avancement", default=Statut.PROPOSEE),
    )
    etat = fields.Field(
        attribute="etat",
        column_name="etat",
        widget=ChoiceWidget(Etat, "état de publication", default=Etat.BROUILLON),
    )
    contrat = fields.Field(attribute="contrat", column_name="contrat", widget=ContratWidget())
    descriptif = text_field("descriptif")
    enjeu_texte = text_field("enjeu_texte")
    orientations = fields.Field(
        attribute="orientations", column_name="orientations", widget=OrientationsWidget()
    )
    enjeux = fields.Field(attribute="enjeux", column_name="enjeux", widget=EnjeuxWidget())
    budget_texte = text_field("budget_texte")
    lignes_budget = fields.Field(
        attribute="lignes_budget", column_name="lignes_budget", widget=LignesBudgetWidget()
    )
    budget_total = figure_field("budget_total")
    montant_annuel = figure_field("montant_annuel")
    nombre_annees = figure_field("nombre_annees")
    structure_texte = text_field("structure_texte")
    structures = fields.Field(
        attribute="participations", column_name="structures", widget=ParticipationsWidget()
    )

    required_columns = ("slug", "titre")
    related_columns = ("orientations", "enjeux", "lignes_budget", "participations")
    fields_saved_on_update = ("version", "modifie_le")

    class Meta:
        model = FicheAction
        name = "Fiches actions (avec structures, orientations et budget)"
        fields = (
            "slug",
            "titre",
            "ordre",
            "statut",
            "etat",
            "contrat",
            "descriptif",
            "enjeu_texte",
            "orientations",
            "enjeux",
            "budget_texte",
            "lignes_budget",
            "budget_total",
            "montant_annuel",
            "nombre_annees",
            "structure_texte",
            "structures",
        )
        export_order = fields
        import_id_fields = ("slug",)
        instance_loader_class = CachedInstanceLoader
        clean_model_instances = True

    def get_queryset(self):
        return with_export_relations(FicheAction.objects.all())

    def export(self, queryset=None, **kwargs):
        # The admin passes its changelist's queryset: read the relations in bulk there too.
        if isinstance(queryset, QuerySet):
            queryset = with_export_relations(queryset)
        return super().export(queryset, **kwargs)

    def iter_queryset(self, queryset):
        # The library pages with OFFSET (slower and slower on 10,000 rows); a chunked iterator
        # keeps the prefetches (Django ≥ 4.1) and reads each row once.
        if isinstance(queryset, QuerySet):
            return queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE)
        return super().iter_queryset(queryset)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.references = self.fields["contrat"].widget.references

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # A partner's file may have no `contrat` column: the portal's only contract, then.
        if instance.contrat_id is None and "contrat" not in errors:
            try:
                instance.contrat = self.references.contrat(None)
            except ValueError as error:
                errors["contrat"] = [str(error)]
        if errors:
            raise ValidationError(errors)

    # --- History: one version per imported fiche, written in bulk after the import ------------

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.imported_fiches = []

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        if instance.pk is not None:
            self.claim_version(instance)
        # django-simple-history would write up to three versions per fiche (the row, then its
        # orientations, then its enjeux), in the preview too: after_import writes one instead.
        instance.skip_history_when_saving = True

    @staticmethod
    def claim_version(fiche) -> None:
        """The next version of `fiche`, if it is still the one this import read when it started.

        Otherwise someone saved the fiche meanwhile: the row is refused (StaleFicheError, a
        ValidationError), so the whole import is, and the other save stands. An admin form
        opened before the import is made stale the same way."""
        try:
            fiche_claim_version(fiche=fiche, expected=fiche.version)
        except StaleFicheError as refusal:
            stale = refusal.message
            raise StaleFicheError(
                f"La fiche « {fiche.titre} » ({fiche.slug}) : {stale[:1].lower()}{stale[1:]} "
                "Rien n'a été importé : relancez l'import, il partira de la version actuelle."
            ) from None

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        instance.__dict__.pop("skip_history_when_saving", None)
        if not kwargs.get("dry_run"):
            self.imported_fiches.append(instance)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not (kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors()):
            history_record_import(fiches=self.imported_fiches, user=kwargs.get("user"))

    def check_orientations(self, fiche, orientations):
        """Resolved while cleaning: nothing more to check."""

    def check_enjeux(self, fiche, enjeux):
        """Resolved while cleaning: nothing more to check."""

    def check_lignes_budget(self, fiche, lignes):
        self.full_clean_all(
            [LigneBudget(**data) for data in lignes],
            "Ligne de budget",
            exclude=["fiche", "financeur"],
        )

    def check_participations(self, fiche, participations):
        seen = set()
        for number, data in enumerate(participations, 1):
            key = (data["structure"].pk, data["role"])
            if key in seen:
                raise ValueError(
                    f"Participation n° {number} : {data['structure']} a déjà ce rôle "
                    "dans cette fiche."
                )
            seen.add(key)
        self.full_clean_all(
            [Participation(**data) for data in participations],
            "Participation",
            exclude=["fiche", "structure"],
        )

    def save_orientations(self, fiche, orientations, new):
        if new:
            fiche.orientations.add(*orientations)
        else:
            fiche.orientations.set(orientations)
        remember_related(fiche.orientations, orientations)

    def save_enjeux(self, fiche, enjeux, new):
        if new:
            fiche.enjeux.add(*enjeux)
        else:
            fiche.enjeux.set(enjeux)
        remember_related(fiche.enjeux, enjeux)

    def save_lignes_budget(self, fiche, lignes, new):
        objects = [
            LigneBudget(fiche=fiche, ordre=ordre, **data) for ordre, data in enumerate(lignes, 1)
        ]
        self.replace_related(fiche.lignes_budget, LigneBudget, objects, new)

    def save_participations(self, fiche, participations, new):
        objects = [
            Participation(fiche=fiche, ordre=ordre, **data)
            for ordre, data in enumerate(participations, 1)
        ]
        self.replace_related(fiche.participations, Participation, objects, new)


def with_export_relations(queryset):
    """Everything the exports read, in a constant number of queries whatever the row count.

    Only the lookups the queryset lacks are added: `for_listing()` already prefetches some, and
    Django refuses the same lookup twice with different querysets."""
    wanted = [
        Prefetch("participations", queryset=Participation.objects.select_related("structure")),
        Prefetch("lignes_budget", queryset=LigneBudget.objects.select_related("financeur")),
        "orientations__enjeu",
        "enjeux",
    ]
    present = {
        getattr(lookup, "prefetch_to", lookup) for lookup in queryset._prefetch_related_lookups
    }
    missing = [lookup for lookup in wanted if getattr(lookup, "prefetch_to", lookup) not in present]
    return queryset.select_related("contrat").prefetch_related(*missing)
