"""A fiche's cells in a spreadsheet: amounts, references (contract, enjeux, orientations,
structures), participations and budget lines read from and written to one cell each."""

import re
from decimal import Decimal, InvalidOperation

from import_export import widgets

from contrat.formats import format_euros
from contrat.imports import shown_number
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Structure
from structures.resources import SEPARATOR, ChoiceWidget, related_items, split_lines

from .models import Periodicite, Role

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
    """A number: native in XLSX and JSON; in CSV the French way ('12000,5'), for French Excel;
    in an import's preview, grouped ('20 000')."""

    @staticmethod
    def display(value) -> str:
        return shown_number(plain_amount(value))

    def render(self, value, obj=None, **kwargs):
        value = plain_amount(value)
        if value is None:
            return None if kwargs.get("force_native_type") else ""
        if kwargs.get("force_native_type"):
            return value
        return str(value).replace(".", ",")
