"""Synthetic but realistic demo data (structures, fiches, budgets, sub-actions) for benchmarks."""

import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from contrat.dataversion import data_version_bump
from contrat.formats import format_euros
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Contact, Nature, Structure

from .models import (
    Etat,
    FicheAction,
    LigneBudget,
    NatureSousAction,
    Participation,
    Periodicite,
    Role,
    SousAction,
    Statut,
)

# The one place that says in which publication state generated fiches are created: the
# benchmarks and the load test measure what the public sees.
PUBLICATION = {"etat": Etat.PUBLIEE}

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
STATUTS = [Statut.PROPOSEE, Statut.EN_COURS, Statut.REALISEE, Statut.ABANDONNEE]
STATUT_WEIGHTS = [30, 45, 20, 5]


@dataclass
class DemoSummary:
    """What `demo_generate` created, by model."""

    fiches: int = 0
    structures: int = 0
    contacts: int = 0
    participations: int = 0
    lignes_budget: int = 0
    sous_actions: int = 0
    premier_ordre: int = 0
    slugs: list[str] = field(default_factory=list, repr=False)


def _referential() -> tuple[Contrat, list[Orientation], list[Enjeu]]:
    """The current contract, its numbered orientations and its enjeux; the recap's referential
    is created first when the database has no contract yet."""
    from .seed.curated.referential import CONTRAT, ENJEUX, ORIENTATIONS

    contrat = Contrat.objects.order_by("pk").first()
    if contrat is None:
        contrat = Contrat.objects.create(**CONTRAT)
        enjeux = {
            numero: Enjeu.objects.create(contrat=contrat, numero=numero, titre=titre)
            for numero, titre in ENJEUX.items()
        }
        for code, titre, autres in ORIENTATIONS:
            enjeu, _, numero = code.partition(".")
            Orientation.objects.create(
                enjeu=enjeux[int(enjeu)] if enjeu else None,
                numero=int(numero) if numero else None,
                titre=titre,
                libelles_cites="\n".join(autres),
            )
    # Ordered on stable columns, never on primary keys: the same seed picks the same ones.
    orientations = list(
        Orientation.objects.filter(enjeu__contrat=contrat)
        .select_related("enjeu")
        .order_by("enjeu__numero", "numero", "titre")
    )
    enjeux = list(Enjeu.objects.filter(contrat=contrat).order_by("numero"))
    return contrat, orientations, enjeux


def _sigle(nom: str) -> str:
    words = [w for w in nom.replace("’", " ").replace("-", " ").split() if len(w) > 3]
    return "".join(w[0] for w in words).upper()[:8]


def _structures(rng: random.Random, count: int) -> tuple[list[Structure], list[Contact]]:
    """`count` structures with unique names (reusing those the database already holds)."""
    names: list[tuple[str, str]] = []
    seen: set[str] = set()
    attempts = 0
    while len(names) < count:
        nature, pattern = rng.choice(STRUCTURE_PATTERNS)
        nom = pattern.format(ville=rng.choice(TOWNS), theme=rng.choice(THEMES))
        attempts += 1
        if attempts > count * 20:  # every combination taken: number the antennas
            nom = f"{nom} — antenne {attempts}"
        if nom not in seen:
            seen.add(nom)
            names.append((nature, nom))
    existing = {s.nom: s for s in Structure.objects.filter(nom__in=seen)}
    taken_slugs = set(
        Structure.objects.filter(slug__in=[slugify(n)[:110] for _, n in names]).values_list(
            "slug", flat=True
        )
    )
    new, contacts = [], []
    for nature, nom in names:
        # Drawn for every name, new or not, so that what follows does not depend on the base.
        sigle = _sigle(nom) if rng.random() < 0.3 else ""
        people = [
            (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), rng.choice(FONCTIONS))
            for _ in range(rng.choice([0, 1, 1, 2]))
        ]
        phone = f"03 27 {rng.randrange(10, 100)} {rng.randrange(10, 100)} {rng.randrange(10, 100)}"
        if nom in existing:
            continue
        slug = slugify(nom)[:110]
        while slug in taken_slugs:
            slug = f"{slugify(nom)[:100]}-{rng.randrange(10**6)}"
        taken_slugs.add(slug)
        structure = Structure(
            nom=nom,
            slug=slug,
            sigle=sigle,
            nature=nature,
            description=f"{nom} : structure du territoire de la Sambre-Avesnois.",
        )
        new.append(structure)
        for prenom, nom_famille, fonction in people:
            email = f"{slugify(prenom)}.{slugify(nom_famille)}@example.org"
            contacts.append(
                Contact(
                    structure=structure,
                    nom=f"{prenom} {nom_famille}",
                    fonction=fonction,
                    email=email,
                    telephone=phone,
                )
            )
    Structure.objects.bulk_create(new)
    for contact in contacts:
        contact.structure_id = contact.structure.pk
    Contact.objects.bulk_create(contacts)
    by_name = {s.nom: s for s in [*existing.values(), *new]}
    return [by_name[nom] for _nature, nom in names], contacts


def _sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(SENTENCE_SUBJECTS)} {rng.choice(SENTENCE_VERBS)} "
        f"{rng.choice(SENTENCE_OBJECTS)} {rng.choice(SENTENCE_ENDS)}."
    )


def _title(rng: random.Random) -> str:
    ville, ville2 = rng.sample(TOWNS, 2)
    place = rng.choice(PLACES).format(ville=ville, ville2=ville2, quartier=rng.choice(QUARTIERS))
    return f"{rng.choice(ACTIONS)} {rng.choice(OBJECTS)} {place}"


def _descriptif(rng: random.Random) -> str:
    paragraphs = [
        " ".join(_sentence(rng) for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(1, 3))
    ]
    if rng.random() < 0.6:
        bullets = rng.sample(BULLETS, rng.randint(2, 4))
        paragraphs.append("Objectifs :\n" + "\n".join(f"- {b}" for b in bullets))
    return "\n\n".join(paragraphs)


def _amount(rng: random.Random) -> Decimal:
    amount = Decimal(
        rng.choice([rng.randrange(500, 20_000, 50), rng.randrange(5_000, 400_000, 50)])
    )
    if rng.random() < 0.05:
        amount += Decimal(rng.randrange(1, 100)) / 100  # some amounts have cents
    return amount


def _budget(rng: random.Random) -> list[dict]:
    """0 to 3 budget lines; about a third are yearly amounts over a few years."""
    count = rng.choices([0, 1, 2, 3], weights=[8, 60, 25, 7])[0]
    lines = []
    for _ in range(count):
        line = {"montant": _amount(rng), "periodicite": Periodicite.TOTAL, "nombre_annees": None}
        draw = rng.random()
        if draw < 0.3:
            line["periodicite"] = Periodicite.ANNUEL
            line["nombre_annees"] = rng.randint(2, 6)
        elif draw < 0.45:
            line["nombre_annees"] = rng.randint(2, 6)
        line["nature"] = rng.choice(BUDGET_NATURES) if rng.random() < 0.4 else ""
        lines.append(line)
    return lines


def budget_text(lines: list[dict]) -> str:
    """The budget cell as the recap writes it, readable back by
    `actions.seed.budget_cell.parse_budget`: '250 550 €', '2 000 €\\nPar an sur 6 ans',
    '15 000 €\\nsur 6 ans'."""
    parts = []
    for line in lines:
        parts.append(format_euros(line["montant"]))
        if line["periodicite"] == Periodicite.ANNUEL:
            parts.append(f"Par an sur {line['nombre_annees']} ans")
        elif line["nombre_annees"]:
            parts.append(f"sur {line['nombre_annees']} ans")
    return "\n".join(parts)


def _item(nature, numero, parent, titre, description="") -> dict:
    return {
        "nature": nature,
        "numero": str(numero),
        "parent": parent,
        "titre": titre,
        "description": description,
    }


def _sous_actions(rng: random.Random) -> list[dict]:
    """A quarter of the fiches have a plan: axes with numbered actions, or plain actions."""
    if rng.random() >= 0.25:
        return []
    items = []
    if rng.random() < 0.5:
        numero = 0
        for axe in range(1, rng.randint(2, 3) + 1):
            titre = f"{rng.choice(ACTIONS)} {rng.choice(OBJECTS)}"
            items.append(_item(NatureSousAction.AXE, axe, None, titre))
            parent = len(items) - 1
            for _ in range(rng.randint(1, 4)):
                numero += 1
                titre = rng.choice(BULLETS).capitalize()
                items.append(_item(NatureSousAction.ACTION, numero, parent, titre, _sentence(rng)))
    else:
        for numero in range(1, rng.randint(2, 6) + 1):
            titre = rng.choice(BULLETS).capitalize()
            items.append(_item(NatureSousAction.ACTION, numero, None, titre))
    return items


def _enjeu_text(orientations: list[Orientation], enjeux: list[Enjeu]) -> str:
    lines = []
    for orientation in orientations:
        enjeu = orientation.enjeu
        head = f"Enjeu {enjeu.numero}" + (f" : {enjeu.titre}" if enjeu.titre else "")
        if head not in lines:
            lines.append(head)
        lines.append(f"Orientation {orientation.code} : {orientation.titre}")
    lines += [f"Enjeu {enjeu.numero}" for enjeu in enjeux]
    return "\n".join(lines)


@transaction.atomic
def demo_generate(*, fiches: int, seed: int, structures: int | None = None) -> DemoSummary:
    """Add `fiches` published fiches (and their structures) to the current contract.

    Everything is drawn from `random.Random(seed)`, so one seed gives the same titles,
    texts and budgets on every run and every engine; rows are written with bulk_create
    (no history records: the versions start at the first edit)."""
    if fiches < 0:
        raise ValueError("Le nombre de fiches ne peut pas être négatif.")
    rng = random.Random(seed)
    contrat, orientations, enjeux = _referential()
    structures_list, contacts = _structures(rng, structures or max(30, fiches // 20))
    first = (FicheAction.objects.aggregate(m=Max("ordre"))["m"] or 0) + 1
    summary = DemoSummary(premier_ordre=first, contacts=len(contacts))
    summary.structures = len(structures_list)

    rows, plans = [], []
    for index in range(fiches):
        titre = _title(rng)
        chosen = rng.sample(orientations, rng.choice([1, 1, 2])) if orientations else []
        direct = [rng.choice(enjeux)] if enjeux and rng.random() < 0.1 else []
        people = rng.sample(structures_list, min(len(structures_list), rng.randint(1, 6)))
        roles = [Role.PORTEUR]
        if len(people) > 1 and rng.random() < 0.15:
            roles.append(Role.CO_PORTEUR)
        roles += [
            Role.FINANCEUR if rng.random() < 0.2 else Role.PARTENAIRE for _ in people[len(roles) :]
        ]
        budget = _budget(rng)
        financeurs = [s for s, r in zip(people, roles, strict=True) if r == Role.FINANCEUR]
        for line in budget:
            line["financeur"] = financeurs[0] if financeurs and rng.random() < 0.7 else None
        ordre = first + index
        structure_texte = "\n".join(
            f"{Role(role).label} : {structure.nom}"
            for structure, role in zip(people, roles, strict=True)
        )
        rows.append(
            FicheAction(
                contrat=contrat,
                ordre=ordre,
                titre=titre,
                # The order number keeps slugs unique across runs and seeds.
                slug=f"{slugify(titre)[:180]}-{ordre}",
                descriptif=_descriptif(rng),
                enjeu_texte=_enjeu_text(chosen, direct),
                budget_texte=budget_text(budget),
                structure_texte=structure_texte,
                statut=rng.choices(STATUTS, weights=STATUT_WEIGHTS)[0],
                **PUBLICATION,
            )
        )
        plans.append((chosen, direct, list(zip(people, roles, strict=True)), budget))
        plans[-1] += (_sous_actions(rng),)
    FicheAction.objects.bulk_create(rows, batch_size=1000)

    orientation_links, enjeu_links = [], []
    participations, lignes, roots, children = [], [], [], []
    for fiche, (chosen, direct, people, budget, sous_actions) in zip(rows, plans, strict=True):
        orientation_links += [
            FicheAction.orientations.through(ficheaction_id=fiche.pk, orientation_id=o.pk)
            for o in chosen
        ]
        enjeu_links += [
            FicheAction.enjeux.through(ficheaction_id=fiche.pk, enjeu_id=e.pk) for e in direct
        ]
        participations += [
            Participation(fiche_id=fiche.pk, structure_id=structure.pk, role=role, ordre=n)
            for n, (structure, role) in enumerate(people)
        ]
        lignes += [
            LigneBudget(
                fiche_id=fiche.pk,
                montant=line["montant"],
                periodicite=line["periodicite"],
                nombre_annees=line["nombre_annees"],
                nature=line["nature"],
                financeur_id=line["financeur"].pk if line["financeur"] else None,
                ordre=n,
            )
            for n, line in enumerate(budget)
        ]
        objects = [
            SousAction(
                fiche_id=fiche.pk,
                nature=item["nature"],
                numero=item["numero"],
                titre=item["titre"],
                description=item["description"],
                ordre=n,
            )
            for n, item in enumerate(sous_actions)
        ]
        for item, obj in zip(sous_actions, objects, strict=True):
            if item["parent"] is None:
                roots.append(obj)
            else:
                children.append((obj, objects[item["parent"]]))
    FicheAction.orientations.through.objects.bulk_create(orientation_links, batch_size=2000)
    FicheAction.enjeux.through.objects.bulk_create(enjeu_links, batch_size=2000)
    Participation.objects.bulk_create(participations, batch_size=2000)
    LigneBudget.objects.bulk_create(lignes, batch_size=2000)
    SousAction.objects.bulk_create(roots, batch_size=2000)  # parents first: children need a pk
    for child, parent in children:
        child.parent_id = parent.pk
    SousAction.objects.bulk_create([child for child, _parent in children], batch_size=2000)
    data_version_bump()  # bulk_create sends no signal: cached downloads would not know

    summary.fiches = len(rows)
    summary.participations = len(participations)
    summary.lignes_budget = len(lignes)
    summary.sous_actions = len(roots) + len(children)
    summary.slugs = [fiche.slug for fiche in rows]
    return summary
