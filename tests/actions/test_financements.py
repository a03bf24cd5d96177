"""The financing plan: each rule said in French by the model and the admin, held by the database
(constraints and triggers, on SQLite and PostgreSQL alike), and the lines' admin list."""

import importlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from actions.financements import DUPLICATE, NEGATIVE, PAID_WITHOUT_GRANT
from actions.models import FicheAction, LigneFinancement, NatureFinancement
from contrat.dataversion import data_version
from contrat.formats import NBSP
from enjeux.models import Contrat
from tests.conftest import page_text
from tests.factories import (
    ContratFactory,
    EnjeuFactory,
    FicheActionFactory,
    LigneFinancementFactory,
    OrientationFactory,
    StructureFactory,
    admin_form_data,
)

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("actions.migrations.0011_lignes_financement")
OUTSIDE = "hors de la période du contrat (2024–2029)"


@pytest.fixture
def fiche():
    contrat = ContratFactory(annee_debut=2024, annee_fin=2029)
    return FicheActionFactory(contrat=contrat, titre="Maison de l'alimentation")


@pytest.fixture
def cg59():
    return StructureFactory(nom="Département du Nord", sigle="CG59")


# (line's values, the field the model names, what it says): one case per rule.
REFUSALS = {
    "prevu_negatif": ({"prevu": Decimal("-1")}, "prevu", NEGATIVE),
    "accorde_negatif": ({"accorde": Decimal("-5")}, "accorde", NEGATIVE),
    "verse_negatif": ({"verse": Decimal("-5")}, "verse", NEGATIVE),
    "verse_sans_accorde": ({"verse": Decimal("100")}, "verse", PAID_WITHOUT_GRANT),
    "verse_au_dela": (
        {"accorde": Decimal("100"), "verse": Decimal("150")},
        "verse",
        f"Le montant versé (150{NBSP}€) dépasse le montant accordé (100{NBSP}€).",
    ),
    "avant_la_periode": ({"annee": 2023}, "annee", "L'année 2023 est " + OUTSIDE),
    "apres_la_periode": ({"annee": 2031}, "annee", "L'année 2031 est " + OUTSIDE),
    "doublon": ({"annee": 2025}, "__all__", DUPLICATE),
}


def existing_line(fiche, financeur):
    """The line the duplicate case repeats (2025, running costs)."""
    return LigneFinancementFactory(fiche=fiche, financeur=financeur, annee=2025)


@pytest.mark.parametrize("case", REFUSALS)
def test_the_model_says_each_rule_in_french(fiche, cg59, case):
    values, field, message = REFUSALS[case]
    if case == "doublon":
        existing_line(fiche, cg59)
    line = LigneFinancement(fiche=fiche, financeur=cg59, **{"annee": 2026, **values})

    with pytest.raises(ValidationError) as refusal:
        line.full_clean()

    [said] = refusal.value.message_dict[field]
    assert said.startswith(message)


@pytest.mark.parametrize("case", REFUSALS)
def test_the_database_refuses_each_rule_too(fiche, cg59, case):
    values, _field, _message = REFUSALS[case]
    if case == "doublon":
        existing_line(fiche, cg59)
    before = LigneFinancement.objects.count()

    with pytest.raises(IntegrityError), transaction.atomic():
        LigneFinancement.objects.create(fiche=fiche, financeur=cg59, **{"annee": 2026, **values})

    assert LigneFinancement.objects.count() == before


def test_a_line_moved_out_of_the_period_is_refused_by_the_database(fiche, cg59):
    line = LigneFinancementFactory(fiche=fiche, financeur=cg59, annee=2029)

    rule = "ligne_financement_annee_dans_periode"
    with pytest.raises(IntegrityError, match=rule), transaction.atomic():
        LigneFinancement.objects.filter(pk=line.pk).update(annee=2030)

    line.refresh_from_db()
    assert line.annee == 2029


def test_paid_within_granted_and_any_year_without_a_period_are_accepted(fiche, cg59):
    line = LigneFinancement(
        fiche=fiche,
        financeur=cg59,
        annee=2029,
        prevu=Decimal(10000),
        accorde=Decimal(500),
        verse=Decimal(500),
    )
    line.full_clean()
    line.save()
    sans_periode = FicheActionFactory(contrat=ContratFactory(slug="sans-periode", nom="Sans"))
    other = LigneFinancement(fiche=sans_periode, financeur=cg59, annee=2040, prevu=Decimal(1))
    other.full_clean()
    other.save()
    assert str(line) == f"CG59 — 2029 — fonctionnement : 10{NBSP}000{NBSP}€ prévus"


# --- the contract's period ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"annee_debut": 2024}, "annee_fin", "Indiquez aussi la dernière année."),
        ({"annee_fin": 2029}, "annee_debut", "Indiquez aussi la première année."),
        (
            {"annee_debut": 2029, "annee_fin": 2024},
            "annee_fin",
            "La dernière année du contrat ne peut pas précéder la première.",
        ),
    ],
)
def test_a_period_is_both_years_in_order_said_in_french_and_held_by_the_database(
    values, field, message
):
    contrat = ContratFactory()
    for name, value in values.items():
        setattr(contrat, name, value)

    with pytest.raises(ValidationError) as refusal:
        contrat.full_clean()
    assert refusal.value.message_dict[field] == [message]

    with pytest.raises(IntegrityError), transaction.atomic():
        Contrat.objects.filter(pk=contrat.pk).update(**values)


@pytest.fixture
def line_of_2023(cg59):
    """A line entered before the contract had a period: 2023."""
    fiche = FicheActionFactory(contrat=ContratFactory())
    return LigneFinancementFactory(fiche=fiche, financeur=cg59, annee=2023)


def test_a_period_leaving_lines_out_is_refused_in_french_then_by_the_database(line_of_2023):
    contrat = line_of_2023.fiche.contrat
    contrat.annee_debut, contrat.annee_fin = 2024, 2029

    with pytest.raises(ValidationError) as refusal:
        contrat.full_clean()
    assert "tombent hors de cette période (années 2023)" in refusal.value.messages[0]

    rule = "ligne_financement_annee_dans_periode"
    with pytest.raises(IntegrityError, match=rule), transaction.atomic():
        contrat.save()
    contrat.refresh_from_db()
    assert contrat.annee_debut is None
    contrat.annee_debut, contrat.annee_fin = 2023, 2029
    contrat.full_clean()
    contrat.save()  # a period that holds the line


def test_a_fiche_moved_to_a_contract_whose_period_leaves_its_lines_out_is_refused(line_of_2023):
    other = Contrat.objects.create(
        nom="Autre contrat", slug="autre", territoire="Avesnois", annee_debut=2024, annee_fin=2029
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        FicheAction.objects.filter(pk=line_of_2023.fiche_id).update(contrat=other)


def test_every_period_trigger_is_still_there_after_all_the_migrations():
    """A later migration that rebuilds one of their tables (SQLite) would drop them silently."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute(
                "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"
            )
        found = set(cursor.fetchall())
    assert set(MIGRATION.TRIGGERS) <= found


# --- the admin: the fiche's form, the contract's form ----------------------------------------


def line_form_data(admin_client, fiche, financeur, **values) -> dict:
    """The fiche's change form as it stands, with one financing line added."""
    data = admin_form_data(
        admin_client.get(reverse("admin:actions_ficheaction_change", args=[fiche.pk]))
    )
    index = int(data["lignes_financement-TOTAL_FORMS"])
    data["lignes_financement-TOTAL_FORMS"] = str(index + 1)
    line = {"financeur": financeur.pk, "annee": 2026, "nature": "fonctionnement"}
    line |= {"prevu": "0", "verse": "0"}
    line.update(values)
    for name, value in line.items():
        data[f"lignes_financement-{index}-{name}"] = "" if value is None else str(value)
    return data


@pytest.mark.parametrize("case", REFUSALS)
def test_the_fiche_form_refuses_each_rule_in_french_and_saves_nothing(
    admin_client, fiche, cg59, case
):
    values, _field, message = REFUSALS[case]
    if case == "doublon":
        existing_line(fiche, cg59)
    before = list(LigneFinancement.objects.values_list("pk", "annee", "prevu"))
    data = line_form_data(admin_client, fiche, cg59, **values)
    data["titre"] = "Titre changé avec la ligne"

    response = admin_client.post(reverse("admin:actions_ficheaction_change", args=[fiche.pk]), data)

    assert response.status_code == 200  # the form again, with the refusal
    assert message.replace(NBSP, " ") in page_text(response)
    assert list(LigneFinancement.objects.values_list("pk", "annee", "prevu")) == before
    assert FicheAction.objects.get(pk=fiche.pk).titre == "Maison de l'alimentation"


def test_the_fiche_form_adds_a_line_and_the_fiche_history_lists_it(admin_client, fiche, cg59):
    data = line_form_data(
        admin_client, fiche, cg59, prevu="12000", accorde="10000", verse="5000",
        date_decision="2025-10-14", reference_decision="DCP 2025-118",
    )  # fmt: skip

    response = admin_client.post(reverse("admin:actions_ficheaction_change", args=[fiche.pk]), data)

    assert response.status_code == 302
    line = LigneFinancement.objects.get(fiche=fiche)
    assert (line.financeur, line.annee, line.accorde, line.verse) == (cg59, 2026, 10000, 5000)
    assert line.history.count() == 1
    history = admin_client.get(reverse("admin:actions_ficheaction_history", args=[fiche.pk]))
    assert "Ligne de financement : CG59 — 2026 — fonctionnement" in page_text(history)


def test_the_contract_form_refuses_a_period_leaving_lines_out(admin_client, line_of_2023):
    contrat = line_of_2023.fiche.contrat
    url = reverse("admin:enjeux_contrat_change", args=[contrat.pk])
    data = admin_form_data(admin_client.get(url))
    data.update(annee_debut="2024", annee_fin="2029")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "tombent hors de cette période (années 2023)" in page_text(response)
    contrat.refresh_from_db()
    assert contrat.annee_debut is None


def test_a_written_line_changes_the_data_version(fiche, cg59):
    before = data_version()
    line = LigneFinancementFactory(fiche=fiche, financeur=cg59)
    after_create = data_version()
    line.delete()
    assert len({before, after_create, data_version()}) == 3


# --- the lines' own list ---------------------------------------------------------------------


@pytest.fixture
def plan(cg59):
    """Two fiches of two enjeux, financed by the CG59 and a commune over two years."""
    contrat = ContratFactory(annee_debut=2024, annee_fin=2029)
    commune = StructureFactory(nom="Commune de Fourmies")
    enjeu_2, enjeu_7 = EnjeuFactory(contrat=contrat), EnjeuFactory(contrat=contrat)
    alimentation = FicheActionFactory(contrat=contrat, titre="Maison de l'alimentation")
    alimentation.orientations.add(OrientationFactory(enjeu=enjeu_2))
    ressourcerie = FicheActionFactory(contrat=contrat, titre="Ressourcerie de Maubeuge")
    ressourcerie.enjeux.add(enjeu_7)
    LigneFinancementFactory(fiche=alimentation, financeur=cg59, annee=2024)
    LigneFinancementFactory(fiche=alimentation, financeur=commune, annee=2025)
    LigneFinancementFactory(
        fiche=ressourcerie, financeur=cg59, annee=2025, nature=NatureFinancement.INVESTISSEMENT
    )
    return {"cg59": cg59, "commune": commune, "enjeu_2": enjeu_2, "enjeu_7": enjeu_7}


def listed(admin_client, query: str) -> list[tuple[str, str]]:
    response = admin_client.get(reverse("admin:actions_lignefinancement_changelist") + query)
    assert response.status_code == 200
    return sorted(
        (line.fiche.titre, line.financeur.nom) for line in response.context["cl"].result_list
    )


def test_the_list_filters_by_financer_year_enjeu_and_searches_fiche_titles(admin_client, plan):
    alimentation_cg59 = ("Maison de l'alimentation", "Département du Nord")
    alimentation_commune = ("Maison de l'alimentation", "Commune de Fourmies")
    ressourcerie = ("Ressourcerie de Maubeuge", "Département du Nord")

    assert listed(admin_client, f"?financeur__id__exact={plan['cg59'].pk}") == [
        alimentation_cg59,
        ressourcerie,
    ]
    assert listed(admin_client, "?annee=2025") == [alimentation_commune, ressourcerie]
    assert listed(admin_client, f"?enjeu={plan['enjeu_7'].pk}") == [ressourcerie]
    assert listed(admin_client, f"?enjeu={plan['enjeu_2'].pk}") == [
        alimentation_commune,
        alimentation_cg59,
    ]
    assert listed(admin_client, "?q=ressourcerie") == [ressourcerie]
    page = page_text(admin_client.get(reverse("admin:actions_lignefinancement_changelist")))
    assert "10 000 €" in page and "Investissement" in page


def test_the_list_reads_a_constant_number_of_queries(
    admin_client, plan, django_assert_max_num_queries
):
    url = reverse("admin:actions_lignefinancement_changelist")
    admin_client.get(url)
    with django_assert_max_num_queries(12):
        admin_client.get(url)
    for annee in (2026, 2027, 2028):
        LigneFinancementFactory(financeur=plan["commune"], annee=annee)
    with django_assert_max_num_queries(12):
        admin_client.get(url)
