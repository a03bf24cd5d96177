"""Public pages of the fiches: the filterable list and a fiche's page."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from actions.models import Periodicite, Role, Statut
from actions.roles import REDACTEUR
from tests.conftest import page_html
from tests.factories import (
    ContactFactory,
    EtapeFactory,
    FicheActionFactory,
    IndicateurFactory,
    LigneBudgetFactory,
    OrientationFactory,
    ParticipationFactory,
    PointAvancementFactory,
    SousActionFactory,
    StructureFactory,
    ValeurIndicateurFactory,
    make_fiches,
    staff_user,
)

pytestmark = pytest.mark.django_db

LIST_URL = "/actions/"


@pytest.fixture
def staff_client(django_user_model):
    """A CG59 editor: the staff who see unpublished fiches on the portal (they may edit them)."""
    staff = Client()
    staff.force_login(staff_user(REDACTEUR, username="agent"))
    return staff


# --- the list ------------------------------------------------------------------------------


def test_list_shows_a_fiche_in_one_glance(client):
    fiche = FicheActionFactory(titre="Ludothèque itinérante", statut=Statut.EN_COURS)
    ParticipationFactory(fiche=fiche, structure=StructureFactory(nom="COTESS"), role=Role.PORTEUR)
    fiche.orientations.add(OrientationFactory(enjeu__numero=7, numero=7))
    LigneBudgetFactory(fiche=fiche, montant=Decimal("250550"))

    response = client.get(LIST_URL)
    html = page_html(response)

    assert response.status_code == 200
    assert f'href="{fiche.get_absolute_url()}">Ludothèque itinérante</a>' in html
    assert "COTESS" in html
    assert ">7.7<" in html
    assert "250\u00a0550\u00a0€" in html
    assert "En cours" in html


def test_list_counts_results_and_totals_their_budget(client):
    for montant in ("1000", "2500"):
        LigneBudgetFactory(fiche=FicheActionFactory(), montant=Decimal(montant))
    FicheActionFactory()  # no budget: counted, adds nothing

    html = page_html(client.get(LIST_URL))

    assert "3 fiches" in html
    assert 'Budget total : <strong class="amount">3\u00a0500\u00a0€</strong>' in html


def test_list_hides_drafts_from_the_public_and_marks_them_for_staff(client, staff_client):
    FicheActionFactory(titre="Publiée")
    FicheActionFactory(titre="En préparation", etat="brouillon")

    public = page_html(client.get(LIST_URL))
    assert "Publiée" in public
    assert "En préparation" not in public

    staff = page_html(staff_client.get(LIST_URL))
    assert "En préparation" in staff
    assert "Brouillon" in staff


def test_search_is_kept_in_the_form_and_described(client):
    FicheActionFactory(titre="Rapprocher les générations")
    FicheActionFactory(titre="Autre")

    html = page_html(client.get(LIST_URL, {"q": "generations"}))

    assert "Rapprocher les <mark>générations</mark>" in html
    assert "Autre<" not in html
    assert 'value="generations"' in html
    assert "1 fiche correspondant aux filtres" in html
    assert "Recherche : « generations »" in html


def test_empty_result_says_so_and_offers_to_clear_the_filters(client):
    FicheActionFactory(titre="A")

    html = page_html(client.get(LIST_URL, {"q": "introuvable"}))

    assert "Aucune fiche ne correspond" in html
    assert f'href="{LIST_URL}">Effacer les filtres et voir toutes les fiches' in html


def test_pagination_twenty_a_page_with_rel_links_keeping_the_filters(client):
    make_fiches(45)

    first = client.get(LIST_URL, {"sort": "titre"})
    assert len(first.context["fiches"]) == 20
    html = page_html(first)
    assert 'rel="next" href="?sort=titre&amp;page=2"' in html
    assert 'rel="prev"' not in html

    last = page_html(client.get(LIST_URL, {"sort": "titre", "page": 3}))
    assert 'rel="prev" href="?sort=titre&amp;page=2"' in last
    assert 'rel="next"' not in last
    assert "Page 3 sur 3" in last


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"budget_min": "abc"}, "Saisissez un montant en euros"),
        ({"budget_max": "1e99999"}, "Budget maximum (€) :"),
        ({"structure": "inconnue"}, "Cette structure n&#x27;existe pas"),
        ({"orientation": "abc"}, "Cette orientation n&#x27;existe pas"),
        ({"enjeu": "999"}, "Cet enjeu n&#x27;existe pas"),
        ({"enjeu": "9" * 30}, "Cet enjeu n&#x27;existe pas"),
        ({"orientation": "9" * 30}, "Cette orientation n&#x27;existe pas"),
        ({"page": "9" * 30}, "Il n&#x27;y a que 2 page(s)"),
        ({"role": "chef"}, "Ce rôle n&#x27;existe pas"),
        ({"statut": "fini"}, "Cet état n&#x27;existe pas"),
        ({"sort": "whatever"}, "Ce tri n&#x27;existe pas"),
        ({"page": "999"}, "Il n&#x27;y a que 2 page(s) de résultats : voici la dernière."),
        ({"page": "abc"}, "Le numéro de page n&#x27;est pas un nombre"),
        ({"page": "-1"}, "Il n&#x27;y a que 2 page(s)"),
        ({"q": "x" * 10_000}, "au plus 200 caractères"),
        ({"q": "ludo\x00"}, "Le caractère nul n’est pas autorisé."),
        ({"budget_min": "10", "budget_max": "5"}, "dépasse le budget maximum"),
    ],
)
def test_bad_values_answer_200_with_a_french_message(client, params, message):
    make_fiches(25)

    response = client.get(LIST_URL, params)

    assert response.status_code == 200
    html = page_html(response)
    assert "Certaines valeurs demandées n'ont pas été comprises" in html
    assert message in html


def test_control_characters_in_the_search_do_not_break_the_page(client):
    FicheActionFactory(titre="Ludothèque")

    response = client.get(LIST_URL, {"q": "\x01ludo\x1b\x7f"})

    assert response.status_code == 200
    assert "Ludothèque" in page_html(response)


def test_search_is_not_injected_into_the_page(client):
    html = page_html(client.get(LIST_URL, {"q": '<script>alert("x")</script>'}))
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_download_links_carry_the_current_filters(client):
    FicheActionFactory(titre="Emploi")
    html = page_html(client.get(LIST_URL, {"q": "emploi", "page": "1"}))
    for name in ("recap-pdf", "recap-xlsx", "export-csv", "export-json"):
        assert f'href="{reverse(f"actions:{name}")}?q=emploi"' in html


def test_the_pdf_link_is_offered_only_within_the_pdf_limit(client, settings):
    settings.RECAP_PDF_MAX_FICHES = 2
    for titre in ("Emploi A", "Emploi B", "Culture"):
        FicheActionFactory(titre=titre)
    pdf_url = reverse("actions:recap-pdf")

    for html in (page_html(client.get(LIST_URL)), page_html(client.get("/"))):
        assert f'href="{pdf_url}' not in html
        assert "au plus 2 fiches, affinez la sélection" in html
        assert f'href="{reverse("actions:recap-xlsx")}' in html

    html = page_html(client.get(LIST_URL, {"q": "emploi"}))
    assert f'href="{pdf_url}?q=emploi"' in html
    assert "affinez la sélection" not in html


def test_a_recap_pdf_beyond_the_limit_explains_and_links_to_filter_or_the_workbook(
    client, settings
):
    settings.RECAP_PDF_MAX_FICHES = 2
    for titre in ("Emploi à Avesnes", "Emploi à Bavay", "Emploi à Caudry", "Culture"):
        FicheActionFactory(titre=titre)
    url = reverse("actions:recap-pdf")

    response = client.get(url, {"q": "emploi"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = page_html(response)
    assert "<strong>3 fiches</strong>" in html
    assert "en réunit au plus 2.</p>" in html
    assert f'href="{LIST_URL}?q=emploi">Affiner la sélection</a>' in html
    assert f'href="{reverse("actions:recap-xlsx")}?q=emploi" download' in html

    response = client.get(url, {"q": "emploi avesnes"})
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_robots_may_read_the_pages_but_not_the_exports_nor_the_admin(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert {"Disallow: /admin/", "Disallow: /actions/export/"} <= set(lines)
    assert "Disallow: /" not in lines


# --- the detail ----------------------------------------------------------------------------


def test_detail_shows_the_whole_fiche(client):
    porteur = StructureFactory(nom="Pôle ESS")
    partenaire = StructureFactory(nom="CRESS")
    ContactFactory(structure=porteur, nom="Claire Martin", email="claire@example.org")
    orientation = OrientationFactory(enjeu__numero=7, numero=7, titre="Soutenir l’ESS")
    fiche = FicheActionFactory(
        titre="Le PADESS",
        enjeu_texte="Enjeu 7, orientation 7 : Soutenir l’ESS",
        descriptif="Premier paragraphe.\nSuite du paragraphe.\n\n"
        "· une ludothèque\n· un observatoire",
        statut=Statut.EN_COURS,
    )
    fiche.orientations.add(orientation)
    ParticipationFactory(fiche=fiche, structure=porteur, role=Role.PORTEUR)
    ParticipationFactory(fiche=fiche, structure=partenaire, role=Role.PARTENAIRE)
    LigneBudgetFactory(
        fiche=fiche, montant=Decimal("2000"), periodicite=Periodicite.ANNUEL, nombre_annees=6
    )
    LigneBudgetFactory(fiche=fiche, montant=Decimal("10000"))

    response = client.get(fiche.get_absolute_url())
    html = page_html(response)

    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "Enjeu 7, orientation 7 : Soutenir l’ESS" in html
    assert f'href="{LIST_URL}?orientation={orientation.pk}"' in html
    assert "<p>Premier paragraphe.<br>Suite du paragraphe.</p>" in html
    assert "<ul><li>une ludothèque</li><li>un observatoire</li></ul>" in html
    assert "2\u00a0000\u00a0€ par an sur 6 ans, soit 12\u00a0000\u00a0€" in html
    assert "22\u00a0000\u00a0€" in html  # the total
    assert f'href="{porteur.get_absolute_url()}"' in html
    assert f'href="{partenaire.get_absolute_url()}"' in html
    assert "Claire Martin" in html
    assert "mailto:claire@example.org" in html
    assert "En cours" in html
    assert "Dernière modification le" in html
    assert 'aria-label="Fil d\'Ariane"' in html


def test_detail_without_budget_says_so(client):
    fiche = FicheActionFactory(budget_texte="")
    assert "Budget non renseigné" in page_html(client.get(fiche.get_absolute_url()))


def test_descriptif_is_escaped(client):
    fiche = FicheActionFactory(descriptif='<script>alert("x")</script>\n- <b>gras</b>')

    html = page_html(client.get(fiche.get_absolute_url()))

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<li>&lt;b&gt;gras&lt;/b&gt;</li>" in html


def test_detail_shows_the_sub_actions_tree(client):
    fiche = FicheActionFactory()
    orientation = SousActionFactory(fiche=fiche, nature="orientation", titre="Faciliter l’ESS")
    axe = SousActionFactory(fiche=fiche, parent=orientation, nature="axe", titre="Innover")
    SousActionFactory(fiche=fiche, parent=axe, nature="action", numero="1", titre="Observatoire")

    html = page_html(client.get(fiche.get_absolute_url()))

    tree = html[html.index("Sous-actions") :]
    assert tree.index("Faciliter l’ESS") < tree.index("Innover") < tree.index("Observatoire")
    assert tree.count('<ol class="tree">') == 3  # nested three levels deep
    assert "Action 1" in tree


def test_unpublished_fiche_is_404_for_the_public_and_shown_to_staff(client, staff_client):
    fiche = FicheActionFactory(titre="Brouillon secret", etat="brouillon")

    response = client.get(fiche.get_absolute_url())
    assert response.status_code == 404
    assert "Page introuvable" in page_html(response)

    staff = staff_client.get(fiche.get_absolute_url())
    assert staff.status_code == 200
    assert "Brouillon" in page_html(staff)


def test_unknown_slug_is_404_in_the_sites_look(client):
    response = client.get("/actions/nexiste-pas/")
    assert response.status_code == 404
    html = page_html(response)
    assert "Page introuvable" in html
    assert "Aller au contenu" in html


def test_the_fiche_page_links_its_pdf(client):
    fiche = FicheActionFactory()
    html = page_html(client.get(fiche.get_absolute_url()))
    assert f'href="{reverse("actions:fiche-pdf", args=[fiche.slug])}"' in html


# --- query budgets: the same at 10 and 200 fiches ------------------------------------------


@pytest.mark.parametrize("size", [10, 200])
@pytest.mark.parametrize(
    ("params", "budget"),
    [
        # contract, totals, 3 filter choice lists, the page's ids, its fiches by id and 4
        # prefetches (+2 lookups)
        ({}, 11),
        ({"q": "fiche action"}, 11),
        ({"structure": "__structure__", "orientation": "__orientation__"}, 13),
        ({"sort": "-budget", "page": "2", "budget_min": "1000"}, 11),
    ],
    ids=["plain", "searched", "filtered", "sorted-paged"],
)
def test_list_query_budget(
    client, django_assert_max_num_queries, django_capture_on_commit_callbacks, size, params, budget
):
    # Committed, as they would be before anyone searches: the search index is written then.
    with django_capture_on_commit_callbacks(execute=True):
        fiches = make_fiches(size)
    params = dict(params)
    if "structure" in params:
        params["structure"] = fiches[0].participations.first().structure.slug
        params["orientation"] = fiches[0].orientations.first().pk

    with django_assert_max_num_queries(budget):
        response = client.get(LIST_URL, params)
    assert response.status_code == 200


@pytest.mark.parametrize("size", [10, 200])
def test_detail_query_budget(client, django_assert_max_num_queries, size):
    fiches = make_fiches(size)
    for fiche in fiches[:3]:
        ContactFactory(structure=fiche.participations.first().structure)
    PointAvancementFactory(fiche=fiches[0])
    ValeurIndicateurFactory(indicateur=IndicateurFactory(fiche=fiches[0]))
    EtapeFactory(fiche=fiches[0])

    # 9, one for the financing plan's years × financers table (actions/plan.py), four for
    # the follow-up (notes, indicators, their values, milestones: QuerySet.with_suivi).
    with django_assert_max_num_queries(14):
        response = client.get(fiches[0].get_absolute_url())
    assert response.status_code == 200


def test_a_bad_field_is_marked_invalid_and_points_to_its_message(client):
    html = page_html(client.get(LIST_URL, {"structure": "inconnue"}))

    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_structure_error"' in html
    assert html.count('id="id_structure_error"') == 1
