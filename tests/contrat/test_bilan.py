"""A bilan of fiches: a fiche without budget is counted apart, never as 0 €."""

from decimal import Decimal

from contrat.bilan import Bilan


def test_a_fiche_without_budget_is_counted_apart_and_the_budget_stays_none_until_one_has_one():
    bilan = Bilan()
    bilan.add(None)
    assert bilan == Bilan(nombre=1, budget=None, sans_budget=1)
    assert bilan.avec_budget == 0

    bilan.add(Decimal("0"))  # a budget of 0 € is a budget
    bilan.add(Decimal("250550"))
    assert bilan == Bilan(nombre=3, budget=Decimal("250550"), sans_budget=1)
    assert bilan.avec_budget == 2


def test_bilans_of_disjoint_fiches_add_up():
    some = Bilan(nombre=2, budget=Decimal("100.50"), sans_budget=1)
    none = Bilan(nombre=1, budget=None, sans_budget=1)

    assert some + none == Bilan(nombre=3, budget=Decimal("100.50"), sans_budget=2)
    assert none + none == Bilan(nombre=2, budget=None, sans_budget=2)
    assert some + some == Bilan(nombre=4, budget=Decimal("201"), sans_budget=2)
    assert Bilan() + Bilan() == Bilan()
    # A reading that did not count the fiches without budget says so, and so does a sum.
    uncounted = Bilan(nombre=3, budget=Decimal("10"), sans_budget=None)
    assert uncounted.avec_budget is None
    assert (some + uncounted).sans_budget is None


def test_a_sql_row_reads_back_as_a_bilan():
    row = {"x_nombre": 4, "x_budget": Decimal("12000.00"), "x_sans_budget": 1}
    assert Bilan.from_row(row, prefix="x_") == Bilan(4, Decimal("12000"), 1)
    # The aggregates of no fiche at all.
    assert Bilan.from_row({"nombre": None, "budget": None, "sans_budget": None}) == Bilan()
