"""The words generated fiches and structures are drawn from (actions/factories.py's `Demo…`
factories): the Sambre-Avesnois' towns, its kinds of structures, the ESS's fields of action.

Appending a word keeps what the other words are; changing a list's length or order changes
what a seed draws from it (generate_demo's output for that seed)."""

from structures.models import Nature

TOWNS = [
    "Maubeuge",
    "Avesnes-sur-Helpe",
    "Fourmies",
    "Hautmont",
    "Jeumont",
    "Le Quesnoy",
    "Aulnoye-Aymeries",
    "Feignies",
    "Louvroil",
    "Trélon",
    "Landrecies",
    "Bavay",
    "Sains-du-Nord",
    "Anor",
    "Solre-le-Château",
    "Wignehies",
    "Berlaimont",
    "Maroilles",
    "Recquignies",
    "Ferrière-la-Grande",
    "Boussois",
    "Glageon",
    "Liessies",
    "Étrœungt",
    "Sémeries",
]
QUARTIERS = ["Sous-le-Bois", "l’Épinette", "les Provinces françaises", "l’Élysée", "Montplaisir"]

# (nature, name pattern): {ville} is a town, {theme} a field of action.
STRUCTURE_PATTERNS = [
    (Nature.ASSOCIATION, "Association {theme} de {ville}"),
    (Nature.ASSOCIATION, "Les Jardins solidaires de {ville}"),
    (Nature.ASSOCIATION, "Maison de quartier de {ville}"),
    (Nature.ASSOCIATION, "Épicerie solidaire de {ville}"),
    (Nature.ASSOCIATION, "Ressourcerie de {ville}"),
    (Nature.ASSOCIATION, "Centre social et culturel de {ville}"),
    (Nature.ASSOCIATION, "Ludothèque de {ville}"),
    (Nature.COLLECTIVITE, "Commune de {ville}"),
    (Nature.COLLECTIVITE, "CCAS de {ville}"),
    (Nature.RESEAU, "Réseau {theme} de l’Avesnois ({ville})"),
    (Nature.ENTREPRISE, "SCOP {theme} de {ville}"),
    (Nature.ENTREPRISE, "SCIC {theme} de {ville}"),
    (Nature.ETABLISSEMENT_PUBLIC, "Lycée professionnel de {ville}"),
    (Nature.ETABLISSEMENT_MEDICO_SOCIAL, "ESAT de {ville}"),
    (Nature.SERVICE_EMPLOI, "Mission locale de {ville}"),
    (Nature.SERVICE_EMPLOI, "Maison de l’emploi de {ville}"),
    (Nature.CHAMBRE_CONSULAIRE, "Chambre des métiers — antenne de {ville}"),
    (Nature.GROUPEMENT_EMPLOYEURS, "Groupement d’employeurs {theme} de {ville}"),
]
THEMES = [
    "d’insertion",
    "d’éducation populaire",
    "de l’économie circulaire",
    "des aidants",
    "de la petite enfance",
    "du réemploi",
    "de la mobilité solidaire",
    "des circuits courts",
    "de la culture et des loisirs",
    "de l’habitat participatif",
]

ACTIONS = [
    "Créer",
    "Développer",
    "Accompagner",
    "Structurer",
    "Former",
    "Soutenir",
    "Expérimenter",
    "Pérenniser",
    "Mutualiser",
    "Coordonner",
]
OBJECTS = [
    "une ressourcerie",
    "les jardins partagés",
    "une épicerie solidaire",
    "les porteurs de projets de l’ESS",
    "un tiers-lieu",
    "les bénévoles des associations",
    "une halte-garderie itinérante",
    "un atelier de réparation de vélos",
    "la filière bois-énergie",
    "un groupement d’employeurs",
    "l’accueil des saisonniers",
    "une plateforme de mobilité",
    "les circuits courts alimentaires",
    "une coopérative d’activités et d’emploi",
    "un café des aidants",
    "la validation des acquis de l’expérience (VAE)",
]
PLACES = [
    "à {ville}",
    "en Sambre-Avesnois",
    "dans le quartier {quartier}",
    "sur le territoire du Cœur de l’Avesnois",
    "entre {ville} et {ville2}",
]
SENTENCE_SUBJECTS = [
    "Le projet",
    "L’action",
    "La structure porteuse",
    "Le collectif d’habitants",
    "Le réseau des partenaires",
]
SENTENCE_VERBS = [
    "vise à renforcer",
    "propose d’accompagner",
    "s’appuie sur",
    "permet de consolider",
    "cherche à développer",
    "contribue à pérenniser",
]
SENTENCE_OBJECTS = [
    "la coopération entre les acteurs de l’économie sociale et solidaire",
    "l’insertion professionnelle des bénéficiaires du RSA",
    "les liens entre générations",
    "l’accès de tous à une alimentation de qualité",
    "la création d’activités et d’emplois non délocalisables",
    "l’autonomie des personnes âgées à domicile",
    "la professionnalisation des bénévoles",
    "la réduction des déchets et le réemploi",
]
SENTENCE_ENDS = [
    "sur l’ensemble du territoire",
    "en lien avec le Pôle ESS",
    "avec le soutien du Conseil général du Nord",
    "pendant toute la durée du contrat",
    "au plus près des habitants",
    "dans une logique de circuits courts",
]
BULLETS = [
    "repérer les besoins avec les habitants",
    "mobiliser les partenaires financeurs",
    "organiser des ateliers d’échanges de savoir-faire",
    "évaluer l’action chaque année",
    "former une équipe de bénévoles",
    "communiquer auprès des élus et des entreprises",
    "créer des emplois d’insertion",
]
BUDGET_NATURES = ["Fonctionnement", "Investissement", "Ingénierie", "Animation", "Études"]
FIRST_NAMES = ["Jeanne", "Amélie", "Hélène", "Zoé", "François", "Jérôme", "Loïc", "Gaëtan"]
LAST_NAMES = ["Lefèvre", "Dupré", "Mercier", "Leroy", "Caron", "Dufour", "Benoît", "Évrard"]
FONCTIONS = ["Directrice", "Chargé de mission", "Coordinatrice", "Président", "Animatrice"]
# A fiche's follow-up: indicators (name, unit, whether the target lies below the baseline),
# milestones, the words of a progress note.
INDICATEURS = [
    ("Personnes accompagnées", "personnes", False),
    ("Participants aux ateliers", "participants", False),
    ("Emplois d’insertion créés", "emplois", False),
    ("Taux de retour à l’emploi", "%", False),
    ("Déchets évités", "t", False),
    ("Logements vacants", "logements", True),
    ("Délai moyen d’attente", "jours", True),
]
ETAPES = [
    "Comité de lancement",
    "Recrutement de l’équipe",
    "Premiers ateliers",
    "Bilan à mi-parcours",
    "Convention signée avec les partenaires",
    "Ouverture au public",
    "Évaluation finale",
]
NOTES = [
    "Le comité de suivi s’est réuni",
    "Les premiers bénéficiaires sont accueillis",
    "Le plan de financement est bouclé",
    "Les partenaires ont validé le calendrier",
    "Un retard de recrutement décale les ateliers",
    "Le bilan annuel a été présenté aux élus",
]
