"""Staff admin of the referential: contract, enjeux with their orientations, orientation codes."""

import pytest
from django.urls import reverse

from enjeux.models import Contrat, Enjeu, Orientation
from tests.conftest import page_text
from tests.factories import (
    ContratFactory,
    EnjeuFactory,
    OrientationFactory,
    admin_form_data,
    make_fiches,
)

pytestmark = pytest.mark.django_db


def listed(response) -> list[str]:
    return [str(obj) for obj in response.context["cl"].result_list]


@pytest.mark.parametrize("model", [Contrat, Enjeu, Orientation], ids=lambda m: m.__name__)
def test_list_add_and_change_pages_open_with_each_filter_and_a_search(admin_client, model):
    make_fiches(2)
    OrientationFactory(enjeu=None, numero=None, titre="Orientation sans numéro")
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
        changelist_url + "?q=test&_facets=1",
        changelist_url + "?q=1",
        reverse(f"admin:{meta.app_label}_{meta.model_name}_add"),
        *(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
            for obj in model.objects.all()
        ),
    ]
    for url in urls:
        assert admin_client.get(url).status_code == 200, url


def test_orientation_list_shows_codes_and_sorts_by_them(admin_client):
    sept, deux = EnjeuFactory(numero=7), EnjeuFactory(numero=2)
    OrientationFactory(enjeu=sept, numero=7, titre="Soutenir l'ESS")
    OrientationFactory(enjeu=deux, numero=1, titre="Développer l'emploi")
    OrientationFactory(enjeu=sept, numero=1, titre="L'emploi des jeunes")
    OrientationFactory(enjeu=None, numero=None, titre="Citée sans enjeu")
    url = reverse("admin:enjeux_orientation_changelist")

    ascending = admin_client.get(url, {"o": "1"})
    descending = admin_client.get(url, {"o": "-1"})

    def rows(response):
        return [(o.code or "—", o.titre) for o in response.context["cl"].result_list]

    assert rows(ascending) == [
        ("—", "Citée sans enjeu"),
        ("2.1", "Développer l'emploi"),
        ("7.1", "L'emploi des jeunes"),
        ("7.7", "Soutenir l'ESS"),
    ]
    assert [code for code, _titre in rows(descending)] == ["7.1", "7.7", "2.1", "—"]
    assert "7.7" in page_text(ascending)


@pytest.mark.parametrize(
    "term, expected",
    [
        ("7.7", ["7.7 Soutenir l'ESS"]),
        ("7,7", ["7.7 Soutenir l'ESS"]),
        ("emploi", ["7.1 L'emploi des jeunes"]),
        ("Rédiger la stratégie", ["7.7 Soutenir l'ESS"]),
        ("7", ["7.1 L'emploi des jeunes", "7.7 Soutenir l'ESS"]),
    ],
)
def test_orientation_search_by_code_title_and_other_wordings(admin_client, term, expected):
    sept = EnjeuFactory(numero=7, titre="Économie")
    OrientationFactory(
        enjeu=sept, numero=7, titre="Soutenir l'ESS", libelles_cites="Rédiger la stratégie ESS"
    )
    OrientationFactory(enjeu=sept, numero=1, titre="L'emploi des jeunes")
    OrientationFactory(enjeu=EnjeuFactory(numero=2, titre="Santé"), numero=7, titre="Soigner")

    response = admin_client.get(reverse("admin:enjeux_orientation_changelist"), {"q": term})

    assert sorted(listed(response)) == expected


def test_enjeu_found_by_its_number(admin_client):
    EnjeuFactory(numero=2, titre="")
    EnjeuFactory(numero=12, titre="Logement")

    response = admin_client.get(reverse("admin:enjeux_enjeu_changelist"), {"q": "2"})

    assert listed(response) == ["Enjeu 2"]


def test_enjeu_page_edits_its_orientations_inline(admin_client):
    enjeu = EnjeuFactory(numero=7)
    OrientationFactory(enjeu=enjeu, numero=1, titre="Première")
    url = reverse("admin:enjeux_enjeu_change", args=[enjeu.pk])
    data = admin_form_data(admin_client.get(url))
    data.update(
        {
            "orientations-TOTAL_FORMS": "2",
            "orientations-1-numero": "7",
            "orientations-1-titre": "Soutenir l'économie sociale et solidaire",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert [o.code for o in enjeu.orientations.all()] == ["7.1", "7.7"]


def test_two_orientations_with_the_same_number_are_refused_in_french(admin_client):
    enjeu = EnjeuFactory(numero=7)
    OrientationFactory(enjeu=enjeu, numero=1, titre="Première")
    url = reverse("admin:enjeux_enjeu_change", args=[enjeu.pk])
    data = admin_form_data(admin_client.get(url))
    data.update(
        {"orientations-TOTAL_FORMS": "2", "orientations-1-numero": "1", "orientations-1-titre": "X"}
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "Deux orientations de cet enjeu portent le même numéro." in page_text(response)
    assert enjeu.orientations.count() == 1


def test_deleting_an_enjeu_with_orientations_is_refused(admin_client):
    enjeu = OrientationFactory().enjeu

    response = admin_client.post(
        reverse("admin:enjeux_enjeu_delete", args=[enjeu.pk]), {"post": "yes"}
    )

    assert "objets liés et protégés" in page_text(response)
    assert Enjeu.objects.filter(pk=enjeu.pk).exists()


def test_contract_slug_is_prepopulated_from_its_name(admin_client):
    ContratFactory()

    response = admin_client.get(reverse("admin:enjeux_contrat_add"))

    [prepopulated] = response.context["adminform"].prepopulated_fields
    assert prepopulated["field"].name == "slug"
    assert [field.name for field in prepopulated["dependencies"]] == ["nom"]
