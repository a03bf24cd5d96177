"""The recap PDF and a fiche's PDF, read back as a manager would: text, totals, pages, tags."""

import gc
import html
import io
import re
import shutil
import subprocess

import pydyf
import pypdf
import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from actions import pdf as pdf_module
from actions import pydyf_cache
from actions.models import FicheAction
from actions.pdf import LocalOnlyFetcher, build_recap_pdf
from contrat.formats import format_euros
from tests.actions.samples import sample_fiches

pytestmark = pytest.mark.django_db

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext, pdftoppm) is not installed"
)


def pdf_text(content: bytes, first=None, last=None) -> str:
    """The PDF's text as pypdf reads it, page range optional (1-based, inclusive)."""
    pages = pypdf.PdfReader(io.BytesIO(content)).pages
    first, last = (first or 1), (last or len(pages))
    return "\n".join(pages[i].extract_text() for i in range(first - 1, last))


def squeeze(text: str) -> str:
    """Text without spaces or hyphenation marks: a title wrapped on 3 lines still matches."""
    return re.sub(r"[\s\u00a0\u202f\u00ad\u2010]+", "", text)


def recap_pdf(client, query=""):
    response = client.get(reverse("actions:recap-pdf") + query)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_the_recap_holds_every_fiche_title_and_the_totals(recap, client):
    content = recap_pdf(client)
    text = squeeze(pdf_text(content))
    fiches = list(FicheAction.objects.published().for_listing())
    assert len(fiches) == 29
    for fiche in fiches:
        assert squeeze(fiche.titre) in text, fiche.titre
    budgets = [f.budget_total for f in fiches]
    total = sum(b for b in budgets if b is not None)
    sans_budget = sum(b is None for b in budgets)
    assert squeeze(f"29 fiches, dont {sans_budget} sans budget chiffré") in text
    assert squeeze(format_euros(total)) in text
    assert "Sous-totauxparenjeu" in text and "Sansenjeu" in text
    assert squeeze("Le Pôle de développement de l’ESS est soutenu par") in text  # the footer


def test_the_recap_is_landscape_numbered_with_the_header_on_every_page(recap, client):
    reader = pypdf.PdfReader(io.BytesIO(recap_pdf(client)))
    pages = len(reader.pages)
    assert pages > 3
    for number, page in enumerate(reader.pages, 1):
        assert page.mediabox.width > page.mediabox.height
        text = page.extract_text()
        assert f"page {number} / {pages}" in text
        if number < pages:  # the last page may hold only the subtotals
            header = re.search(r"Titre\s*Descriptif\s*Enjeu\s*Budget\s*Structure", text)
            assert header, f"no table header on page {number}"


def test_the_first_page_starts_the_table_instead_of_being_left_blank(recap, client):
    first_page = squeeze(pdf_text(recap_pdf(client), 1, 1))
    assert "TableaurécapitulatifdesfichesactionsGénéréle" in first_page
    assert "LePADESSenSambre-Avesnois" in first_page


def test_the_recap_has_metadata_language_and_tags(recap, client):
    reader = pypdf.PdfReader(io.BytesIO(recap_pdf(client)))
    assert reader.metadata.title.startswith("Tableau récapitulatif des fiches actions")
    assert reader.metadata.author == "Contrat de territoire CG59 — Sambre-Avesnois"
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "fr"
    assert bool(catalog["/MarkInfo"]["/Marked"])  # a tagged PDF
    assert "/StructTreeRoot" in catalog


def test_the_recap_takes_the_list_filters_cibs_gives_the_emergence_cibc_fiches(recap, client):
    text = squeeze(pdf_text(recap_pdf(client, "?q=cibs")))
    cibc = list(FicheAction.objects.search("cibs").order_by("ordre"))
    assert len(cibc) == 5
    for fiche in cibc:
        assert squeeze(fiche.titre) in text
    assert squeeze("Ludothèque itinérante") not in text
    assert squeeze("5 fiches, dont 0 sans budget chiffré") in text
    assert squeeze(format_euros(100_200)) in text
    assert squeeze("Recherche : « cibs »") in text


def test_the_recap_of_a_structure_lists_exactly_its_fiches_in_list_order(recap, client):
    fiche = FicheAction.objects.published().filter(participations__isnull=False).first()
    structure = fiche.participations.first().structure
    expected = list(
        FicheAction.objects.published().for_structure(structure).order_by("ordre", "pk")
    )
    text = squeeze(pdf_text(recap_pdf(client, f"?structure={structure.slug}")))
    positions = [text.find(squeeze(f.titre)) for f in expected]
    assert -1 not in positions
    assert positions == sorted(positions)
    others = FicheAction.objects.published().exclude(pk__in=[f.pk for f in expected])
    for other in others:
        assert squeeze(other.titre) not in text
    assert squeeze(f"Structure : {structure}") in text


def test_html_in_a_descriptif_is_printed_as_text():
    sample_fiches()
    text = pdf_text(build_recap_pdf(FicheAction.objects.published().for_listing()))
    assert "<script>alert('x')</script> <b>gras</b>" in text


def test_a_fiche_without_budget_is_counted_apart_not_as_zero():
    sample = sample_fiches()
    text = squeeze(pdf_text(build_recap_pdf(FicheAction.objects.published().for_listing())))
    assert squeeze("4 fiches, dont 1 sans budget chiffré") in text
    assert squeeze(format_euros(sample["published_total"])) in text
    assert "Nonchiffré" in text


@needs_poppler
def test_the_first_page_renders_to_an_image_with_content(recap, client, tmp_path):
    path = tmp_path / "recap.pdf"
    path.write_bytes(recap_pdf(client))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "2", str(path), str(tmp_path / "p")],
        check=True,
    )
    from PIL import Image

    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == 2
    for png in pngs:
        # The share of pixel rows holding some ink (text or table borders): a page left blank
        # under its title block (the first row pushed to the next page) scores well under half.
        image = Image.open(png).convert("L")
        width, pixels = image.width, image.tobytes()
        inked = sum(
            1 for top in range(0, len(pixels), width) if min(pixels[top : top + width]) < 200
        )
        assert inked / image.height > 0.5, f"{png.name} is mostly blank"


@needs_poppler
def test_pdftotext_reads_the_same_totals(recap, client, tmp_path):
    path = tmp_path / "cibs.pdf"
    path.write_bytes(recap_pdf(client, "?q=cibs"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "100 200 €" in text.replace("\u00a0", " ")


def test_each_tagged_element_of_the_recap_points_to_its_own_page(recap):
    """The structure tree maps each page's marked content to elements of that very page (what
    the memoized `page_references` hands WeasyPrint's tagging, one page's reference at a time)."""
    queryset = FicheAction.objects.published().for_listing()
    reader = pypdf.PdfReader(io.BytesIO(build_recap_pdf(queryset)))
    assert len(reader.pages) > 3
    nums = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    elements_of = dict(zip(nums[::2], nums[1::2], strict=True))
    for page in reader.pages:
        elements = elements_of[page["/StructParents"]].get_object()
        assert len(elements) > 0
        for element in elements:
            assert element.get_object().raw_get("/Pg").idnum == page.indirect_reference.idnum


def test_pydyf_page_references_are_built_once_per_page_count():
    if pydyf.PDF.page_references.fget is not pydyf_cache._memoized_page_references:
        pytest.skip("pydyf's page_references changed: check whether it is still rebuilt per read")
    pdf = pydyf.PDF()
    assert pdf.page_references == ()
    for _ in range(3):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
        expected = tuple(f"{number} 0 R".encode() for number in pdf.pages["Kids"][::3])
        assert pdf.page_references == expected
        assert pdf.page_references is pdf.page_references


def test_the_recap_pauses_the_cyclic_gc_only_while_rendering(monkeypatch):
    sample_fiches()
    queryset = FicheAction.objects.published().for_listing()
    seen = []
    render_pdf = pdf_module.render_pdf

    def recording(template_name, context):
        seen.append(gc.isenabled())
        return render_pdf(template_name, context)

    monkeypatch.setattr(pdf_module, "render_pdf", recording)
    assert build_recap_pdf(queryset).startswith(b"%PDF")
    assert seen == [False] and gc.isenabled()

    def failing(template_name, context):
        raise RuntimeError("rendu impossible")

    monkeypatch.setattr(pdf_module, "render_pdf", failing)
    with pytest.raises(RuntimeError):
        build_recap_pdf(queryset)
    assert gc.isenabled()


# --- a fiche's PDF ------------------------------------------------------------------------------


def test_a_fiche_pdf_prints_every_part_of_the_fiche(client):
    sample = sample_fiches()
    padess, generations = sample["fiches"][0], sample["fiches"][1]
    response = client.get(reverse("actions:fiche-pdf", args=[padess.slug]))
    assert response.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert reader.pages[0].mediabox.height > reader.pages[0].mediabox.width  # portrait
    assert reader.metadata.title == "Fiche action : Le PADESS en Sambre-Avesnois"
    text = squeeze("\n".join(page.extract_text() for page in reader.pages))
    for expected in [
        "Le PADESS en Sambre-Avesnois",
        "Le plan se décline en 3 orientations.",
        "Axe : Innover, créer dans l'ESS",
        "Action 1 : Animer un observatoire",
        "7.7 Soutenir l'économie sociale et solidaire",
        "250 550 €",
        "Agence de développement et d'urbanisme de la Sambre (ADUS)",
        "Porteur",
        "Partenaire",
        "volet emploi",
        "Jeanne Martin, Chargée de mission",
        "page 1 / 1",
    ]:
        assert squeeze(expected) in text, expected

    response = client.get(reverse("actions:fiche-pdf", args=[generations.slug]))
    text = squeeze(pdf_text(response.content))
    assert squeeze("2 000 € par an sur 6 ans, soit 12 000 €") in text
    assert squeeze("Budget total 27 000 €") in text
    assert squeeze("Enjeu 2 — Vivre ensemble") in text


def test_a_draft_fiche_pdf_is_a_404_for_visitors_only(client, admin_client):
    brouillon = sample_fiches()["fiches"][4]
    url = reverse("actions:fiche-pdf", args=[brouillon.slug])
    assert client.get(url).status_code == 404
    assert admin_client.get(url).status_code == 200
    assert client.get(reverse("actions:fiche-pdf", args=["n-existe-pas"])).status_code == 404


def test_pdfs_never_fetch_anything_but_our_static_files(settings, tmp_path):
    fetcher = LocalOnlyFetcher()
    for url in [
        "http://example.invalid/logo.png",
        "https://example.invalid/x.css",
        "ftp://example.invalid/x",
        (tmp_path / "secret.txt").as_uri(),
        "file:///etc/passwd",
    ]:
        with pytest.raises(ValueError, match="Ressource refusée"):
            fetcher.fetch(url)
    css = (settings.BASE_DIR / "static" / "css" / "pdf.css").as_uri()
    assert b"@page" in fetcher.fetch(css).read()


# --- the recap as a manager reads it: titles, rows continued on the next page, footer -------

HYPHENS = ("-", "\u2010", "\u00ad")


def title_column_lines(content: bytes, tmp_path) -> list[str]:
    """The lines of the recap's Titre column, page after page, as pdftotext places its words:
    those left of the 'Descriptif' header, below it."""
    path = tmp_path / "recap.pdf"
    path.write_bytes(content)
    xhtml = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    lines = []
    for page in re.findall(r"<page .*?</page>", xhtml, re.S):
        words = [
            (float(y), float(x0), float(x1), html.unescape(text))
            for x0, y, x1, text in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>',
                page,
            )
        ]
        header = next((w for w in words if w[3] == "Descriptif"), None)
        if header is None:  # the subtotals' and financing plan's pages
            continue
        rows = {}
        for y, x0, x1, text in words:
            if y > header[0] + 1 and x1 < header[1]:
                rows.setdefault(round(y), []).append((x0, text))
        lines += [" ".join(t for _x, t in sorted(rows[y])) for y in sorted(rows)]
    return lines


def fits(title: str, lines: list[str]) -> bool:
    """Whether `lines` spell `title` with every break at a space or after a hyphen: a line
    ending without a hyphen must end a word of the title."""
    position = 0
    for line in lines:
        if title.startswith(line, position):
            position += len(line)  # a line ending with the title's own hyphen, or a word
        elif line.endswith(HYPHENS) and title.startswith(line[:-1], position):
            position += len(line) - 1  # cut by hyphenation: the word goes on, no space
            continue
        else:
            return False
        if position == len(title):
            return True
        if line.endswith(HYPHENS) and title[position - 1] in HYPHENS:
            continue
        if title[position] != " ":
            return False  # cut in the middle of a word without a hyphen
        position += 1
    return False


@needs_poppler
def test_no_title_of_the_seed_breaks_in_the_middle_of_a_word_without_a_hyphen(
    recap, client, tmp_path
):
    lines = title_column_lines(recap_pdf(client), tmp_path)
    titles = [" ".join(t.split()) for t in FicheAction.objects.values_list("titre", flat=True)]
    assert len(titles) == 29
    for title in titles:
        assert any(fits(title, lines[i:]) for i in range(len(lines))), (title, lines)
    # The title that used to print "socioprofessionnell" / "e": now cut by French hyphenation.
    assert any(line.endswith(("sociopro\u2010", "sociopro-")) for line in lines), lines


def test_the_title_check_sees_a_word_cut_without_hyphen():
    assert fits("Guidance socioprofessionnelle", ["Guidance", "socioprofessionnell", "e"]) is False
    assert fits("Guidance socioprofessionnelle", ["Guidance sociopro\u2010", "fessionnelle"])
    assert fits(
        "Un observatoire de l’ESS en Sambre-Avesnois",
        ["Un observatoire de", "l’ESS en Sambre-", "Avesnois"],
    )


def continued_rows(content_html: str) -> dict[int, str]:
    """{page number: title} of the rows WeasyPrint lays out across a page break: the first
    row of a page whose element the previous page already showed."""
    document = pdf_module.html_document(content_html).render()
    continued, previous = {}, set()
    for number, page in enumerate(document.pages, 1):
        # A fiche's row: its title cell carries the "(suite)" heading (not the header's row).
        rows = [
            box
            for box in page._page_box.descendants()
            if box.element_tag == "tr"
            and box.element.find("td") is not None
            and box.element.find("td").get("data-suite")
        ]
        if rows and rows[0].element in previous:
            continued[number] = rows[0].element.find("td").get("data-suite")
        previous = {box.element for box in rows}
    return continued


@needs_poppler
def test_a_row_continued_on_the_next_page_repeats_its_title_marked_suite(recap, tmp_path):
    queryset = FicheAction.objects.published().for_listing()
    html_text = render_to_string("pdf/recap.html", pdf_module.recap_context(queryset))
    continued = continued_rows(html_text)
    assert continued, "the seed has a row taller than a page (Le PADESS en Sambre-Avesnois)"
    assert continued[2] == "Le PADESS en Sambre-Avesnois (suite)"
    path = tmp_path / "recap.pdf"
    path.write_bytes(build_recap_pdf(queryset))
    pages = len(pypdf.PdfReader(path).pages)
    for number in range(1, pages + 1):
        text = subprocess.run(
            ["pdftotext", "-layout", "-f", str(number), "-l", str(number), str(path), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if number in continued:
            # At the top of the page, right above the repeated table header.
            assert lines[0] == continued[number], (number, lines[:2])
            assert lines[1].startswith("Titre"), (number, lines[:2])
        else:
            assert "(suite)" not in text, number


def test_the_footer_is_the_contracts_text_and_absent_once_emptied(client):
    contrat = sample_fiches()["contrat"]
    contrat.pied_de_page = (
        "Le Pôle de développement de l’ESS est soutenu par le Département du Nord."
    )
    contrat.save()
    reader = pypdf.PdfReader(io.BytesIO(recap_pdf(client)))
    for page in reader.pages:
        assert squeeze("est soutenu par le Département du Nord.") in squeeze(page.extract_text())

    contrat.pied_de_page = ""
    contrat.save()
    content = recap_pdf(client)
    reader = pypdf.PdfReader(io.BytesIO(content))
    for number, page in enumerate(reader.pages, 1):
        text = page.extract_text()
        assert "soutenu" not in text
        assert f"page {number} / {len(reader.pages)}" in text  # the page numbers stay
    # The contract's name once, in the header: not as a stand-in footer.
    assert squeeze(pdf_text(content)).count(squeeze(contrat.nom)) == 1
