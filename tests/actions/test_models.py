"""Budget rules of a fiche action: line totals, labels, totals in Python and SQL, validation."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from actions.models import FicheAction, LigneBudget, Periodicite
from contrat.formats import NBSP, format_euros
from tests.factories import FicheActionFactory, LigneBudgetFactory

pytestmark = pytest.mark.django_db

ANNUEL = Periodicite.ANNUEL
TOTAL = Periodicite.TOTAL


def plain(text: str) -> str:
    """The label as a reader sees it: no-break spaces read as spaces."""
    return text.replace(NBSP, " ").replace("\u202f", " ")


def test_per_year_line_totals_amount_times_years():
    ligne = LigneBudgetFactory(montant=Decimal("2000"), periodicite=ANNUEL, nombre_annees=6)

    assert ligne.total == Decimal("12000")
    assert plain(ligne.libelle) == "2 000 € par an sur 6 ans, soit 12 000 €"


def test_total_spread_over_years_is_not_multiplied():
    ligne = LigneBudgetFactory(montant=Decimal("15000"), periodicite=TOTAL, nombre_annees=6)

    assert ligne.total == Decimal("15000")
    assert plain(ligne.libelle) == "15 000 € sur 6 ans"


def test_plain_amount_label():
    ligne = LigneBudgetFactory(montant=Decimal("250550"), periodicite=TOTAL)

    assert ligne.libelle == f"250{NBSP}550{NBSP}€"
    assert str(ligne) == ligne.libelle


def test_fiche_without_lines_has_no_budget_rather_than_zero():
    fiche = FicheActionFactory()

    assert fiche.budget_total is None
    assert FicheAction.objects.with_budget_total().get(pk=fiche.pk).budget_total is None


def test_fiche_whose_lines_sum_to_zero_has_a_zero_budget():
    fiche = FicheActionFactory()
    LigneBudgetFactory(fiche=fiche, montant=Decimal("0"))

    assert fiche.budget_total == Decimal("0")
    assert FicheAction.objects.with_budget_total().get(pk=fiche.pk).budget_total == Decimal("0")


@pytest.mark.parametrize(
    "lignes, expected",
    [
        ([("250550", TOTAL, None)], Decimal("250550")),
        ([("2000", ANNUEL, 6)], Decimal("12000")),
        ([("15000", TOTAL, 6)], Decimal("15000")),
        ([("10000", TOTAL, None), ("2000", ANNUEL, 6), ("15000", TOTAL, 6)], Decimal("37000")),
        ([("1234.56", ANNUEL, 3), ("0.10", TOTAL, None)], Decimal("3703.78")),
        ([("99999999.99", ANNUEL, 99), ("0.01", TOTAL, 2)], Decimal("9899999999.02")),
    ],
)
def test_sql_total_equals_python_total(lignes, expected):
    fiche = FicheActionFactory()
    for montant, periodicite, annees in lignes:
        LigneBudgetFactory(
            fiche=fiche, montant=Decimal(montant), periodicite=periodicite, nombre_annees=annees
        )

    python_total = FicheAction.objects.get(pk=fiche.pk).budget_total
    sql_total = FicheAction.objects.with_budget_total().get(pk=fiche.pk).budget_total

    assert python_total == expected
    assert sql_total == expected


def test_sql_totals_do_not_mix_fiches():
    first, second, empty = FicheActionFactory.create_batch(3)
    LigneBudgetFactory(fiche=first, montant=Decimal("100"))
    LigneBudgetFactory(fiche=second, montant=Decimal("300"), periodicite=ANNUEL, nombre_annees=2)

    totals = {f.pk: f.budget_total for f in FicheAction.objects.with_budget_total()}

    assert totals == {first.pk: Decimal("100"), second.pk: Decimal("600"), empty.pk: None}


def test_validation_refuses_a_negative_amount_in_french():
    ligne = LigneBudget(fiche=FicheActionFactory(), montant=Decimal("-1"))

    with pytest.raises(ValidationError) as excinfo:
        ligne.full_clean()

    assert excinfo.value.message_dict == {"montant": ["Le montant ne peut pas être négatif."]}


@pytest.mark.parametrize("annees", [None, 0])
def test_validation_refuses_a_per_year_amount_without_years_in_french(annees):
    ligne = LigneBudget(
        fiche=FicheActionFactory(),
        montant=Decimal("2000"),
        periodicite=ANNUEL,
        nombre_annees=annees,
    )

    with pytest.raises(ValidationError) as excinfo:
        ligne.full_clean()

    assert (
        "Un montant par an demande un nombre d'années."
        in (excinfo.value.message_dict["nombre_annees"])
    )


def test_validation_accepts_a_total_amount_without_years():
    ligne = LigneBudget(fiche=FicheActionFactory(), montant=Decimal("15000"))

    ligne.full_clean()  # no exception: a one-off amount needs no duration


@pytest.mark.parametrize(
    "fields",
    [
        {"montant": Decimal("-1")},
        {"montant": Decimal("2000"), "periodicite": ANNUEL, "nombre_annees": None},
        {"montant": Decimal("2000"), "periodicite": ANNUEL, "nombre_annees": 0},
    ],
    ids=["negative", "per-year-without-years", "per-year-zero-years"],
)
def test_database_refuses_what_validation_refuses(fields):
    fiche = FicheActionFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        LigneBudget(fiche=fiche, **fields).save()  # save() alone skips full_clean()

    assert not LigneBudget.objects.filter(fiche=fiche).exists()


@pytest.mark.parametrize(
    "amount, expected",
    [
        (250550, f"250{NBSP}550{NBSP}€"),
        (Decimal("250550.00"), f"250{NBSP}550{NBSP}€"),
        (Decimal("1234.5"), f"1{NBSP}234,50{NBSP}€"),
        (Decimal("0.07"), f"0,07{NBSP}€"),
        (0, f"0{NBSP}€"),
        (999, f"999{NBSP}€"),
        (1_000_000, f"1{NBSP}000{NBSP}000{NBSP}€"),
        (Decimal("-1500"), f"-1{NBSP}500{NBSP}€"),
        (None, ""),
    ],
)
def test_format_euros(amount, expected):
    assert format_euros(amount) == expected
