"""The financing plan in a real browser: axe-clean, readable on a phone, the chart drawn."""

import pytest
from playwright.sync_api import expect

from actions.models import FicheAction
from tests.actions.plan_samples import make_plan
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def plan_site(transactional_db, live_server):
    """The live server's base URL, with the sample plan of tests/actions/plan_samples.py (its
    titles are the recap's: the 29 fiches are not loaded beside it)."""
    make_plan()
    return live_server.url


def test_the_plan_is_axe_clean_and_fits_a_phone(plan_site, pages_check):
    fiche = FicheAction.objects.get(titre="Ludothèque itinérante", ordre=1)
    pages = {
        "financements": "/financements/",
        "financements-filtre": "/financements/?enjeu=2",
        "fiche-financement": f"{fiche.get_absolute_url()}#financement",
        "financeur": "/structures/cg59/",
    }
    pages_check(plan_site, pages)


def test_the_chart_is_drawn_and_its_tables_scroll_inside_a_focusable_box(page, plan_site):
    page.set_viewport_size(PHONE)
    page.goto(f"{plan_site}/financements/")

    chart = page.get_by_role("img", name="Montants prévus par année, empilés par financeur")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] <= PHONE["width"] and box["height"] > 100
    expect(page.locator(".chart__svg rect")).to_have_count(4)

    table = page.get_by_role("table", name="Montants prévus par financeur et par année")
    expect(table).to_be_visible()
    region = page.get_by_role("region", name="Montants prévus par financeur et par année")
    region.focus()
    expect(region).to_be_focused()
    outline = region.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "the scrolling box must show it has the focus"

    nav = page.get_by_role("navigation", name="Sections du site")
    expect(nav.get_by_role("link", name="Financements")).to_have_attribute("aria-current", "page")
