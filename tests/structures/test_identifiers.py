"""A structure's SIRET and RNA number: checked as INSEE and the RNA write them, said in French,
unique once entered (two structures may both have none)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from structures.models import Structure
from tests.conftest import page_text
from tests.factories import StructureFactory, admin_form_data

pytestmark = pytest.mark.django_db

WRONG_LENGTH = "Un numéro SIRET compte 14 chiffres."
WRONG_KEY = "Ce numéro SIRET n'existe pas : sa clé de contrôle ne correspond pas."
WRONG_RNA = "Un numéro RNA s'écrit W suivi de 9 chiffres, par exemple W595001234."


def cleaned(**values) -> Structure:
    structure = Structure(nom="Association des jardins", slug="jardins", **values)
    structure.full_clean()
    return structure


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("73282932000074", "73282932000074"),  # Luhn key
        ("732 829 320 00074", "73282932000074"),  # as printed on a letterhead
        ("35600000000001", "35600000000001"),  # La Poste: digits summing to a multiple of 5
    ],
)
def test_a_valid_siret_is_kept_without_its_spaces(typed, stored):
    assert cleaned(siret=typed).siret == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("73282932000075", WRONG_KEY),
        ("7328293200007", WRONG_LENGTH),
        ("7328293200007A", WRONG_LENGTH),
        # Passes the Luhn key, but La Poste's establishments follow the other rule.
        ("35600000000014", WRONG_KEY),
    ],
)
def test_a_wrong_siret_is_refused_in_french(typed, message):
    with pytest.raises(ValidationError) as refusal:
        cleaned(siret=typed)
    [said] = refusal.value.message_dict["siret"]
    assert said.startswith(message)


def test_an_rna_number_is_w_and_nine_digits():
    assert cleaned(rna="w595001234").rna == "W595001234"
    for wrong in ("W59500123", "595001234", "W59500123X"):
        with pytest.raises(ValidationError) as refusal:
            cleaned(rna=wrong)
        assert refusal.value.message_dict["rna"] == [WRONG_RNA]


def test_identifiers_are_unique_once_entered_in_french_then_by_the_database():
    StructureFactory(nom="Sans numéro 1")
    StructureFactory(nom="Sans numéro 2")  # both empty: allowed
    StructureFactory(nom="CAF du Nord", siret="73282932000074", rna="W595001234")

    with pytest.raises(ValidationError) as refusal:
        cleaned(siret="73282932000074", rna="W595001234")
    assert refusal.value.messages == [
        "Une autre structure porte déjà ce numéro SIRET.",
        "Une autre structure porte déjà ce numéro RNA.",
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        StructureFactory(nom="Doublon", siret="73282932000074")


def test_the_structure_form_refuses_a_wrong_siret_and_saves_nothing(admin_client):
    structure = StructureFactory(nom="Département du Nord", sigle="CG59")
    url = reverse("admin:structures_structure_change", args=[structure.pk])
    data = admin_form_data(admin_client.get(url))
    data["siret"] = "22590001700018"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert WRONG_KEY in page_text(response)
    structure.refresh_from_db()
    assert structure.siret == ""
