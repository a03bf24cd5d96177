"""The Content-Security-Policy in a real browser: our pages and the admin's break none of it."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from actions.models import FicheAction

pytestmark = pytest.mark.browser

PADESS = "le-padess-en-sambre-avesnois"
# Run before the page's own scripts, in every document: records what the policy blocked.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} a bloqué ${event.blockedURI || "du code en ligne"} ` +
    `(${event.sourceFile || "?"}:${event.lineNumber || "?"})`
  );
});
"""


class Violations:
    """What the policy blocked on the current page: DOM events and the console's reports."""

    def __init__(self, page):
        self.page = page
        self.console = []
        page.add_init_script(LISTEN)
        page.on("console", self._on_console)

    def _on_console(self, message):
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def on_this_page(self) -> list[str]:
        self.page.wait_for_load_state("networkidle")
        found = self.page.evaluate("window.__cspViolations") + self.console
        self.console = []
        return found


@pytest.fixture
def violations(page):
    return Violations(page)


def test_the_policy_is_the_one_sent(page, site):
    response = page.goto(f"{site}/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy


@pytest.mark.parametrize(
    "path",
    ["/", "/actions/", f"/actions/{PADESS}/", "/structures/", "/enjeux/", "/pas-une-page/"],
    ids=["accueil", "liste", "fiche", "structures", "enjeux", "404"],
)
def test_public_pages_break_no_policy(page, site, violations, path):
    page.goto(f"{site}{path}")
    expect(page.locator("main")).to_be_visible()  # the site's stylesheet and layout loaded
    assert violations.on_this_page() == []


def test_the_print_button_still_comes_from_our_script(page, site, violations):
    page.goto(f"{site}/actions/{PADESS}/")
    expect(page.get_by_role("button", name="Imprimer cette fiche")).to_be_visible()
    assert violations.on_this_page() == []


def test_the_admin_works_under_the_policy(page, site, violations):
    get_user_model().objects.create_superuser("cg59", "cg59@example.fr", "mot-de-passe-solide")
    fiche = FicheAction.objects.get(slug=PADESS)

    page.goto(f"{site}/admin/login/")
    assert violations.on_this_page() == [], "page de connexion"
    page.locator("#id_username").fill("cg59")
    page.locator("#id_password").fill("mot-de-passe-solide")
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(f"{site}/admin/")
    assert violations.on_this_page() == [], "accueil de l'administration"

    page.goto(f"{site}/admin/actions/ficheaction/")
    expect(page.locator("#result_list")).to_be_visible()
    page.locator("#changelist-filter").first.wait_for()
    assert violations.on_this_page() == [], "liste des fiches"

    # The change form: three inlines and select2 autocompletes, all driven by the admin's JS.
    page.goto(f"{site}/admin/actions/ficheaction/{fiche.pk}/change/")
    participations = page.locator(".inline-group").first
    participations.locator(".add-row a").click()
    new_row = participations.locator("tr.form-row.dynamic-participations").last
    new_row.locator(".select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("emerg")
    option = page.locator(".select2-results__option", has_text=re.compile("Emergence"))
    expect(option.first).to_be_visible()
    option.first.click()
    expect(new_row.locator(".select2-selection__rendered")).to_contain_text("Emergence")
    assert violations.on_this_page() == [], "formulaire de la fiche (lignes, autocomplétion)"

    page.goto(f"{site}/admin/actions/ficheaction/import/")
    expect(page.locator("#id_import_file")).to_be_visible()
    assert violations.on_this_page() == [], "page d'import"

    # django-import-export's export page: its "select all" box is an inline handler that only
    # runs because contrat.security allows that exact snippet.
    page.goto(f"{site}/admin/actions/ficheaction/export/")
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]:not(.select-toggle)')
    expect(fields.first).to_be_checked()
    page.locator("input.select-toggle").uncheck()
    expect(fields.first).not_to_be_checked()
    assert violations.on_this_page() == [], "page d'export"
