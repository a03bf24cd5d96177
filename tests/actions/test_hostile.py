"""Hostile input: query strings, URLs, uploads and oversized fiches never give a 500."""

import io
import time
import zipfile
from urllib.parse import quote

import openpyxl
import pypdf
import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions.exports import build_actions_csv
from actions.models import FicheAction, SousAction
from actions.pdf import build_fiche_pdf, build_recap_pdf
from actions.resources import FicheActionResource
from contrat.spreadsheets import CSV, XLSX, SpreadsheetRefused
from structures.models import Structure
from tests.actions.samples import sample_fiches
from tests.actions.test_import import XLSX_INDEX, csv_file, post_import, problems
from tests.conftest import download_bytes
from tests.factories import FicheActionFactory, SousActionFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/actions/"
LIST_PARAMS = [
    "q",
    "enjeu",
    "orientation",
    "structure",
    "role",
    "statut",
    "budget_min",
    "budget_max",
    "sans_budget",
    "sort",
    "page",
]
NOTICE = "Certaines valeurs demandées n'ont pas été comprises"
HOSTILE = {
    "sql-or": "' OR 1=1 --",
    "sql-drop": "1; DROP TABLE actions_ficheaction; --",
    "sql-union": "%' UNION SELECT username, password FROM auth_user --",
    "10kB-ascii": "x" * 10_240,
    "10kB-accents": "é" * 5_120,
    "huge-number": "9" * 40,
    "exponent": "1e999",
    "nan": "NaN",
    "infinity": "-Infinity",
    "comma-decimal": "12,5",
    "hex": "0x1F",
    "arabic-digits": "١٢٣",
    "bad-date": "2024-02-30",
    "french-date": "31/12/9999",
    "unknown-slug": "structure-qui-n-existe-pas",
    "nul": "\x00",
    "nul-inside": "ludo\x00thèque",
    "controls": "\x1b[31m\r\n\t\x7f\x08",
    "bidi-override": "\u202eenilno\u202c",
    "zero-width": "\ufeff\u200b\u200d",
    "combining": "e\u0301" * 500,
    "emoji": "🏳️‍🌈 𝕏 🇫🇷",
    "noncharacter": "\uffff\ufdd0",
    "html": '"><script>alert(1)</script>',
}
# Bytes no browser should send, written directly in the query string (a lone surrogate
# encoded as UTF-8, invalid UTF-8, an overlong "/"): the test client cannot encode them.
UNDECODABLE = ["%ED%A0%80", "%FF%FE%FD", "%C0%AF", "%F4%90%80%80", "%"]


def html(response) -> str:
    return response.content.decode()


# --- the list and its filters -------------------------------------------------------------
# Each test loops over its cases with one recap loaded (loading it per case would take most
# of the suite's time) and lists every case that failed, not only the first one.


def failures(cases, check) -> list[str]:
    """The cases for which `check(case)` returns a complaint or raises, described."""
    found = []
    for case in cases:
        try:
            problem = check(case)
        except Exception as error:  # noqa: BLE001 - the report names the case and the error
            problem = f"{type(error).__name__}: {error}"[:300]
        if problem:
            found.append(f"{str(case)[:80]!r} -> {problem}")
    return found


def test_every_list_filter_fed_a_hostile_value_answers_with_a_message(recap, client):
    def check(name):
        response = client.get(LIST_URL, dict.fromkeys(LIST_PARAMS, HOSTILE[name]))
        if response.status_code != 200:
            return response.status_code
        page = html(response)
        if "<h1" not in page or NOTICE not in page:  # `sort` at least cannot take the value
            return "pas de message"
        if "<script>alert(1)" in page:
            return "injecté dans la page"

    assert not failures(HOSTILE, check)


def test_a_nul_character_in_any_filter_is_a_french_message_on_every_engine(recap, client):
    """PostgreSQL refuses U+0000 in a string: it must never get there."""

    def check(param):
        response = client.get(f"{LIST_URL}?{param}=ludo%00theque")
        if response.status_code != 200:
            return response.status_code
        if param != "sans_budget" and NOTICE not in html(response):  # a checkbox: any value
            return "pas de message"
        nul = "Le caractère nul n’est pas autorisé."
        if param in ("q", "structure", "enjeu", "orientation") and nul not in html(response):
            return "pas de message sur le caractère nul"

    assert not failures(LIST_PARAMS, check)


def test_undecodable_bytes_in_the_query_string_are_harmless(recap, client):
    urls = [LIST_URL, "/actions/export/actions.csv", "/structures/", "/"]

    def check(case):
        url, raw = case
        response = client.get(f"{url}?q={raw}&structure={raw}&page={raw}")
        return None if response.status_code == 200 else response.status_code

    assert not failures([(url, raw) for url in urls for raw in UNDECODABLE], check)


def test_exports_read_hostile_filters_like_the_list(recap, client):
    expected = {
        "export-csv": b"\xef\xbb\xbfslug;",
        "export-json": b"[",
        "recap-xlsx": b"PK",
    }

    def check(case):
        export, name = case
        response = client.get(
            reverse(f"actions:{export}"), dict.fromkeys(LIST_PARAMS, HOSTILE[name])
        )
        if response.status_code != 200:
            return response.status_code
        if not download_bytes(response).startswith(expected[export]):
            return download_bytes(response)[:40]

    names = ["sql-union", "nul-inside", "10kB-accents", "huge-number", "controls", "emoji"]
    assert not failures([(export, name) for export in expected for name in names], check)


def test_the_recap_pdf_reads_hostile_filters_like_the_list(recap, client):
    params = {"q": "' OR 1=1 --\x00", "budget_min": "1e999", "structure": "\x00", "sort": "é" * 99}
    response = client.get(reverse("actions:recap-pdf"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_other_pages_ignore_a_hostile_query_string(recap, client):
    urls = [
        "/",
        "/structures/",
        "/structures/adus/",
        "/enjeux/",
        "/enjeux/7/",
        "/actions/le-padess-en-sambre-avesnois/",
    ]

    def check(case):
        url, name = case
        value = HOSTILE[name]
        response = client.get(url, {"q": value, "page": value, "sort": value, "o": value})
        return None if response.status_code == 200 else response.status_code

    names = ["sql-or", "nul-inside", "10kB-ascii", "bidi-override", "huge-number"]
    assert not failures([(url, name) for url in urls for name in names], check)


@pytest.mark.parametrize(
    "path",
    [
        "/actions/%27%20OR%201%3D1%20--/",
        "/actions/%00/",
        "/actions/" + "a" * 10_000 + "/",
        "/actions/fiche-inconnue/",
        "/actions/fiche-inconnue/fiche.pdf",
        "/structures/%C3%A9t%C3%A9/",
        "/structures/inconnue/",
        "/structures/" + quote("\u202e") + "/",
        "/enjeux/99999999999999999999999999/",
        "/enjeux/0/",
        "/enjeux/-1/",
        "/enjeux/7%00/",
    ],
)
def test_hostile_paths_are_a_french_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page introuvable" in html(response)


ADMIN_QUERIES = [
    "q=%27%20OR%201%3D1%20--",
    "q=%00",
    "q=" + "x" * 10_240,
    "etat__exact=%00",
    "statut__exact=inconnu",
    "o=zz",
    "o=99",
    "p=" + "9" * 30,
    "modifie_le__gte=2024-13-45",
    "modifie_le__lt=%00",
    "contrat__id__exact=" + "9" * 30,
    "id__in=1,x",
]


def test_the_admin_changelist_survives_hostile_filters(recap, admin_client):
    url = reverse("admin:actions_ficheaction_changelist")

    def check(query):
        response = admin_client.get(f"{url}?{query}")
        # 200, or Django's redirect to "?e=1" for a lookup it does not know, or the French
        # 400 page (contrat/middleware.py) where PostgreSQL refuses a NUL character.
        if response.status_code not in (200, 302, 400):
            return response.status_code
        if response.status_code == 400 and "caractère nul" not in html(response):
            return "400 sans message en français"

    assert not failures(ADMIN_QUERIES, check)


QUERY_VALUES = st.one_of(
    st.text(max_size=300),
    st.sampled_from(list(HOSTILE.values())),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["adus", "cress", "7", "2", "porteur", "en_cours", "-budget", "titre", "on"]),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(params=st.dictionaries(st.sampled_from([*LIST_PARAMS, "inconnu"]), QUERY_VALUES))
def test_any_query_string_gives_the_list_with_or_without_a_message(recap, params):
    response = Client().get(LIST_URL, params)
    assert response.status_code == 200
    page = html(response)
    assert "<h1" in page and "</html>" in page


# --- imports: the cases tests/actions/test_import.py does not cover ---------------------------


def workbook_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_errors(response) -> str:
    return " ".join(response.context["form"].errors.get("import_file", []))


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (workbook_bytes([["slug", "titre"], ["a", "A"]])[:600], "n'est pas un classeur"),
        (zip_bytes({"hello.txt": b"bonjour"}), "n'a pas pu être lu comme un fichier XLSX"),
        (
            zip_bytes({"[Content_Types].xml": b"<Types>", "xl/workbook.xml": b"<not-xml"}),
            "n'a pas pu être lu comme un fichier XLSX",
        ),
        (zip_bytes({"xl/sheet.xml": b"\0" * (70 * 2**20)}), "trop volumineux une fois décompressé"),
        (workbook_bytes([["Nom", "Prix"], ["ADUS", 3]]), "Colonnes obligatoires absentes : slug"),
    ],
    ids=["truncated", "zip-not-a-workbook", "broken-xml", "zip-bomb", "wrong-columns"],
)
def test_a_corrupt_or_wrong_workbook_is_refused_and_nothing_is_written(
    admin_client, content, message
):
    sample_fiches()
    before = list(FicheAction.objects.values_list("slug", "titre"))
    response = post_import(admin_client, content, "fiches.xlsx", XLSX_INDEX)
    assert response.status_code == 200
    assert message in import_errors(response)
    assert list(FicheAction.objects.values_list("slug", "titre")) == before


def test_a_50_mb_file_is_refused_before_it_is_read(admin_client):
    sample_fiches()
    before = FicheAction.objects.count()
    header = b"slug;titre;descriptif\r\n"
    row = "fiche-enorme;Fiche énorme;{}\r\n".format("é" * 1000).encode()
    content = header + row * (50 * 2**20 // len(row))
    assert len(content) > 49 * 2**20
    response = post_import(admin_client, content)
    assert response.status_code == 200
    errors = import_errors(response)
    assert "Le fichier pèse" in errors and "la limite est de 5,0" in errors
    assert FicheAction.objects.count() == before


def test_duplicate_slugs_in_one_file_are_refused_with_the_line_and_nothing_is_written(
    admin_client,
):
    sample_fiches()
    before = FicheAction.objects.count()
    rows = [["slug", "titre"], ["doublon", "Première fiche"], ["doublon", "Seconde fiche"]]

    result = FicheActionResource().import_data(XLSX().create_dataset(workbook_bytes(rows)))
    assert problems(result) == [
        (3, {"slug": ["Une autre fiche utilise déjà ce slug : choisissez-en un autre."]})
    ]
    assert FicheAction.objects.count() == before

    response = post_import(admin_client, csv_file(rows))
    assert response.context.get("confirm_form") is None
    assert "Une autre fiche utilise déjà ce slug" in html(response)
    assert FicheAction.objects.count() == before


def test_a_formula_in_a_required_cell_of_a_workbook_is_refused():
    """A real formula cell (not text): its computed value cannot be trusted, the file is
    refused whole and the cell named."""
    sample_fiches()
    content = workbook_bytes([["slug", "titre"], ["piege", '=HYPERLINK("http://x.invalid","x")']])
    with pytest.raises(SpreadsheetRefused) as refusal:
        XLSX().create_dataset(content)
    assert str(refusal.value).startswith("La cellule B2 (titre) contient une formule")
    assert not FicheAction.objects.filter(slug="piege").exists()


def test_a_formula_in_an_optional_cell_of_a_workbook_is_refused_not_emptied(admin_client):
    """openpyxl reads no value for a formula saved without a cached result: read as empty,
    the descriptif would have been lost without a word. The file is refused, the cell named."""
    sample_fiches()
    before = FicheAction.objects.count()
    content = workbook_bytes([["slug", "titre", "Descriptif"], ["piege", "Piège", "=1+1"]])
    with pytest.raises(SpreadsheetRefused) as refusal:
        XLSX().create_dataset(content)
    message = (
        "La cellule C2 (Descriptif) contient une formule : saisissez du texte, "
        "ou préfixez-la d'une apostrophe."
    )
    assert str(refusal.value).startswith(message)

    response = post_import(admin_client, content, "fiches.xlsx", XLSX_INDEX)
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    assert message in import_errors(response)
    assert FicheAction.objects.count() == before
    assert not FicheAction.objects.filter(slug="piege").exists()


def test_every_formula_cell_of_a_workbook_is_named_in_the_refusal():
    content = workbook_bytes(
        [
            ["slug", "titre", "descriptif"],
            ["une", "Une", "texte"],
            ["deux", "=A2", "=1+1"],
            *[[f"f{n}", f"=B{n}", ""] for n in range(5, 16)],
        ]
    )
    with pytest.raises(SpreadsheetRefused) as refusal:
        XLSX().create_dataset(content)
    assert str(refusal.value).startswith(
        "Les cellules B3 (titre), C3 (descriptif), B4 (titre), B5 (titre)"
    )
    assert "préfixez-les d'une apostrophe" in str(refusal.value)
    assert "B11 (titre) et 3 autres contiennent une formule" in str(refusal.value)


def test_text_typed_with_an_apostrophe_in_excel_imports_as_the_text():
    """Excel keeps "'=1+1" as the text "=1+1" with a quote-prefix style, not as a formula."""
    sample_fiches()
    workbook = openpyxl.Workbook()
    workbook.active.append(["slug", "titre", "descriptif"])
    workbook.active.append(["texte", "Texte", None])
    cell = workbook.active["C2"]
    cell.value = "=1+1"
    cell.data_type = "s"
    cell.quotePrefix = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = FicheActionResource().import_data(XLSX().create_dataset(buffer.getvalue()))
    assert not problems(result)
    assert FicheAction.objects.get(slug="texte").descriptif == "=1+1"


def test_a_formula_payload_in_a_csv_stays_inert_text_in_every_export(client):
    """Text that looks like a formula is kept as the partner wrote it (a descriptif often
    starts with '-'), and every file we write turns it back into plain text."""
    sample_fiches()
    payload = "=cmd|' /C calc'!A0"
    rows = [["slug", "titre", "descriptif", "etat"], ["piege", payload, "@SUM(A1:A9)", "Publiée"]]
    result = FicheActionResource().import_data(CSV().create_dataset(csv_file(rows)))
    assert not problems(result)
    fiche = FicheAction.objects.get(slug="piege")
    assert fiche.titre == payload

    text = build_actions_csv(FicheAction.objects.filter(pk=fiche.pk).for_listing()).decode()
    assert f"'{payload}" in text and "'@SUM(A1:A9)" in text
    response = client.get(reverse("actions:recap-xlsx"), {"q": "calc"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value]
    # As the partner wrote it, in a text cell (never evaluated); no formula but the totals'.
    assert any(cell.value == payload and cell.data_type == "s" for cell in cells)
    formulas = [cell.value for cell in cells if cell.data_type == "f"]
    assert all(formula.startswith("=SUBTOTAL(") for formula in formulas), formulas


# --- oversized fiches: PDFs and pages complete within bounds --------------------------------

PDF_BOUND_SECONDS = 120  # generous on purpose: the measured times are in docs/benchmarks.md


def pdf_holds(content: bytes, *needles: str) -> bool:
    """Whether the PDF's text holds every needle (spaces ignored), read from the last page
    backwards and stopping once all are found: extracting 50 pages costs more than making them."""
    missing = {"".join(needle.split()) for needle in needles}
    text = ""
    for page in reversed(pypdf.PdfReader(io.BytesIO(content)).pages):
        text = "".join(page.extract_text().split()) + text
        missing = {needle for needle in missing if needle not in text}
        if not missing:
            return True
    return False


def big_descriptif() -> str:
    paragraph = (
        "L’action accompagne les habitants de la Sambre-Avesnois vers l’emploi, avec les "
        "associations, les communes et le Pôle ESS ; elle s’évalue chaque année. "
    )
    text = "\n\n".join(paragraph * 3 for _ in range(100_000 // (len(paragraph) * 3) + 1))
    return text + "\n\nDernière phrase du très long descriptif."


def timed(build):
    started = time.perf_counter()
    content = build()
    return content, time.perf_counter() - started


def test_a_100_kb_descriptif_prints_whole_in_both_pdfs_and_shows_on_its_page(client, record):
    fiche = FicheActionFactory(titre="Fiche au long cours", descriptif=big_descriptif())
    assert len(fiche.descriptif.encode()) > 100_000
    fiche = FicheAction.objects.for_detail().get(pk=fiche.pk)

    content, seconds = timed(lambda: build_fiche_pdf(fiche))
    record("PDF d'une fiche au descriptif de 100 ko", seconds, content)
    assert seconds < PDF_BOUND_SECONDS
    assert pdf_holds(content, "Dernière phrase du très long descriptif.")

    queryset = FicheAction.objects.published().for_listing()
    content, seconds = timed(lambda: build_recap_pdf(queryset))
    record("PDF récapitulatif, une fiche au descriptif de 100 ko", seconds, content)
    assert seconds < PDF_BOUND_SECONDS
    assert pdf_holds(content, "Dernière phrase du très long descriptif.")

    response = client.get(fiche.get_absolute_url())
    assert response.status_code == 200
    assert "Dernière phrase du très long descriptif." in html(response)


def test_a_fiche_with_1000_sub_actions_prints_and_shows_them_all(client, record):
    fiche = FicheActionFactory(titre="Fiche aux mille sous-actions")
    axes = [
        SousActionFactory(fiche=fiche, nature="axe", numero=str(n), titre=f"Axe numéro {n}")
        for n in range(1, 11)
    ]
    SousAction.objects.bulk_create(
        SousAction(
            fiche=fiche,
            parent=axes[n % 10],
            nature="action",
            numero=str(n),
            titre=f"Sous-action numéro {n} : réunir les partenaires",
            ordre=100 + n,
        )
        for n in range(1, 991)
    )
    assert fiche.sous_actions.count() == 1000
    fiche = FicheAction.objects.for_detail().get(pk=fiche.pk)

    content, seconds = timed(lambda: build_fiche_pdf(fiche))
    record("PDF d'une fiche à 1 000 sous-actions", seconds, content)
    assert seconds < PDF_BOUND_SECONDS
    assert pdf_holds(content, "Axe numéro 10", "Sous-action numéro 989")

    started = time.perf_counter()
    response = client.get(fiche.get_absolute_url())
    record("Page d'une fiche à 1 000 sous-actions", time.perf_counter() - started, b"")
    assert response.status_code == 200
    assert "Sous-action numéro 990 : réunir les partenaires" in html(response)
    assert html(response).count("réunir les partenaires") == 990


@pytest.fixture
def record(request):
    """Print how long a big build took (run with -s to read it; docs/benchmarks.md has them)."""

    def write(what: str, seconds: float, content: bytes):
        pages = ""
        if content.startswith(b"%PDF"):
            pages = f", {len(pypdf.PdfReader(io.BytesIO(content)).pages)} pages"
        print(f"\n[mesure] {what} : {seconds:.2f} s{pages}")

    return write


def test_structures_list_keeps_working_with_hostile_names(client):
    """Names as an import may bring them: control characters, bidi overrides, 300 characters."""
    Structure.objects.create(nom="\u202eenilno\u202c " + "é" * 280, slug="bidi")
    Structure.objects.create(nom='=HYPERLINK("x")<script>', slug="formule")
    response = client.get("/structures/")
    assert response.status_code == 200
    assert "&lt;script&gt;" in html(response)
