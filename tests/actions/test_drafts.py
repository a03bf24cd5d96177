"""Drafts never pass as adopted (issue #11): an editor sees them on the public pages under a
banner, each marked with its state; every download holds published fiches only unless the
editor asks for the others, which are then marked and counted in the document's header."""

import csv
import io
import json
import re

import openpyxl
import pypdf
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.models import Etat, FicheAction
from actions.roles import CONTRIBUTEUR, LECTEUR, REDACTEUR
from actions.views import fiches as views
from tests.conftest import download_bytes, page_html, page_words
from tests.factories import make_fiches, staff_user

pytestmark = pytest.mark.django_db

PDF_URL = reverse("actions:recap-pdf")
XLSX_URL = reverse("actions:recap-xlsx")
CSV_URL = reverse("actions:export-csv")
JSON_URL = reverse("actions:export-json")
NOTE = "Ce document inclut 2 fiches non publiées, marquées de leur état."
BANNER = "Fiches non publiées affichées"
TITRE_BROUILLON = "Etude-action Petite enfance"
TITRE_RELECTURE = "L’emploi des femmes allocataires du RSA"


@pytest.fixture
def drafts(recap):
    """The 29 fiches of the recap, two of which an editor took back: 27 published."""
    brouillon = FicheAction.objects.get(slug="etude-action-petite-enfance")
    relecture = FicheAction.objects.get(slug="lemploi-des-femmes-allocataires-du-rsa")
    FicheAction.objects.filter(pk=brouillon.pk).update(etat=Etat.BROUILLON)
    FicheAction.objects.filter(pk=relecture.pk).update(etat=Etat.EN_RELECTURE)
    assert FicheAction.objects.published().count() == 27
    return {"brouillon": brouillon, "relecture": relecture}


def client_of(role, **kwargs) -> Client:
    client = Client()
    client.force_login(staff_user(role, **kwargs))
    return client


@pytest.fixture
def editor():
    return client_of(REDACTEUR, username="redactrice")


def pdf_text(response) -> str:
    """The PDF's text, every run of white space as one space, a title's word cut by
    hyphenation ("allo‐ cataires") joined again."""
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = pypdf.PdfReader(io.BytesIO(response.content)).pages
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))
    return re.sub("\u2010 ", "", text)


def fiche_sheet(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content), data_only=True)
    header, *rows, total = book["Fiches actions"].iter_rows(values_only=True)
    return header, rows, total, dict(book["Informations"].iter_rows(values_only=True))


def csv_rows(response) -> list[dict]:
    text = download_bytes(response).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def file_name(response) -> str:
    return re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1)


TODAY = timezone.localdate().isoformat()


# --- the downloads: published only unless asked -----------------------------------------------


def test_an_editors_recap_pdf_holds_the_published_fiches_only_by_default(drafts, editor):
    text = pdf_text(editor.get(PDF_URL))
    assert "27 fiches, dont" in text
    assert TITRE_BROUILLON not in text
    assert "non publiée" not in text


def test_asked_for_the_recap_pdf_marks_each_unpublished_fiche_and_says_so(drafts, editor):
    text = pdf_text(editor.get(PDF_URL + "?brouillons=1"))
    assert "29 fiches, dont" in text
    assert NOTE in text
    # The state stands in the title cell, just above the title.
    assert f"BROUILLON {TITRE_BROUILLON}" in text
    assert f"EN RELECTURE {TITRE_RELECTURE}" in text
    assert text.count("BROUILLON") == 1 and text.count("EN RELECTURE") == 1


def test_an_editors_workbook_without_then_with_the_unpublished_fiches(drafts, editor):
    header, rows, total, info = fiche_sheet(editor.get(XLSX_URL))
    assert len(rows) == 27
    assert "État de publication" not in header
    assert TITRE_BROUILLON not in [row[0] for row in rows]
    assert "non publiée" not in total[2] and "Fiches non publiées" not in info

    header, rows, total, info = fiche_sheet(editor.get(XLSX_URL + "?brouillons=1"))
    assert len(rows) == 29
    assert header[:4] == ("Titre", "État de publication", "Statut", "Descriptif")
    states = {row[0]: row[1] for row in rows}
    assert states[TITRE_BROUILLON] == "Brouillon"
    assert states[TITRE_RELECTURE] == "En relecture"
    assert list(states.values()).count("Publiée") == 27
    assert total[0] == "Total des fiches affichées" and total[3].startswith(
        "Sans filtre : 29 fiches, dont"
    )
    assert NOTE in total[3]
    assert info["Fiches non publiées"].startswith(NOTE)
    assert info["Fiches"] == 29


def test_the_csv_and_json_hold_the_unpublished_fiches_only_when_asked(drafts, editor):
    published = csv_rows(editor.get(CSV_URL))
    assert len(published) == 27
    assert {row["etat"] for row in published} == {"Publiée"}

    asked = csv_rows(editor.get(CSV_URL + "?brouillons=1"))
    assert len(asked) == 29
    states = {row["titre"]: row["etat"] for row in asked}
    assert (states[TITRE_BROUILLON], states[TITRE_RELECTURE]) == (
        "Brouillon",
        "En relecture",
    )

    assert len(json.loads(download_bytes(editor.get(JSON_URL)))) == 27
    items = json.loads(download_bytes(editor.get(JSON_URL + "?brouillons=1")))
    assert len(items) == 29
    assert {i["etat_libelle"] for i in items if i["etat"] != "publiee"} == {
        "Brouillon",
        "En relecture",
    }


@pytest.mark.parametrize("who", ["anonyme", "lecteur"])
def test_whoever_may_not_see_drafts_gets_published_fiches_when_asking(drafts, who):
    client = Client() if who == "anonyme" else client_of(LECTEUR)
    text = pdf_text(client.get(PDF_URL + "?brouillons=1"))
    assert "27 fiches, dont" in text and TITRE_BROUILLON not in text and NOTE not in text
    assert len(csv_rows(client.get(CSV_URL + "?brouillons=1"))) == 27
    response = client.get(XLSX_URL + "?brouillons=1")
    assert len(fiche_sheet(response)[1]) == 27
    assert file_name(response) == f"recap-{TODAY}.xlsx"


def test_a_contributor_asking_gets_its_own_drafts_only(drafts):
    structure = drafts["brouillon"].porteurs[0]
    assert structure not in drafts["relecture"].porteurs
    contributor = client_of(CONTRIBUTEUR, structures=[structure])
    titles = [row["titre"] for row in csv_rows(contributor.get(CSV_URL + "?brouillons=1"))]
    assert len(titles) == 28
    assert TITRE_BROUILLON in titles and TITRE_RELECTURE not in titles


def test_a_cached_download_with_drafts_is_served_to_no_one_else(drafts, editor, monkeypatch):
    # Accounts first: a contributor's structure written changes the data version.
    contributor = client_of(CONTRIBUTEUR, structures=[drafts["brouillon"].porteurs[0]])
    reader, colleague = client_of(LECTEUR), client_of(REDACTEUR, username="collegue")
    builds = []
    real = views.build_recap_xlsx
    monkeypatch.setattr(
        views, "build_recap_xlsx", lambda *a, **k: builds.append(1) or real(*a, **k)
    )
    url = XLSX_URL + "?brouillons=1"

    assert len(fiche_sheet(editor.get(url))[1]) == 29
    assert len(fiche_sheet(Client().get(url))[1]) == 27
    assert len(fiche_sheet(reader.get(url))[1]) == 27  # the public's file, shared
    assert len(fiche_sheet(contributor.get(url))[1]) == 28
    assert len(fiche_sheet(colleague.get(url))[1]) == 29  # the editors' file, shared
    # Built once for the editors, once for the public, once for the contributor.
    assert len(builds) == 3


# --- file names ----------------------------------------------------------------------------------


def test_file_names_say_the_date_the_filters_and_the_drafts(drafts, editor):
    enjeu = drafts["brouillon"].orientations.first().enjeu.numero
    assert file_name(Client().get(PDF_URL)) == f"recap-{TODAY}.pdf"
    assert file_name(editor.get(PDF_URL, {"enjeu": enjeu, "brouillons": "1"})) == (
        f"recap-{TODAY}-enjeu-{enjeu}-avec-brouillons.pdf"
    )
    assert file_name(Client().get(CSV_URL, {"q": "Économie « sociale »", "sort": "titre"})) == (
        f"fiches-actions-{TODAY}-recherche-economie-sociale.csv"
    )
    structure = drafts["brouillon"].porteurs[0]
    response = Client().get(JSON_URL, {"structure": structure.slug, "role": "co_porteur"})
    assert file_name(response) == f"fiches-actions-{TODAY}-{structure.slug[:30]}-co-porteur.json"
    long = Client().get(
        XLSX_URL,
        {"q": "é" * 150, "statut": "en_cours", "budget_min": "1000.5", "sans_budget": "on"},
    )
    name = file_name(long)
    assert name == f"recap-{TODAY}-recherche-{'e' * 30}-en-cours-budget-min-1000-5-sans-budget.xlsx"
    assert name.isascii() and len(name) < 120


# --- the pages: a banner and a mark for the editor, nothing new for the public -------------------


def page_urls(drafts) -> list[str]:
    brouillon = drafts["brouillon"]
    return [
        reverse("enjeux:home"),
        reverse("actions:list"),
        brouillon.orientations.first().enjeu.get_absolute_url(),
        brouillon.porteurs[0].get_absolute_url(),
        brouillon.get_absolute_url(),
        FicheAction.objects.published().first().get_absolute_url(),
    ]


def test_an_editor_sees_the_banner_on_every_public_page(drafts, editor):
    for url in page_urls(drafts):
        response = editor.get(url)
        assert response.status_code == 200, url
        words = page_words(response)
        assert BANNER in words, url
        assert "vous voyez aussi 2 fiches non publiées" in words, url


def test_the_public_and_a_reader_see_no_banner_and_no_unpublished_fiche(drafts):
    for client in (Client(), client_of(LECTEUR)):
        for url in page_urls(drafts)[:4]:
            html = page_html(client.get(url))
            assert BANNER not in html and TITRE_BROUILLON not in html, url
            assert "brouillons" not in html, url  # nor the downloads' checkbox
        assert client.get(drafts["brouillon"].get_absolute_url()).status_code == 404


def test_a_contributor_sees_the_banner_counting_its_own_drafts(drafts):
    contributor = client_of(CONTRIBUTEUR, structures=[drafts["brouillon"].porteurs[0]])
    words = page_words(contributor.get(reverse("actions:list")))
    assert "vous voyez aussi 1 fiche non publiée (brouillon ou en relecture)" in words


def test_the_editors_list_marks_each_unpublished_card_with_its_state(drafts, editor):
    html = page_html(editor.get(reverse("actions:list"), {"q": "enfance"}))
    html = html.replace("<mark>", "").replace("</mark>", "")  # the search's highlighting
    cards = re.findall(r'<article class="fiche-card[^"]*">.*?</article>', html, flags=re.S)
    marks = {
        re.search(r'<a href="[^"]+">([^<]+)</a>', card).group(1): (
            re.findall(r"Publication : </span>([^<]+)<", card),
            "fiche-card--non-publiee" in card,
        )
        for card in cards
    }
    assert marks.pop(TITRE_BROUILLON) == (["Brouillon"], True)
    assert marks.pop(TITRE_RELECTURE) == (["En relecture"], True)
    assert marks  # published fiches beside them, unmarked
    assert all(mark == ([], False) for mark in marks.values()), marks


def test_the_editors_downloads_offer_the_checkbox_and_keep_the_filters(drafts, editor):
    response = editor.get(reverse("actions:list"), {"q": "bio", "page": "1", "brouillons": "1"})
    html = page_html(response)
    assert '<input type="checkbox" id="inclure-brouillons" name="brouillons" value="1"' in html
    assert '<label for="inclure-brouillons">Inclure les fiches non publiées</label>' in html
    assert '<input type="hidden" name="q" value="bio">' in html
    assert 'name="page"' not in html.split('class="downloads"')[1]
    assert f'formaction="{PDF_URL}"' in html and f'formaction="{CSV_URL}"' in html
    # The public's links never carry the option.
    public = page_html(Client().get(reverse("actions:list"), {"q": "bio", "brouillons": "1"}))
    assert f'href="{CSV_URL}?q=bio"' in public


# --- query budgets: the editor's pages and downloads stay constant -------------------------------


@pytest.mark.parametrize("size", [10, 200])
def test_an_editors_pages_and_downloads_query_budget(size, django_assert_max_num_queries):
    fiches = make_fiches(size)
    FicheAction.objects.filter(pk__in=[f.pk for f in fiches[::3]]).update(etat=Etat.BROUILLON)
    editor = client_of(REDACTEUR)
    editor.get(reverse("enjeux:home"))  # the session and the account's permissions, read once
    # The public's budgets (test_views, test_enjeu_pages, test_structure_pages: the pages' own
    # queries, the follow-up's roll-up among them) plus the account's session, user and
    # permissions, and the banner's count.
    for url, budget in [
        (reverse("enjeux:home"), 17),
        (reverse("actions:list"), 16),  # + the page's ids, read alone (test_views)
        (fiches[0].orientations.first().enjeu.get_absolute_url(), 17),
        # + 3 for what a structure finances, + 1 for a fiche's financing plan, + 3 for the
        # workbook's financing sheets (actions/plan.py).
        (fiches[0].porteurs[0].get_absolute_url(), 17),
        (fiches[0].get_absolute_url(), 18),
        (XLSX_URL + "?brouillons=1", 14),
        (JSON_URL + "?brouillons=1", 11),
    ]:
        with django_assert_max_num_queries(budget):
            response = editor.get(url)
            assert response.status_code == 200
            download_bytes(response)  # a streamed download reads its fiches while it is sent
