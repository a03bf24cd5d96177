"""factory_boy factories, the one description of generated data (tests, demo, benchmarks).

Two kinds, one per use:
- the plain factories (`FicheActionFactory`...) build the least a test asserts on, with
  predictable values ("Fiche action 3", a 10 000 € line); tests import them from
  tests/factories.py;
- the `Demo…` factories build realistic fiches and structures of the Sambre-Avesnois, drawn
  from factory_boy's random generator: generate_demo (actions/demo.py) and the benchmarks build
  them by the thousand, then write them with bulk_create.

After `factory.random.reseed_random(seed)` the `Demo…` factories give the same data for that
seed on every run and engine. factory_boy resolves declarations in the order they are written
(a declaration first resolving those it reads), so that order is the order of the draws:
reordering declarations, or drawing something new before others, changes what a seed gives."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils.text import slugify
from factory.random import randgen

from contrat.formats import format_euros
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Contact, Structure

from .demo_vocabulary import (
    ACTIONS,
    BUDGET_NATURES,
    BULLETS,
    FIRST_NAMES,
    FONCTIONS,
    LAST_NAMES,
    OBJECTS,
    PLACES,
    QUARTIERS,
    SENTENCE_ENDS,
    SENTENCE_OBJECTS,
    SENTENCE_SUBJECTS,
    SENTENCE_VERBS,
    STRUCTURE_PATTERNS,
    THEMES,
    TOWNS,
)
from .models import (
    Etat,
    FicheAction,
    LigneBudget,
    LigneFinancement,
    NatureFinancement,
    NatureSousAction,
    Participation,
    Periodicite,
    Role,
    SousAction,
    Statut,
)
from .suivi_factories import draw_etapes, draw_indicateurs, draw_points_avancement, suivi_random

# --------------------------------------------------------------------------- plain factories


class ContratFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contrat
        django_get_or_create = ("slug",)

    nom = "Contrat de territoire CG59 — Sambre-Avesnois"
    slug = "cg59-sambre-avesnois"
    territoire = "Sambre-Avesnois"
    periode = "6 ans"
    pied_de_page = "Le Pôle de développement de l’ESS est soutenu par"


class EnjeuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enjeu

    contrat = factory.SubFactory(ContratFactory)
    numero = factory.Sequence(lambda n: n + 1)
    titre = factory.Sequence(lambda n: f"Enjeu de test {n + 1}")


class OrientationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Orientation

    enjeu = factory.SubFactory(EnjeuFactory)
    numero = factory.Sequence(lambda n: n + 1)
    titre = factory.Sequence(lambda n: f"Orientation de test {n + 1}")


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    nom = factory.Sequence(lambda n: f"Structure {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.nom))


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    structure = factory.SubFactory(StructureFactory)
    nom = factory.Sequence(lambda n: f"Personne {n}")


class FicheActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FicheAction

    contrat = factory.SubFactory(ContratFactory)
    titre = factory.Sequence(lambda n: f"Fiche action {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.titre))
    descriptif = "Un descriptif.\n- avec une puce"
    ordre = factory.Sequence(lambda n: n + 1)
    etat = Etat.PUBLIEE


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    fiche = factory.SubFactory(FicheActionFactory)
    structure = factory.SubFactory(StructureFactory)
    role = Role.PORTEUR


class LigneBudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LigneBudget

    fiche = factory.SubFactory(FicheActionFactory)
    montant = Decimal("10000")
    periodicite = Periodicite.TOTAL


class LigneFinancementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LigneFinancement

    fiche = factory.SubFactory(FicheActionFactory)
    financeur = factory.SubFactory(StructureFactory)
    annee = 2025
    prevu = Decimal("10000")


class SousActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SousAction

    fiche = factory.SubFactory(FicheActionFactory)
    titre = factory.Sequence(lambda n: f"Sous-action {n}")
    ordre = factory.Sequence(lambda n: n)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"personne{n}")
    first_name = factory.Sequence(lambda n: f"Prénom{n}")
    last_name = "Nom"
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("mot-de-passe-de-test")
    is_staff = True


# --------------------------------------------------------------------------- demo: the draws
# A fiche's rows (participations, budget lines, sub-actions) and a structure's contacts are
# drawn by these functions, which their factory declares, rather than by a factory_boy build
# each: 60,000 more builds made generate_demo twice as slow at 10,000 fiches.


def draw_sentence() -> str:
    return (
        f"{randgen.choice(SENTENCE_SUBJECTS)} {randgen.choice(SENTENCE_VERBS)} "
        f"{randgen.choice(SENTENCE_OBJECTS)} {randgen.choice(SENTENCE_ENDS)}."
    )


def draw_title() -> str:
    """'Créer une ressourcerie à Maubeuge', 'Former les bénévoles… en Sambre-Avesnois'."""
    ville, ville2 = randgen.sample(TOWNS, 2)
    place = randgen.choice(PLACES).format(
        ville=ville, ville2=ville2, quartier=randgen.choice(QUARTIERS)
    )
    return f"{randgen.choice(ACTIONS)} {randgen.choice(OBJECTS)} {place}"


def draw_descriptif(paragraphs=(1, 3), sentences=(2, 4), objectives=0.6) -> str:
    """Paragraphs (one to three) of sentences (two to four), and objectives as bullets more
    often than not (`objectives`: how often)."""
    paragraphs = [
        " ".join(draw_sentence() for _ in range(randgen.randint(*sentences)))
        for _ in range(randgen.randint(*paragraphs))
    ]
    if randgen.random() < objectives:
        bullets = randgen.sample(BULLETS, randgen.randint(2, 4))
        paragraphs.append("Objectifs :\n" + "\n".join(f"- {b}" for b in bullets))
    return "\n\n".join(paragraphs)


def draw_structure_identity() -> tuple[str, str]:
    """A nature and a name drawn together: the name says what kind of structure it is."""
    nature, pattern = randgen.choice(STRUCTURE_PATTERNS)
    return nature, pattern.format(ville=randgen.choice(TOWNS), theme=randgen.choice(THEMES))


def draw_structure_identities(count: int) -> list[tuple[str, str]]:
    """`count` (nature, nom) with different names; once the patterns run out of combinations,
    the names get antenna numbers."""
    identities: list[tuple[str, str]] = []
    seen: set[str] = set()
    attempts = 0
    while len(identities) < count:
        nature, nom = draw_structure_identity()
        attempts += 1
        if attempts > count * 20:  # every combination taken: number the antennas
            nom = f"{nom} — antenne {attempts}"
        if nom not in seen:
            seen.add(nom)
            identities.append((nature, nom))
    return identities


def sigle_of(nom: str) -> str:
    words = [w for w in nom.replace("’", " ").replace("-", " ").split() if len(w) > 3]
    return "".join(w[0] for w in words).upper()[:8]


def draw_contacts() -> list[Contact]:
    """None to two people ('Jeanne Lefèvre, Directrice'), who share the structure's phone."""
    people = [
        (randgen.choice(FIRST_NAMES), randgen.choice(LAST_NAMES), randgen.choice(FONCTIONS))
        for _ in range(randgen.choice([0, 1, 1, 2]))
    ]
    telephone = " ".join(["03 27", *(str(randgen.randrange(10, 100)) for _ in range(3))])
    return [
        Contact(
            nom=f"{prenom} {nom_famille}",
            fonction=fonction,
            email=f"{slugify(prenom)}.{slugify(nom_famille)}@example.org",
            telephone=telephone,
        )
        for prenom, nom_famille, fonction in people
    ]


def draw_participations(structures, roles=None) -> list[Participation]:
    """1 to 6 of the `structures`: a porteur, sometimes a co-porteur, partners and financers;
    or one for each of `roles`."""
    if roles:
        people = randgen.sample(structures, len(roles))
    else:
        people = randgen.sample(structures, min(len(structures), randgen.randint(1, 6)))
        roles = [Role.PORTEUR]
        if len(people) > 1 and randgen.random() < 0.15:
            roles.append(Role.CO_PORTEUR)
        roles += [
            Role.FINANCEUR if randgen.random() < 0.2 else Role.PARTENAIRE
            for _ in people[len(roles) :]
        ]
    return [
        Participation(structure=structure, role=role, ordre=n)
        for n, (structure, role) in enumerate(zip(people, roles, strict=True))
    ]


def draw_amount() -> Decimal:
    """Small and large amounts alike; a few with cents."""
    montant = Decimal(
        randgen.choice([randgen.randrange(500, 20_000, 50), randgen.randrange(5_000, 400_000, 50)])
    )
    if randgen.random() < 0.05:
        montant += Decimal(randgen.randrange(1, 100)) / 100
    return montant


def draw_ligne_budget(ordre: int) -> LigneBudget:
    """An amount: in total, in total over some years, or (a third of them) yearly."""
    ligne = LigneBudget(montant=draw_amount(), periodicite=Periodicite.TOTAL, ordre=ordre)
    draw = randgen.random()
    if draw < 0.3:
        ligne.periodicite = Periodicite.ANNUEL
        ligne.nombre_annees = randgen.randint(2, 6)
    elif draw < 0.45:
        ligne.nombre_annees = randgen.randint(2, 6)
    ligne.nature = randgen.choice(BUDGET_NATURES) if randgen.random() < 0.4 else ""
    return ligne


def draw_lignes_budget(
    participations, counts=(0, 1, 2, 3), weights=(8, 60, 25, 7)
) -> list[LigneBudget]:
    """0 to 3 lines (one most often), or as many as `counts` with these `weights`; when the
    fiche has a financer, it pays for most of them."""
    count = randgen.choices(counts, weights=weights)[0]
    lignes = [draw_ligne_budget(n) for n in range(count)]
    financeurs = [p.structure for p in participations if p.role == Role.FINANCEUR]
    for ligne in lignes:
        ligne.financeur = financeurs[0] if financeurs and randgen.random() < 0.7 else None
    return lignes


def draw_lignes_financement(participations, structures, annees, financeur=None):
    """Two to four financers (the contract's own first, then the fiche's) over a run of one to
    four of the contract's `annees`, each paying the same planned amount every year. The first
    two years are decided (granted, at the planned amount or less); the first is paid, the
    second half paid. No lines without years to spread them over."""
    if not annees or not structures:
        return []
    named = [p.structure for p in participations if p.role == Role.FINANCEUR]
    others = randgen.sample(structures, min(4, len(structures)))
    candidates = list(dict.fromkeys([financeur, *named, *others]))
    financeurs = [s for s in candidates if s is not None][: randgen.randint(2, 4)]
    start = randgen.randrange(len(annees))
    years = annees[start : start + randgen.randint(1, 4)]
    lignes = []
    for structure in financeurs:
        investissement = randgen.random() < 0.15
        prevu = Decimal(randgen.randrange(1_000, 40_000, 500))
        for annee in years:
            ligne = LigneFinancement(
                financeur=structure,
                annee=annee,
                nature=NatureFinancement.INVESTISSEMENT
                if investissement
                else NatureFinancement.FONCTIONNEMENT,
                prevu=prevu,
            )
            if annee <= annees[0] + 1 and randgen.random() < 0.9:
                ligne.accorde = prevu if randgen.random() < 0.7 else (prevu * 8 / 10).quantize(1)
                ligne.date_decision = datetime.date(annee - 1, randgen.randint(9, 12), 15)
                ligne.reference_decision = f"Délibération {annee - 1}-{randgen.randrange(100, 999)}"
                ligne.verse = ligne.accorde if annee == annees[0] else ligne.accorde / 2
            lignes.append(ligne)
    return lignes


def draw_sous_actions() -> list[SousAction]:
    """A quarter of the fiches have a plan: axes of described, numbered actions, or plain
    actions. Parents come before their children."""
    if randgen.random() >= 0.25:
        return []
    items = []
    if randgen.random() < 0.5:
        numero = 0
        for axe in range(1, randgen.randint(2, 3) + 1):
            titre = f"{randgen.choice(ACTIONS)} {randgen.choice(OBJECTS)}"
            parent = SousAction(nature=NatureSousAction.AXE, numero=str(axe), titre=titre)
            items.append(parent)
            for _ in range(randgen.randint(1, 4)):
                numero += 1
                titre = randgen.choice(BULLETS).capitalize()
                description = draw_sentence()
                items.append(
                    SousAction(
                        nature=NatureSousAction.ACTION,
                        numero=str(numero),
                        parent=parent,
                        titre=titre,
                        description=description,
                    )
                )
    else:
        for numero in range(1, randgen.randint(2, 6) + 1):
            titre = randgen.choice(BULLETS).capitalize()
            items.append(
                SousAction(nature=NatureSousAction.ACTION, numero=str(numero), titre=titre)
            )
    for ordre, item in enumerate(items):
        item.ordre = ordre
    return items


def budget_text(lignes) -> str:
    """The budget cell as the recap writes it, readable back by
    `actions.seed.budget_cell.parse_budget`: '250 550 €', '2 000 €\\nPar an sur 6 ans',
    '15 000 €\\nsur 6 ans'."""
    parts = []
    for ligne in lignes:
        parts.append(format_euros(ligne.montant))
        if ligne.periodicite == Periodicite.ANNUEL:
            parts.append(f"Par an sur {ligne.nombre_annees} ans")
        elif ligne.nombre_annees:
            parts.append(f"sur {ligne.nombre_annees} ans")
    return "\n".join(parts)


def enjeu_text(orientations, enjeux) -> str:
    """The enjeu cell as the recap writes it: each cited enjeu, its orientations under it."""
    lines = []
    for orientation in orientations:
        enjeu = orientation.enjeu
        head = f"Enjeu {enjeu.numero}" + (f" : {enjeu.titre}" if enjeu.titre else "")
        if head not in lines:
            lines.append(head)
        lines.append(f"Orientation {orientation.code} : {orientation.titre}")
    lines += [f"Enjeu {enjeu.numero}" for enjeu in enjeux]
    return "\n".join(lines)


def structure_text(participations) -> str:
    return "\n".join(f"{Role(p.role).label} : {p.structure.nom}" for p in participations)


# --------------------------------------------------------------------------- demo factories


class WithRowsFactory(factory.django.DjangoModelFactory):
    """A factory whose object comes with rows its declarations drew: reverse relations (a
    fiche's `participations`) and many-to-many links (its `orientations`), each declared under
    the relation's name. build() leaves them in `instance.rows` ({name: [objects]}), unsaved
    and not yet pointing to the instance, which has no key yet: actions/demo.py writes them
    with bulk_create after the instances. create() saves them, in their order (parents before
    their children)."""

    class Meta:
        abstract = True

    _rows: tuple[str, ...] = ()

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        rows = {name: kwargs.pop(name) for name in cls._rows}
        instance = super()._build(model_class, *args, **kwargs)
        instance.rows = rows
        return instance

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        rows = {name: kwargs.pop(name) for name in cls._rows}
        instance = super()._create(model_class, *args, **kwargs)
        instance.rows = rows
        for name, objects in rows.items():
            relation = model_class._meta.get_field(name)
            if relation.many_to_many:
                getattr(instance, name).set(objects)
                continue
            for obj in objects:
                setattr(obj, relation.field.name, instance)
                obj.save()
        return instance


class DemoStructureFactory(WithRowsFactory):
    """A structure of the territory ('Épicerie solidaire de Fourmies', 'CCAS de Jeumont') and
    its contacts. demo_generate passes each its `identite`, drawn beforehand so that the names
    differ (`draw_structure_identities`)."""

    class Meta:
        model = Structure
        django_get_or_create = ("nom",)  # create() with a name drawn twice: the same structure

    class Params:
        identite = factory.LazyFunction(draw_structure_identity)  # (nature, nom)

    _rows = ("contacts",)

    nature = factory.LazyAttribute(lambda o: o.identite[0])
    nom = factory.LazyAttribute(lambda o: o.identite[1])
    slug = factory.LazyAttribute(lambda o: slugify(o.nom)[:110])
    sigle = factory.LazyAttribute(lambda o: sigle_of(o.nom) if randgen.random() < 0.3 else "")
    description = factory.LazyAttribute(
        lambda o: f"{o.nom} : structure du territoire de la Sambre-Avesnois."
    )
    contacts = factory.LazyFunction(draw_contacts)


STATUTS = [Statut.PROPOSEE, Statut.EN_COURS, Statut.REALISEE, Statut.ABANDONNEE]
STATUT_WEIGHTS = [30, 45, 20, 5]


class DemoFicheActionFactory(WithRowsFactory):
    """A published fiche like the recap's: a title and a descriptif of the territory, one or
    two orientations (now and then an enjeu cited directly), a porteur and up to five other
    structures, 0 to 3 budget lines, a plan for a quarter of them, a financing plan over
    `choix_annees`; its enjeu, budget and structure cells written from those rows, as the recap
    writes them.

    It draws among `choix_orientations`, `choix_enjeux` and `choix_structures` (demo_generate
    passes the contract's, in a stable order); by default it cites no orientation and has a
    structure of its own."""

    class Meta:
        model = FicheAction

    class Params:
        choix_orientations = ()
        choix_enjeux = ()
        choix_structures = factory.List([factory.SubFactory(DemoStructureFactory)])
        choix_annees = ()  # the contract's years, for the financing lines
        financeur_contrat = None
        suivi_rng = factory.LazyAttribute(lambda o: suivi_random(o.slug))

    _rows = (
        "orientations",
        "enjeux",
        "participations",
        "lignes_budget",
        "sous_actions",
        "lignes_financement",
        "points_avancement",
        "indicateurs",
        "etapes",
    )

    contrat = factory.SubFactory(ContratFactory)
    ordre = factory.Sequence(lambda n: n + 1)
    titre = factory.LazyFunction(draw_title)
    # The order number keeps slugs unique across runs and seeds.
    slug = factory.LazyAttribute(lambda o: f"{slugify(o.titre)[:180]}-{o.ordre}")
    orientations = factory.LazyAttribute(
        lambda o: (
            randgen.sample(
                o.choix_orientations, min(len(o.choix_orientations), randgen.choice([1, 1, 2]))
            )
            if o.choix_orientations
            else []
        )
    )
    enjeux = factory.LazyAttribute(
        lambda o: (
            [randgen.choice(o.choix_enjeux)] if o.choix_enjeux and randgen.random() < 0.1 else []
        )
    )
    participations = factory.LazyAttribute(lambda o: draw_participations(o.choix_structures))
    lignes_budget = factory.LazyAttribute(lambda o: draw_lignes_budget(o.participations))
    descriptif = factory.LazyFunction(draw_descriptif)
    enjeu_texte = factory.LazyAttribute(lambda o: enjeu_text(o.orientations, o.enjeux))
    budget_texte = factory.LazyAttribute(lambda o: budget_text(o.lignes_budget))
    structure_texte = factory.LazyAttribute(lambda o: structure_text(o.participations))
    statut = factory.LazyFunction(lambda: randgen.choices(STATUTS, weights=STATUT_WEIGHTS)[0])
    # Published: the benchmarks and the load test measure what the public sees.
    etat = Etat.PUBLIEE
    sous_actions = factory.LazyFunction(draw_sous_actions)
    # Drawn last: what a seed gave before financing lines existed stays the same.
    lignes_financement = factory.LazyAttribute(
        lambda o: draw_lignes_financement(
            o.participations, o.choix_structures, o.choix_annees, o.financeur_contrat
        )
    )
    # The follow-up (actions/suivi_factories.py), from a generator of its own.
    points_avancement = factory.LazyAttribute(
        lambda o: draw_points_avancement(o.statut, o.choix_annees, o.suivi_rng)
    )
    indicateurs = factory.LazyAttribute(lambda o: draw_indicateurs(o.choix_annees, o.suivi_rng))
    etapes = factory.LazyAttribute(lambda o: draw_etapes(o.statut, o.choix_annees, o.suivi_rng))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        instance = super()._create(model_class, *args, **kwargs)
        for indicateur in instance.rows["indicateurs"]:  # its values, once it has a key
            for valeur in indicateur.valeurs_tirees:
                valeur.indicateur = indicateur
                valeur.save()
        return instance


class BenchFicheActionFactory(DemoFicheActionFactory):
    """The lighter fiche the export and import benchmarks (scripts/bench_exports.py,
    bench_imports.py) have always measured, so that their figures stay comparable: entered on
    the site rather than from the source document (no enjeu, budget or structure cell: the
    recap reads its rows), a paragraph of three sentences and its objectives, a porteur and a
    partner, one or two budget lines, no plan; a financing plan like the demo's (the recap
    workbook's financing sheets are measured at 10,000 fiches: issue #12). Its title is numbered,
    'Fiche générée 1012 : …' (slug `fiche-generee-1012-…`): the import cases rename the
    exported rows ('Fiche importée', `fiche-importee-`) to import them again."""

    titre = factory.LazyAttribute(lambda o: f"Fiche générée {o.ordre} : {draw_title()}")
    slug = factory.LazyAttribute(lambda o: slugify(o.titre)[:190])
    participations = factory.LazyAttribute(
        lambda o: draw_participations(o.choix_structures, roles=(Role.PORTEUR, Role.PARTENAIRE))
    )
    lignes_budget = factory.LazyAttribute(
        lambda o: draw_lignes_budget(o.participations, counts=(1, 2), weights=(1, 1))
    )
    descriptif = factory.LazyFunction(
        lambda: draw_descriptif(paragraphs=(1, 1), sentences=(3, 3), objectives=1)
    )
    enjeu_texte = ""
    budget_texte = ""
    structure_texte = ""
    sous_actions = factory.LazyFunction(list)
    points_avancement = factory.LazyFunction(list)
    indicateurs = factory.LazyFunction(list)
    etapes = factory.LazyFunction(list)
