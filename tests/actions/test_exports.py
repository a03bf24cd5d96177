"""The recap workbook, and the open data CSV and JSON: content, filters, safety, queries."""

import csv
import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from actions.exports import build_actions_csv, build_actions_json
from actions.filters import FicheFilter
from actions.models import FicheAction, Statut
from actions.resources import FicheActionResource
from actions.workbook import build_recap_xlsx
from contrat.spreadsheets import restore_formula, xlsx_text
from tests.actions.samples import FORMULA_DESCRIPTIF, FORMULA_TITLE, sample_fiches
from tests.factories import make_fiches

pytestmark = pytest.mark.django_db

# The five Emergence CIBC fiches of the recap (one spelled CIBS): 17 000 + 30 000 + 25 000
# + 3 200 + 25 000 euros, as the source document writes them.
CIBC_TOTAL = 100_200


def body(response) -> bytes:
    """A download's bytes: CSV and JSON are streamed."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def workbook(response, *, data_only=True):
    """The workbook as a viewer that does not recompute shows it: the formulas' cached values
    (data_only), unless `data_only` is False (the formulas themselves)."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content), data_only=data_only)


def list_titles(client, query="") -> list[str]:
    """The titles the public list shows for this query string, in its order (every page)."""
    request = RequestFactory().get("/actions/" + query)
    request.user = client.get("/").wsgi_request.user
    filterset = FicheFilter(
        request.GET,
        queryset=FicheAction.objects.visible_to(request.user).for_listing(),
        request=request,
    )
    return [fiche.titre for fiche in filterset.qs]


def expected_totals(titles):
    fiches = FicheAction.objects.filter(titre__in=titles)
    budgets = [f.budget_total for f in fiches]
    return sum(b for b in budgets if b is not None), sum(b is None for b in budgets)


def fiche_rows(sheet):
    rows = list(sheet.iter_rows(values_only=True))
    return rows[0], rows[1:-1], rows[-1]


# --- the recap workbook -------------------------------------------------------------------------


def test_the_workbook_holds_every_fiche_with_numeric_amounts_and_right_totals(recap, client):
    book = workbook(client.get(reverse("actions:recap-xlsx")))
    assert book.sheetnames == [
        "Fiches actions",
        "Par enjeu",
        "Financements",
        "Financeurs × années",
        "Structures",
        "Informations",
    ]
    sheet = book["Fiches actions"]
    header, rows, total = fiche_rows(sheet)

    assert header[:6] == ("Titre", "Statut", "Descriptif", "Enjeu", "Budget", "Structure")
    assert [row[0] for row in rows] == list_titles(client)
    assert len(rows) == 29
    amounts = [row[6] for row in rows]
    assert all(isinstance(a, int | float) for a in amounts if a is not None)
    budget, sans_budget = expected_totals([row[0] for row in rows])
    assert total[0] == "Total des fiches affichées"
    assert total[1] == 29 and total[6] == budget  # the SUBTOTALs' cached values
    assert f"29 fiches, dont {sans_budget} sans budget" in total[2]
    assert amounts.count(None) == sans_budget  # a fiche without budget is empty, never 0 €

    padess = next(row for row in rows if row[0] == "Le PADESS en Sambre-Avesnois")
    assert padess[6] == 250550
    assert "\n" in padess[2]  # the descriptif keeps its line breaks
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:I{len(rows) + 1}"
    assert "€" in sheet.cell(row=2, column=7).number_format
    assert sheet.cell(row=2, column=3).alignment.wrap_text
    assert sheet.column_dimensions["C"].width > sheet.column_dimensions["G"].width


def test_the_workbook_honours_the_list_filters_and_order(recap, client):
    book = workbook(client.get(reverse("actions:recap-xlsx") + "?q=cibs&sort=titre"))
    _header, rows, total = fiche_rows(book["Fiches actions"])

    titles = [row[0] for row in rows]
    assert titles == list_titles(client, "?q=cibs&sort=titre")
    assert len(titles) == 5
    assert all("Emergence CIBC" in row[5] for row in rows)
    assert total[6] == CIBC_TOTAL
    info = dict(book["Informations"].iter_rows(values_only=True))
    assert info["Filtres appliqués"] == "Recherche : « cibs »"


def test_the_workbook_sorted_by_budget_puts_fiches_without_budget_last(recap, client):
    book = workbook(client.get(reverse("actions:recap-xlsx") + "?sort=-budget"))
    _header, rows, _total = fiche_rows(book["Fiches actions"])
    assert [row[0] for row in rows] == list_titles(client, "?sort=-budget")
    amounts = [row[6] for row in rows]
    numbered = [a for a in amounts if a is not None]
    assert numbered == sorted(numbered, reverse=True)
    assert amounts[len(numbered) :] == [None] * (len(amounts) - len(numbered))


def test_subtotals_per_enjeu_count_a_fiche_in_each_enjeu_it_cites(recap, client):
    book = workbook(client.get(reverse("actions:recap-xlsx")))
    rows = list(book["Par enjeu"].iter_rows(values_only=True))
    assert rows[0] == ("Enjeu", "Fiches", "dont sans budget", "Budget total (€)")
    body = [row for row in rows[1:] if row[1] is not None]
    *per_enjeu, overall = body
    assert overall[0] == "Ensemble des fiches (sans double compte)"
    assert overall[1] == 29
    labels = [row[0] for row in per_enjeu]
    assert "Sans enjeu" in labels
    assert sum(row[1] for row in per_enjeu) >= 29  # a fiche citing two enjeux counts twice
    enjeu2 = FicheAction.objects.for_enjeu(2).count()
    assert next(row[1] for row in per_enjeu if row[0].startswith("Enjeu 2")) == enjeu2
    notes = " ".join(row[0] for row in rows if row[0] and row[1] is None)
    assert "compte dans chaque enjeu" in notes


def test_the_structures_sheet_lists_each_role_of_each_structure(recap, client):
    book = workbook(client.get(reverse("actions:recap-xlsx") + "?q=cibs"))
    rows = list(book["Structures"].iter_rows(values_only=True))
    assert rows[0] == ("Structure", "Rôle", "Précision", "Fiche")
    porteurs = [row for row in rows[1:] if row[1] == "Porteur"]
    assert len(porteurs) == 5
    assert {row[0] for row in porteurs} == {"Emergence CIBC Sambre-Avesnois"}


def test_formulas_are_neutralised_in_the_workbook_and_the_csv():
    sample_fiches()
    queryset = FicheAction.objects.for_listing()
    book = openpyxl.load_workbook(io.BytesIO(build_recap_xlsx(queryset)))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    # No formula but the total row's own SUBTOTALs.
    formulas = [c.value for c in cells if c.data_type == "f"]
    assert formulas == ["=SUBTOTAL(103,A2:A6)", "=SUBTOTAL(109,G2:G6)"]
    # The texts as written, in cells typed as text: no guard apostrophe for a reader to see.
    sheet = book["Fiches actions"]
    titles = {cell.value: cell for cell in sheet["A"]}
    assert titles[FORMULA_TITLE].data_type == "s"
    descriptifs = {cell.value: cell for cell in sheet["C"]}
    assert descriptifs[FORMULA_DESCRIPTIF].data_type == "s"
    assert not [c.coordinate for c in cells if isinstance(c.value, str) and c.value[:1] == "'"]

    rows = list(
        csv.DictReader(io.StringIO(build_actions_csv(queryset).decode("utf-8-sig")), delimiter=";")
    )
    piege = next(row for row in rows if FORMULA_TITLE in row["titre"])
    assert piege["titre"] == "'" + FORMULA_TITLE
    assert piege["descriptif"] == "'" + FORMULA_DESCRIPTIF
    assert piege["enjeu_texte"] == "'@SUM(1+1)"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_the_workbook_query_count_does_not_grow_with_the_fiches(django_assert_max_num_queries):
    make_fiches(5)
    with django_assert_max_num_queries(12):
        build_recap_xlsx(FicheAction.objects.for_listing())
    make_fiches(40)
    with django_assert_max_num_queries(12):
        build_recap_xlsx(FicheAction.objects.for_listing())


# --- open data ----------------------------------------------------------------------------------


def test_the_csv_opens_in_french_excel_one_row_per_fiche(recap, client):
    response = client.get(reverse("actions:export-csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    raw = body(response)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == FicheActionResource().get_export_headers()
    data = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [row["titre"] for row in data] == list_titles(client)
    padess = next(row for row in data if row["titre"] == "Le PADESS en Sambre-Avesnois")
    assert padess["budget_total"] == "250550"
    assert padess["lignes_budget"] == "250\u00a0550\u00a0€"


def test_the_csv_and_json_take_the_list_filters(recap, client):
    titles = list_titles(client, "?q=cibs")
    rows = list(
        csv.DictReader(
            io.StringIO(
                body(client.get(reverse("actions:export-csv") + "?q=cibs")).decode("utf-8-sig")
            ),
            delimiter=";",
        )
    )
    assert [row["titre"] for row in rows] == titles
    items = json.loads(body(client.get(reverse("actions:export-json") + "?q=cibs")))
    assert [item["titre"] for item in items] == titles
    assert sum(item["budget_total"] for item in items) == CIBC_TOTAL


def test_the_json_nests_structures_orientations_and_budget_lines():
    sample = sample_fiches()
    response = Client().get(reverse("actions:export-json"))
    assert response["Content-Type"] == "application/json; charset=utf-8"
    items = json.loads(body(response))
    assert [item["slug"] for item in items] == [f.slug for f in sample["published"]]
    padess, generations = items[0], items[1]
    assert padess["orientations"] == [
        {"code": "7.7", "titre": "Soutenir l'économie sociale et solidaire", "enjeu": 7}
    ]
    assert padess["structures"][0]["role"] == "porteur"
    assert padess["structures"][0]["sigle"] == "ADUS"
    assert padess["structures"][1]["precision"] == "volet emploi"
    assert generations["enjeux"] == [{"numero": 2, "titre": "Vivre ensemble"}]
    assert generations["lignes_budget"][0] == {
        "montant": 2000,
        "periodicite": "annuel",
        "nombre_annees": 6,
        "total": 12000,
        "libelle": "2\u00a0000\u00a0€ par an sur 6 ans, soit 12\u00a0000\u00a0€",
        "nature": "",
        "financeur": "cress",
        "note": "",
    }
    assert generations["budget_total"] == 27000
    assert (generations["montant_annuel"], generations["nombre_annees"]) == (2000, 6)
    assert items[2]["budget_total"] is None  # no budget is null, not 0
    assert items[3]["titre"] == FORMULA_TITLE  # JSON is not a spreadsheet: text as written
    assert sum(Decimal(str(i["budget_total"] or 0)) for i in items) == sample["published_total"]


def test_drafts_are_exported_only_to_staff_who_ask_for_them(client, admin_client):
    sample_fiches()
    url = reverse("actions:export-json")
    public = json.loads(body(client.get(url + "?brouillons=1")))
    staff = json.loads(body(admin_client.get(url)))
    asked = json.loads(body(admin_client.get(url + "?brouillons=1")))
    assert "Fiche en brouillon" not in [item["titre"] for item in public]
    assert "Fiche en brouillon" not in [item["titre"] for item in staff]
    brouillon = next(item for item in asked if item["titre"] == "Fiche en brouillon")
    assert brouillon["etat_libelle"] == "Brouillon"


@pytest.mark.parametrize(
    "name", ["actions:recap-xlsx", "actions:export-csv", "actions:export-json"]
)
def test_bad_filter_values_never_break_an_export(client, name):
    sample_fiches()
    response = client.get(reverse(name) + "?enjeu=999&budget_min=abc&sort=%00&q=" + "x" * 500)
    assert response.status_code == 200


def test_every_csv_column_and_json_key_is_documented():
    doc = (Path(settings.BASE_DIR) / "docs" / "open-data.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\|\s*`([a-z_]+)`", doc, flags=re.MULTILINE))
    sample_fiches()
    items = json.loads(build_actions_json(FicheAction.objects.for_listing()))
    keys = set()
    for item in items:
        keys |= set(item)
        for value in item.values():
            if isinstance(value, list):
                keys |= {key for nested in value for key in nested}
    missing = (set(FicheActionResource().get_export_headers()) | keys) - documented
    assert not missing


# --- the recap workbook as a manager prints and filters it ---------------------------------


def test_the_totals_are_subtotal_formulas_that_follow_the_autofilter_with_cached_values(
    recap, client
):
    response = client.get(reverse("actions:recap-xlsx") + "?q=cibs")
    formulas = workbook(response, data_only=False)["Fiches actions"]
    cached = workbook(response)["Fiches actions"]
    last = formulas.max_row
    assert last == 5 + 2  # header, the five CIBC fiches, the total row
    assert formulas["B7"].value == "=SUBTOTAL(103,A2:A6)"  # the visible titles, counted
    assert formulas["G7"].value == "=SUBTOTAL(109,G2:G6)"  # the visible budgets, summed
    assert formulas.auto_filter.ref == "A1:I6"  # the total row stays out of the filter
    # A viewer that computes nothing (a previewer, pandas, openpyxl) reads the values.
    assert (cached["B7"].value, cached["G7"].value) == (5, CIBC_TOTAL)
    sheet_xml = zipfile.ZipFile(io.BytesIO(response.content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>SUBTOTAL(109,G2:G6)</f><v>100200</v>" in sheet_xml


def test_the_workbook_has_a_status_column(recap, client):
    FicheAction.objects.filter(titre="Ludothèque itinérante").update(statut=Statut.EN_COURS)
    book = workbook(client.get(reverse("actions:recap-xlsx")))
    header, rows, _total = fiche_rows(book["Fiches actions"])
    assert header[1] == "Statut"
    statuts = {row[0]: row[1] for row in rows}
    assert statuts["Ludothèque itinérante"] == "En cours"
    assert set(statuts.values()) <= {label for _value, label in Statut.choices}
    assert (
        list(statuts.values()).count("En cours")
        == FicheAction.objects.filter(statut=Statut.EN_COURS, etat="publiee").count()
    )


def test_the_fiches_sheet_prints_landscape_as_wide_as_the_page_with_its_header_on_each(
    recap, client
):
    sheet = workbook(client.get(reverse("actions:recap-xlsx")))["Fiches actions"]
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # One page wide: 1 is the attribute's default (ECMA-376), which a writer may leave out.
    assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$1:$1"


def test_no_text_cell_of_the_workbook_starts_with_an_apostrophe(recap, client):
    fiche = FicheAction.objects.get(titre="Ludothèque itinérante")
    fiche.titre = "=SOMME(A1:A9) en titre"
    fiche.descriptif = "- une puce\n- une autre"
    fiche.save()
    book = workbook(client.get(reverse("actions:recap-xlsx")), data_only=False)
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if isinstance(c.value, str) and c.value[:1] == "'"]
    by_value = {c.value: c for c in cells if isinstance(c.value, str)}
    assert by_value["=SOMME(A1:A9) en titre"].data_type == "s"  # text, never evaluated
    assert by_value["- une puce\n- une autre"].data_type == "s"


@given(st.text())
def test_an_xlsx_text_reads_back_exactly_through_the_imports_guard(text):
    """What the admin's XLSX writes in a text cell, the import restores to the same text (a
    text that starts with an apostrophe and a guarded character keeps its apostrophe)."""
    clean = ILLEGAL_CHARACTERS_RE.sub("", text)
    assert restore_formula(xlsx_text(text)) == clean
