"""factory_boy for a fiche's follow-up (actions/suivi.py): the plain factories the tests use,
and the draws of DemoFicheActionFactory (progress notes ending on the fiche's statut,
indicators with their yearly values, milestones). Beside factories.py
(which would pass 600 lines); tests import the factories from tests/factories.py."""

import datetime
import random
from decimal import Decimal

import factory

from .choices import Statut
from .demo_vocabulary import ETAPES, INDICATEURS, NOTES, SENTENCE_ENDS
from .models import Etape, Indicateur, PointAvancement, ValeurIndicateur

# --------------------------------------------------------------------------- plain factories


class PointAvancementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PointAvancement

    fiche = factory.SubFactory("actions.factories.FicheActionFactory")
    date = factory.Sequence(lambda n: datetime.date(2025, 1, 1) + datetime.timedelta(days=n))
    statut = Statut.EN_COURS
    commentaire = factory.Sequence(lambda n: f"Point d'avancement {n}")


class IndicateurFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicateur

    fiche = factory.SubFactory("actions.factories.FicheActionFactory")
    nom = factory.Sequence(lambda n: f"Indicateur {n}")
    unite = "personnes"
    valeur_reference = Decimal(10)
    annee_reference = 2024
    valeur_cible = Decimal(50)
    annee_cible = 2028


class ValeurIndicateurFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ValeurIndicateur

    indicateur = factory.SubFactory(IndicateurFactory)
    annee = factory.Sequence(lambda n: 2025 + n)
    valeur = Decimal(20)


class EtapeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Etape

    fiche = factory.SubFactory("actions.factories.FicheActionFactory")
    titre = factory.Sequence(lambda n: f"Étape {n}")
    date_prevue = datetime.date(2025, 6, 1)


# --------------------------------------------------------------------------- demo draws

# The notes that lead to each statut, oldest first: a fiche en cours was proposée before.
PATHS = {
    Statut.PROPOSEE: [Statut.PROPOSEE],
    Statut.EN_COURS: [Statut.PROPOSEE, Statut.EN_COURS, Statut.EN_COURS],
    Statut.REALISEE: [Statut.PROPOSEE, Statut.EN_COURS, Statut.REALISEE],
    Statut.ABANDONNEE: [Statut.PROPOSEE, Statut.EN_COURS, Statut.ABANDONNEE],
}


def _first_year(annees) -> int:
    return annees[0] if annees else 2024


def suivi_random(slug: str) -> random.Random:
    """The follow-up's own generator, seeded by the fiche's slug (itself drawn from the seed):
    drawing the follow-up leaves factory_boy's generator, hence every fiche a seed gave before
    the follow-up existed, as it was."""
    return random.Random(f"suivi-{slug}")


def _date_in(rng, year: int) -> datetime.date:
    return datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))


def draw_points_avancement(statut, annees, rng) -> list[PointAvancement]:
    """Most fiches have notes: the last says the fiche's `statut` (so that it follows them),
    the earlier ones the way there, a few months apart from the contract's first year."""
    if rng.random() < 0.2:
        return []
    path = PATHS[statut]
    steps = path[-rng.randint(1, len(path)) :]
    date = _date_in(rng, _first_year(annees))
    points = []
    for index, step in enumerate(steps):
        last = index == len(steps) - 1
        avancement = None
        if step == Statut.REALISEE:
            avancement = 100
        elif step == Statut.EN_COURS and rng.random() < 0.7:
            avancement = rng.randrange(10, 95, 5)
        commentaire = f"{rng.choice(NOTES)} {rng.choice(SENTENCE_ENDS)}."
        points.append(
            PointAvancement(
                date=date,
                statut=statut if last else step,
                avancement=avancement,
                commentaire=commentaire,
            )
        )
        date += datetime.timedelta(days=rng.randint(60, 240))
    return points


def draw_indicateurs(annees, rng) -> list[Indicateur]:
    """0 to 2 indicators, from the year before the contract to its last year, each measured
    over its first one to three years (`valeurs_tirees`: written after their indicator); about
    a third have reached their target."""
    count = rng.choices((0, 1, 2), weights=(4, 4, 2))[0]
    first = _first_year(annees)
    last = annees[-1] if annees else first + 4
    indicateurs = []
    for ordre, (nom, unite, baisse) in enumerate(rng.sample(INDICATEURS, count)):
        reference = Decimal(rng.randrange(20, 400) if unite != "%" else rng.randrange(10, 60))
        ecart = (reference * Decimal(rng.randrange(20, 80)) / 100).quantize(Decimal(1))
        cible = reference - ecart if baisse else reference + ecart
        if unite == "%":  # a rate stays within 100 %
            cible = min(cible, Decimal(100))
        indicateur = Indicateur(
            nom=nom,
            unite=unite,
            valeur_reference=reference,
            annee_reference=first - 1 if first > 2000 else first,
            valeur_cible=cible,
            annee_cible=last,
            ordre=ordre,
        )
        indicateur.valeurs_tirees = []
        for offset in range(rng.randint(0, 3)):
            share = Decimal(rng.randrange(20, 130)) / 100 * (offset + 1) / 3
            valeur = (reference + (cible - reference) * share).quantize(Decimal(1))
            indicateur.valeurs_tirees.append(ValeurIndicateur(annee=first + offset, valeur=valeur))
        indicateurs.append(indicateur)
    return indicateurs


def draw_etapes(statut, annees, rng) -> list[Etape]:
    """0 to 3 milestones a few months apart; those of a fiche réalisée are all done, those of
    a fiche en cours mostly, the late ones are those left undone."""
    count = rng.choices((0, 1, 2, 3), weights=(3, 3, 3, 2))[0]
    date = _date_in(rng, _first_year(annees))
    etapes = []
    for titre in rng.sample(ETAPES, count):
        etape = Etape(titre=titre, date_prevue=date)
        done = statut == Statut.REALISEE or (statut == Statut.EN_COURS and rng.random() < 0.6)
        if done:
            etape.date_realisation = date + datetime.timedelta(days=rng.randint(-20, 60))
        etapes.append(etape)
        date += datetime.timedelta(days=rng.randint(90, 300))
    return etapes
