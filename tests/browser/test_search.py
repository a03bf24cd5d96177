"""The search in a real browser: French plurals, highlighted words, the structures' search box
used with the keyboard alone; axe-clean and no sideways scroll at phone and desktop widths."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_plural_finds_the_fiche_and_its_words_are_highlighted(page, site):
    page.goto(f"{site}/actions/")
    page.get_by_label("Rechercher", exact=True).fill("risque majeur")
    page.get_by_role("button", name="Rechercher").click()

    first = page.locator(".fiche-card__title a").first
    expect(first).to_have_text("Risques majeurs")
    expect(first.locator("mark")).to_have_text(["Risques", "majeurs"])


def test_the_structures_are_searched_with_the_keyboard_alone(page, site):
    page.goto(f"{site}/structures/")
    for _ in range(20):
        if page.evaluate("document.activeElement.id") == "id_q":
            break
        page.keyboard.press("Tab")
    expect(page.get_by_role("searchbox", name="Rechercher une structure")).to_be_focused()
    page.keyboard.type("cibs")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/structures/\?q=cibs"))
    rows = page.locator("tbody th[scope=row] a")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_text("Emergence CIBC Sambre-Avesnois")
    expect(page.get_by_role("status")).to_contain_text("1 structure sur")


def test_search_pages_are_axe_clean_without_sideways_scroll(site, pages_check):
    pages_check(
        site,
        {
            "recherche": "/actions/?q=ludoth%C3%A8ques+itin%C3%A9rante",
            "recherche-vide": "/actions/?q=%22introuvable",
            "structures-recherche": "/structures/?q=association",
        },
    )
