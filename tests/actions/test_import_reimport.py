"""Sending the admin's own export back: unchanged rows are not written, the preview says what
changes (old → new), a fiche saved since the export refuses the file, headers are French."""

import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from actions import services
from actions.models import FicheAction, LigneBudget
from actions.resources import FicheActionResource
from contrat.spreadsheets import as_text
from tests.actions.samples import sample_fiches
from tests.actions.test_import import (
    CSV_INDEX,
    FICHES_CONFIRM_URL,
    XLSX_INDEX,
    post_import,
)
from tests.conftest import page_text
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EXPORT_URL = "admin:actions_ficheaction_export"


def page_words(response) -> str:
    """The page as read: without its tags, every run of white space as one space."""
    return re.sub(r"\s+", " ", page_text(response, tags=False))


def admin_export(client, file_format=XLSX_INDEX):
    """The file the admin's export page gives, every column ticked."""
    fields = {
        f"ficheactionresource_{name}": "on" for name in FicheActionResource().get_export_order()
    }
    response = client.post(reverse(EXPORT_URL), {"resource": "0", "format": file_format, **fields})
    assert response.status_code == 200
    return response


def sheet_rows(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def workbook(rows) -> bytes:
    """The rows saved again as a spreadsheet would: a text cell stays text (the export types
    "=HYPERLINK(…)" as text, which openpyxl's append would take for a formula)."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    for sheet_row in book.active.iter_rows():
        for cell in sheet_row:
            as_text(cell)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def state() -> dict:
    """What a user would see change: each fiche's version, date and number of versions."""
    return {
        fiche.slug: (fiche.version, fiche.modifie_le, fiche.history.count())
        for fiche in FicheAction.objects.all()
    }


def preview_and_confirm(client, content: bytes, file_format=XLSX_INDEX, name="fiches.xlsx"):
    preview = post_import(client, content, name, file_format)
    assert preview.status_code == 200
    confirm = preview.context["confirm_form"]
    assert confirm is not None, page_words(preview)[:3000]
    done = client.post(reverse(FICHES_CONFIRM_URL), confirm.initial, follow=True)
    return preview, done


def column(rows, label) -> int:
    return rows[0].index(label)


def test_the_admin_export_sent_back_unchanged_writes_nothing(admin_client):
    sample_fiches()
    before = state()
    lignes = list(LigneBudget.objects.values_list("pk", flat=True))

    preview, done = preview_and_confirm(admin_client, admin_export(admin_client).content)

    count = len(before)
    assert f"0 modifiée, {count} inchangées, 0 nouvelle, 0 erreur" in page_words(preview)
    assert "Aucune : le fichier contient ce qui est déjà enregistré." in page_words(preview)
    assert state() == before  # no version, no date, no history row
    assert list(LigneBudget.objects.values_list("pk", flat=True)) == lignes  # rows not rewritten
    assert f"Import terminé : 0 modifiée, {count} inchangées, 0 nouvelle." in page_words(done)


def test_one_title_changed_in_the_file_touches_that_fiche_only(admin_client):
    sample = sample_fiches()
    padess = sample["fiches"][0]
    before = state()
    rows = sheet_rows(admin_export(admin_client).content)
    titre = column(rows, "Titre")
    [row] = [row for row in rows if row[0] == padess.slug]
    row[titre] = "Le PADESS, titre revu"

    preview, _done = preview_and_confirm(admin_client, workbook(rows))

    words = page_words(preview)
    assert f"1 modifiée, {len(before) - 1} inchangées, 0 nouvelle, 0 erreur" in words
    assert "Le PADESS en Sambre-Avesnois → Le PADESS, titre revu" in words
    assert len(preview.context["result"].changed_rows()) == 1  # only the changed row is shown
    after = state()
    padess.refresh_from_db()
    assert padess.titre == "Le PADESS, titre revu"
    assert after[padess.slug][0] == before[padess.slug][0] + 1
    assert after[padess.slug][2] == before[padess.slug][2] + 1  # one history row
    del before[padess.slug], after[padess.slug]
    assert after == before


def test_the_preview_shows_amounts_value_by_value(admin_client):
    sample = sample_fiches()
    padess = sample["fiches"][0]
    rows = sheet_rows(admin_export(admin_client).content)
    lignes = column(rows, "Lignes de budget")
    [row] = [row for row in rows if row[0] == padess.slug]
    row[lignes] = "200 000 €"
    row[column(rows, "Descriptif")] = "Un descriptif tout neuf."

    preview = post_import(admin_client, workbook(rows), "fiches.xlsx", XLSX_INDEX)

    words = page_words(preview)
    assert "Budget total 250 550 → 200 000" in words  # whole values, not a character diff
    assert "Lignes de budget 250 550 € → 200 000 €" in words
    assert "Descriptif" in words and "Un descriptif tout neuf." in words
    # The file still holds the exported total: not an edit of that computed column.
    assert "est calculée" not in words
    assert "<del>" not in preview.content.decode()  # not the library's character-level diff
    assert 'style="' not in preview.content.decode()  # the site's CSP allows no inline style
    assert FicheAction.objects.get(pk=padess.pk).budget_total == 250550  # a preview writes nothing


def test_a_fiche_saved_since_the_export_refuses_the_whole_file(admin_client):
    sample = sample_fiches()
    padess, generations = sample["fiches"][0], sample["fiches"][1]
    content = admin_export(admin_client).content
    rows = sheet_rows(content)
    [row] = [row for row in rows if row[0] == generations.slug]
    row[column(rows, "Titre")] = "Générations, titre du fichier"

    editor = UserFactory(username="eva", first_name="Éva", last_name="Dit")
    mine = FicheAction.objects.get(pk=padess.pk)
    services.fiche_claim_version(fiche=mine, expected=mine.version)
    mine.descriptif = "Enregistré après l'export."
    mine._history_user = editor
    mine.save()
    before = state()

    preview = post_import(admin_client, workbook(rows), "fiches.xlsx", XLSX_INDEX)

    words = page_words(preview)
    assert preview.context.get("confirm_form") is None  # no confirmation offered
    assert "« Le PADESS en Sambre-Avesnois » a été modifiée par Éva Dit (eva) le" in words
    assert "depuis votre export" in words
    assert "Rien n'a été importé" in words
    assert state() == before
    assert FicheAction.objects.get(pk=generations.pk).titre == generations.titre

    # The resource refuses it too (the confirmation step reads the file again).
    from contrat.spreadsheets import XLSX

    result = FicheActionResource().import_data(XLSX().create_dataset(workbook(rows)))
    assert result.has_validation_errors()
    assert state() == before


def test_a_file_without_the_version_column_is_imported_as_before(admin_client):
    sample = sample_fiches()
    padess = sample["fiches"][0]
    FicheAction.objects.filter(pk=padess.pk).update(version=7)  # saved many times since
    rows = [["slug", "titre"], [padess.slug, "Titre d'un partenaire"]]

    preview_and_confirm(admin_client, workbook(rows))

    assert FicheAction.objects.get(pk=padess.pk).titre == "Titre d'un partenaire"


def test_an_edited_computed_column_is_a_warning_not_a_refusal(admin_client):
    sample = sample_fiches()
    padess = sample["fiches"][0]
    rows = sheet_rows(admin_export(admin_client).content)
    [row] = [row for row in rows if row[0] == padess.slug]
    row[column(rows, "Budget total")] = 18000

    preview, _done = preview_and_confirm(admin_client, workbook(rows))

    words = page_words(preview)
    assert (
        "La colonne « Budget total » est calculée : la valeur du fichier (18 000) est ignorée ; "
        "elle vaut 250 550." in words
    )
    assert "0 modifiée" in words  # the rest of the row is what the database holds
    assert FicheAction.objects.get(pk=padess.pk).budget_total == 250550


def test_french_headers_of_a_csv_export_round_trip_with_nothing_written(admin_client):
    sample_fiches()
    response = admin_export(admin_client, CSV_INDEX)
    text = response.content.decode("utf-8")
    header = text.splitlines()[0]
    assert header.startswith("\ufeffIdentifiant (slug);Titre;Ordre dans le récapitulatif;")
    assert "État de publication" in header and "Nombre d'années" in header
    assert header.endswith(";Version")
    assert ";None;" not in text  # empty cells are empty
    before = state()

    preview_and_confirm(admin_client, response.content, CSV_INDEX, "fiches.csv")

    assert state() == before


def test_technical_names_are_still_read(admin_client):
    sample = sample_fiches()
    padess = sample["fiches"][0]
    rows = [["slug", "titre", "etat"], [padess.slug, "Titre technique", "Brouillon"]]
    preview_and_confirm(admin_client, workbook(rows))
    assert FicheAction.objects.get(pk=padess.pk).titre == "Titre technique"


def test_an_xlsx_sent_as_csv_is_read_as_a_workbook(admin_client):
    sample = sample_fiches()
    padess = sample["fiches"][0]
    rows = sheet_rows(admin_export(admin_client).content)
    [row] = [row for row in rows if row[0] == padess.slug]
    row[column(rows, "Titre")] = "Titre venu d'un classeur"

    preview, _done = preview_and_confirm(admin_client, workbook(rows), CSV_INDEX, "fiches.xlsx")

    shown = page_words(preview)
    assert "n'est pas un CSV" not in shown
    assert "est au format XLSX et non CSV comme indiqué : il a été lu comme tel" in shown
    assert FicheAction.objects.get(pk=padess.pk).titre == "Titre venu d'un classeur"


def test_a_csv_sent_as_xlsx_is_read_as_csv(admin_client):
    sample = sample_fiches()
    padess = sample["fiches"][0]
    content = admin_export(admin_client, CSV_INDEX).content.decode("utf-8-sig")
    content = content.replace(padess.titre, "Titre venu d'un CSV", 1)

    preview, _done = preview_and_confirm(
        admin_client, content.encode("utf-8-sig"), XLSX_INDEX, "fiches.xlsx"
    )

    assert "est au format CSV et non XLSX comme indiqué" in page_words(preview)
    assert FicheAction.objects.get(pk=padess.pk).titre == "Titre venu d'un CSV"


def test_the_export_is_named_and_its_sheet_titled_in_french(admin_client):
    sample_fiches()
    today = timezone.localdate().isoformat()
    for file_format, extension in ((XLSX_INDEX, "xlsx"), (CSV_INDEX, "csv")):
        response = admin_export(admin_client, file_format)
        disposition = response["Content-Disposition"]
        assert disposition == f'attachment; filename="fiches-actions-{today}.{extension}"'
    book = openpyxl.load_workbook(io.BytesIO(admin_export(admin_client).content))
    assert book.active.title == "Fiches actions"
    rows = sheet_rows(admin_export(admin_client).content)
    assert not any(cell == "None" for row in rows for cell in row)


def test_the_export_form_names_columns_in_french(admin_client):
    page = page_text(admin_client.get(reverse(EXPORT_URL)))
    for label in ("Titre", "État de publication", "Nombre d'années", "Lignes de budget"):
        assert re.search(rf"<label[^>]*>{re.escape(label)}</label>", page), label
    assert "Nombre Annees" not in page and ">Etat<" not in page
    assert "Select all" not in page and "Tout cocher" in page
    assert "onchange=" not in page and 'style="' not in page  # nothing the CSP would block


def test_the_public_csv_keeps_its_technical_columns_without_the_version(client):
    from actions.exports import build_actions_csv

    sample_fiches()
    header = build_actions_csv(FicheAction.objects.all()).decode("utf-8").splitlines()[0]
    assert header.startswith("\ufeffslug;titre;ordre;statut;etat;")
    assert "version" not in header
