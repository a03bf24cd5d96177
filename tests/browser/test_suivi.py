"""A fiche's follow-up in a real browser: its timeline, indicator chart and milestones, and the
roll-ups of the home and enjeu pages; axe-clean, no sideways scroll on a phone, screenshots."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from actions.models import Etape, FicheAction, Indicateur, PointAvancement, ValeurIndicateur
from actions.services import fiche_statut_follow
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

PADESS = "le-padess-en-sambre-avesnois"


@pytest.fixture
def suivi_site(site):
    """The recap's 29 fiches, the PADESS followed up: three notes, two indicators (one going
    down), three milestones (one late)."""
    fiche = FicheAction.objects.get(slug=PADESS)
    for date, statut, avancement, commentaire in [
        ("2024-03-12", "proposee", None, "Fiche présentée au comité technique."),
        (
            "2025-01-20",
            "en_cours",
            35,
            "Les premiers accompagnements ont commencé : huit "
            "structures suivies, deux créations d'activité en préparation.",
        ),
        ("2025-10-02", "en_cours", 60, "Le bilan à mi-parcours a été présenté aux élus."),
    ]:
        PointAvancement.objects.create(
            fiche=fiche, date=date, statut=statut, avancement=avancement, commentaire=commentaire
        )
    fiche_statut_follow(fiche_ids=[fiche.pk])
    hausse = Indicateur.objects.create(
        fiche=fiche,
        nom="Structures accompagnées",
        unite="structures",
        valeur_reference=Decimal(12),
        annee_reference=2023,
        valeur_cible=Decimal(40),
        annee_cible=2028,
    )
    for annee, valeur in ((2024, 18), (2025, 27)):
        ValeurIndicateur.objects.create(indicateur=hausse, annee=annee, valeur=Decimal(valeur))
    baisse = Indicateur.objects.create(
        fiche=fiche,
        nom="Délai moyen avant le premier rendez-vous",
        unite="jours",
        valeur_reference=Decimal(45),
        annee_reference=2023,
        valeur_cible=Decimal(20),
        annee_cible=2027,
    )
    ValeurIndicateur.objects.create(indicateur=baisse, annee=2025, valeur=Decimal(19))
    today = timezone.localdate()
    Etape.objects.create(
        fiche=fiche,
        titre="Convention signée",
        date_prevue=datetime.date(2024, 4, 1),
        date_realisation=datetime.date(2024, 4, 10),
    )
    Etape.objects.create(
        fiche=fiche, titre="Bilan à mi-parcours", date_prevue=today - datetime.timedelta(days=40)
    )
    Etape.objects.create(
        fiche=fiche, titre="Évaluation finale", date_prevue=today + datetime.timedelta(days=300)
    )
    return site, fiche


def test_the_timeline_page_is_axe_clean_and_fits_a_phone(suivi_site, pages_check):
    site, fiche = suivi_site
    pages = {"fiche-suivi": f"{fiche.get_absolute_url()}#suivi", "accueil-avancement": "/"}
    pages["enjeu-avancement"] = fiche.orientations.first().enjeu.get_absolute_url()
    pages_check(site, pages)


def test_the_timeline_reads_newest_first_with_its_chart_and_late_step(page, suivi_site):
    site, fiche = suivi_site
    page.set_viewport_size(PHONE)
    page.goto(f"{site}{fiche.get_absolute_url()}")

    items = page.locator("ol.timeline > li")
    expect(items).to_have_count(3)
    expect(items.first.locator("time")).to_have_attribute("datetime", "2025-10-02")
    expect(items.last.locator("time")).to_have_attribute("datetime", "2024-03-12")
    chart = page.get_by_role("img", name="Évolution de l'indicateur « Structures accompagnées »")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] <= PHONE["width"] and box["height"] > 80
    expect(
        page.get_by_role("table", name="Valeurs de l'indicateur « Structures accompagnées »")
    ).to_be_visible()
    late = page.locator(".etape--retard")
    expect(late).to_have_count(1)
    expect(late).to_contain_text("Bilan à mi-parcours")
    expect(late).to_contain_text("en retard")
    expect(page.locator(".indicateur").nth(1)).to_contain_text("Cible atteinte")
