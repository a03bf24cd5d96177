"""The contract financer's grants in the national SCDL "subventions" format (2.1.1), the file
a local authority publishes for décret 2017-779; docs/open-data.md says each choice below."""

from collections.abc import Iterator
from decimal import Decimal
from itertools import chain

from django.db.models import Q

from contrat.spreadsheets import csv_pieces, neutralise_formula
from structures.models import Structure

from .choices import Role
from .models import Participation
from .plan import LINES_CHUNK_SIZE, lines_of

# The schema's columns, in its order.
COLUMNS = (
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
)
OBJET_MAX = 255  # "under 256 characters"
# A grant of the contract is money paid to the porteur: the schema's "aide en numéraire" (our
# lines' own nature, running costs or investment, is what the money pays for, not this).
NATURE = "aide en numéraire"
# Nothing in the plan says the grant was notified to the European Commission as state aid.
NOTIFICATION_UE = "non"
# One beneficiary per row: the porteur receives the whole grant.
POURCENTAGE = "1.00"


def unavailable_reason(financeur: Structure | None) -> str:
    """Why the file cannot be written, in French ('' when it can): the attributor's name and
    SIRET are required, and without them no row would be valid."""
    if financeur is None:
        return (
            "Le financeur du contrat n'est pas indiqué : renseignez-le dans l'espace de gestion "
            "(Contrats → financeur du contrat) pour publier ses subventions."
        )
    if not financeur.siret:
        return (
            f"Le numéro SIRET de {financeur.nom} n'est pas renseigné : il est obligatoire dans "
            "le fichier des subventions (identifiant de l'attribuant). Renseignez-le dans "
            "l'espace de gestion (Structures)."
        )
    return ""


def granted_lines(fiches, financeur: Structure):
    """The financer's lines among `fiches` with a grant (accordé > 0)."""
    return lines_of(fiches).filter(financeur=financeur, accorde__gt=0)


def left_out(fiches, financeur: Structure) -> int:
    """How many of those grants the file cannot hold: no decision date (dateConvention is
    required) or no porteur (nomBeneficiaire is)."""
    porteurs = Participation.objects.filter(role=Role.PORTEUR).values("fiche")
    return (
        granted_lines(fiches, financeur)
        .filter(Q(date_decision__isnull=True) | ~Q(fiche__in=porteurs))
        .count()
    )


def _text(value: str) -> str:
    """A free text cell: on one line, and no formula for a spreadsheet that opens the file."""
    return neutralise_formula(" ".join(str(value or "").split()))


def _objet(titre: str) -> str:
    """The fiche's title, guarded, then cut to the schema's length (the guard counts)."""
    objet = _text(titre)
    if len(objet) > OBJET_MAX:
        objet = objet[: OBJET_MAX - 1].rstrip() + "…"
    return objet


def _montant(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


def _conditions(accorde: Decimal, verse: Decimal) -> str:
    """The plan keeps no payment terms: a grant partly paid is being paid in instalments
    ('échelonné'); any other is presumed paid at once ('unique')."""
    return "échelonné" if 0 < verse < accorde else "unique"


def scdl_rows(fiches, financeur: Structure) -> Iterator[list[str]]:
    """One row per grant of `financeur` to a fiche among `fiches` (its porteur the
    beneficiary), in recap order then year, as the lines are read; the grants `left_out`
    counts are not in it."""
    lines = (
        granted_lines(fiches, financeur)
        .filter(date_decision__isnull=False)
        .order_by("fiche__ordre", "fiche", "annee", "nature", "pk")
        .values_list(
            "fiche",
            "fiche__titre",
            "annee",
            "accorde",
            "verse",
            "date_decision",
            "reference_decision",
        )
        .iterator(chunk_size=LINES_CHUNK_SIZE)
    )
    porteurs = {}
    participations = (
        Participation.objects.filter(
            role=Role.PORTEUR,
            fiche__in=granted_lines(fiches, financeur).values("fiche"),
        )
        .order_by("fiche", "ordre", "pk")
        .values_list("fiche", "structure__nom", "structure__siret", "structure__rna")
    )
    for fiche_id, *porteur in participations:
        porteurs.setdefault(fiche_id, porteur)
    for fiche_id, titre, annee, accorde, verse, date, reference in lines:
        if fiche_id not in porteurs:
            continue
        nom, siret, rna = porteurs[fiche_id]
        yield [
            _text(financeur.nom),
            financeur.siret,
            date.isoformat(),
            _text(reference),
            _text(nom),
            siret,
            rna,
            _objet(titre),
            _montant(accorde),
            NATURE,
            _conditions(accorde, verse),
            f"{annee}-01-01/{annee}-12-31",
            "",
            NOTIFICATION_UE,
            POURCENTAGE,
            "",
        ]


# Rows written between two pieces of the file.
STREAM_ROWS = 500


def stream_subventions_csv(fiches, financeur: Structure) -> Iterator[bytes]:
    """The SCDL file: UTF-8 without BOM, comma-separated, a header row, CRLF line ends (the
    schema's CSV, which validators and data.gouv.fr read as such); its pieces, as the grants
    are read."""
    rows = chain([COLUMNS], scdl_rows(fiches, financeur))
    return csv_pieces(rows, every=STREAM_ROWS, lineterminator="\r\n")
