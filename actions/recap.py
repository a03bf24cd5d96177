"""The recap document: its column specification, its rows, its total and its subtotals per
enjeu, read from a queryset of fiches; pdf.py and exports.py render them."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import NamedTuple

from django.utils import timezone
from django.utils.formats import date_format

from contrat import progress
from contrat.formats import format_euros
from enjeux.models import Enjeu, Orientation
from structures.models import Structure

from .budget import Bilan, fiche_total, longest_duration, yearly_amount
from .models import Etat, FicheAction, LigneBudget, Participation, Role, Statut

# --- the columns ----------------------------------------------------------------------------

EUROS = '#,##0 "€"'  # XLSX number format of an amount in whole euros
EUROS_CENTS = '#,##0.00 "€"'  # ... and of one with cents


@dataclass(frozen=True)
class Column:
    """One column of the recap, and what each rendering needs of it."""

    key: str  # the RecapRow attribute; for a figure, the CSV and JSON column of that name too
    label: str  # its header in the PDF and the XLSX
    xlsx_width: int
    xlsx_format: str | None = None  # a figure's number format; None: text, wrapped
    pdf_share: int = 0  # its percentage of the PDF table's width; 0: not in the PDF
    # Characters a line holds in it in the PDF (A4 landscape, 9 pt), to guess a row's height.
    pdf_chars: int = 0
    # A figure: its value, from the fiche's budget lines (the recap row's and the CSV's).
    of_lignes: Callable | None = None


RECAP_COLUMNS = (
    Column("titre", "Titre", 32, pdf_share=14, pdf_chars=20),
    Column("descriptif", "Descriptif", 70, pdf_share=38, pdf_chars=60),
    Column("enjeu", "Enjeu", 32, pdf_share=15, pdf_chars=22),
    Column("budget", "Budget", 32, pdf_share=14, pdf_chars=21),
    Column("structure", "Structure", 38, pdf_share=19, pdf_chars=28),
    Column("budget_total", "Budget total (€)", 16, EUROS, of_lignes=fiche_total),
    Column("montant_annuel", "Montant annuel (€)", 16, EUROS, of_lignes=yearly_amount),
    Column("nombre_annees", "Nombre d'années", 11, "General", of_lignes=longest_duration),
)
PDF_COLUMNS = tuple(column for column in RECAP_COLUMNS if column.pdf_share)
FIGURES = {column.key: column for column in RECAP_COLUMNS if column.of_lignes}
# A document that includes unpublished fiches says each one's state: in the XLSX, this column
# after the title (the PDF marks the title cell itself).
ETAT_COLUMN = Column("etat_libelle", "État de publication", 16)
# The workbook's status column (Proposée, En cours…), after the title, to filter on.
STATUT_COLUMN = Column("statut_libelle", "Statut", 13)


def recap_columns(*, etat: bool = False) -> tuple[Column, ...]:
    """The XLSX's columns: the recap's, with the status after the title, and the state column
    when unpublished fiches may be among the rows."""
    after_title = (ETAT_COLUMN, STATUT_COLUMN) if etat else (STATUT_COLUMN,)
    return RECAP_COLUMNS[:1] + after_title + RECAP_COLUMNS[1:]


# --- the rows -------------------------------------------------------------------------------

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


def unpublished_note(nombre: int) -> str:
    """The header line of a document that includes unpublished fiches ('' when none is in it):
    nobody should take it for the adopted recap."""
    if not nombre:
        return ""
    s = "s" if nombre > 1 else ""
    return f"Ce document inclut {nombre} fiche{s} non publiée{s}, marquée{s} de leur état."


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
    tallest: str = "descriptif"  # the PDF column whose text ends the row, by its estimate
    etat: str = Etat.PUBLIEE  # a document may include drafts at an editor's request
    statut: str = Statut.PROPOSEE

    @property
    def statut_libelle(self) -> str:
        return Statut(self.statut).label if self.statut in Statut.values else self.statut

    @property
    def non_publiee(self) -> bool:
        return self.etat != Etat.PUBLIEE

    @property
    def etat_libelle(self) -> str:
        return Etat(self.etat).label

    @property
    def budget(self) -> str:
        return "\n".join(self.budget_lines)

    @property
    def structure(self) -> str:
        return "\n".join(self.structure_lines)

    @property
    def pdf_cells(self) -> list[tuple[Column, str]]:
        """The PDF's columns and this row's text in each."""
        return [(column, getattr(self, column.key)) for column in PDF_COLUMNS]


class Ligne(NamedTuple):
    """A budget line as the recap reads it; its `total` and `libelle` are the model's."""

    montant: Decimal
    periodicite: str
    nombre_annees: int | None
    nature: str
    note: str
    financeur: Structure | None

    total = LigneBudget.total
    libelle = LigneBudget.libelle


class Intervenant(NamedTuple):
    """A structure's participation in a fiche as the recap reads it."""

    role: str
    precision: str
    structure: Structure


@dataclass
class FicheData:
    """What the recap reads of one fiche, fetched in bulk (see `fiche_data`): its budget lines
    and participations as light tuples (50,000 of them at 10,000 fiches), its orientations and
    enjeux as unsaved model instances, one per referential entry, so that their `code` and
    `__str__` still serve."""

    pk: int
    titre: str
    descriptif: str
    enjeu_texte: str
    budget_texte: str
    structure_texte: str
    etat: str
    statut: str
    orientations: list[Orientation] = field(default_factory=list)
    enjeux: list[Enjeu] = field(default_factory=list)
    lignes: list[Ligne] = field(default_factory=list)
    participations: list[Intervenant] = field(default_factory=list)


def _batches(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def fiche_data(queryset, chunk_size: int = CHUNK_SIZE) -> Iterator[FicheData]:
    """The queryset's fiches in its order, with their relations, by chunks of `chunk_size`.

    Values queries rather than prefetch_related(): Django's prefetching builds a manager and a
    queryset per fiche and relation, three times the cost of reading the rows themselves on
    10,000 fiches. Five queries per chunk, whatever its size."""
    columns = (
        "pk",
        "titre",
        "descriptif",
        "enjeu_texte",
        "budget_texte",
        "structure_texte",
        "etat",
        "statut",
    )
    rows = queryset.prefetch_related(None).values_list(*columns).iterator(chunk_size=chunk_size)
    enjeux_by_pk: dict[int, Enjeu] = {}
    orientations_by_pk: dict[int, Orientation] = {}
    structures_by_pk: dict[int, Structure] = {}

    def enjeu(pk, numero, titre):
        if pk not in enjeux_by_pk:
            enjeux_by_pk[pk] = Enjeu(pk=pk, numero=numero, titre=titre)
        return enjeux_by_pk[pk]

    def orientation(pk, numero, titre, enjeu_pk, enjeu_numero, enjeu_titre):
        if pk not in orientations_by_pk:
            parent = enjeu(enjeu_pk, enjeu_numero, enjeu_titre) if enjeu_pk else None
            orientations_by_pk[pk] = Orientation(pk=pk, numero=numero, titre=titre, enjeu=parent)
        return orientations_by_pk[pk]

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
        for fiche_id, *values in orientations:
            fiches[fiche_id].orientations.append(orientation(*values))
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
                Ligne(
                    montant,
                    periodicite,
                    annees,
                    nature,
                    note,
                    structure(*financeur) if financeur[0] else None,
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
            fiches[fiche_id].participations.append(Intervenant(role, precision, structure(*who)))
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
    figures = {key: column.of_lignes(fiche.lignes) for key, column in FIGURES.items()}
    return RecapRow(
        pk=fiche.pk,
        titre=fiche.titre,
        descriptif=fiche.descriptif.strip(),
        enjeu=enjeu_column(fiche),
        budget_lines=budget_lines(fiche, figures["budget_total"]),
        structure_lines=structure_lines(fiche),
        participations=fiche.participations,
        enjeux=cited_enjeux(fiche.orientations, fiche.enjeux),
        etat=fiche.etat,
        statut=fiche.statut,
        **figures,
    )


def recap_rows(queryset) -> Iterator[RecapRow]:
    """The fiches in the queryset's order, read in chunks so that memory stays flat."""
    for fiche in fiche_data(queryset):
        yield recap_row(fiche)
        progress.tick()


class RecapBilans:
    """The recap's bilan of all its fiches, and its subtotals per enjeu cited plus 'Sans
    enjeu': a fiche counts once in the total and in every enjeu it cites (the enjeu pages
    count the same in SQL, see actions/bilans.py; tests/actions/test_recap.py holds the two
    together)."""

    def __init__(self):
        self.total = Bilan()
        self.by_enjeu: dict[int, tuple[Enjeu, Bilan]] = {}
        self.sans_enjeu = Bilan()
        self.non_publiees = 0

    def add(self, row: RecapRow) -> None:
        self.total.add(row.budget_total)
        self.non_publiees += row.non_publiee
        if not row.enjeux:
            self.sans_enjeu.add(row.budget_total)
        for enjeu in row.enjeux:
            self.by_enjeu.setdefault(enjeu.pk, (enjeu, Bilan()))[1].add(row.budget_total)

    def subtotals(self) -> list[tuple[str, Bilan]]:
        ordered = sorted(self.by_enjeu.values(), key=lambda item: (item[0].numero, item[0].pk))
        rows = [(str(enjeu), bilan) for enjeu, bilan in ordered]
        if self.sans_enjeu.nombre:
            rows.append((SANS_ENJEU, self.sans_enjeu))
        return rows


def generated_label(moment=None) -> str:
    moment = timezone.localtime(moment or timezone.now())
    return date_format(moment, "j F Y à H:i").replace(":", " h ", 1)
