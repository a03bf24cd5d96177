"""The admin's import preview in Chromium: a modified export sent back shows its summary line and
the old → new values, and the Content-Security-Policy blocks nothing on the way."""

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.test_csp import Violations

pytestmark = pytest.mark.browser

PADESS = "le-padess-en-sambre-avesnois"


def edited(content: bytes) -> bytes:
    """The exported workbook with the PADESS's title and budget changed."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.active
    headers = [cell.value for cell in sheet[1]]
    titre, lignes = headers.index("Titre") + 1, headers.index("Lignes de budget") + 1
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, 1).value == PADESS:
            sheet.cell(row, titre).value = "Le PADESS, titre revu"
            sheet.cell(row, lignes).value = "200 000 €"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_modified_export_previews_its_changes_only(page, site, screenshot, tmp_path):
    violations = Violations(page)
    get_user_model().objects.create_superuser("cg59", "cg59@example.fr", "mot-de-passe-solide")
    page.goto(f"{site}/admin/login/")
    page.locator("#id_username").fill("cg59")
    page.locator("#id_password").fill("mot-de-passe-solide")
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(f"{site}/admin/")

    # Export every column as XLSX, as a user would.
    page.goto(f"{site}/admin/actions/ficheaction/export/")
    page.locator("#id_format").select_option(label="xlsx")
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporter").click()
    assert download.value.suggested_filename.startswith("fiches-actions-")
    assert violations.on_this_page() == [], "page d'export"
    exported = tmp_path / "export.xlsx"
    download.value.save_as(exported)
    modified = tmp_path / "fiches-modifiees.xlsx"
    modified.write_bytes(edited(exported.read_bytes()))

    page.goto(f"{site}/admin/actions/ficheaction/import/")
    page.locator("#id_import_file").set_input_files(str(modified))
    page.locator("#id_format").select_option(label="xlsx")
    page.get_by_role("button", name="Prévisualiser l'import").click()

    expect(page.locator(".import-summary")).to_have_text(
        "1 modifiée, 28 inchangées, 0 nouvelle, 0 erreur"
    )
    changes = page.locator("table.import-changes")
    expect(changes.locator("tbody")).to_have_count(1)  # only the row that changes
    titre = changes.locator("tr", has=page.locator("th", has_text="Titre"))
    expect(titre.locator(".import-old")).to_have_text("Le PADESS en Sambre-Avesnois")
    expect(titre.locator(".import-new")).to_have_text("Le PADESS, titre revu")
    total = changes.locator("tr", has=page.locator("th", has_text="Budget total"))
    expect(total.locator(".import-old")).to_have_text("250\u00a0550")
    expect(total.locator(".import-new")).to_have_text("200\u00a0000")
    expect(page.get_by_role("button", name="Confirmer l'import")).to_be_visible()
    # The stylesheet applied: the arrow column is bold, not the browser's default.
    assert page.locator(".import-arrow").first.evaluate("e => getComputedStyle(e).fontWeight") == (
        "700"
    )
    screenshot(page, "import-preview")
    assert violations.on_this_page() == [], "aperçu de l'import"
