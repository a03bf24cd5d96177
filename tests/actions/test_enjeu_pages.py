"""Home page, the enjeux list and each enjeu's page, with their fiches and totals."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from actions.models import Role
from actions.roles import REDACTEUR
from tests.factories import (
    ContratFactory,
    EnjeuFactory,
    FicheActionFactory,
    LigneBudgetFactory,
    OrientationFactory,
    ParticipationFactory,
    make_fiches,
    staff_user,
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

    # The home and enjeu pages: four more for the follow-up's roll-up (actions/avancement.py).
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get("/enjeux/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(enjeu.get_absolute_url()).status_code == 200


def test_enjeu_page_lists_its_fiches_twenty_a_page(client):
    fiches = make_fiches(25)
    enjeu = fiches[0].orientations.get().enjeu
    url = enjeu.get_absolute_url()

    first = client.get(url)
    html = first.content.decode()
    assert sum(f'href="{f.get_absolute_url()}"' in html for f in fiches) == 20
    assert [f.pk for f in first.context["page_obj"]] == [f.pk for f in fiches[:20]]
    assert "25 fiches actions" in html  # the totals cover every page
    assert 'rel="next" href="?page=2"' in html
    assert 'rel="prev"' not in html

    second = client.get(url, {"page": 2})
    html = second.content.decode()
    assert [f.pk for f in second.context["page_obj"]] == [f.pk for f in fiches[20:]]
    assert fiches[24].titre in html
    assert fiches[0].titre not in html
    assert 'rel="prev" href="?page=1"' in html
    assert 'rel="next"' not in html
    # A page number out of range or not a number shows a page that exists.
    assert client.get(url, {"page": 99}).context["page_obj"].number == 2
    assert client.get(url, {"page": "x"}).context["page_obj"].number == 1


@pytest.fixture
def two_enjeux(contrat_with_fiches):
    """On top of `contrat_with_fiches`: enjeu 8 with orientation 8.1, which the laboratory (also
    in 7.2 and 7.7) cites along with enjeu 8 directly; an orientation without enjeu cited by
    the PADESS and by a draft; a fiche of another contract citing 7.7."""
    contrat = contrat_with_fiches
    fiches = {f.titre: f for f in contrat.fiches.all()}
    enjeu7 = contrat.enjeux.get(numero=7)
    enjeu8 = EnjeuFactory(contrat=contrat, numero=8, titre="Se former")
    o81 = OrientationFactory(enjeu=enjeu8, numero=1, titre="Former les bénévoles")
    labo = fiches["Un laboratoire d’idées"]
    labo.orientations.add(o81)
    labo.enjeux.add(enjeu8)
    # Cited directly too, on top of its orientations: still one fiche for enjeu 7.
    labo.enjeux.add(enjeu7)
    libre = OrientationFactory(enjeu=None, numero=None, titre="Orientation sans enjeu")
    fiches["Le PADESS"].orientations.add(libre)
    fiches["Brouillon"].orientations.add(libre)
    seule_en_brouillon = OrientationFactory(enjeu=None, numero=None, titre="Brouillon seulement")
    fiches["Brouillon"].orientations.add(seule_en_brouillon)
    ailleurs = FicheActionFactory(contrat=ContratFactory(nom="Autre", slug="autre"))
    ailleurs.orientations.add(enjeu7.orientations.get(numero=7))
    LigneBudgetFactory(fiche=ailleurs, montant=Decimal("1"))
    return contrat


def _bilans(response):
    rows = {}
    for enjeu in response.context["enjeux"]:
        rows[f"{enjeu.numero}"] = (enjeu.bilan.nombre, enjeu.bilan.budget)
        for orientation in enjeu.orientations.all():
            rows[orientation.code] = (orientation.bilan.nombre, orientation.bilan.budget)
    for orientation in response.context["orientations_sans_enjeu"]:
        rows[orientation.titre] = (orientation.bilan.nombre, orientation.bilan.budget)
    total = response.context["total"]
    rows["total"] = (total.nombre, total.budget)
    return rows


def test_totals_per_enjeu_match_a_count_by_hand(client, two_enjeux):
    # Public: PADESS 250 550 € (7.7 and the orientation without enjeu), laboratory 34 000 €
    # (7.2, 7.7, 8.1, enjeux 7 and 8 directly), the direct fiche without budget (enjeu 7);
    # the draft and the other contract's fiche are left out.
    expected = {
        "7": (3, Decimal("284550")),
        "7.2": (1, Decimal("34000")),
        "7.7": (2, Decimal("284550")),
        "8": (1, Decimal("34000")),
        "8.1": (1, Decimal("34000")),
        "Orientation sans enjeu": (1, Decimal("250550")),
        "total": (3, Decimal("284550")),
    }
    for url in ("/", "/enjeux/"):
        assert _bilans(client.get(url)) == expected

    page = client.get("/enjeux/7/")
    assert (page.context["total"].nombre, page.context["total"].budget) == expected["7"]
    orientations = {o.code: (o.bilan.nombre, o.bilan.budget) for o in page.context["orientations"]}
    assert orientations == {"7.2": expected["7.2"], "7.7": expected["7.7"]}
    page = client.get("/enjeux/8/")
    assert (page.context["total"].nombre, page.context["total"].budget) == expected["8"]


def test_editors_totals_count_the_drafts(client, two_enjeux):
    client.force_login(staff_user(REDACTEUR, username="agent"))
    expected = {
        "7": (4, Decimal("285549")),
        "7.2": (1, Decimal("34000")),
        "7.7": (3, Decimal("285549")),
        "8": (1, Decimal("34000")),
        "8.1": (1, Decimal("34000")),
        "Orientation sans enjeu": (2, Decimal("251549")),
        "Brouillon seulement": (1, Decimal("999")),
        "total": (4, Decimal("285549")),
    }
    assert _bilans(client.get("/")) == expected
    page = client.get("/enjeux/7/")
    assert (page.context["total"].nombre, page.context["total"].budget) == expected["7"]


def test_enjeu_without_visible_fiche_has_empty_bilans(client, two_enjeux):
    EnjeuFactory(contrat=two_enjeux, numero=9)
    enjeu9 = [e for e in client.get("/").context["enjeux"] if e.numero == 9][0]
    assert (enjeu9.bilan.nombre, enjeu9.bilan.budget) == (0, None)
    assert "Aucune fiche action publiée" in client.get("/enjeux/9/").content.decode()
