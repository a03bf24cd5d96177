"""The financing plan as readers see it: /financements/ (financer × year tables, per enjeu,
chart, filters), a fiche's plan, a financer's page, the workbook, the PDF, financements.csv;
in constant queries. The figures are worked out by hand in tests/actions/plan_samples.py."""

import csv
import io
import re
import shutil
import subprocess
from decimal import Decimal

import openpyxl
import pytest

from actions.models import FicheAction
from actions.plan import enjeu_plans, financing_matrix
from actions.roles import REDACTEUR
from enjeux.models import Enjeu
from tests.actions.plan_samples import make_plan
from tests.conftest import download_bytes, page_html, page_text
from tests.factories import (
    ContratFactory,
    LigneFinancementFactory,
    OrientationFactory,
    StructureFactory,
    make_fiches,
    staff_user,
)

pytestmark = pytest.mark.django_db


def page_words(response) -> str:
    """The page's words as read, without its tags, every run of white space one space."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page_text(response))).strip()


@pytest.fixture
def plan():
    return make_plan()


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The text of each row's cells (header cells included) of the table with this id, as a
    sighted reader sees them (screen-reader-only words left out)."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    table = re.sub(r'<span class="visually-hidden">.*?</span>', "", table)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append(
            [
                re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell))
                .replace("\u00a0", " ")
                .replace("\u202f", " ")
                .replace("&nbsp;", " ")
                .strip()
                for cell in cells
            ]
        )
    return rows


# --- /financements/ -------------------------------------------------------------------------


def test_the_plan_shows_planned_amounts_per_financer_and_year_with_totals_and_shares(client, plan):
    response = client.get("/financements/")

    assert response.status_code == 200
    rows = table_rows(page_html(response), "tableau-prevu")
    assert rows[0] == ["Financeur", "2024", "2025", "2026", "Total", "Part"]
    assert rows[1:] == [
        [
            "Conseil départemental du Nord",
            "10 000 €",
            "30 000 €",
            "—",
            "40 000 €",
            "66,7 %",
        ],
        ["État", "—", "—", "15 000 €", "15 000 €", "25,0 %"],
        ["Région Hauts-de-France", "5 000 €", "—", "—", "5 000 €", "8,3 %"],
        ["Total", "15 000 €", "30 000 €", "15 000 €", "60 000 €", "100 %"],
    ]


def test_granted_and_paid_tables_add_up_per_financer_per_year_and_overall(client, plan):
    html = page_html(client.get("/financements/"))

    accorde = table_rows(html, "tableau-accorde")
    assert accorde[1] == [
        "Conseil départemental du Nord",
        "10 000 €",
        "28 000 €",
        "—",
        "38 000 €",
        "71,7 %",
    ]
    assert accorde[-1] == ["Total", "10 000 €", "28 000 €", "15 000 €", "53 000 €", "100 %"]
    verse = table_rows(html, "tableau-verse")
    assert verse[-1] == ["Total", "10 000 €", "4 000 €", "15 000 €", "29 000 €", "100 %"]
    # Undecided lines count as 0 granted: the region's line is there, at 0 €.
    assert ["Région Hauts-de-France", "0 €", "—", "—", "0 €", "0,0 %"] in (accorde)


def test_the_matrix_totals_hold_together(plan):
    matrix = financing_matrix(FicheAction.objects.published())
    for table in matrix.tables:
        assert sum(row.total for row in table.rows) == table.total
        assert sum(table.year_totals) == table.total
        for index, year_total in enumerate(table.year_totals):
            assert sum(row.cells[index] or 0 for row in table.rows) == year_total
    shares = [row.share for row in matrix.table("prevu").rows]
    assert shares == [Decimal("66.7"), Decimal("25.0"), Decimal("8.3")]
    assert (matrix.fiches, matrix.lignes) == (2, 5)


def test_the_public_never_sees_a_drafts_lines_an_editor_does(client, plan):
    assert "99 999" not in page_words(client.get("/financements/"))

    client.force_login(staff_user(REDACTEUR))
    words = page_words(client.get("/financements/"))
    assert "109 999 €" in words  # CG59 in 2024: 10 000 + the draft's 99 999
    assert "159 999 €" in words  # 60 000 + 99 999 planned


def test_the_lists_filters_apply(client, plan):
    response = client.get("/financements/?enjeu=2")

    rows = table_rows(page_html(response), "tableau-prevu")
    assert [row[0] for row in rows[1:]] == ["Conseil départemental du Nord", "État", "Total"]
    assert rows[-1] == ["Total", "20 000 €", "15 000 €", "35 000 €", "100 %"]
    assert "Cadre de vie" in page_words(response)  # said among the active filters
    # The downloads carry the same filters.
    assert 'href="/financements/export/financements.csv?enjeu=2"' in page_html(response)

    response = client.get("/financements/?q=ludotheque&statut=")
    rows = table_rows(page_html(response), "tableau-prevu")
    assert rows[-1] == ["Total", "15 000 €", "10 000 €", "25 000 €", "100 %"]


def test_a_table_per_enjeu_counts_a_fiche_once_in_each_enjeu_it_cites(client, plan):
    # A second orientation of enjeu 1 on the ludothèque, and enjeu 1 cited directly too:
    # its lines still count once in enjeu 1.
    plan.ludotheque.orientations.add(OrientationFactory(enjeu=plan.enjeu1, numero=2))
    plan.ludotheque.enjeux.add(plan.enjeu1)

    plans = enjeu_plans(FicheAction.objects.published(), Enjeu.objects.all())

    assert [p.label for p in plans] == ["Enjeu 1 — Économie sociale", "Enjeu 2 — Cadre de vie"]
    enjeu1 = {s.nom: (a.prevu, a.accorde, a.verse) for s, a, _share in plans[0].rows}
    assert enjeu1 == {
        "Conseil départemental du Nord": (20000, 18000, 14000),
        "Région Hauts-de-France": (5000, 0, 0),
    }
    assert plans[0].total.prevu == 25000
    assert [share for _s, _a, share in plans[1].rows] == [Decimal("57.1"), Decimal("42.9")]
    words = page_words(client.get("/financements/"))
    assert "Enjeu 2 — Cadre de vie" in words
    assert "Sans enjeu" not in words


def test_a_fiche_without_enjeu_has_its_table(plan):
    orpheline = FicheAction.objects.create(
        contrat=plan.contrat, titre="Orpheline", slug="orpheline", ordre=9, etat="publiee"
    )
    LigneFinancementFactory(fiche=orpheline, financeur=plan.etat, annee=2027, prevu=700)

    plans = enjeu_plans(FicheAction.objects.published(), Enjeu.objects.all())

    assert plans[-1].label == "Sans enjeu"
    assert plans[-1].total.prevu == 700


def test_the_chart_is_an_svg_image_with_the_table_beside_it(client, plan):
    html = page_html(client.get("/financements/"))

    svg = re.search(r"<svg[^>]*>.*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg
    assert "Total par année : 2024 : 15" in svg.replace("\u00a0", " ")
    # One rectangle per financer and year with a planned amount.
    assert svg.count("<rect") == 4
    assert "<script" not in svg
    assert html.index("<svg") < html.index('id="tableau-prevu"')


def test_the_plan_is_in_the_navigation_and_on_the_home_page(client, plan):
    html = page_html(client.get("/"))
    assert html.count('href="/financements/"') == 2
    nav = page_html(client.get("/financements/"))
    assert '<a href="/financements/" aria-current="page">Financements</a>' in nav


def test_an_empty_plan_says_so(client):
    ContratFactory()
    response = client.get("/financements/")
    assert response.status_code == 200
    assert "Aucune ligne de financement n'est encore enregistrée" in page_words(response)


# --- a fiche, a financer ---------------------------------------------------------------------


def test_a_fiche_shows_years_by_financers_and_what_is_left_to_finance(client, plan):
    response = client.get(plan.ludotheque.get_absolute_url())
    words = page_words(response)

    assert "Plan de financement" in words
    html = page_html(response)
    table = re.search(r'<table class="table table--matrix table--plan">.*?</table>', html, re.S)
    rows = table_rows(table.group(0).replace("<table", '<table id="t"', 1), "t")
    assert rows[0] == ["Année", "Conseil départemental du Nord", "Région Hauts-de-France", "Total"]
    assert rows[2] == [
        "2024",
        "10 000 €",
        "10 000 €",
        "10 000 €",
        "5 000 €",
        "0 €",
        "0 €",
        "15 000 €",
        "10 000 €",
        "10 000 €",
    ]
    assert rows[3][:5] == ["2025", "10 000 €", "8 000 €", "4 000 €", "—"]
    assert rows[-1] == [
        "Total",
        "20 000 €",
        "18 000 €",
        "14 000 €",
        "5 000 €",
        "0 €",
        "0 €",
        "25 000 €",
        "18 000 €",
        "14 000 €",
    ]
    assert "Reste à financer 32 000 €" in words


def test_a_fiche_without_budget_has_no_rest_to_finance(client, plan):
    words = page_words(client.get(plan.jardins.get_absolute_url()))
    assert "Plan de financement" in words
    assert "Reste à financer" not in words


def test_a_financer_page_shows_what_it_finances_per_year_and_per_fiche(client, plan):
    response = client.get("/structures/cg59/")
    words = page_words(response)

    assert "Ce que finance CG59" in words
    assert "2 fiches financées : 40 000 € prévus, 38 000 € accordés, 14 000 € versés" in words
    html = page_html(response).replace('id="finance-annees"', "")
    by_year = re.search(r"<caption >Par année.*?</table>", html, re.S)
    assert by_year is not None
    rows = table_rows(
        f'<table id="y">{by_year.group(0).split("</caption>", 1)[1]}',
        "y",
    )
    assert rows[1:] == [
        ["2024", "10 000 €", "10 000 €", "10 000 €"],
        ["2025", "30 000 €", "28 000 €", "4 000 €"],
        ["Total", "40 000 €", "38 000 €", "14 000 €"],
    ]
    assert "Jardins partagés 20 000 € 20 000 € 0 €" in words
    assert "Ludothèque itinérante 20 000 € 18 000 € 14 000 €" in words
    assert "Brouillon caché" not in words


def test_a_structure_that_finances_nothing_shows_no_plan(client, plan):
    assert "Ce que finance" not in page_words(client.get("/structures/fourmies/"))


# --- the workbook, the PDF, the CSV ---------------------------------------------------------


def test_the_workbook_holds_every_line_and_the_matrix_as_numbers(client, plan):
    response = client.get("/actions/export/recap.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))

    assert book.sheetnames == [
        "Fiches actions",
        "Par enjeu",
        "Financements",
        "Financeurs × années",
        "Structures",
        "Informations",
    ]
    lignes = list(book["Financements"].iter_rows(values_only=True))
    assert lignes[0] == (
        "Fiche",
        "Financeur",
        "Année",
        "Nature",
        "Prévu (€)",
        "Accordé (€)",
        "Versé (€)",
    )
    ludo, jardins, cg59 = "Ludothèque itinérante", "Jardins partagés", plan.cg59.nom
    assert lignes[1:] == [
        (ludo, cg59, 2024, "Fonctionnement", 10000, 10000, 10000),
        (ludo, "Région Hauts-de-France", 2024, "Fonctionnement", 5000, None, 0),
        (ludo, cg59, 2025, "Fonctionnement", 10000, 8000, 4000),
        (jardins, cg59, 2025, "Investissement", 20000, 20000, 0),
        (jardins, "État", 2026, "Investissement", 15000, 15000, 15000),
    ]
    assert book["Financements"]["E2"].number_format == '#,##0 "€"'
    matrix = list(book["Financeurs × années"].iter_rows(values_only=True))
    assert matrix[0][0] == "Montants prévus"
    assert matrix[1] == ("Financeur", "2024", "2025", "2026", "Total", "Part")
    assert matrix[2][:5] == ("Conseil départemental du Nord", 10000, 30000, None, 40000)
    assert matrix[2][5] == pytest.approx(2 / 3)
    assert matrix[5] == ("Total", 15000, 30000, 15000, 60000, 1)
    assert book["Financeurs × années"]["F3"].number_format == "0.0 %"
    totals = [row for row in matrix if row and row[0] == "Total"]
    assert [row[4] for row in totals] == [60000, 53000, 29000]


def test_the_workbook_follows_the_filters_and_the_drafts_option(client, plan):
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/actions/export/recap.xlsx?enjeu=2").content)
    )
    assert [row[0] for row in book["Financements"].iter_rows(min_row=2, values_only=True)] == [
        "Jardins partagés",
        "Jardins partagés",
    ]
    client.force_login(staff_user(REDACTEUR))
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/actions/export/recap.xlsx?brouillons=1").content)
    )
    titles = [row[0] for row in book["Financements"].iter_rows(min_row=2, values_only=True)]
    assert titles.count("Brouillon caché") == 1
    book = openpyxl.load_workbook(io.BytesIO(client.get("/actions/export/recap.xlsx").content))
    titles = [row[0] for row in book["Financements"].iter_rows(min_row=2, values_only=True)]
    assert "Brouillon caché" not in titles


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_the_recap_pdf_holds_the_financer_by_year_table(client, plan, tmp_path):
    path = tmp_path / "recap.pdf"
    path.write_bytes(client.get("/actions/export/recap.pdf").content)
    text = (
        subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
        )
        .stdout.replace("\u00a0", " ")
        .replace("\u202f", " ")
    )

    assert text.index("Sous-totaux par enjeu") < text.index("Plan de financement")
    assert re.search(
        r"Conseil départemental du Nord\s+10 000 €\s+30 000 €\s+—\s+40 000 €\s+66,7 %", text
    )
    assert re.search(r"Total\s+15 000 €\s+30 000 €\s+15 000 €\s+60 000 €\s+100 %", text)
    assert "Montants accordés" in text and "53 000 €" in text
    assert "99 999" not in text


def test_financements_csv_has_every_line_like_actions_csv(client, plan):
    LigneFinancementFactory(
        fiche=plan.jardins, financeur=plan.region, annee=2027, prevu=Decimal("1250.50"),
        note="=HYPERLINK(\"http://example.org\")",
    )  # fmt: skip
    response = client.get("/financements/export/financements.csv?enjeu=2")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.match(
        r'attachment; filename="financements-\d{4}-\d\d-\d\d-enjeu-2\.csv"',
        response["Content-Disposition"],
    )
    text = download_bytes(response).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == [
        "fiche",
        "fiche_titre",
        "financeur",
        "financeur_nom",
        "annee",
        "nature",
        "prevu",
        "accorde",
        "verse",
        "date_decision",
        "reference_decision",
        "note",
    ]
    assert rows[1] == [
        "jardins-partages",
        "Jardins partagés",
        "cg59",
        "Conseil départemental du Nord",
        "2025",
        "investissement",
        "20000",
        "20000",
        "0",
        "2023-12-15",
        "",
        "",
    ]
    assert len(rows) == 4
    assert rows[3][6:9] == ["1250,5", "", "0"]
    assert rows[3][11] == '\'=HYPERLINK("http://example.org")'


def test_financements_csv_is_cached_per_data_version(client, plan):
    first = download_bytes(client.get("/financements/export/financements.csv"))
    LigneFinancementFactory(fiche=plan.jardins, financeur=plan.region, annee=2027, prevu=1)
    second = download_bytes(client.get("/financements/export/financements.csv"))
    assert second.count(b"\n") == first.count(b"\n") + 1


# --- constant queries -----------------------------------------------------------------------


def add_financed_fiches(count: int, contrat, financeurs) -> None:
    for fiche in make_fiches(count, contrat=contrat):
        for annee, financeur in zip((2024, 2025), financeurs, strict=True):
            LigneFinancementFactory(
                fiche=fiche, financeur=financeur, annee=annee, accorde=Decimal(5000)
            )


@pytest.mark.parametrize(
    "url",
    [
        "/financements/",
        "/financements/?enjeu=1&q=fiche",
        "/actions/ludotheque-itinerante/",
        "/structures/cg59/",
        "/financements/export/financements.csv",
        "/financements/export/subventions.csv",
        "/actions/export/recap.xlsx",
        "/actions/export/recap.pdf",
    ],
)
def test_queries_do_not_grow_with_the_fiches(client, plan, url, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    financeurs = [plan.cg59, StructureFactory(nom="Autre financeur")]
    add_financed_fiches(2, plan.contrat, financeurs)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add_financed_fiches(12, plan.contrat, financeurs)
    for cache_name in ("exports", "default"):
        from django.core.cache import caches

        caches[cache_name].clear()
    with django_assert_num_queries(len(small)):
        assert client.get(url).status_code == 200
