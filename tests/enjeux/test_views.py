"""Home page, the enjeux list and each enjeu's page, with their fiches and totals."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from actions.models import Role
from tests.factories import (
    ContratFactory,
    EnjeuFactory,
    FicheActionFactory,
    LigneBudgetFactory,
    OrientationFactory,
    ParticipationFactory,
    make_fiches,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def contrat_with_fiches():
    """Enjeu 7 with orientations 7.2 and 7.7, three fiches and one draft."""
    contrat = ContratFactory()
    enjeu = EnjeuFactory(contrat=contrat, numero=7, titre="Dynamiser le tissu économique")
    o72 = OrientationFactory(enjeu=enjeu, numero=2, titre="Accompagner les mutations")
    o77 = OrientationFactory(enjeu=enjeu, numero=7, titre="Soutenir l’ESS")
    padess = FicheActionFactory(contrat=contrat, titre="Le PADESS")
    padess.orientations.add(o77)
    LigneBudgetFactory(fiche=padess, montant=Decimal("250550"))
    labo = FicheActionFactory(contrat=contrat, titre="Un laboratoire d’idées")
    labo.orientations.add(o72, o77)
    LigneBudgetFactory(fiche=labo, montant=Decimal("34000"))
    directe = FicheActionFactory(contrat=contrat, titre="Citée sans orientation")
    directe.enjeux.add(enjeu)
    ParticipationFactory(fiche=padess, role=Role.PORTEUR)
    ParticipationFactory(fiche=labo, role=Role.PORTEUR)
    brouillon = FicheActionFactory(contrat=contrat, titre="Brouillon", etat="brouillon")
    brouillon.orientations.add(o77)
    LigneBudgetFactory(fiche=brouillon, montant=Decimal("999"))
    return contrat


def test_home_presents_the_contract_and_its_totals(client, contrat_with_fiches):
    response = client.get("/")
    html = response.content.decode()

    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "Contrat de territoire CG59 — Sambre-Avesnois" in html
    assert "Sambre-Avesnois" in html
    assert "6 ans" in html
    assert "<strong>3</strong> fiches actions" in html
    assert "<strong>284\u00a0550\u00a0€</strong> de budget total" in html
    assert "<strong>2</strong> structures engagées" in html
    assert "Le Pôle de développement de l’ESS est soutenu par" in html  # the footer
    assert 'action="/actions/"' in html


def test_home_counts_fiches_and_budget_per_enjeu_and_orientation(client, contrat_with_fiches):
    response = client.get("/")
    enjeu = response.context["enjeux"][0]
    orientations = {o.code: o.bilan for o in enjeu.orientations.all()}

    assert (enjeu.bilan.nombre, enjeu.bilan.budget) == (3, Decimal("284550"))
    assert (orientations["7.7"].nombre, orientations["7.7"].budget) == (2, Decimal("284550"))
    assert (orientations["7.2"].nombre, orientations["7.2"].budget) == (1, Decimal("34000"))
    html = response.content.decode()
    assert "Enjeu 7 — Dynamiser le tissu économique" in html
    assert "Soutenir l’ESS" in html


def test_home_without_any_contract_still_answers(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Aucun contrat n'est encore enregistré" in response.content.decode()


def test_enjeu_list_and_page(client, contrat_with_fiches):
    listing = client.get("/enjeux/").content.decode()
    assert "Enjeu 7 — Dynamiser le tissu économique" in listing
    assert 'href="/enjeux/7/"' in listing

    response = client.get("/enjeux/7/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "3 fiches actions, pour un budget total de" in html
    assert "284\u00a0550\u00a0€" in html
    section_77 = html[html.index("Soutenir l’ESS") :]
    assert "Le PADESS" in section_77
    assert "Un laboratoire d’idées" in section_77
    assert "Fiches citant l'enjeu sans orientation" in html
    assert "Citée sans orientation" in html
    assert "Brouillon" not in html
    assert 'href="/actions/?enjeu=7"' in html


def test_unknown_enjeu_is_404(client, contrat_with_fiches):
    assert client.get("/enjeux/99/").status_code == 404
    assert client.get("/enjeux/" + "9" * 25 + "/").status_code == 404


def test_error_pages_have_the_sites_look():
    html = render_to_string("500.html")
    assert "Erreur du serveur" in html
    assert "Aller au contenu" in html
    assert 'lang="fr"' in html


@pytest.mark.parametrize("size", [10, 200])
def test_query_budgets(client, django_assert_max_num_queries, size):
    enjeu = make_fiches(size)[0].orientations.get().enjeu

    with django_assert_max_num_queries(8):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get("/enjeux/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(enjeu.get_absolute_url()).status_code == 200
