"""A long export's page in a real browser: it waits for the worker, then turns into the
download link without being reloaded; axe-clean."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def long_exports(settings):
    """A handful of the recap's fiches make a background job."""
    settings.EXPORT_JOB_XLSX_FICHES = 3
    settings.EXPORT_JOB_PDF_FICHES = 3


def test_the_progress_page_turns_into_the_download_without_a_reload(
    page, site, long_exports, screenshot
):
    page.goto(f"{site}/actions/export/recap.xlsx?q=cibs")
    expect(page.locator("h1")).to_contain_text("Tableur XLSX")
    expect(page.get_by_role("status")).to_contain_text("attente")
    expect(page.get_by_label("Progression")).to_be_visible()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.set_viewport_size(PHONE)
    screenshot(page, "export-job-attente")
    page.evaluate("window.pasRecharge = true")  # gone if the page were reloaded

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    link = page.get_by_role("link", name="Télécharger")
    expect(link).to_be_visible(timeout=15_000)
    expect(page.get_by_role("status")).to_have_text("Le document est prêt.")
    assert page.evaluate("window.pasRecharge === true")
    screenshot(page, "export-job-pret")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.startswith("recap-")
    assert download.value.suggested_filename.endswith(".xlsx")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
