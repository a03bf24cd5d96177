"""The committees' pages in a real browser: axe-clean, readable on a phone (no page scroll),
screenshots of the timeline, a frozen recap and its comparison with today."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from actions.models import FicheAction, LigneBudget
from comites.models import Avenant, AvenantFiche
from comites.services import instantane_arreter
from tests.actions.plan_samples import make_plan

pytestmark = pytest.mark.browser


@pytest.fixture
def comites_site(transactional_db, live_server):
    """The sample financing plan, a committee arrested, then a budget raised, a title changed
    and an amendment adopted."""
    make_plan()
    comite = instantane_arreter(nom="Comité de pilotage 2026", date=datetime.date(2026, 6, 30))
    fiche = FicheAction.objects.published().order_by("ordre").first()
    ligne = LigneBudget.objects.filter(fiche=fiche).first()
    ligne.montant += Decimal("15000")
    ligne.save()
    fiche.titre += " (révisée)"
    fiche.save()
    avenant = Avenant.objects.create(
        contrat=fiche.contrat,
        numero=1,
        date=datetime.date(2026, 9, 15),
        deliberation="DCP 2026-09-15",
        resume="Révise le budget d'une fiche après le comité de juin.",
    )
    AvenantFiche.objects.create(avenant=avenant, fiche=fiche, role="modifiee")
    return live_server.url, comite


def test_the_committee_pages_are_axe_clean_and_fit_a_phone(comites_site, pages_check):
    url, comite = comites_site
    pages = {
        "comites": "/comites/",
        "comite": comite.get_absolute_url(),
        "comite-ecarts": f"/comites/{comite.slug}/ecarts/",
    }
    pages_check(url, pages)


def test_from_the_home_page_to_what_changed_since_the_committee(page, comites_site):
    url, comite = comites_site
    page.goto(f"{url}/")
    page.get_by_role("navigation", name="Sections du site").get_by_role(
        "link", name="Comités"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comités et avenants")
    expect(page.get_by_role("heading", name="Avenant n° 1")).to_be_visible()

    page.get_by_role("link", name="Ce qui a changé depuis « Comité de pilotage 2026 »").click()

    expect(page.get_by_role("heading", name="Fiches modifiées (1)")).to_be_visible()
    changes = page.get_by_role("table", name="Ludothèque itinérante (révisée)")
    expect(changes.get_by_role("row", name="Budget total")).to_contain_text("65 000 €")
    expect(changes.get_by_role("row", name="Titre")).to_contain_text("(révisée)")
