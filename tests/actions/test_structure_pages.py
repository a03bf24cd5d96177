"""Public pages of the structures: the French-sorted list and each structure's fiches."""

from decimal import Decimal

import pytest

from actions.models import Role
from tests.factories import (
    ContactFactory,
    FicheActionFactory,
    LigneBudgetFactory,
    ParticipationFactory,
    StructureFactory,
    make_fiches,
)

pytestmark = pytest.mark.django_db


def test_list_sorts_the_french_way_on_every_engine(client):
    for nom in ["Foyer rural", "Énergie partagée", "eau vive", "Acteurs locaux", "ADUS", "Ecole"]:
        StructureFactory(nom=nom)

    response = client.get("/structures/")

    names = [s.nom for s in response.context["structures"]]
    assert names == [
        "Acteurs locaux",
        "ADUS",
        "eau vive",
        "Ecole",
        "Énergie partagée",
        "Foyer rural",
    ]
    html = response.content.decode()
    assert html.index("Ecole") < html.index("Énergie partagée") < html.index("Foyer rural")


def test_list_counts_visible_fiches_per_role(client):
    cress = StructureFactory(nom="CRESS")
    for _ in range(2):
        ParticipationFactory(fiche=FicheActionFactory(), structure=cress, role=Role.PORTEUR)
    ParticipationFactory(fiche=FicheActionFactory(), structure=cress, role=Role.PARTENAIRE)
    brouillon = FicheActionFactory(etat="brouillon")
    ParticipationFactory(fiche=brouillon, structure=cress, role=Role.PARTENAIRE)

    response = client.get("/structures/")

    cress_row = next(s for s in response.context["structures"] if s.nom == "CRESS")
    assert cress_row.compteurs == {"porteur": 2, "partenaire": 1, "financeur": 0}


def test_detail_shows_what_it_carries_and_where_it_is_a_partner_with_budgets(client):
    cress = StructureFactory(nom="CRESS", sigle="CRESS")
    ContactFactory(structure=cress, nom="Jeanne Dupont", email="jeanne@example.org")
    portee = FicheActionFactory(titre="Observatoire de l’ESS")
    ParticipationFactory(fiche=portee, structure=cress, role=Role.PORTEUR)
    LigneBudgetFactory(fiche=portee, montant=Decimal("18000"))
    partenariat = FicheActionFactory(titre="Club des entrepreneurs")
    ParticipationFactory(fiche=partenariat, structure=cress, role=Role.PARTENAIRE)
    LigneBudgetFactory(fiche=partenariat, montant=Decimal("5000"))
    cachee = FicheActionFactory(titre="Brouillon caché", etat="brouillon")
    ParticipationFactory(fiche=cachee, structure=cress, role=Role.PORTEUR)
    FicheActionFactory(titre="Sans la CRESS")

    response = client.get(cress.get_absolute_url())
    html = response.content.decode()

    assert response.status_code == 200
    assert html.count("<h1") == 1
    porteur = html.index("Porteur de 1 fiche")
    partenaire = html.index("Partenaire de 1 fiche")
    assert porteur < html.index("Observatoire de l’ESS") < partenaire
    assert partenaire < html.index("Club des entrepreneurs")
    assert "18\u00a0000\u00a0€" in html
    assert "5\u00a0000\u00a0€" in html
    assert "Brouillon caché" not in html
    assert "Sans la CRESS" not in html
    assert "Jeanne Dupont" in html
    assert f'href="/actions/?structure={cress.slug}"' in html


def test_structure_without_fiche_says_so(client):
    structure = StructureFactory()
    html = client.get(structure.get_absolute_url()).content.decode()
    assert "n'apparaît dans aucune fiche action publiée" in html


def test_unknown_structure_is_404(client):
    response = client.get("/structures/nexiste-pas/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


@pytest.mark.parametrize("size", [10, 200])
def test_query_budgets(client, django_assert_max_num_queries, size):
    fiches = make_fiches(size)
    structure = fiches[0].participations.first().structure
    for fiche in fiches[1:]:  # the same structure everywhere: its page totals every fiche
        ParticipationFactory(fiche=fiche, structure=structure, role=Role.FINANCEUR)

    with django_assert_max_num_queries(3):
        assert client.get("/structures/").status_code == 200
    # structure, contacts, contract, the role groups' totals, a page of fiches, 4 prefetches
    # 9, and three for what it finances: per year, per fiche, how many (actions/plan.py).
    with django_assert_max_num_queries(12):
        assert client.get(structure.get_absolute_url()).status_code == 200


def test_financer_column_only_when_some_structure_finances(client):
    cress = StructureFactory(nom="CRESS")
    ParticipationFactory(fiche=FicheActionFactory(), structure=cress, role=Role.PORTEUR)
    assert ">Financeur</th>" not in client.get("/structures/").content.decode()

    ParticipationFactory(fiche=FicheActionFactory(), structure=cress, role=Role.FINANCEUR)
    assert ">Financeur</th>" in client.get("/structures/").content.decode()


def test_detail_pages_its_fiches_and_totals_each_role_over_every_page(client):
    cress = StructureFactory(nom="CRESS")
    for n in range(25):
        fiche = FicheActionFactory(titre=f"Fiche portée {n:02}", ordre=n)
        ParticipationFactory(fiche=fiche, structure=cress, role=Role.PORTEUR)
        LigneBudgetFactory(fiche=fiche, montant=Decimal("1000"))
        LigneBudgetFactory(fiche=fiche, montant=Decimal("10"))
    both = FicheActionFactory(titre="Portée et financée", ordre=100)
    ParticipationFactory(fiche=both, structure=cress, role=Role.CO_PORTEUR)
    ParticipationFactory(fiche=both, structure=cress, role=Role.FINANCEUR)
    LigneBudgetFactory(fiche=both, montant=Decimal("500"))

    first = client.get(cress.get_absolute_url()).content.decode()
    second = client.get(cress.get_absolute_url(), {"page": 2}).content.decode()

    assert "Porteur de 26 fiches" in first and "Porteur de 26 fiches" in second
    assert "25\u00a0750\u00a0€" in first  # 25 × 1 010 € + 500 €
    assert "Financeur de 1 fiche" in first and "Financeur de 1 fiche" in second
    assert "Fiche portée 19" in first and "Fiche portée 20" not in first
    assert "Fiche portée 20" in second and "Fiche portée 00" not in second
    assert "Page 1 sur 2" in first
    assert "Ces fiches sont sur d'autres pages." in first  # the financed one is on page 2
    assert second.count("Portée et financée") == 2  # under both of its roles
    assert client.get(cress.get_absolute_url(), {"page": "x"}).status_code == 200
    assert client.get(cress.get_absolute_url(), {"page": "99"}).status_code == 200
