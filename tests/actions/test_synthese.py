"""The two-page synthesis for the committee (synthese.pdf): totals, enjeux, financers, charts,
read back from the PDF as a manager would, with the seed and with more than two pages' worth."""

import io
import re
from decimal import Decimal

import pypdf
import pytest
from django.conf import settings
from django.urls import reverse

from actions.choices import Statut
from actions.models import FicheAction
from actions.synthese import AUTRES_ENJEUX, AUTRES_FINANCEURS, build_synthese_pdf
from contrat.formats import format_euros
from tests.factories import (
    ContratFactory,
    EnjeuFactory,
    FicheActionFactory,
    LigneBudgetFactory,
    LigneFinancementFactory,
    OrientationFactory,
    StructureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
URL = reverse("actions:synthese-pdf")


def squeeze(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f\u00ad\u2010]+", "", text)


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def synthese(client, query=""):
    response = client.get(URL + query)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    return response


def test_the_seeds_synthesis_holds_the_list_pages_totals_in_two_pages_at_most(recap, client):
    response = synthese(client)
    pages = pdf_pages(response.content)
    assert len(pages) <= 2
    text = squeeze(" ".join(pages))
    totals = client.get(reverse("actions:list")).context["totaux"]
    assert totals.nombre == 29
    assert squeeze(f"{totals.nombre} fiches actions") in text
    assert squeeze(f"{format_euros(totals.budget)} de budget chiffré") in text
    assert squeeze(f"{totals.sans_budget} fiches sans budget chiffré") in text
    assert "Parenjeu" in text and "Sansenjeu" in text and "Avancement" in text
    for label in Statut.labels:
        assert squeeze(label) in text
    assert squeeze("Le Pôle de développement de l’ESS est soutenu par") in text  # the footer
    assert re.search(r'filename="synthese-\d{4}-\d{2}-\d{2}\.pdf"', response["Content-Disposition"])


def test_the_synthesis_honours_the_lists_filters_and_names_its_file_after_them(recap, client):
    response = synthese(client, "?enjeu=2")
    text = squeeze(" ".join(pdf_pages(response.content)))
    totals = client.get(reverse("actions:list") + "?enjeu=2").context["totaux"]
    assert 0 < totals.nombre < 29
    assert squeeze(f"{totals.nombre} fiche") in text
    assert squeeze(format_euros(totals.budget)) in text
    assert "Filtresappliqués" in text
    assert re.search(
        r'filename="synthese-\d{4}-\d{2}-\d{2}-enjeu-2\.pdf"', response["Content-Disposition"]
    )


def test_drafts_are_in_only_when_an_editor_asks(client):
    contrat = ContratFactory()
    FicheActionFactory(contrat=contrat, titre="Publiée")
    FicheActionFactory(contrat=contrat, titre="Brouillon", etat="brouillon")
    text = squeeze(" ".join(pdf_pages(synthese(client, "?brouillons=1").content)))
    assert squeeze("1 fiche action") in text  # a visitor's ask changes nothing
    editor = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(editor)
    response = synthese(client, "?brouillons=1")
    assert squeeze("2 fiches actions") in squeeze(" ".join(pdf_pages(response.content)))
    assert "avec-brouillons" in response["Content-Disposition"]


def big_selection():
    """More than two pages' worth if nothing were summed up: 16 enjeux, 25 financers over 12
    years, fiches in every status."""
    contrat = ContratFactory(annee_debut=2020, annee_fin=2031)
    enjeux = [
        EnjeuFactory(
            contrat=contrat, numero=n, titre=f"Enjeu numéro {n} au long titre qui dit beaucoup"
        )
        for n in range(1, 17)
    ]
    financeurs = [
        StructureFactory(nom=f"Financeur au nom assez long numéro {n}") for n in range(25)
    ]
    statuts = list(Statut)
    for index in range(48):
        fiche = FicheActionFactory(contrat=contrat, statut=statuts[index % 4])
        fiche.orientations.add(OrientationFactory(enjeu=enjeux[index % 16]))
        LigneBudgetFactory(fiche=fiche, montant=Decimal(1000 + index))
        for year in range(2020, 2032):
            LigneFinancementFactory(
                fiche=fiche,
                financeur=financeurs[(index + year) % 25],
                annee=year,
                prevu=Decimal(500 + index + year % 7),
                accorde=Decimal(400),
                verse=Decimal(100),
            )
    return contrat


def test_many_financers_years_and_enjeux_still_fit_two_pages_summed_up(client, tmp_path):
    big_selection()
    fiches = FicheAction.objects.published().for_listing()
    content = build_synthese_pdf(fiches)
    (settings.BASE_DIR / "artifacts").mkdir(exist_ok=True)
    (settings.BASE_DIR / "artifacts" / "synthese-generee.pdf").write_bytes(content)
    pages = pdf_pages(content)
    assert len(pages) == 2
    text = squeeze(" ".join(pages))
    assert squeeze("48 fiches actions") in text
    assert squeeze(f"{AUTRES_FINANCEURS} (16)") in text  # 9 named, 16 summed up
    assert squeeze(f"{AUTRES_ENJEUX} (7)") in text  # 9 named, 7 summed up
    assert "2020–2024" in " ".join(pages)  # the early years in one column, 7 after it
    planned = sum(
        Decimal(500 + index + year % 7) for index in range(48) for year in range(2020, 2032)
    )
    assert squeeze(format_euros(planned)) in text  # the plan's total, nothing lost


def test_the_synthesis_takes_a_constant_number_of_queries(client, django_assert_max_num_queries):
    big_selection()
    fiches = FicheAction.objects.published().for_listing()
    with django_assert_max_num_queries(12):
        build_synthese_pdf(fiches)
    for _ in range(20):
        FicheActionFactory(contrat=FicheAction.objects.first().contrat)
    with django_assert_max_num_queries(12):
        build_synthese_pdf(FicheAction.objects.published().for_listing())


def test_the_downloads_offer_the_synthesis_with_the_lists_filters(recap, client):
    html = client.get(reverse("actions:list") + "?enjeu=2").content.decode()
    assert f'href="{URL}?enjeu=2"' in html
