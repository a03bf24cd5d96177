"""How each of the 29 rows is read, in row order: orientations, enjeux, participations; and the
fiches whose descriptif lists sub-actions."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..sous_actions import numbered_actions, padess_tree

PORTEUR, CO_PORTEUR, PARTENAIRE = "porteur", "co_porteur", "partenaire"
IN_DESCRIPTIF = "cité dans le descriptif"
OPEN_LIST = "liste laissée ouverte (« … »)"
PLAN_ACTIONS = "porte des actions du plan"
CREATION_AGRICOLE = "accompagnement de la création d’activité agricole"
CREATION_ARTISANALE = "accompagnement de la création d’activité artisanale et commerciale"


@dataclass(frozen=True)
class ParticipationSpec:
    """A structure named by its `StructureSpec.nom`, its role and what the fiche says of it."""

    nom: str
    role: str = PARTENAIRE
    precision: str = ""


@dataclass
class FicheSpec:
    """How one row is read: its title (checked against the text), links and participations."""

    titre: str
    orientations: list[str] = field(default_factory=list)
    enjeux: list[int] = field(default_factory=list)
    participations: list[ParticipationSpec] = field(default_factory=list)


_CSC = [
    ParticipationSpec("Assemblée territoriale des CSC", PORTEUR),
    ParticipationSpec("COTESS", CO_PORTEUR),
]
_SENS_DU_GOUT = [ParticipationSpec("Les sens du goût", PORTEUR)]
_CPIE = [ParticipationSpec("CPIE de l’Avesnois", PORTEUR)]
_EMERGENCE = [ParticipationSpec("Emergence CIBC Sambre-Avesnois", PORTEUR)]
_ARCADES_ORIENTATIONS = ["7.2", "7.3", "7.6", "7.7"]

FICHES: list[FicheSpec] = [
    FicheSpec(
        "Le PADESS en Sambre-Avesnois",
        ["7.7"],
        participations=[
            ParticipationSpec("Pôle ESS", PORTEUR, "mise en œuvre du plan, suivi et évaluation"),
            ParticipationSpec("ADUS", CO_PORTEUR, PLAN_ACTIONS),
            ParticipationSpec("COTESS", CO_PORTEUR, PLAN_ACTIONS),
            ParticipationSpec("Maison de l’emploi", CO_PORTEUR, PLAN_ACTIONS),
            ParticipationSpec("BGE", CO_PORTEUR, PLAN_ACTIONS),
            ParticipationSpec("Réussir en Sambre", CO_PORTEUR, PLAN_ACTIONS),
        ],
    ),
    FicheSpec(
        "Un Laboratoire d’idées",
        ["7.7"],
        participations=[
            ParticipationSpec("ADUS", PORTEUR),
            ParticipationSpec("APES"),
            ParticipationSpec("CRESS"),
            ParticipationSpec("COTESS"),
            ParticipationSpec("Maison de l’emploi"),
            ParticipationSpec("CCI"),
            ParticipationSpec("Acteurs locaux concernés par les thématiques étudiées"),
        ],
    ),
    FicheSpec(
        "Un observatoire de l’ESS en Sambre-Avesnois",
        ["7.7"],
        participations=[
            ParticipationSpec("ADUS", PORTEUR),
            ParticipationSpec("CRESS", CO_PORTEUR),
            ParticipationSpec("COTESS"),
            ParticipationSpec("Maison de l’emploi"),
            ParticipationSpec("Les têtes des réseaux"),
        ],
    ),
    FicheSpec("Ludothèque itinérante", participations=_CSC),
    FicheSpec(
        "Rapprocher les générations",
        participations=[
            ParticipationSpec("Générations et Cultures", PORTEUR),
            ParticipationSpec("Pôle ESS", CO_PORTEUR),
            ParticipationSpec("Les centres sociaux"),
            ParticipationSpec("Les CCAS"),
            ParticipationSpec("Les bailleurs sociaux"),
            ParticipationSpec("UVHC"),
            ParticipationSpec("CROUS"),
            ParticipationSpec("Des écoles et une association de jardiniers"),
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
            ParticipationSpec("GABNOR", PARTENAIRE, IN_DESCRIPTIF),
            ParticipationSpec("Parc naturel régional de l’Avesnois", PARTENAIRE, IN_DESCRIPTIF),
            ParticipationSpec("Aprobio", PARTENAIRE, IN_DESCRIPTIF),
        ],
    ),
    FicheSpec(
        "Animer et organiser les acteurs de l’ESS",
        participations=[
            ParticipationSpec("COTESS", PORTEUR),
            ParticipationSpec("Pôle ESS", CO_PORTEUR),
            ParticipationSpec("Les têtes des réseaux"),
            ParticipationSpec("Les structures d’accompagnement"),
        ],
    ),
    FicheSpec(
        "Définir une politique Culturelle",
        participations=[
            ParticipationSpec("COTESS", PORTEUR),
            ParticipationSpec("Pôle ESS", CO_PORTEUR),
            ParticipationSpec("Les acteurs culturels du territoire", CO_PORTEUR),
            ParticipationSpec("Les pouvoirs publics"),
        ],
    ),
    FicheSpec(
        "Développer les services à la personne",
        participations=[
            ParticipationSpec("COTESS", PORTEUR),
            ParticipationSpec("Pôle ESS", CO_PORTEUR),
            ParticipationSpec("ADAR"),
            ParticipationSpec("GESSA"),
            ParticipationSpec("AFAD"),
            ParticipationSpec("SOINS & SANTE"),
            ParticipationSpec("Aide au quotidien"),
            ParticipationSpec("AMF APA"),
            ParticipationSpec("UNA"),
            ParticipationSpec("ADESSA"),
            ParticipationSpec("URIOPSS"),
        ],
    ),
    FicheSpec(
        "Développer l’IAE",
        participations=[
            ParticipationSpec("COTESS", PORTEUR),
            ParticipationSpec("Pôle ESS", CO_PORTEUR),
            ParticipationSpec("GESSA"),
            ParticipationSpec("Les ESAT"),
            ParticipationSpec("ACID", PARTENAIRE, OPEN_LIST),
            ParticipationSpec("Les pouvoirs publics"),
        ],
    ),
    FicheSpec(
        "Etude-action Petite enfance",
        ["3.1", "7.7"],
        participations=[ParticipationSpec("Colline ACEPP", PORTEUR)],
    ),
    FicheSpec(
        "Consolidation de la halte-garderie itinérante «\u00a0les p’tits loups\u00a0»",
        ["3.1", "7.7"],
        participations=[
            ParticipationSpec("Association Santé et Promotion", PORTEUR),
            ParticipationSpec("Colline ACEPP", PARTENAIRE, "appui"),
            ParticipationSpec(
                "Envol", PARTENAIRE, "rapprochement envisagé (cité dans le descriptif)"
            ),
            ParticipationSpec(
                "Le Petit Tambour", PARTENAIRE, "rapprochement envisagé (cité dans le descriptif)"
            ),
        ],
    ),
    FicheSpec(
        "Livre blanc sur l’autonomie des personnes âgées",
        enjeux=[2],
        participations=[ParticipationSpec("ADAR", PORTEUR)],
    ),
    FicheSpec(
        "Garde d’enfants à domicile",
        enjeux=[2, 7],
        participations=[
            ParticipationSpec("ADAR", PORTEUR),
            ParticipationSpec("Direction territoriale du CG59", CO_PORTEUR),
        ],
    ),
    FicheSpec(
        "Animation de l’Equipe Locale d’Animation de l’URIOPSS",
        ["1.1", "3.1", "3.2", "3.3", "3.4", "3.5"],
        participations=[ParticipationSpec("URIOPSS", PORTEUR)],
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
            ParticipationSpec("Les acteurs locaux en relation avec création d’entreprise"),
            ParticipationSpec("Les associations locales"),
            ParticipationSpec("Agence de voyages"),
            ParticipationSpec("Caisse de retraite"),
            ParticipationSpec("Missions locales"),
        ],
    ),
    FicheSpec(
        "PROMOUVOIR LA VAE AUPRES DES ASSOCIATIONS CULTURELLES OU SPORTIVES",
        ["2.2", "3.3"],
        participations=[
            *_EMERGENCE,
            ParticipationSpec("CIO"),
            ParticipationSpec("EIF", PARTENAIRE, OPEN_LIST),
        ],
    ),
    FicheSpec(
        "VALORISER LES EXPERIENCES EN CHANTIER D’INSERTION", ["8.1"], participations=_EMERGENCE
    ),
    FicheSpec(
        "Plateforme de service et de mutualisation des associations et entreprises culturelles "
        "de l’économie sociale et solidaire.",
        ["", "7.7"],
        participations=[
            ParticipationSpec("Interleukin", PORTEUR),
            ParticipationSpec("GEDAS"),
            ParticipationSpec("APES"),
            ParticipationSpec("COTESS"),
            ParticipationSpec("Parc naturel régional de l’Avesnois"),
            ParticipationSpec("Les acteurs culturels de l’Avesnois"),
        ],
    ),
    FicheSpec(
        "Accès informatique à tous les professionnels (agricoles, artisans, commerçants en TPE)",
        _ARCADES_ORIENTATIONS,
        participations=[
            ParticipationSpec("Arcades", PORTEUR),
            ParticipationSpec("Chambres consulaires"),
            ParticipationSpec("RSI", PARTENAIRE, "écrit « RSI-MSA »"),
            ParticipationSpec("MSA", PARTENAIRE, "écrit « RSI-MSA »"),
            ParticipationSpec("Centre des impôts"),
            ParticipationSpec("Communes, Intercommunalités"),
        ],
    ),
    FicheSpec(
        "Sensibilisation et prévention aux difficultés des entreprises",
        _ARCADES_ORIENTATIONS,
        participations=[
            ParticipationSpec("Arcades", PORTEUR),
            ParticipationSpec("Chambre d’agriculture", PARTENAIRE, CREATION_AGRICOLE),
            ParticipationSpec("Associations agricoles", PARTENAIRE, CREATION_AGRICOLE),
            ParticipationSpec("Chambre des métiers", PARTENAIRE, CREATION_ARTISANALE),
            ParticipationSpec("CCI", PARTENAIRE, CREATION_ARTISANALE),
            ParticipationSpec("BGE", PARTENAIRE, CREATION_ARTISANALE),
        ],
    ),
]


# Fiches whose descriptif lists sub-actions, and how it writes them.
SOUS_ACTIONS = {
    "Le PADESS en Sambre-Avesnois": padess_tree,
    "Rapprocher les générations": numbered_actions,
    "Citoyenneté et développement social local": numbered_actions,
}
