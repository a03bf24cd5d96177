"""The recap table as seed data: read fixtures/source/recap.txt and write fixtures/recap.json."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.utils.text import slugify

from structures.models import Nature

SOURCE_PATH = Path(settings.BASE_DIR) / "fixtures" / "source" / "recap.txt"
FIXTURE_PATH = Path(settings.BASE_DIR) / "fixtures" / "recap.json"

HEADER = ["Titre", "Descriptif", "Enjeu", "Budget", "Structure"]
COLUMNS = len(HEADER)
EXPECTED_ROWS = 29

# Raw loading fills no auto_now field; a fixed date keeps the generator deterministic.
TIMESTAMP = "2025-01-01T00:00:00Z"

_FOOTER = re.compile(r"^-{3,}\s*(?P<text>.*?)\s*-{3,}\s*$", re.MULTILINE)
_TITLE_SPACES = re.compile(r"[ \t\r\n]+")  # not NBSP: « les p’tits loups » keeps its own


# --------------------------------------------------------------------------- reading the text


@dataclass
class RecapRow:
    ordre: int
    titre: str
    descriptif: str
    enjeu_texte: str
    budget_texte: str
    structure_texte: str


@dataclass
class RecapText:
    preamble: list[str]
    rows: list[RecapRow]
    footer: str


def clean_cell(cell: str) -> str:
    """A cell as written: only the trailing blank lines and spaces go."""
    return cell.rstrip()


def clean_title(cell: str) -> str:
    """A title on one line: line breaks and runs of spaces become one space."""
    return _TITLE_SPACES.sub(" ", cell).strip(" \t\r\n")


def split_cells(text: str) -> tuple[list[str], list[str]]:
    """(preamble lines, cells): a cell starts at a line beginning with TAB, the TAB removed."""
    preamble: list[str] = []
    cells: list[list[str]] = []
    for line in text.split("\n"):
        if line.startswith("\t"):
            cells.append([line[1:]])
        elif cells:
            cells[-1].append(line)
        else:
            preamble.append(line)
    return preamble, ["\n".join(cell) for cell in cells]


def read_recap(text: str) -> RecapText:
    preamble, cells = split_cells(text)
    if [clean_title(c) for c in cells[:COLUMNS]] != HEADER:
        raise ValueError(
            "L'en-tête du tableau n'est pas Titre, Descriptif, Enjeu, Budget, Structure."
        )
    body = cells[COLUMNS:]
    if len(body) % COLUMNS:
        raise ValueError(f"{len(body)} cellules : ce n'est pas un multiple de {COLUMNS}.")
    # The dashed footer line sits after the last row, inside its last cell.
    match = _FOOTER.search(body[-1])
    if not match:
        raise ValueError("Le pied de page en tirets est introuvable après la dernière fiche.")
    body[-1] = body[-1][: match.start()]
    rows = []
    for index in range(0, len(body), COLUMNS):
        titre, descriptif, enjeu, budget, structure = body[index : index + COLUMNS]
        rows.append(
            RecapRow(
                ordre=index // COLUMNS + 1,
                titre=clean_title(titre),
                descriptif=clean_cell(descriptif),
                enjeu_texte=clean_cell(enjeu),
                budget_texte=clean_cell(budget),
                structure_texte=clean_cell(structure),
            )
        )
    return RecapText(
        preamble=[line.strip() for line in preamble if line.strip()],
        rows=rows,
        footer=match.group("text"),
    )


# --------------------------------------------------------------------------- budgets


@dataclass(frozen=True)
class BudgetLine:
    montant: Decimal
    periodicite: str = "total"
    nombre_annees: int | None = None

    @property
    def total(self) -> Decimal:
        if self.periodicite == "annuel":
            return self.montant * self.nombre_annees
        return self.montant


_AMOUNT = re.compile(r"^(?P<number>\d[\d \u00a0\u202f]*(?:,\d{1,2})?)\s*€?$")
_DURATION = re.compile(r"^(?P<per_year>par an )?sur (?P<years>\d+) ans?$", re.IGNORECASE)


def parse_budget(text: str) -> list[BudgetLine]:
    """'250 550 €' -> one line; '2 000 €\\nPar an sur 6 ans' -> 2 000 € a year for 6 years;
    '15 000 €\\nsur 6 ans' -> 15 000 € in all over 6 years; an empty cell -> no line at all
    (no budget is not 0 €). Anything else raises ValueError with a French message."""
    lines: list[BudgetLine] = []
    for raw in text.splitlines():
        line = " ".join(raw.replace("\u00a0", " ").replace("\u202f", " ").split())
        if not line:
            continue
        amount = _AMOUNT.match(line)
        duration = _DURATION.match(line)
        if amount:
            number = re.sub(r"\s", "", amount.group("number")).replace(",", ".")
            try:
                lines.append(BudgetLine(montant=Decimal(number)))
            except InvalidOperation as error:  # pragma: no cover - the regex only lets digits in
                raise ValueError(f"Montant illisible : « {raw.strip()} ».") from error
        elif duration and lines:
            years = int(duration.group("years"))
            if years < 1:
                raise ValueError(f"Durée impossible : « {raw.strip()} ».")
            periodicite = "annuel" if duration.group("per_year") else "total"
            lines[-1] = BudgetLine(lines[-1].montant, periodicite, years)
        elif duration:
            raise ValueError(f"Une durée sans montant avant elle : « {raw.strip()} ».")
        else:
            raise ValueError(f"Montant illisible : « {raw.strip()} ».")
    return lines


# --------------------------------------------------------------------------- the referential

CONTRAT = {
    "nom": "Contrat de territoire CG59 — Sambre-Avesnois",
    "slug": "cg59-sambre-avesnois",
    "territoire": "Sambre-Avesnois",
    "periode": "6 ans",
    "description": (
        "Volet économie sociale et solidaire (ESS) du contrat de territoire du Conseil général "
        "du Nord (CG59) pour la Sambre-Avesnois. Ses fiches actions sont celles du « Tableau "
        "récapitulatif des fiches actions des SESS »."
    ),
}

ENJEUX = {
    1: "",
    2: "",
    3: "",
    7: "Dynamiser le tissu économique notamment agricole pour développer l’emploi",
    8: "",
}

UNNUMBERED = "Adapter le développement culturel aux spécificités du territoire"

# (code as cited, title, other wordings met). Codes are kept as the fiches cite them, even
# where two fiches give one code two meanings: docs/referentiel.md lists the conflicts.
ORIENTATIONS: list[tuple[str, str, list[str]]] = [
    (
        "1.1",
        "Développer la coopération et la complémentarité entre les territoires au sein de la "
        "Sambre-Avesnois",
        [],
    ),
    (
        "2.1",
        "Mieux mailler, mobiliser et coordonner l’offre de services en matière d’enfance et de "
        "parentalité",
        [],
    ),
    (
        "2.2",
        "Développer ses compétences pour une meilleure insertion",
        ["Émergence et identification des talents et des savoir-faire à tous les âges de la vie"],
    ),
    (
        "2.3",
        "Favoriser la solidarité et l’autonomie des populations aux différents âges de la vie",
        [],
    ),
    ("2.4", "Adapter les réponses aux besoins des personnes âgées", []),
    (
        "2.5",
        "Garantir l’accès à tous à la santé globale en veillant particulièrement à l’équité "
        "territoriale",
        [],
    ),
    ("3.1", "Offre de services enfance et parentalité", ["enfance et de parentalité"]),
    ("3.2", "Insertion", []),
    (
        "3.3",
        "Professionnalisation et structuration des acteurs culturels et sportifs",
        ["solidarité et l’autonomie"],
    ),
    ("3.4", "Personnes âgées", []),
    ("3.5", "Santé globale", []),
    (
        "7.2",
        "Accompagner les mutations du tissu économique en faveur de l’emploi local",
        ["Accompagner les mutations économique en faveur de l’emploi"],
    ),
    (
        "7.3",
        "Poursuivre le développement d’une agriculture dynamique, plus durable et solidaire",
        [],
    ),
    ("7.6", "Conforter le développement du tertiaire et de l’artisanat", []),
    (
        "7.7",
        "Soutenir l’économie sociale et solidaire",
        ["Soutenir l’ESS", "Soutenir l’économie sociale et solidaire (ESS)"],
    ),
    (
        "8.1",
        "Favoriser l’accès et le retour à l’emploi pour que chacun construise son projet de vie",
        [],
    ),
    ("", UNNUMBERED, []),
]


# --------------------------------------------------------------------------- structures


@dataclass
class StructureSpec:
    nom: str
    nature: str = Nature.AUTRE
    sigle: str = ""
    description: str = ""
    graphies: list[str] = field(default_factory=list)


_HALTE_PARTNER = (
    "Association citée par la fiche de la halte-garderie itinérante « les p’tits loups » : "
    "un rapprochement est envisagé pour consolider les actions petite enfance."
)


def _group(nom: str, *graphies: str, sigle: str = "", description: str = "") -> StructureSpec:
    return StructureSpec(nom, Nature.GROUPE, sigle, description, list(graphies))


# Every organisation once, however the fiches spell it; generic partners are groups.
# `graphies` are the other spellings met (a mere capital on the first letter is not one).
# Descriptions come from the document or the glossary only: an unknown acronym stays bare.
STRUCTURES: list[StructureSpec] = [
    StructureSpec(
        "Pôle ESS",
        Nature.RESEAU,
        description="Pôle de développement de l’économie sociale et solidaire (ESS) du "
        "territoire : il porte le plan d’actions de développement de l’ESS (PADESS).",
        graphies=["Pole ESS", "POLE ESS", "Pôle de développement de l’ESS"],
    ),
    StructureSpec(
        "ADUS",
        Nature.AGENCE,
        "ADUS",
        "Agence de développement et d’urbanisme de la Sambre.",
    ),
    StructureSpec(
        "COTESS",
        Nature.RESEAU,
        "COTESS",
        "Instance de l’économie sociale et solidaire du territoire, présente dans la plupart "
        "des fiches ; le document ne développe pas ce sigle.",
    ),
    StructureSpec(
        "Maison de l’emploi",
        Nature.SERVICE_EMPLOI,
        "MDE",
        "Maison de l’emploi (MDE) : service public de l’emploi du territoire.",
        ["Maisons de l’emploi", "les MDE de l’Avesnois"],
    ),
    StructureSpec(
        "BGE",
        Nature.ASSOCIATION,
        "BGE",
        "Réseau des Boutiques de gestion : accompagnement à la création d’entreprise.",
    ),
    StructureSpec("Réussir en Sambre"),
    StructureSpec(
        "APES",
        Nature.RESEAU,
        "APES",
        "Acteurs pour une économie solidaire.",
        ["APES (acteurs pour une économie solidaire)"],
    ),
    StructureSpec(
        "CRESS",
        Nature.RESEAU,
        "CRESS",
        "Chambre régionale de l’économie sociale et solidaire.",
    ),
    StructureSpec(
        "CCI",
        Nature.CHAMBRE_CONSULAIRE,
        "CCI",
        "Chambre de commerce et d’industrie.",
        ["Chambre du Commerce"],
    ),
    _group("Acteurs locaux concernés par les thématiques étudiées"),
    _group("Les têtes des réseaux"),
    StructureSpec(
        "Assemblée territoriale des CSC",
        Nature.RESEAU,
        description="Assemblée territoriale des centres sociaux et culturels (CSC).",
    ),
    StructureSpec("Générations et Cultures"),
    _group("Les centres sociaux", "les centre sociaux"),
    _group("Les CCAS", sigle="CCAS", description="Centres communaux d’action sociale."),
    _group("Les bailleurs sociaux"),
    StructureSpec(
        "UVHC",
        Nature.ETABLISSEMENT_PUBLIC,
        "UVHC",
        "Université de Valenciennes et du Hainaut-Cambrésis.",
    ),
    StructureSpec(
        "CROUS",
        Nature.ETABLISSEMENT_PUBLIC,
        "CROUS",
        "Centre régional des œuvres universitaires et scolaires.",
    ),
    _group("Des écoles et une association de jardiniers"),
    StructureSpec(
        "Les sens du goût",
        Nature.ASSOCIATION,
        description="Association qui porte les fiches sur l’alimentation : Maison de "
        "l’alimentation, centre d’animations dans le Quercitain, Consommer bio.",
    ),
    StructureSpec(
        "GABNOR",
        Nature.ASSOCIATION,
        "GABNOR",
        "Groupement des agriculteurs biologiques du Nord-Pas de Calais.",
    ),
    StructureSpec(
        "Parc naturel régional de l’Avesnois",
        Nature.COLLECTIVITE,
        "PNR",
        "Parc naturel régional (PNR) de l’Avesnois.",
        ["PNR Avesnois", "Parc Naturel de l’Avesnois"],
    ),
    StructureSpec("Aprobio"),
    _group("Les structures d’accompagnement"),
    _group("Les acteurs culturels du territoire"),
    _group("Les pouvoirs publics", "Les Pouvoirs Publics"),
    StructureSpec("ADAR", sigle="ADAR"),
    StructureSpec("GESSA", sigle="GESSA"),
    StructureSpec("AFAD", sigle="AFAD"),
    StructureSpec("SOINS & SANTE"),
    StructureSpec("Aide au quotidien"),
    StructureSpec("AMF APA", sigle="AMF APA"),
    StructureSpec(
        "UNA",
        Nature.RESEAU,
        "UNA",
        "Union nationale de l’aide, des soins et des services aux domiciles.",
    ),
    StructureSpec("ADESSA", sigle="ADESSA"),
    StructureSpec(
        "URIOPSS",
        Nature.RESEAU,
        "URIOPSS",
        "Union régionale interfédérale des organismes privés sanitaires et sociaux.",
        ["URIOPS", "URIOPPS"],
    ),
    _group(
        "Les ESAT", sigle="ESAT", description="Établissements et services d’aide par le travail."
    ),
    StructureSpec("ACID", sigle="ACID"),
    StructureSpec(
        "Colline ACEPP",
        Nature.ASSOCIATION,
        "ACEPP",
        "Association des collectifs enfants parents professionnels (ACEPP).",
        ["Colline et ACEPP", "COLLINE ACEPP"],
    ),
    StructureSpec("Association Santé et Promotion", Nature.ASSOCIATION),
    StructureSpec(
        "Envol",
        Nature.ASSOCIATION,
        description=_HALTE_PARTNER,
    ),
    StructureSpec(
        "Le Petit Tambour",
        Nature.ASSOCIATION,
        description=_HALTE_PARTNER,
    ),
    StructureSpec(
        "Direction territoriale du CG59",
        Nature.COLLECTIVITE,
        "DT",
        "Direction territoriale du Conseil général du Nord (CG59).",
        ["la DT du CG59"],
    ),
    StructureSpec(
        "CPIE de l’Avesnois",
        Nature.ASSOCIATION,
        "CPIE",
        "Centre permanent d’initiatives pour l’environnement de l’Avesnois.",
    ),
    StructureSpec(
        "Emergence CIBC Sambre-Avesnois",
        Nature.ASSOCIATION,
        "CIBC",
        "Centre interinstitutionnel de bilan de compétences (CIBC) de la Sambre-Avesnois.",
        ["Emergence CIBC", "Emergence CIBS"],
    ),
    _group("Les acteurs locaux en relation avec création d’entreprise"),
    _group("Les associations locales"),
    _group("Agence de voyages"),
    _group("Caisse de retraite"),
    _group("Missions locales"),
    StructureSpec("CIO", Nature.SERVICE_ETAT, "CIO", "Centre d’information et d’orientation."),
    StructureSpec("EIF", sigle="EIF"),
    StructureSpec("Interleukin"),
    StructureSpec(
        "GEDAS",
        Nature.GROUPEMENT_EMPLOYEURS,
        "GEDAS",
        "Groupement d’employeurs développement des associations solidaires.",
        ["GEDAS (groupement d'employeurs développement des associations solidaires)"],
    ),
    _group("Les acteurs culturels de l’Avesnois", "les acteurs culturelles de l’avesnois"),
    StructureSpec("Arcades", graphies=["ARCADES"]),
    _group(
        "Chambres consulaires",
        "Chambre consulaires",
        description="Chambre de commerce et d’industrie, chambre des métiers, chambre "
        "d’agriculture.",
    ),
    StructureSpec("RSI", Nature.PROTECTION_SOCIALE, "RSI", "Régime social des indépendants."),
    StructureSpec("MSA", Nature.PROTECTION_SOCIALE, "MSA", "Mutualité sociale agricole."),
    StructureSpec("Centre des impôts", Nature.SERVICE_ETAT),
    _group("Communes, Intercommunalités"),
    StructureSpec(
        "Chambre d’agriculture", Nature.CHAMBRE_CONSULAIRE, graphies=["Chambre d'agriculture"]
    ),
    _group("Associations agricoles"),
    StructureSpec(
        "Chambre des métiers", Nature.CHAMBRE_CONSULAIRE, graphies=["Chambre des Métiers"]
    ),
]

CONTACTS = [("Les sens du goût", "Elise POISNEL", "")]


# --------------------------------------------------------------------------- fiches

PORTEUR, CO_PORTEUR, PARTENAIRE = "porteur", "co_porteur", "partenaire"
IN_DESCRIPTIF = "cité dans le descriptif"
OPEN_LIST = "liste laissée ouverte (« … »)"
PLAN_ACTIONS = "porte des actions du plan"
CREATION_AGRICOLE = "accompagnement de la création d’activité agricole"
CREATION_ARTISANALE = "accompagnement de la création d’activité artisanale et commerciale"


@dataclass
class FicheSpec:
    """How one row is read: its title (checked against the text), links and participations."""

    titre: str
    orientations: list[str] = field(default_factory=list)
    enjeux: list[int] = field(default_factory=list)
    participations: list[tuple[str, str, str]] = field(default_factory=list)


def _p(nom: str, role: str = PARTENAIRE, precision: str = "") -> tuple[str, str, str]:
    return (nom, role, precision)


_CSC = [_p("Assemblée territoriale des CSC", PORTEUR), _p("COTESS", CO_PORTEUR)]
_SENS_DU_GOUT = [_p("Les sens du goût", PORTEUR)]
_CPIE = [_p("CPIE de l’Avesnois", PORTEUR)]
_EMERGENCE = [_p("Emergence CIBC Sambre-Avesnois", PORTEUR)]
_ARCADES_ORIENTATIONS = ["7.2", "7.3", "7.6", "7.7"]

FICHES: list[FicheSpec] = [
    FicheSpec(
        "Le PADESS en Sambre-Avesnois",
        ["7.7"],
        participations=[
            _p("Pôle ESS", PORTEUR, "mise en œuvre du plan, suivi et évaluation"),
            _p("ADUS", CO_PORTEUR, PLAN_ACTIONS),
            _p("COTESS", CO_PORTEUR, PLAN_ACTIONS),
            _p("Maison de l’emploi", CO_PORTEUR, PLAN_ACTIONS),
            _p("BGE", CO_PORTEUR, PLAN_ACTIONS),
            _p("Réussir en Sambre", CO_PORTEUR, PLAN_ACTIONS),
        ],
    ),
    FicheSpec(
        "Un Laboratoire d’idées",
        ["7.7"],
        participations=[
            _p("ADUS", PORTEUR),
            _p("APES"),
            _p("CRESS"),
            _p("COTESS"),
            _p("Maison de l’emploi"),
            _p("CCI"),
            _p("Acteurs locaux concernés par les thématiques étudiées"),
        ],
    ),
    FicheSpec(
        "Un observatoire de l’ESS en Sambre-Avesnois",
        ["7.7"],
        participations=[
            _p("ADUS", PORTEUR),
            _p("CRESS", CO_PORTEUR),
            _p("COTESS"),
            _p("Maison de l’emploi"),
            _p("Les têtes des réseaux"),
        ],
    ),
    FicheSpec("Ludothèque itinérante", participations=_CSC),
    FicheSpec(
        "Rapprocher les générations",
        participations=[
            _p("Générations et Cultures", PORTEUR),
            _p("Pôle ESS", CO_PORTEUR),
            _p("Les centres sociaux"),
            _p("Les CCAS"),
            _p("Les bailleurs sociaux"),
            _p("UVHC"),
            _p("CROUS"),
            _p("Des écoles et une association de jardiniers"),
        ],
    ),
    FicheSpec("Citoyenneté et développement social local", participations=_CSC),
    FicheSpec("Maison de l’alimentation", participations=_SENS_DU_GOUT),
    FicheSpec(
        "Centre d'animations sur l'alimentation dans le Quercitain", participations=_SENS_DU_GOUT
    ),
    FicheSpec(
        "Consommer bio",
        participations=[
            *_SENS_DU_GOUT,
            _p("GABNOR", PARTENAIRE, IN_DESCRIPTIF),
            _p("Parc naturel régional de l’Avesnois", PARTENAIRE, IN_DESCRIPTIF),
            _p("Aprobio", PARTENAIRE, IN_DESCRIPTIF),
        ],
    ),
    FicheSpec(
        "Animer et organiser les acteurs de l’ESS",
        participations=[
            _p("COTESS", PORTEUR),
            _p("Pôle ESS", CO_PORTEUR),
            _p("Les têtes des réseaux"),
            _p("Les structures d’accompagnement"),
        ],
    ),
    FicheSpec(
        "Définir une politique Culturelle",
        participations=[
            _p("COTESS", PORTEUR),
            _p("Pôle ESS", CO_PORTEUR),
            _p("Les acteurs culturels du territoire", CO_PORTEUR),
            _p("Les pouvoirs publics"),
        ],
    ),
    FicheSpec(
        "Développer les services à la personne",
        participations=[
            _p("COTESS", PORTEUR),
            _p("Pôle ESS", CO_PORTEUR),
            _p("ADAR"),
            _p("GESSA"),
            _p("AFAD"),
            _p("SOINS & SANTE"),
            _p("Aide au quotidien"),
            _p("AMF APA"),
            _p("UNA"),
            _p("ADESSA"),
            _p("URIOPSS"),
        ],
    ),
    FicheSpec(
        "Développer l’IAE",
        participations=[
            _p("COTESS", PORTEUR),
            _p("Pôle ESS", CO_PORTEUR),
            _p("GESSA"),
            _p("Les ESAT"),
            _p("ACID", PARTENAIRE, OPEN_LIST),
            _p("Les pouvoirs publics"),
        ],
    ),
    FicheSpec(
        "Etude-action Petite enfance",
        ["3.1", "7.7"],
        participations=[_p("Colline ACEPP", PORTEUR)],
    ),
    FicheSpec(
        "Consolidation de la halte-garderie itinérante «\u00a0les p’tits loups\u00a0»",
        ["3.1", "7.7"],
        participations=[
            _p("Association Santé et Promotion", PORTEUR),
            _p("Colline ACEPP", PARTENAIRE, "appui"),
            _p("Envol", PARTENAIRE, "rapprochement envisagé (cité dans le descriptif)"),
            _p("Le Petit Tambour", PARTENAIRE, "rapprochement envisagé (cité dans le descriptif)"),
        ],
    ),
    FicheSpec(
        "Livre blanc sur l’autonomie des personnes âgées",
        enjeux=[2],
        participations=[_p("ADAR", PORTEUR)],
    ),
    FicheSpec(
        "Garde d’enfants à domicile",
        enjeux=[2, 7],
        participations=[_p("ADAR", PORTEUR), _p("Direction territoriale du CG59", CO_PORTEUR)],
    ),
    FicheSpec(
        "Animation de l’Equipe Locale d’Animation de l’URIOPSS",
        ["1.1", "3.1", "3.2", "3.3", "3.4", "3.5"],
        participations=[_p("URIOPSS", PORTEUR)],
    ),
    FicheSpec("Risques majeurs", participations=_CPIE),
    FicheSpec("Energie", participations=_CPIE),
    FicheSpec("Trame verte et bleue", participations=_CPIE),
    FicheSpec(
        "L’emploi des femmes allocataires du RSA",
        ["2.1", "2.3", "8.1"],
        participations=_EMERGENCE,
    ),
    FicheSpec("Guidance socioprofessionnelle", ["2.5", "2.3"], participations=_EMERGENCE),
    FicheSpec(
        "Séniors actifs",
        ["2.2", "2.3", "2.4"],
        participations=[
            *_EMERGENCE,
            _p("Les acteurs locaux en relation avec création d’entreprise"),
            _p("Les associations locales"),
            _p("Agence de voyages"),
            _p("Caisse de retraite"),
            _p("Missions locales"),
        ],
    ),
    FicheSpec(
        "PROMOUVOIR LA VAE AUPRES DES ASSOCIATIONS CULTURELLES OU SPORTIVES",
        ["2.2", "3.3"],
        participations=[*_EMERGENCE, _p("CIO"), _p("EIF", PARTENAIRE, OPEN_LIST)],
    ),
    FicheSpec(
        "VALORISER LES EXPERIENCES EN CHANTIER D’INSERTION", ["8.1"], participations=_EMERGENCE
    ),
    FicheSpec(
        "Plateforme de service et de mutualisation des associations et entreprises culturelles "
        "de l’économie sociale et solidaire.",
        ["", "7.7"],
        participations=[
            _p("Interleukin", PORTEUR),
            _p("GEDAS"),
            _p("APES"),
            _p("COTESS"),
            _p("Parc naturel régional de l’Avesnois"),
            _p("Les acteurs culturels de l’Avesnois"),
        ],
    ),
    FicheSpec(
        "Accès informatique à tous les professionnels (agricoles, artisans, commerçants en TPE)",
        _ARCADES_ORIENTATIONS,
        participations=[
            _p("Arcades", PORTEUR),
            _p("Chambres consulaires"),
            _p("RSI", PARTENAIRE, "écrit « RSI-MSA »"),
            _p("MSA", PARTENAIRE, "écrit « RSI-MSA »"),
            _p("Centre des impôts"),
            _p("Communes, Intercommunalités"),
        ],
    ),
    FicheSpec(
        "Sensibilisation et prévention aux difficultés des entreprises",
        _ARCADES_ORIENTATIONS,
        participations=[
            _p("Arcades", PORTEUR),
            _p("Chambre d’agriculture", PARTENAIRE, CREATION_AGRICOLE),
            _p("Associations agricoles", PARTENAIRE, CREATION_AGRICOLE),
            _p("Chambre des métiers", PARTENAIRE, CREATION_ARTISANALE),
            _p("CCI", PARTENAIRE, CREATION_ARTISANALE),
            _p("BGE", PARTENAIRE, CREATION_ARTISANALE),
        ],
    ),
]


# --------------------------------------------------------------------------- sub-actions


@dataclass
class SousActionSpec:
    nature: str
    titre: str
    numero: str = ""
    description: str = ""
    parent: int | None = None  # index in the fiche's list


_PADESS_AXE = re.compile(r"^Axe\s*:\s*(?P<titre>.*)$")
_PADESS_ACTION = re.compile(r"^Action\s*(?P<numero>\d+)\s*:\s*(?P<titre>.*)$")
_ACTION_HEADING = re.compile(r"^Action\s*(?P<numero>\d+)\s*(?::\s*(?P<titre>.*))?$")


def padess_tree(descriptif: str) -> list[SousActionSpec]:
    """The PADESS plan: orientation lines, 'Axe : …' under them, 'ActionN : …' under those
    (or under the orientation when it has no axe, as Action 17)."""
    _intro, _, plan = descriptif.partition("\n\n")
    items: list[SousActionSpec] = []
    orientation = axe = None
    for line in plan.splitlines():
        if not line.strip():
            continue
        if match := _PADESS_AXE.match(line):
            items.append(SousActionSpec("axe", match["titre"].strip(), parent=orientation))
            axe = len(items) - 1
        elif match := _PADESS_ACTION.match(line):
            parent = orientation if axe is None else axe
            items.append(
                SousActionSpec("action", match["titre"].strip(), match["numero"], parent=parent)
            )
        else:
            items.append(SousActionSpec("orientation", line.strip()))
            orientation, axe = len(items) - 1, None
    return items


def numbered_actions(descriptif: str) -> list[SousActionSpec]:
    """'Action N : titre' + paragraph, or 'Action N' + title line + description lines."""
    items: list[SousActionSpec] = []
    body: list[str] = []

    def close() -> None:
        if not items:
            return
        lines = list(body)
        while lines and not lines[0].strip():
            lines.pop(0)
        if not items[-1].titre and lines:
            items[-1].titre = lines.pop(0).strip()
        items[-1].description = "\n".join(lines).rstrip()

    for line in descriptif.splitlines():
        if match := _ACTION_HEADING.match(line.strip()):
            close()
            items.append(SousActionSpec("action", (match["titre"] or "").strip(), match["numero"]))
            body = []
        elif items:
            body.append(line)
    close()
    return items


SOUS_ACTIONS = {
    "Le PADESS en Sambre-Avesnois": padess_tree,
    "Rapprocher les générations": numbered_actions,
    "Citoyenneté et développement social local": numbered_actions,
}


# --------------------------------------------------------------------------- the fixture


def fold(text: str) -> str:
    """Lower case, no accents, typographic apostrophes and spaces made plain."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("œ", "oe"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(text.split())


def _orientation_code_map() -> dict[str, int]:
    return {code: pk for pk, (code, _titre, _autres) in enumerate(ORIENTATIONS, start=1)}


def build_recap_records(text: str) -> list[dict]:
    """The fixture's records for the whole recap, with explicit primary keys."""
    recap = read_recap(text)
    if len(recap.rows) != EXPECTED_ROWS or len(FICHES) != EXPECTED_ROWS:
        raise ValueError(f"{len(recap.rows)} fiches lues, {EXPECTED_ROWS} attendues.")

    records: list[dict] = []
    contrat_pk = 1
    records.append(
        {
            "model": "enjeux.contrat",
            "pk": contrat_pk,
            "fields": {**CONTRAT, "pied_de_page": recap.footer},
        }
    )
    enjeu_pk = {numero: numero for numero in ENJEUX}
    for numero, titre in ENJEUX.items():
        records.append(
            {
                "model": "enjeux.enjeu",
                "pk": enjeu_pk[numero],
                "fields": {
                    "contrat": contrat_pk,
                    "numero": numero,
                    "titre": titre,
                    "description": "",
                },
            }
        )
    orientation_pk = _orientation_code_map()
    for code, titre, autres in ORIENTATIONS:
        enjeu, numero = (int(part) for part in code.split(".")) if code else (None, None)
        records.append(
            {
                "model": "enjeux.orientation",
                "pk": orientation_pk[code],
                "fields": {
                    "enjeu": enjeu_pk[enjeu] if enjeu else None,
                    "numero": numero,
                    "titre": titre,
                    "libelles_cites": "\n".join(autres),
                },
            }
        )

    structure_pk: dict[str, int] = {}
    slugs: set[str] = set()
    for pk, spec in enumerate(STRUCTURES, start=1):
        slug = slugify(spec.nom)[:120]
        if spec.nom in structure_pk or slug in slugs:
            raise ValueError(f"Structure en double : {spec.nom}")
        structure_pk[spec.nom] = pk
        slugs.add(slug)
        records.append(
            {
                "model": "structures.structure",
                "pk": pk,
                "fields": {
                    "nom": spec.nom,
                    "slug": slug,
                    "sigle": spec.sigle,
                    "nature": str(spec.nature),
                    "site_web": "",
                    "description": spec.description,
                    "autres_graphies": "\n".join(spec.graphies),
                },
            }
        )
    for pk, (structure, nom, fonction) in enumerate(CONTACTS, start=1):
        records.append(
            {
                "model": "structures.contact",
                "pk": pk,
                "fields": {
                    "structure": structure_pk[structure],
                    "nom": nom,
                    "fonction": fonction,
                    "email": "",
                    "telephone": "",
                },
            }
        )

    fiches, participations, lignes, sous_actions = [], [], [], []
    spellings = {
        spec.nom: [fold(name) for name in (spec.nom, *spec.graphies)] for spec in STRUCTURES
    }
    for row, spec in zip(recap.rows, FICHES, strict=True):
        if row.titre != spec.titre:
            raise ValueError(f"Fiche {row.ordre} : « {row.titre} » lu, « {spec.titre} » attendu.")
        for nom, _role, _precision in spec.participations:
            # A structure must be named in its fiche, else the reading has drifted.
            where = fold(f"{row.structure_texte}\n{row.descriptif}")
            if not any(name in where for name in spellings[nom]):
                raise ValueError(f"Fiche {row.ordre} : « {nom} » n'est pas dans le texte.")
        fiches.append(
            {
                "model": "actions.ficheaction",
                "pk": row.ordre,
                "fields": {
                    "contrat": contrat_pk,
                    "ordre": row.ordre,
                    "titre": row.titre,
                    "slug": slugify(row.titre)[:200].strip("-"),
                    "descriptif": row.descriptif,
                    "enjeu_texte": row.enjeu_texte,
                    "orientations": [orientation_pk[code] for code in spec.orientations],
                    "enjeux": [enjeu_pk[numero] for numero in spec.enjeux],
                    "budget_texte": row.budget_texte,
                    "structure_texte": row.structure_texte,
                    "statut": "proposee",
                    "etat": "publiee",
                    "cree_le": TIMESTAMP,
                    "modifie_le": TIMESTAMP,
                },
            }
        )
        for ordre, (nom, role, precision) in enumerate(spec.participations, start=1):
            participations.append(
                {
                    "model": "actions.participation",
                    "pk": len(participations) + 1,
                    "fields": {
                        "fiche": row.ordre,
                        "structure": structure_pk[nom],
                        "role": role,
                        "precision": precision,
                        "ordre": ordre,
                    },
                }
            )
        for ordre, line in enumerate(parse_budget(row.budget_texte), start=1):
            lignes.append(
                {
                    "model": "actions.lignebudget",
                    "pk": len(lignes) + 1,
                    "fields": {
                        "fiche": row.ordre,
                        "montant": f"{line.montant:.2f}",
                        "periodicite": line.periodicite,
                        "nombre_annees": line.nombre_annees,
                        "nature": "",
                        "financeur": None,
                        "note": "",
                        "ordre": ordre,
                    },
                }
            )
        reader = SOUS_ACTIONS.get(row.titre)
        items = reader(row.descriptif) if reader else []
        first_pk = len(sous_actions) + 1
        for ordre, item in enumerate(items, start=1):
            sous_actions.append(
                {
                    "model": "actions.sousaction",
                    "pk": len(sous_actions) + 1,
                    "fields": {
                        "fiche": row.ordre,
                        "parent": None if item.parent is None else first_pk + item.parent,
                        "nature": item.nature,
                        "numero": item.numero,
                        "titre": item.titre,
                        "description": item.description,
                        "ordre": ordre,
                    },
                }
            )
    slugs = [fiche["fields"]["slug"] for fiche in fiches]
    if len(set(slugs)) != len(slugs):
        raise ValueError("Deux fiches auraient le même slug.")
    return records + fiches + participations + lignes + sous_actions


def render_fixture(records: list[dict]) -> str:
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def build_recap_fixture(*, source: Path = SOURCE_PATH, output: Path = FIXTURE_PATH) -> list[dict]:
    """Read the source text and (re)write the fixture; the same text gives the same bytes."""
    records = build_recap_records(Path(source).read_text(encoding="utf-8"))
    Path(output).write_text(render_fixture(records), encoding="utf-8")
    return records
