"""The recap's column spec, and its totals and subtotals per enjeu, which the enjeu pages count
again in SQL: both readings must give the same numbers, on the seed and on generated data."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from actions.bilans import attach_bilans, enjeux_with_bilans, with_bilans
from actions.demo import demo_generate
from actions.models import FicheAction, Periodicite
from actions.recap import PDF_COLUMNS, RECAP_COLUMNS, RecapBilans, recap_rows
from actions.roles import REDACTEUR
from contrat.current import current_contrat
from enjeux.querysets import current_enjeux
from tests.factories import (
    EnjeuFactory,
    FicheActionFactory,
    LigneBudgetFactory,
    OrientationFactory,
    make_fiches,
    staff_user,
)

pytestmark = pytest.mark.django_db


def test_the_pdf_columns_fill_the_page_width_and_the_workbook_has_them_all():
    assert [c.label for c in PDF_COLUMNS] == ["Titre", "Descriptif", "Enjeu", "Budget", "Structure"]
    assert sum(c.pdf_share for c in PDF_COLUMNS) == 100
    assert all(c.pdf_chars > 0 for c in PDF_COLUMNS)
    assert set(PDF_COLUMNS) < set(RECAP_COLUMNS)
    assert len({c.key for c in RECAP_COLUMNS}) == len(RECAP_COLUMNS)


def seed():
    call_command("loaddata", "recap", verbosity=0)


def generated():
    """The demo generator's fiches (the recap's referential, random orientations, enjeux
    cited directly, 0 to 3 budget lines, yearly amounts)."""
    demo_generate(fiches=150, seed=20)


def factories():
    """make_fiches, plus the corners: two orientations of one enjeu, an enjeu cited directly
    and through an orientation, a 0 € budget, no budget, an orientation without enjeu, a
    draft."""
    fiches = make_fiches(3)
    contrat = fiches[0].contrat
    enjeu = EnjeuFactory(contrat=contrat)
    first, second = OrientationFactory(enjeu=enjeu), OrientationFactory(enjeu=enjeu)
    both = FicheActionFactory(contrat=contrat)
    both.orientations.add(first, second)
    LigneBudgetFactory(
        fiche=both, montant=Decimal("1500.50"), periodicite=Periodicite.ANNUEL, nombre_annees=3
    )
    twice = FicheActionFactory(contrat=contrat)
    twice.orientations.add(first)
    twice.enjeux.add(enjeu, fiches[0].orientations.get().enjeu)
    LigneBudgetFactory(fiche=twice, montant=Decimal("0"))
    FicheActionFactory(contrat=contrat).enjeux.add(enjeu)  # no budget
    FicheActionFactory(contrat=contrat).orientations.add(
        OrientationFactory(enjeu=None, numero=None)
    )
    draft = FicheActionFactory(contrat=contrat, etat="brouillon")
    draft.orientations.add(second)
    LigneBudgetFactory(fiche=draft, montant=Decimal("999"))


@pytest.mark.parametrize("data", [seed, generated, factories])
@pytest.mark.parametrize("reader", ["public", "editor"])
def test_recap_subtotals_per_enjeu_equal_the_enjeu_pages_bilans(data, reader):
    """The exports' subtotals (Python, over the recap's rows) and the pages' bilans (SQL: home
    and enjeux list, each enjeu's page, the list's total) count the same fiches and budgets."""
    data()
    user = AnonymousUser() if reader == "public" else staff_user(REDACTEUR)
    recap = RecapBilans()
    for row in recap_rows(FicheAction.objects.visible_to(user).for_listing().sorted_by()):
        recap.add(row)
    contrat = current_contrat()
    fiches = contrat.fiches.visible_to(user)

    enjeux, _orientations_sans_enjeu, total = enjeux_with_bilans(contrat, fiches)
    pages = {enjeu.pk: enjeu.bilan for enjeu in enjeux if enjeu.bilan.nombre}
    enjeu_pages = {
        enjeu.pk: attach_bilans(enjeu).bilan
        for enjeu in with_bilans(current_enjeux(), fiches)
        if enjeu.bilan_nombre
    }
    exports = {pk: bilan for pk, (_enjeu, bilan) in recap.by_enjeu.items()}

    assert exports == pages
    # The enjeu page does not count the fiches without budget (see contrat/bilan.py).
    assert {pk: (b.nombre, b.budget) for pk, b in exports.items()} == {
        pk: (b.nombre, b.budget) for pk, b in enjeu_pages.items()
    }
    assert recap.total == total == FicheAction.objects.visible_to(user).bilan()
    # The data reaches every case: several enjeux, fiches without budget and with one.
    assert len(exports) > 1
    assert recap.total.sans_budget and recap.total.avec_budget
    cited = recap.total.nombre - recap.sans_enjeu.nombre
    assert sum(bilan.nombre for bilan in exports.values()) > cited  # one counts in two enjeux
