"""generate_demo's engine: the `Demo…` factories' fiches and structures, seeded, in bulk."""

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field

import factory.random
from django.db import transaction
from django.db.models import Max, Min
from django.utils.text import slugify

from contrat.dataversion import data_version_bump
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Contact, Structure

from .factories import DemoFicheActionFactory, DemoStructureFactory, draw_structure_identities
from .models import (
    Etape,
    FicheAction,
    Indicateur,
    LigneBudget,
    LigneFinancement,
    Participation,
    PointAvancement,
    SousAction,
    ValeurIndicateur,
)
from .search import search_index_update

BATCH_SIZE = 2000  # rows per INSERT, and fiches built between two writes (flat memory)
# The demo contract's years, when it has none yet (the recap's source gives none).
DEMO_PERIOD = (2024, 2029)


@dataclass
class DemoSummary:
    """What `demo_generate` created, by model."""

    fiches: int = 0
    structures: int = 0
    contacts: int = 0
    participations: int = 0
    lignes_budget: int = 0
    sous_actions: int = 0
    lignes_financement: int = 0
    points_avancement: int = 0
    indicateurs: int = 0
    valeurs_indicateurs: int = 0
    etapes: int = 0
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
    if contrat.annee_debut is None:
        _give_period(contrat)
    # Ordered on stable columns, never on primary keys: the same seed picks the same ones.
    orientations = list(
        Orientation.objects.filter(enjeu__contrat=contrat)
        .select_related("enjeu")
        .order_by("enjeu__numero", "numero", "titre")
    )
    enjeux = list(Enjeu.objects.filter(contrat=contrat).order_by("numero"))
    return contrat, orientations, enjeux


def _give_period(contrat: Contrat) -> None:
    """DEMO_PERIOD for the financing plans, widened to the years of lines entered meanwhile
    (the database refuses a period that leaves a line out)."""
    years = LigneFinancement.objects.filter(fiche__contrat=contrat).aggregate(
        first=Min("annee"), last=Max("annee")
    )
    contrat.annee_debut = min(DEMO_PERIOD[0], years["first"] or DEMO_PERIOD[0])
    contrat.annee_fin = max(DEMO_PERIOD[1], years["last"] or DEMO_PERIOD[1])
    contrat.save(update_fields=["annee_debut", "annee_fin"])


def _structures(count: int) -> tuple[list[Structure], list[Contact]]:
    """`count` structures with different names, reusing those the database already holds;
    the contacts of the new ones."""
    identities = draw_structure_identities(count)
    names = [nom for _nature, nom in identities]
    existing = {s.nom: s for s in Structure.objects.filter(nom__in=names)}
    taken_slugs = set(
        Structure.objects.filter(slug__in=[slugify(nom)[:110] for nom in names]).values_list(
            "slug", flat=True
        )
    )
    new, contacts = [], []
    for identite in identities:
        # Built for every name, new or not, so that what follows does not depend on the base.
        structure = DemoStructureFactory.build(identite=identite)
        if structure.nom in existing:
            continue
        while structure.slug in taken_slugs:
            randrange = factory.random.randgen.randrange
            structure.slug = f"{slugify(structure.nom)[:100]}-{randrange(10**6)}"
        taken_slugs.add(structure.slug)
        new.append(structure)
        for contact in structure.rows["contacts"]:
            contact.structure = structure  # its key comes with the bulk_create below
            contacts.append(contact)
    Structure.objects.bulk_create(new)
    Contact.objects.bulk_create(contacts)
    by_name = {s.nom: s for s in [*existing.values(), *new]}
    return [by_name[nom] for nom in names], contacts


def _write(fiches: list[FicheAction], summary: DemoSummary) -> None:
    """The fiches, then their rows, now that the fiches have their keys."""
    FicheAction.objects.bulk_create(fiches, batch_size=BATCH_SIZE)
    Orientations, Enjeux = FicheAction.orientations.through, FicheAction.enjeux.through
    orientation_links, enjeu_links = [], []
    participations, lignes, roots, children, financements = [], [], [], [], []
    points, indicateurs, etapes = [], [], []
    for fiche in fiches:
        rows = fiche.rows
        orientation_links += [
            Orientations(ficheaction_id=fiche.pk, orientation_id=o.pk) for o in rows["orientations"]
        ]
        enjeu_links += [Enjeux(ficheaction_id=fiche.pk, enjeu_id=e.pk) for e in rows["enjeux"]]
        for row in rows["participations"]:
            row.fiche_id = fiche.pk
            participations.append(row)
        for row in rows["lignes_budget"]:
            row.fiche_id = fiche.pk
            lignes.append(row)
        for row in rows["sous_actions"]:
            row.fiche_id = fiche.pk
            (roots if row.parent is None else children).append(row)
        for row in rows["lignes_financement"]:
            row.fiche_id = fiche.pk
            financements.append(row)
        for name, found in (
            ("points_avancement", points),
            ("indicateurs", indicateurs),
            ("etapes", etapes),
        ):
            for row in rows.get(name, ()):
                row.fiche_id = fiche.pk
                found.append(row)
    Orientations.objects.bulk_create(orientation_links, batch_size=BATCH_SIZE)
    Enjeux.objects.bulk_create(enjeu_links, batch_size=BATCH_SIZE)
    Participation.objects.bulk_create(participations, batch_size=BATCH_SIZE)
    LigneBudget.objects.bulk_create(lignes, batch_size=BATCH_SIZE)
    SousAction.objects.bulk_create(roots, batch_size=BATCH_SIZE)  # parents first: keys
    SousAction.objects.bulk_create(children, batch_size=BATCH_SIZE)
    LigneFinancement.objects.bulk_create(financements, batch_size=BATCH_SIZE)
    PointAvancement.objects.bulk_create(points, batch_size=BATCH_SIZE)
    Indicateur.objects.bulk_create(indicateurs, batch_size=BATCH_SIZE)  # keys for the values
    valeurs = []
    for indicateur in indicateurs:
        for valeur in indicateur.valeurs_tirees:
            valeur.indicateur_id = indicateur.pk
            valeurs.append(valeur)
    ValeurIndicateur.objects.bulk_create(valeurs, batch_size=BATCH_SIZE)
    Etape.objects.bulk_create(etapes, batch_size=BATCH_SIZE)
    # bulk_create sends no signal: the search index is told of these fiches here.
    search_index_update(fiche_ids=[fiche.pk for fiche in fiches])
    summary.fiches += len(fiches)
    summary.participations += len(participations)
    summary.lignes_budget += len(lignes)
    summary.sous_actions += len(roots) + len(children)
    summary.lignes_financement += len(financements)
    summary.points_avancement += len(points)
    summary.indicateurs += len(indicateurs)
    summary.valeurs_indicateurs += len(valeurs)
    summary.etapes += len(etapes)
    summary.slugs += [fiche.slug for fiche in fiches]


@contextmanager
def _cyclic_collector_paused():
    """factory_boy leaves a reference cycle behind each build (its build step and resolver, 17
    objects or more). Left to Python's collector, these cycles bring full collections of the
    whole process: 1.1 to 1.4 s at 10,000 fiches. With the collector paused and the youngest
    generation collected after each batch (`gc.collect(0)`: what the batch made), 0.4 s."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@transaction.atomic
def demo_generate(
    *,
    fiches: int,
    seed: int,
    structures: int | None = None,
    premier_ordre: int | None = None,
    fiche_factory=DemoFicheActionFactory,
) -> DemoSummary:
    """Add `fiches` published fiches (and their structures) to the current contract.

    Everything is drawn by the `Demo…` factories after `factory.random.reseed_random(seed)`,
    so one seed gives the same titles, texts and budgets on every run and every engine; rows
    are written with bulk_create (no history records: the versions start at the first edit).
    The fiches follow the last one in recap order, or start at `premier_ordre`; they are
    `fiche_factory`'s (the export benchmarks' are lighter: BenchFicheActionFactory)."""
    if fiches < 0:
        raise ValueError("Le nombre de fiches ne peut pas être négatif.")
    factory.random.reseed_random(seed)
    contrat, orientations, enjeux = _referential()
    structures_list, contacts = _structures(structures or max(30, fiches // 20))
    if premier_ordre is None:
        premier_ordre = (FicheAction.objects.aggregate(m=Max("ordre"))["m"] or 0) + 1
    summary = DemoSummary(
        premier_ordre=premier_ordre, structures=len(structures_list), contacts=len(contacts)
    )
    with _cyclic_collector_paused():
        for start in range(0, fiches, BATCH_SIZE):
            batch = [
                fiche_factory.build(
                    contrat=contrat,
                    ordre=premier_ordre + index,
                    choix_orientations=orientations,
                    choix_enjeux=enjeux,
                    choix_structures=structures_list,
                    choix_annees=contrat.annees,
                    financeur_contrat=contrat.financeur,
                )
                for index in range(start, min(start + BATCH_SIZE, fiches))
            ]
            _write(batch, summary)
            gc.collect(0)
    data_version_bump()  # bulk_create sends no signal: cached downloads would not know
    return summary
