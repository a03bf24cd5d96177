"""The contract, its enjeux and its orientations as the fiches cite them."""

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

# The structure (of curated/structures.py) that passes the contract and pays for its fiches.
FINANCEUR = "Département du Nord"

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
