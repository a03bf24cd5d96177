"""Every organisation the fiches name, once however spelled, and the one contact given."""

from __future__ import annotations

from dataclasses import dataclass, field

from structures.models import Nature


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
    StructureSpec("Acteurs locaux concernés par les thématiques étudiées", Nature.GROUPE),
    StructureSpec("Les têtes des réseaux", Nature.GROUPE),
    StructureSpec(
        "Assemblée territoriale des CSC",
        Nature.RESEAU,
        description="Assemblée territoriale des centres sociaux et culturels (CSC).",
    ),
    StructureSpec("Générations et Cultures"),
    StructureSpec("Les centres sociaux", Nature.GROUPE, graphies=["les centre sociaux"]),
    StructureSpec(
        "Les CCAS", Nature.GROUPE, sigle="CCAS", description="Centres communaux d’action sociale."
    ),
    StructureSpec("Les bailleurs sociaux", Nature.GROUPE),
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
    StructureSpec("Des écoles et une association de jardiniers", Nature.GROUPE),
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
    StructureSpec("Les structures d’accompagnement", Nature.GROUPE),
    StructureSpec("Les acteurs culturels du territoire", Nature.GROUPE),
    StructureSpec("Les pouvoirs publics", Nature.GROUPE, graphies=["Les Pouvoirs Publics"]),
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
    StructureSpec(
        "Les ESAT",
        Nature.GROUPE,
        sigle="ESAT",
        description="Établissements et services d’aide par le travail.",
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
    StructureSpec("Les acteurs locaux en relation avec création d’entreprise", Nature.GROUPE),
    StructureSpec("Les associations locales", Nature.GROUPE),
    StructureSpec("Agence de voyages", Nature.GROUPE),
    StructureSpec("Caisse de retraite", Nature.GROUPE),
    StructureSpec("Missions locales", Nature.GROUPE),
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
    StructureSpec(
        "Les acteurs culturels de l’Avesnois",
        Nature.GROUPE,
        graphies=["les acteurs culturelles de l’avesnois"],
    ),
    StructureSpec("Arcades", graphies=["ARCADES"]),
    StructureSpec(
        "Chambres consulaires",
        Nature.GROUPE,
        description="Chambre de commerce et d’industrie, chambre des métiers, chambre "
        "d’agriculture.",
        graphies=["Chambre consulaires"],
    ),
    StructureSpec("RSI", Nature.PROTECTION_SOCIALE, "RSI", "Régime social des indépendants."),
    StructureSpec("MSA", Nature.PROTECTION_SOCIALE, "MSA", "Mutualité sociale agricole."),
    StructureSpec("Centre des impôts", Nature.SERVICE_ETAT),
    StructureSpec("Communes, Intercommunalités", Nature.GROUPE),
    StructureSpec(
        "Chambre d’agriculture", Nature.CHAMBRE_CONSULAIRE, graphies=["Chambre d'agriculture"]
    ),
    StructureSpec("Associations agricoles", Nature.GROUPE),
    StructureSpec(
        "Chambre des métiers", Nature.CHAMBRE_CONSULAIRE, graphies=["Chambre des Métiers"]
    ),
    # Last, so that the other structures keep their keys. The contract's own party and financer
    # (enjeux.Contrat.financeur): named by the title "Contrat de territoire CG59", not by a
    # fiche. Its SIRET is left for the staff to enter: the document does not give it.
    StructureSpec(
        "Département du Nord",
        Nature.COLLECTIVITE,
        "CG59",
        "Le Département du Nord : le « CG59 » du document (Conseil général du Nord). Il passe "
        "le contrat de territoire et en finance les fiches actions.",
        ["Conseil général du Nord"],
    ),
]

CONTACTS = [("Les sens du goût", "Elise POISNEL", "")]
