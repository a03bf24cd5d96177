"""Recap rows and totals, and the XLSX, CSV and JSON files built from a queryset of fiches."""

import io
import json
from collections.abc import Iterable, Iterator
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from django.utils import timezone
from django.utils.formats import date_format
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from contrat.formats import format_euros
from contrat.spreadsheets import CSV, safe_cell
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Structure

from .models import LigneBudget, Participation, Role
from .resources import (
    FicheActionResource,
    budget_total,
    longest_duration,
    plain_amount,
    with_export_relations,
    yearly_amount,
)

RECAP_TITLE = "Tableau récapitulatif des fiches actions"
CHUNK_SIZE = 500
ROLE_ORDER = [Role.PORTEUR, Role.CO_PORTEUR, Role.PARTENAIRE, Role.FINANCEUR]
ROLE_PLURALS = {
    Role.PORTEUR: "Porteurs",
    Role.CO_PORTEUR: "Co-porteurs",
    Role.PARTENAIRE: "Partenaires",
    Role.FINANCEUR: "Financeurs",
}
SANS_ENJEU = "Sans enjeu"
MULTI_ENJEU_NOTE = (
    "Une fiche compte dans chaque enjeu qu'elle cite (par ses orientations ou directement) : "
    "la somme des sous-totaux peut donc dépasser le total général."
)
SANS_BUDGET_NOTE = (
    "Les fiches sans budget chiffré ne sont pas comptées comme 0 € : elles sont dénombrées à part."
)


@dataclass
class Totals:
    """Fiches counted, how many have no budget, and the sum of the others' budgets."""

    fiches: int = 0
    sans_budget: int = 0
    budget: Decimal = Decimal(0)

    def add(self, budget_total: Decimal | None) -> None:
        self.fiches += 1
        if budget_total is None:
            self.sans_budget += 1
        else:
            self.budget += budget_total

    @property
    def avec_budget(self) -> int:
        return self.fiches - self.sans_budget

    @property
    def budget_or_none(self) -> Decimal | None:
        """The budget, or None when no fiche counted has one (shown as a dash, not as 0 €)."""
        return self.budget if self.avec_budget else None


@dataclass
class RecapRow:
    """One fiche as the recap table shows it: the five columns plus the numbers behind them."""

    pk: int
    titre: str
    descriptif: str
    enjeu: str
    budget_lines: list[str]
    budget_total: Decimal | None
    montant_annuel: Decimal | None
    nombre_annees: int | None
    structure_lines: list[str]
    participations: list = field(default_factory=list)
    enjeux: list[Enjeu] = field(default_factory=list)
    may_split: bool = False  # the PDF lets a row taller than a page break across pages

    @property
    def budget(self) -> str:
        return "\n".join(self.budget_lines)

    @property
    def structure(self) -> str:
        return "\n".join(self.structure_lines)


@dataclass
class FicheData:
    """What the recap reads of one fiche, fetched in bulk (see `fiche_data`): plain lists of
    unsaved model instances, so that their `libelle`, `code`, `__str__`… still serve."""

    pk: int
    titre: str
    descriptif: str
    enjeu_texte: str
    budget_texte: str
    structure_texte: str
    orientations: list = field(default_factory=list)
    enjeux: list = field(default_factory=list)
    lignes: list = field(default_factory=list)
    participations: list = field(default_factory=list)


def _batches(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def fiche_data(queryset, chunk_size: int = CHUNK_SIZE) -> Iterator[FicheData]:
    """The queryset's fiches in its order, with their relations, by chunks of `chunk_size`.

    Values queries rather than prefetch_related(): Django's prefetching builds a manager and a
    queryset per fiche and relation, three times the cost of reading the rows themselves on
    10,000 fiches. Five queries per chunk, whatever its size."""
    from .models import FicheAction

    columns = ("pk", "titre", "descriptif", "enjeu_texte", "budget_texte", "structure_texte")
    rows = queryset.prefetch_related(None).values_list(*columns).iterator(chunk_size=chunk_size)
    enjeux_by_pk: dict[int, Enjeu] = {}
    structures_by_pk: dict[int, Structure] = {}

    def enjeu(pk, numero, titre):
        if pk not in enjeux_by_pk:
            enjeux_by_pk[pk] = Enjeu(pk=pk, numero=numero, titre=titre)
        return enjeux_by_pk[pk]

    def structure(pk, nom, slug):
        if pk not in structures_by_pk:
            structures_by_pk[pk] = Structure(pk=pk, nom=nom, slug=slug)
        return structures_by_pk[pk]

    for batch in _batches(rows, chunk_size):
        fiches = {row[0]: FicheData(*row) for row in batch}
        ids = list(fiches)
        orientations = (
            FicheAction.orientations.through.objects.filter(ficheaction_id__in=ids)
            .order_by(
                "ficheaction_id",
                "orientation__enjeu__numero",
                "orientation__numero",
                "orientation__titre",
            )
            .values_list(
                "ficheaction_id",
                "orientation_id",
                "orientation__numero",
                "orientation__titre",
                "orientation__enjeu_id",
                "orientation__enjeu__numero",
                "orientation__enjeu__titre",
            )
        )
        for fiche_id, pk, numero, titre, enjeu_pk, enjeu_numero, enjeu_titre in orientations:
            parent = enjeu(enjeu_pk, enjeu_numero, enjeu_titre) if enjeu_pk else None
            fiches[fiche_id].orientations.append(
                Orientation(pk=pk, numero=numero, titre=titre, enjeu=parent)
            )
        enjeux = (
            FicheAction.enjeux.through.objects.filter(ficheaction_id__in=ids)
            .order_by("ficheaction_id", "enjeu__contrat", "enjeu__numero")
            .values_list("ficheaction_id", "enjeu_id", "enjeu__numero", "enjeu__titre")
        )
        for fiche_id, pk, numero, titre in enjeux:
            fiches[fiche_id].enjeux.append(enjeu(pk, numero, titre))
        lignes = (
            LigneBudget.objects.filter(fiche_id__in=ids)
            .order_by("fiche_id", "ordre", "pk")
            .values_list(
                "fiche_id",
                "montant",
                "periodicite",
                "nombre_annees",
                "nature",
                "note",
                "financeur_id",
                "financeur__nom",
                "financeur__slug",
            )
        )
        for fiche_id, montant, periodicite, annees, nature, note, *financeur in lignes:
            fiches[fiche_id].lignes.append(
                LigneBudget(
                    montant=montant,
                    periodicite=periodicite,
                    nombre_annees=annees,
                    nature=nature,
                    note=note,
                    financeur=structure(*financeur) if financeur[0] else None,
                )
            )
        participations = (
            Participation.objects.filter(fiche_id__in=ids)
            .order_by("fiche_id", "ordre", "pk")
            .values_list(
                "fiche_id", "role", "precision", "structure_id", "structure__nom", "structure__slug"
            )
        )
        for fiche_id, role, precision, *who in participations:
            fiches[fiche_id].participations.append(
                Participation(role=role, precision=precision, structure=structure(*who))
            )
        yield from fiches.values()


def cited_enjeux(orientations, enjeux) -> list[Enjeu]:
    """The enjeux a fiche cites, through its orientations or directly, without duplicates."""
    found = {}
    for orientation in orientations:
        if orientation.enjeu_id is not None:
            found[orientation.enjeu_id] = orientation.enjeu
    for enjeu in enjeux:
        found[enjeu.pk] = enjeu
    return sorted(found.values(), key=lambda e: (e.numero, e.pk))


def enjeu_column(fiche: FicheData) -> str:
    """The fiche's own words (the recap's column as written); the links when it has none."""
    if fiche.enjeu_texte.strip():
        return fiche.enjeu_texte.strip()
    lines = [str(o) for o in fiche.orientations]
    cited = {o.enjeu_id for o in fiche.orientations}
    lines += [str(e) for e in fiche.enjeux if e.pk not in cited]
    return "\n".join(lines)


def budget_lines(fiche: FicheData, total: Decimal | None) -> list[str]:
    if not fiche.lignes:
        texte = fiche.budget_texte.strip()
        return [texte] if texte else ["Non chiffré"]
    lines = []
    for ligne in fiche.lignes:
        details = [ligne.nature] if ligne.nature else []
        if ligne.financeur is not None:
            details.append(f"financeur : {ligne.financeur}")
        if ligne.note:
            details.append(ligne.note)
        lines.append(ligne.libelle + (" (" + ", ".join(details) + ")" if details else ""))
    if len(fiche.lignes) > 1:
        lines.append(f"Total : {format_euros(total)}")
    return lines


def structure_lines(fiche: FicheData) -> list[str]:
    """Porteurs first, then the others, each role once: 'Partenaires : APES, CRESS'."""
    by_role = {role: [] for role in ROLE_ORDER}
    for participation in fiche.participations:
        name = participation.structure.nom
        if participation.precision:
            name += f" ({participation.precision})"
        by_role.setdefault(participation.role, []).append(name)
    lines = []
    for role, names in by_role.items():
        if names:
            label = ROLE_PLURALS[role] if len(names) > 1 else Role(role).label
            lines.append(f"{label} : {', '.join(names)}")
    if not lines and fiche.structure_texte.strip():
        lines = [fiche.structure_texte.strip()]
    return lines


def recap_row(fiche: FicheData) -> RecapRow:
    total = budget_total(fiche.lignes)
    return RecapRow(
        pk=fiche.pk,
        titre=fiche.titre,
        descriptif=fiche.descriptif.strip(),
        enjeu=enjeu_column(fiche),
        budget_lines=budget_lines(fiche, total),
        budget_total=total,
        montant_annuel=yearly_amount(fiche.lignes),
        nombre_annees=longest_duration(fiche.lignes),
        structure_lines=structure_lines(fiche),
        participations=fiche.participations,
        enjeux=cited_enjeux(fiche.orientations, fiche.enjeux),
    )


def recap_rows(queryset) -> Iterator[RecapRow]:
    """The fiches in the queryset's order, read in chunks so that memory stays flat."""
    for fiche in fiche_data(queryset):
        yield recap_row(fiche)


class EnjeuSubtotals:
    """Totals per enjeu cited, plus 'Sans enjeu'; a fiche counts in every enjeu it cites."""

    def __init__(self):
        self.by_enjeu: dict[int, tuple[Enjeu, Totals]] = {}
        self.sans_enjeu = Totals()

    def add(self, row: RecapRow) -> None:
        if not row.enjeux:
            self.sans_enjeu.add(row.budget_total)
        for enjeu in row.enjeux:
            self.by_enjeu.setdefault(enjeu.pk, (enjeu, Totals()))[1].add(row.budget_total)

    def rows(self) -> list[tuple[str, Totals]]:
        ordered = sorted(self.by_enjeu.values(), key=lambda item: (item[0].numero, item[0].pk))
        rows = [(str(enjeu), totals) for enjeu, totals in ordered]
        if self.sans_enjeu.fiches:
            rows.append((SANS_ENJEU, self.sans_enjeu))
        return rows


def contrat_for(queryset) -> Contrat | None:
    """The contract whose fiches these are (the portal holds one)."""
    contrat_id = queryset.order_by().values_list("contrat", flat=True).first()
    if contrat_id is not None:
        return Contrat.objects.filter(pk=contrat_id).first()
    return Contrat.objects.first()


def generated_label(moment=None) -> str:
    moment = timezone.localtime(moment or timezone.now())
    return date_format(moment, "j F Y à H:i").replace(":", " h ", 1)


# --- the recap workbook ---------------------------------------------------------------------

WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
EUROS = '#,##0 "€"'
EUROS_CENTS = '#,##0.00 "€"'

FICHE_COLUMNS = [
    ("Titre", 32),
    ("Descriptif", 70),
    ("Enjeu", 32),
    ("Budget", 32),
    ("Structure", 38),
    ("Budget total (€)", 16),
    ("Montant annuel (€)", 16),
    ("Nombre d'années", 11),
]


class Cells:
    """Styled write-only cells for one sheet. openpyxl hashes every style object assigned to a
    cell (half the time of a 10,000-fiche workbook): each style is registered once here, on a
    prototype cell, and its style array copied onto the next cells."""

    def __init__(self, ws):
        self.ws = ws
        self._styles = {}

    def _make(self, value, key, **styles):
        if key not in self._styles:
            prototype = WriteOnlyCell(self.ws)
            for name, style in styles.items():
                setattr(prototype, name, style)
            self._styles[key] = prototype._style
        cell = WriteOnlyCell(self.ws, value=value)
        cell._style = copy(self._styles[key])
        return cell

    def text(self, value, bold=False):
        styles = {"alignment": WRAP, **({"font": BOLD} if bold else {})}
        return self._make(safe_cell(value) if value else None, ("text", bold), **styles)

    def euros(self, value, bold=False):
        value = plain_amount(value)
        number_format = EUROS if isinstance(value, int) else EUROS_CENTS
        styles = {"alignment": TOP, "number_format": number_format}
        if bold:
            styles["font"] = BOLD
        return self._make(value, ("euros", number_format, bold), **styles)

    def number(self, value, bold=False):
        styles = {"alignment": TOP, **({"font": BOLD} if bold else {})}
        return self._make(value, ("number", bold), **styles)


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
    queryset, *, filters: Iterable[str] = (), contrat: Contrat | None = None, now=None
) -> bytes:
    """The recap workbook: 'Fiches actions', 'Par enjeu', 'Structures', 'Informations'."""
    contrat = contrat or contrat_for(queryset)
    wb = Workbook(write_only=True)
    wb.properties.title = RECAP_TITLE
    wb.properties.creator = str(contrat) if contrat else "Contrat de territoire"
    wb.properties.language = "fr-FR"
    fiches_ws = wb.create_sheet("Fiches actions")
    enjeux_ws = wb.create_sheet("Par enjeu")
    structures_ws = wb.create_sheet("Structures")
    info_ws = wb.create_sheet("Informations")
    fiche_cells, enjeu_cells, info_cells = Cells(fiches_ws), Cells(enjeux_ws), Cells(info_ws)

    _header(fiches_ws, FICHE_COLUMNS)
    _header(structures_ws, [("Structure", 45), ("Rôle", 14), ("Précision", 30), ("Fiche", 60)])

    totals = Totals()
    subtotals = EnjeuSubtotals()
    structure_rows = 0
    for row in recap_rows(queryset):
        totals.add(row.budget_total)
        subtotals.add(row)
        fiches_ws.append(
            [
                fiche_cells.text(row.titre),
                fiche_cells.text(row.descriptif),
                fiche_cells.text(row.enjeu),
                fiche_cells.text(row.budget),
                fiche_cells.text(row.structure),
                fiche_cells.euros(row.budget_total),
                fiche_cells.euros(row.montant_annuel),
                fiche_cells.number(row.nombre_annees),
            ]
        )
        titre = safe_cell(row.titre)
        for participation in row.participations:
            # Short texts, one line each: plain cells, without the cost of a style.
            structure_rows += 1
            structures_ws.append(
                [
                    safe_cell(participation.structure.nom),
                    participation.get_role_display(),
                    safe_cell(participation.precision) or None,
                    titre,
                ]
            )

    last = totals.fiches + 1
    fiches_ws.auto_filter.ref = f"A1:{_letter(len(FICHE_COLUMNS))}{last}"
    fiches_ws.append(
        [
            fiche_cells.text("Total", bold=True),
            fiche_cells.text(
                f"{totals.fiches} fiches, dont {totals.sans_budget} sans budget chiffré "
                "(non comptées dans le total)",
                bold=True,
            ),
            None,
            None,
            None,
            fiche_cells.euros(totals.budget_or_none, bold=True),
        ]
    )
    structures_ws.auto_filter.ref = f"A1:D{structure_rows + 1}"

    _header(
        enjeux_ws,
        [("Enjeu", 60), ("Fiches", 10), ("dont sans budget", 16), ("Budget total (€)", 18)],
    )
    for label, sub in subtotals.rows():
        enjeux_ws.append(
            [
                enjeu_cells.text(label),
                enjeu_cells.number(sub.fiches),
                enjeu_cells.number(sub.sans_budget),
                enjeu_cells.euros(sub.budget_or_none),
            ]
        )
    enjeux_ws.append(
        [
            enjeu_cells.text("Ensemble des fiches (sans double compte)", bold=True),
            enjeu_cells.number(totals.fiches, bold=True),
            enjeu_cells.number(totals.sans_budget, bold=True),
            enjeu_cells.euros(totals.budget_or_none, bold=True),
        ]
    )
    enjeux_ws.append([])
    enjeux_ws.append([enjeu_cells.text(MULTI_ENJEU_NOTE)])
    enjeux_ws.append([enjeu_cells.text(SANS_BUDGET_NOTE)])

    info_ws.column_dimensions["A"].width = 24
    info_ws.column_dimensions["B"].width = 90
    filters = list(filters)
    for label, value in [
        ("Contrat", str(contrat) if contrat else ""),
        ("Document", RECAP_TITLE),
        ("Généré le", generated_label(now)),
        ("Filtres appliqués", "\n".join(filters) if filters else "Aucun : toutes les fiches"),
        ("Fiches", totals.fiches),
    ]:
        info_ws.append([info_cells.text(label, bold=True), info_cells.text(value)])

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- open data: CSV and JSON ----------------------------------------------------------------


def build_actions_csv(queryset) -> bytes:
    """One row per fiche, the resource's columns; UTF-8 with a BOM and `;` for French Excel."""
    dataset = FicheActionResource().export(queryset=with_export_relations(queryset))
    return CSV().export_data(dataset).encode("utf-8")


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


def build_actions_json(queryset) -> bytes:
    """A list of fiches: the CSV's columns, with structures, orientations, enjeux and budget
    lines as nested lists instead of lines of text."""
    resource = FicheActionResource()
    fields = resource.get_export_fields()
    names = [f.column_name for f in fields]
    items = []
    for fiche in with_export_relations(queryset).iterator(chunk_size=CHUNK_SIZE):
        values = [resource.export_field(f, fiche, force_native_type=True) for f in fields]
        item = dict(zip(names, values, strict=True))
        item["statut"] = fiche.statut
        item["statut_libelle"] = fiche.get_statut_display()
        item["etat"] = fiche.etat
        item["etat_libelle"] = fiche.get_etat_display()
        item.update(_nested(fiche))
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=2).encode("utf-8")
