"""The demo data generator: same seed, same data; realistic fiches; never in production."""

from decimal import Decimal
from io import StringIO

import factory.random
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from actions.demo import DEMO_PERIOD
from actions.models import (
    FicheAction,
    LigneBudget,
    LigneFinancement,
    Participation,
    Role,
    SousAction,
)
from actions.seed.budget_cell import parse_budget
from enjeux.models import Contrat
from structures.models import Structure
from tests.factories import DemoFicheActionFactory

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple]:
    """What a reader sees of each generated fiche, in recap order."""
    fiches = FicheAction.objects.for_detail().with_budget_total().order_by("ordre")
    return [
        (
            fiche.titre,
            fiche.descriptif,
            fiche.enjeu_texte,
            fiche.budget_texte,
            fiche.budget_total_sql,
            [(p.structure.nom, p.role) for p in fiche.participations.all()],
            [
                (ligne.montant, ligne.periodicite, ligne.nombre_annees)
                for ligne in fiche.lignes_budget.all()
            ],
            [(s.numero, s.titre) for s in fiche.sous_actions.all()],
            sorted(o.code for o in fiche.orientations.all()),
        )
        for fiche in fiches
    ]


def generate(*args) -> str:
    out = StringIO()
    call_command("generate_demo", *args, stdout=out)
    return out.getvalue()


def wipe():
    FicheAction.objects.all().delete()
    Structure.objects.all().delete()


def test_the_same_seed_gives_the_same_titles_texts_and_budgets():
    generate("--fiches", "150", "--seed", "7")
    first = snapshot()
    wipe()
    generate("--fiches", "150", "--seed", "7")
    assert snapshot() == first
    assert len(first) == 150
    assert len({row[0] for row in first}) > 100  # varied titles, not one repeated

    wipe()
    generate("--fiches", "150", "--seed", "8")
    assert [row[0] for row in snapshot()] != [row[0] for row in first]


def test_generated_fiches_are_published_french_and_complete(client):
    output = generate("--fiches", "300", "--seed", "1")
    assert "300 fiches de démonstration créées" in output
    fiches = FicheAction.objects.all()
    assert fiches.count() == fiches.published().count() == 300
    text = " ".join(fiches.values_list("titre", flat=True)) + " ".join(
        fiches.values_list("descriptif", flat=True)
    )
    assert any(letter in text for letter in "éèàçœ’")
    assert Participation.objects.filter(role=Role.PORTEUR).values("fiche").distinct().count() == 300
    assert Participation.objects.exclude(role=Role.PORTEUR).exists()
    assert LigneBudget.objects.filter(periodicite="annuel", nombre_annees__gte=2).exists()
    assert SousAction.objects.filter(parent__isnull=False).exists()
    assert FicheAction.objects.filter(orientations__isnull=False).distinct().count() == 300
    assert Structure.objects.exclude(sigle="").exists()

    response = client.get("/actions/")
    assert response.status_code == 200
    assert "300 fiches" in response.content.decode().replace("\u202f", " ").replace("\xa0", " ")


def test_the_budget_text_reads_back_as_the_budget_lines():
    generate("--fiches", "200", "--seed", "3")
    for fiche in FicheAction.objects.with_budget_total():
        lines = parse_budget(fiche.budget_texte)
        total = sum((line.total for line in lines), Decimal(0)) if lines else None
        assert total == fiche.budget_total_sql, fiche.budget_texte


def test_it_adds_to_the_recap_without_clashing_even_twice_with_one_seed(recap):
    generate("--fiches", "50", "--seed", "2")
    generate("--fiches", "50", "--seed", "2")
    assert FicheAction.objects.count() == 29 + 100
    generated = FicheAction.objects.filter(ordre__gt=29)
    assert generated.count() == 100
    assert set(generated.values_list("contrat__slug", flat=True)) == {"cg59-sambre-avesnois"}
    # The recap's fiches are untouched and still come first.
    assert FicheAction.objects.order_by("ordre").first().titre == "Le PADESS en Sambre-Avesnois"


def test_it_refuses_production_settings_unless_forced(settings):
    settings.SETTINGS_MODULE = "contrat.settings.production"
    with pytest.raises(CommandError, match="Réglages de production.*--force"):
        generate("--fiches", "10", "--seed", "1")
    assert not FicheAction.objects.exists()

    generate("--fiches", "10", "--seed", "1", "--force")
    assert FicheAction.objects.count() == 10


def test_a_negative_number_is_refused_in_french():
    with pytest.raises(CommandError, match="doit être positif"):
        generate("--fiches", "-1")


def test_the_demo_factory_alone_creates_fiches_with_their_rows():
    """generate_demo's factory builds in bulk; called alone, it saves each fiche and its rows."""
    factory.random.reseed_random(5)
    fiches = DemoFicheActionFactory.create_batch(20)
    assert FicheAction.objects.published().count() == 20
    for fiche in fiches:
        fiche.refresh_from_db()
        assert fiche.participations.filter(role=Role.PORTEUR).count() == 1
        assert fiche.structure_texte.startswith("Porteur : ")
        assert [line.montant for line in parse_budget(fiche.budget_texte)] == [
            ligne.montant for ligne in fiche.lignes_budget.order_by("ordre")
        ]
    assert LigneBudget.objects.filter(fiche__in=fiches).exists()
    assert SousAction.objects.filter(parent__isnull=False, fiche__in=fiches).exists()


def test_generated_fiches_have_a_financing_plan_within_the_contracts_period(recap):
    output = generate("--fiches", "200", "--seed", "4")

    contrat = Contrat.objects.get()
    assert (contrat.annee_debut, contrat.annee_fin) == DEMO_PERIOD
    lignes = LigneFinancement.objects.filter(fiche__ordre__gt=29)
    assert f"{lignes.count()} lignes de financement" in output
    financers = lignes.values("fiche").annotate(n=Count("financeur", distinct=True))
    assert {row["n"] for row in financers} == {2, 3, 4}
    assert lignes.values("fiche").distinct().count() == 200
    assert set(lignes.values_list("annee", flat=True)) <= set(contrat.annees)
    assert lignes.filter(financeur=contrat.financeur).values("fiche").distinct().count() == 200
    assert lignes.filter(accorde__isnull=False, verse__gt=0).exists()
    assert lignes.filter(accorde__isnull=True).exists()
