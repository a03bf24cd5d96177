"""Staff admin of structures and contacts: pages, fiche counts, query budget, protected deletion."""

import pytest
from django.urls import reverse

from actions.models import Participation, Role
from structures.models import Contact, Nature, Structure
from tests.conftest import page_text
from tests.factories import (
    ContactFactory,
    FicheActionFactory,
    LigneBudgetFactory,
    ParticipationFactory,
    StructureFactory,
    admin_form_data,
    make_fiches,
)

pytestmark = pytest.mark.django_db

STRUCTURE_CHANGELIST = reverse("admin:structures_structure_changelist")


def change_url(structure) -> str:
    return reverse("admin:structures_structure_change", args=[structure.pk])


def listed(response) -> list[str]:
    return [str(obj) for obj in response.context["cl"].result_list]


@pytest.mark.parametrize("model", [Structure, Contact], ids=lambda m: m.__name__)
def test_list_add_and_change_pages_open_with_each_filter_and_a_search(admin_client, model):
    make_fiches(2)
    ContactFactory(email="contact@example.org")
    meta = model._meta
    changelist_url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")

    changelist = admin_client.get(changelist_url).context["cl"]
    query_strings = [
        choice["query_string"]
        for spec in changelist.filter_specs
        for choice in spec.choices(changelist)
    ]
    urls = [
        changelist_url,
        *(changelist_url + query_string for query_string in query_strings),
        changelist_url + "?q=Structure&_facets=1",
        reverse(f"admin:{meta.app_label}_{meta.model_name}_add"),
        reverse(
            f"admin:{meta.app_label}_{meta.model_name}_change", args=[model.objects.first().pk]
        ),
    ]
    for url in urls:
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.parametrize("term", ["Urbanisme", "ADUS", "Agence de la Sambre"])
def test_search_on_name_acronym_and_other_spellings(admin_client, term):
    StructureFactory(
        nom="Agence de développement et d'urbanisme",
        sigle="ADUS",
        autres_graphies="l'ADUS\nAgence de la Sambre",
    )
    StructureFactory(nom="Maison de l'emploi de l'Avesnois", sigle="MDE")

    response = admin_client.get(STRUCTURE_CHANGELIST, {"q": term})

    assert listed(response) == ["Agence de développement et d'urbanisme"]


def test_structure_autocomplete_for_participations_finds_an_acronym(admin_client):
    StructureFactory(nom="Chambre régionale de l'économie sociale et solidaire", sigle="CRESS")
    StructureFactory(nom="Pôle ESS")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "actions",
            "model_name": "participation",
            "field_name": "structure",
            "term": "CRESS",
        },
    )

    assert [r["text"] for r in response.json()["results"]] == [
        "Chambre régionale de l'économie sociale et solidaire"
    ]


def test_nature_filter(admin_client):
    StructureFactory(nom="CRESS", nature=Nature.RESEAU)
    StructureFactory(nom="CCAS de Maubeuge", nature=Nature.COLLECTIVITE)

    response = admin_client.get(STRUCTURE_CHANGELIST, {"nature": Nature.RESEAU})

    assert listed(response) == ["CRESS"]


def test_list_counts_each_fiche_once_whatever_the_roles(admin_client):
    cg59 = StructureFactory(nom="Conseil général du Nord")
    first, second = FicheActionFactory.create_batch(2)
    ParticipationFactory(fiche=first, structure=cg59, role=Role.PORTEUR)
    ParticipationFactory(fiche=first, structure=cg59, role=Role.FINANCEUR)
    ParticipationFactory(fiche=second, structure=cg59, role=Role.PARTENAIRE)
    StructureFactory(nom="Sans fiche")

    response = admin_client.get(STRUCTURE_CHANGELIST)

    counts = {s.nom: s.nb_fiches for s in response.context["cl"].result_list}
    assert counts == {"Conseil général du Nord": 2, "Sans fiche": 0}
    fiche_list = reverse("admin:actions_ficheaction_changelist")
    assert f'href="{fiche_list}?structure={cg59.pk}"' in response.content.decode()


def test_the_count_links_to_the_fiches_of_the_structure(admin_client):
    cg59 = StructureFactory(nom="Conseil général du Nord")
    ParticipationFactory(structure=cg59, role=Role.FINANCEUR, fiche__titre="Financée")
    ParticipationFactory(fiche__titre="Sans le CG59")

    response = admin_client.get(
        reverse("admin:actions_ficheaction_changelist"), {"structure": cg59.pk}
    )

    assert [fiche.titre for fiche in response.context["cl"].result_list] == ["Financée"]


# Session, user, 2 counts, the page (the fiche count is annotated on it).
STRUCTURE_LIST_QUERIES = 5


@pytest.mark.parametrize("size", [5, 60])
@pytest.mark.parametrize("query_string", ["", "?q=Structure&o=-4", f"?nature={Nature.AUTRE}"])
def test_structure_list_runs_the_same_number_of_queries_whatever_its_length(
    admin_client, django_assert_max_num_queries, size, query_string
):
    make_fiches(size)

    with django_assert_max_num_queries(STRUCTURE_LIST_QUERIES):
        response = admin_client.get(STRUCTURE_CHANGELIST + query_string)

    assert response.context["cl"].result_count == 2 * size


@pytest.mark.parametrize("size", [3, 40])
def test_structure_page_lists_its_fiches_with_role_and_link_in_constant_queries(
    admin_client, django_assert_max_num_queries, size
):
    pole = StructureFactory(nom="Pôle ESS")
    fiches = make_fiches(size)
    for fiche in fiches:
        ParticipationFactory(fiche=fiche, structure=pole, role=Role.CO_PORTEUR)
    ParticipationFactory(
        fiche=fiches[0], structure=pole, role=Role.FINANCEUR, precision="via le PADESS"
    )
    ContactFactory.create_batch(3, structure=pole)

    # 10: two of them for the representatives' selector (the accounts, the chosen ones).
    with django_assert_max_num_queries(10):
        response = admin_client.get(change_url(pole))

    text = page_text(response, tags=False)
    assert "Participe à" in text
    assert f"{fiches[0].titre} — Co-porteur" in text
    assert f"{fiches[0].titre} — Financeur (via le PADESS)" in text
    assert f"{fiches[-1].titre} — Co-porteur" in text
    fiche_url = reverse("admin:actions_ficheaction_change", args=[fiches[-1].pk])
    assert f'href="{fiche_url}"' in response.content.decode()


def test_structure_page_without_fiche_says_so(admin_client):
    response = admin_client.get(change_url(StructureFactory()))

    assert "Aucune fiche action pour l'instant." in page_text(response, tags=False)


def test_contact_is_added_from_the_structure_page(admin_client):
    structure = StructureFactory()
    url = change_url(structure)
    data = admin_form_data(admin_client.get(url))
    data.update(
        {
            "contacts-TOTAL_FORMS": "1",
            "contacts-0-nom": "Camille Martin",
            "contacts-0-fonction": "Chargée de mission ESS",
            "contacts-0-email": "camille.martin@example.org",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert structure.contacts.get().email == "camille.martin@example.org"


def test_bad_contact_email_is_refused_in_french(admin_client):
    structure = StructureFactory()
    url = change_url(structure)
    data = admin_form_data(admin_client.get(url))
    data.update({"contacts-TOTAL_FORMS": "1", "contacts-0-nom": "X", "contacts-0-email": "pas-un"})

    response = admin_client.post(url, data)

    assert "Saisissez une adresse de courriel valide." in page_text(response, tags=False)
    assert not structure.contacts.exists()


# --- Deletion never cascades to the fiches -----------------------------------------------------


def test_deleting_a_structure_of_a_fiche_is_refused_and_nothing_is_deleted(admin_client):
    fiche = make_fiches(1)[0]
    porteur = fiche.participations.get(role=Role.PORTEUR).structure
    ContactFactory(structure=porteur)
    url = reverse("admin:structures_structure_delete", args=[porteur.pk])

    page = admin_client.get(url)
    response = admin_client.post(url, {"post": "yes"})

    for shown in (page, response):
        assert shown.status_code == 200
        text = page_text(shown, tags=False)
        assert "provoquerait la suppression des objets liés et protégés suivants" in text
        assert f"{porteur.nom} — Porteur" in text
    assert Structure.objects.filter(pk=porteur.pk).exists()
    assert Participation.objects.filter(fiche=fiche).count() == 2
    assert porteur.contacts.count() == 1


def test_deleting_a_financer_of_a_budget_line_is_refused(admin_client):
    financeur = StructureFactory()
    ligne = LigneBudgetFactory(financeur=financeur)

    response = admin_client.post(
        reverse("admin:structures_structure_delete", args=[financeur.pk]), {"post": "yes"}
    )

    assert "objets liés et protégés" in page_text(response, tags=False)
    ligne.refresh_from_db()
    assert ligne.financeur == financeur


def test_bulk_deletion_of_structures_of_fiches_is_refused(admin_client):
    fiche = make_fiches(1)[0]
    libre = StructureFactory(nom="Sans fiche")
    selected = [*fiche.participations.values_list("structure", flat=True), libre.pk]

    response = admin_client.post(
        STRUCTURE_CHANGELIST,
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )

    assert response.status_code == 200
    assert "objets liés et protégés" in page_text(response, tags=False)
    assert Structure.objects.filter(pk__in=selected).count() == 3


def test_a_structure_without_fiche_can_be_deleted(admin_client):
    structure = StructureFactory()

    response = admin_client.post(
        reverse("admin:structures_structure_delete", args=[structure.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Structure.objects.filter(pk=structure.pk).exists()
