"""What a partner does in a real browser: search, filter, open a fiche, use the keyboard."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, horizontal_overflow

pytestmark = pytest.mark.browser

EMERGENCE = "Emergence CIBC Sambre-Avesnois"


def card_titles(page):
    return page.locator(".fiche-card__title a")


def test_searching_ludotheque_finds_the_ludotheque(page, site):
    page.goto(f"{site}/actions/")
    page.get_by_label("Rechercher", exact=True).fill("ludotheque")
    page.get_by_role("button", name="Rechercher").click()

    expect(page).to_have_url(re.compile(r"q=ludotheque"))
    expect(card_titles(page).first).to_have_text("Ludothèque itinérante")


def test_filtering_by_a_structure(page, site):
    page.goto(f"{site}/actions/")
    page.get_by_label("Structure", exact=True).select_option(label=EMERGENCE)
    page.get_by_role("button", name="Appliquer les filtres").click()

    expect(page).to_have_url(re.compile(r"structure=emergence-cibc-sambre-avesnois"))
    expect(page.get_by_role("heading", level=2, name=re.compile(r"^5 fiches"))).to_be_visible()
    expect(card_titles(page)).to_have_count(5)
    expect(page.locator(".active-filters")).to_contain_text(f"Structure : {EMERGENCE}")


def test_opening_a_detail_from_the_list(page, site):
    page.goto(f"{site}/actions/?q=generations")
    page.get_by_role("link", name="Rapprocher les générations").click()

    expect(page).to_have_url(re.compile(r"/actions/rapprocher-les-generations/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapprocher les générations")
    breadcrumb = page.get_by_role("navigation", name="Fil d'Ariane")
    expect(breadcrumb.get_by_role("link", name="Fiches actions")).to_be_visible()


def test_the_filters_work_with_the_keyboard_alone(page, site):
    page.goto(f"{site}/actions/")

    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text("Aller au contenu")
    expect(skip).to_be_visible()  # the skip link shows itself when focused

    for _ in range(15):
        if page.evaluate("document.activeElement.id") == "id_q":
            break
        page.keyboard.press("Tab")
    search = page.locator("#id_q")
    expect(search).to_be_focused()
    outline = search.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "the focused field must show where the focus is"

    page.keyboard.type("ludotheque")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Rechercher")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"q=ludotheque"))
    expect(card_titles(page).first).to_have_text("Ludothèque itinérante")


AXE_PAGES = {
    "accueil": "/",
    "liste filtrée": "/actions/?q=emploi&structure=emergence-cibc-sambre-avesnois&sort=titre",
    "fiche": "/actions/le-padess-en-sambre-avesnois/",
    "structure": "/structures/emergence-cibc-sambre-avesnois/",
    "enjeu": "/enjeux/7/",
    "structures": "/structures/",
    "enjeux": "/enjeux/",
}


def test_axe_finds_no_violation(page, site):
    axe = Axe()
    reports = {}
    for name, path in AXE_PAGES.items():
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            response = page.goto(f"{site}{path}")
            assert response.status == 200, path
            assert horizontal_overflow(page) <= 0, f"{name} déborde à {viewport['width']} px"
            results = axe.run(page)
            if results.violations_count:
                reports[f"{name} ({viewport['width']} px)"] = results.generate_report()
    assert not reports, "\n\n".join(f"== {name}\n{report}" for name, report in reports.items())


def test_screenshots_at_phone_and_desktop_widths(page, site, screenshot):
    pages = {
        "accueil": "/",
        "liste": "/actions/?q=emploi",
        "fiche": "/actions/le-padess-en-sambre-avesnois/",
    }
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        for name, path in pages.items():
            page.goto(f"{site}{path}")
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            # Nothing wider than the screen: no sideways scrolling on a phone.
            overflow = horizontal_overflow(page)
            assert overflow <= 0, f"{name} déborde de {overflow} px à {viewport['width']} px"
            assert screenshot(page, name).stat().st_size > 0


def test_a_recap_too_long_for_a_pdf_is_explained_accessibly(page, site, settings, screenshot):
    settings.RECAP_PDF_MAX_FICHES = 10
    page.goto(f"{site}/")
    downloads = page.locator(".downloads")
    expect(downloads).to_contain_text("au plus 10 fiches, affinez la sélection")
    recap_pdf = downloads.get_by_role("link", name=re.compile("Récapitulatif PDF"))
    expect(recap_pdf).to_have_count(0)

    page.goto(f"{site}/actions/export/recap.pdf?statut=")  # a link kept from earlier
    expect(page.get_by_role("heading", level=1)).to_have_text("Récapitulatif PDF trop long")
    expect(page.locator("main")).to_contain_text("Cette sélection compte 29 fiches")
    page.get_by_role("link", name="Affiner la sélection").click()
    expect(page).to_have_url(re.compile(r"/actions/\?statut=$"))

    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.goto(f"{site}/actions/export/recap.pdf")
        results = Axe().run(page)
        assert not results.violations_count, results.generate_report()
        assert horizontal_overflow(page) <= 0
        screenshot(page, "recap-pdf-trop-long")
