"""What changed since a committee: the comparison with today and between two snapshots, the
amendments between their dates, the PDF, the pages' queries at two sizes."""

import datetime
import io
import re
from decimal import Decimal

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import Etat, LigneBudget, Statut
from actions.suivi import Indicateur, ValeurIndicateur
from comites.models import Avenant, AvenantFiche
from comites.services import instantane_arreter
from tests.conftest import page_text
from tests.factories import FicheActionFactory, LigneBudgetFactory, make_fiches

pytestmark = pytest.mark.django_db


def page_words(response) -> str:
    """The page's text, each tag a space, each run of white space one space: a table's row
    reads as its cells in order."""
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())


def pdf_words(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


@pytest.fixture
def comite(world):
    return instantane_arreter(nom="Comité de pilotage 2026", date=datetime.date(2026, 6, 30))


def edit_after(world):
    """A budget raised, a status moved on, a fiche added, one withdrawn to draft."""
    ligne = LigneBudget.objects.get(fiche=world["padess"])
    ligne.montant = Decimal("300000")
    ligne.save()
    world["epicerie"].statut = Statut.REALISEE
    world["epicerie"].save()
    nouvelle = FicheActionFactory(contrat=world["contrat"], titre="Mobilité solidaire")
    LigneBudgetFactory(fiche=nouvelle, montant=Decimal("12000"))
    world["observatoire"].etat = Etat.BROUILLON
    world["observatoire"].save()


def test_the_comparison_with_today_lists_old_to_new_and_added_fiches(comite, world, client):
    edit_after(world)

    page = page_words(client.get(reverse("comites:ecarts", args=[comite.slug])))

    assert "Budget total 250 550 € 300 000 €" in page
    assert "État d'avancement Proposée Réalisée" in page
    assert "Fiches ajoutées (1)" in page and "Mobilité solidaire" in page
    assert "Fiches retirées (1)" in page and "Observatoire de l'ESS" in page
    # Both sides' totals: 280 550 € then, 342 000 € (300 000 + 30 000 + 12 000) today.
    assert "Budget total 280 550 € 342 000 €" in page


def test_the_snapshot_keeps_its_total_while_the_comparison_shows_the_change(comite, world, client):
    edit_after(world)

    frozen = page_words(client.get(comite.get_absolute_url()))
    pdf = pdf_words(client.get(reverse("comites:ecarts-pdf", args=[comite.slug])).content)

    assert "280 550 € de budget total" in frozen
    assert "Budget total 250 550 € 300 000 €" in pdf
    assert "Mobilité solidaire" in pdf


def test_a_financer_s_amounts_are_compared_old_to_new(comite, world, client):
    ligne = world["padess"].lignes_financement.get()
    ligne.prevu = Decimal("45000")
    ligne.save()

    page = page_words(client.get(reverse("comites:ecarts", args=[comite.slug])))

    assert "Financement Département du Nord (prévu) 40 000 € 45 000 €" in page


def test_two_snapshots_are_compared_older_first(comite, world, client):
    edit_after(world)
    later = instantane_arreter(nom="Comité 2027", date=datetime.date(2027, 6, 30))
    # Asked from the later one: still read from the older to the newer.
    url = reverse("comites:ecarts", args=[later.slug]) + f"?avec={comite.slug}"

    page = page_words(client.get(url))

    assert "entre « Comité de pilotage 2026 » et « Comité 2027 »" in page
    assert "Budget total 250 550 € 300 000 €" in page
    assert "Fiches ajoutées (1)" in page


def test_an_unknown_snapshot_to_compare_with_is_said_in_french(comite, client):
    response = client.get(reverse("comites:ecarts", args=[comite.slug]) + "?avec=inconnu")
    pdf = client.get(reverse("comites:ecarts-pdf", args=[comite.slug]) + "?avec=inconnu")

    assert response.status_code == 404
    assert "Aucun récapitulatif arrêté ne s'appelle « inconnu »" in page_text(response)
    assert pdf.status_code == 404
    assert client.get("/comites/inconnu/ecarts/").status_code == 404
    assert client.get("/comites/inconnu/recap.pdf").status_code == 404


def test_the_amendments_between_the_two_dates_are_listed(comite, world, client):
    avant = Avenant.objects.create(
        contrat=world["contrat"], numero=1, date=datetime.date(2026, 1, 10), resume="Ancien"
    )
    apres = Avenant.objects.create(
        contrat=world["contrat"],
        numero=2,
        date=datetime.date(2026, 9, 15),
        deliberation="DCP 2026-09",
        resume="Ajoute la mobilité solidaire.",
    )
    AvenantFiche.objects.create(avenant=apres, fiche=world["padess"], role="modifiee")

    page = page_words(client.get(reverse("comites:ecarts", args=[comite.slug])))
    timeline = page_words(client.get(reverse("comites:timeline")))

    assert "Avenant n° 2 du 15 septembre 2026 — délibération DCP 2026-09" in page
    assert "Le PADESS — modifiée" in page
    assert str(avant) + " " not in page.split("Avenants entre")[1]
    # The timeline, newest first: amendment 2, the committee, amendment 1.
    positions = [timeline.index(text) for text in ("Avenant n° 2", comite.nom, "Avenant n° 1")]
    assert positions == sorted(positions)


# --- constant queries -----------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["timeline", "detail", "ecarts", "ecarts-avec"])
def test_the_pages_queries_do_not_grow_with_the_fiches(client, url_name, contrat):
    counts = []
    for size in (3, 25):
        make_fiches(size, contrat=contrat)
        first = instantane_arreter(nom=f"Premier {size}")
        second = instantane_arreter(nom=f"Second {size}")
        url = {
            "timeline": reverse("comites:timeline"),
            "detail": first.get_absolute_url(),
            "ecarts": reverse("comites:ecarts", args=[first.slug]),
            "ecarts-avec": reverse("comites:ecarts", args=[first.slug]) + f"?avec={second.slug}",
        }[url_name]
        # The first request computes the figures, the next ones read them from the cache.
        for _visit in ("cold", "warm"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
    assert counts[:2] == counts[2:], counts
    assert counts[0] <= 15
    # Warm: the snapshot(s), the amendments, the timeline; never today's fiches.
    assert counts[1] <= 5


def test_an_indicator_s_latest_value_is_frozen_and_compared(world, client):
    indicateur = Indicateur.objects.create(
        fiche=world["padess"],
        nom="Emplois créés",
        unite="emplois",
        valeur_reference=Decimal(0),
        annee_reference=2024,
        valeur_cible=Decimal(20),
        annee_cible=2027,
    )
    ValeurIndicateur.objects.create(indicateur=indicateur, annee=2025, valeur=Decimal(10))
    comite = instantane_arreter(nom="Comité 2026", date=datetime.date(2026, 6, 30))
    ValeurIndicateur.objects.create(indicateur=indicateur, annee=2026, valeur=Decimal(25))

    frozen = next(f for f in comite.donnees["fiches"] if f["titre"] == "Le PADESS")
    page = page_words(client.get(reverse("comites:ecarts", args=[comite.slug])))

    assert frozen["indicateurs"][0]["derniere"] == ["10.00", 2025]
    assert frozen["indicateurs"][0]["atteint"] is False
    assert (
        "Indicateur « Emplois créés » (dernière valeur) 10 emplois en 2025 "
        "25 emplois en 2026 (cible atteinte)"
    ) in page
