"""The admin's forms fit a 1,366 × 768 laptop screen: no sideways scrolling, every field in view."""

import datetime
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from actions.models import (
    Etape,
    FicheAction,
    Indicateur,
    LigneBudget,
    LigneFinancement,
    PointAvancement,
    Role,
)
from actions.roles import CONTRIBUTEUR
from structures.models import Structure
from tests.factories import ContactFactory, staff_user

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
PADESS = "le-padess-en-sambre-avesnois"
PASSWORD = "mot-de-passe-solide"
LONG_NOTE = (
    "Montant prévisionnel à confirmer par le comité de pilotage, hors valorisation du temps "
    "des bénévoles et des mises à disposition de locaux par les communes partenaires."
)
BUDGET_ROWS = "#lignes_budget-group .dynamic-lignes_budget"
FIELDS = "input:not([type=hidden]), select, textarea, .select2-selection"


def log_in(page, site, username):
    page.set_viewport_size(LAPTOP)
    page.goto(f"{site}/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(f"{site}/admin/")


def overflow(page) -> int:
    """How far the page scrolls sideways, in CSS pixels (0: it fits)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def fields_off_screen(page) -> list[str]:
    """The form's fields whose box is not wholly within the screen's width."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter((element) => element.offsetParent !== null)  // displayed
            .filter((element) => {
              const box = element.getBoundingClientRect();
              return box.left < 0 || box.right > document.documentElement.clientWidth;
            })
            .map((element) => element.name || element.id || element.className)""",
        FIELDS,
    )


def assert_fits(page, name):
    page.wait_for_load_state("networkidle")  # select2 has drawn the autocompletes
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"], name
    assert overflow(page) <= 0, f"{name} : la page défile de {overflow(page)} px vers la droite"
    assert fields_off_screen(page) == [], f"{name} : champs hors de l'écran"


def assert_budget_rows_in_view(page, count, *, deletable=True):
    """Each budget line's financer and its "Supprimer" box: where the eye and the mouse go."""
    rows = page.locator(BUDGET_ROWS)
    expect(rows).to_have_count(count)
    for index in range(count):
        row = rows.nth(index)
        fields = [row.locator(".field-financeur .select2-selection")]
        if deletable:
            fields.append(row.locator("input[name$=DELETE]"))
        for field in fields:
            box = field.bounding_box()
            assert box is not None and box["x"] >= 0, index
            assert box["x"] + box["width"] <= LAPTOP["width"], index


@pytest.fixture
def padess(site):
    """The PADESS fiche (25 sub-actions), with a second budget line carrying a long note and
    a financing line filled in to its last column."""
    fiche = FicheAction.objects.get(slug=PADESS)
    financeur = Structure.objects.order_by("nom").first()
    LigneBudget.objects.create(
        fiche=fiche,
        montant=Decimal("12500"),
        periodicite=fiche.lignes_budget.first().periodicite,
        nature="Fonctionnement",
        financeur=financeur,
        note=LONG_NOTE,
        ordre=2,
    )
    LigneFinancement.objects.create(
        fiche=fiche,
        financeur=financeur,
        annee=min(fiche.contrat.annees, default=2025),
        prevu=Decimal("125000"),
        accorde=Decimal("100000"),
        verse=Decimal("50000"),
        date_decision=datetime.date(2024, 12, 15),
        reference_decision="Délibération 2024-512",
        note=LONG_NOTE,
    )
    # The follow-up's inlines (actions/admin/suivi.py): a long comment, an indicator, a step.
    PointAvancement.objects.create(
        fiche=fiche,
        date=datetime.date(2025, 9, 30),
        statut="en_cours",
        avancement=40,
        commentaire=LONG_NOTE,
    )
    Indicateur.objects.create(
        fiche=fiche,
        nom="Structures de l'économie sociale et solidaire accompagnées chaque année",
        unite="structures",
        valeur_reference=Decimal(12),
        annee_reference=2024,
        valeur_cible=Decimal(40),
        annee_cible=2029,
    )
    Etape.objects.create(
        fiche=fiche, titre="Convention signée avec les partenaires", date_prevue="2025-06-30"
    )
    return fiche


def test_a_fiche_fits_a_laptop_screen_for_an_editor(page, site, padess, screenshot):
    get_user_model().objects.create_superuser("cg59", "cg59@example.fr", PASSWORD)
    log_in(page, site, "cg59")

    page.goto(f"{site}/admin/actions/ficheaction/{padess.pk}/change/")
    assert_budget_rows_in_view(page, 2)
    assert_fits(page, "fiche")
    expect(page.locator("#id_lignes_budget-1-note")).to_have_value(LONG_NOTE)
    expect(page.locator("#id_points_avancement-0-commentaire")).to_have_value(LONG_NOTE)
    expect(page.locator("#id_indicateurs-0-valeur_cible")).to_be_visible()
    expect(page.locator("#id_etapes-0-date_realisation")).to_be_visible()
    screenshot(page, "admin-fiche")

    page.goto(f"{site}/admin/actions/ficheaction/add/")
    assert_budget_rows_in_view(page, 1, deletable=False)  # a blank line: nothing to delete
    assert_fits(page, "nouvelle fiche")

    structure = Structure.objects.get(participations__fiche=padess, participations__ordre=1)
    for nom in ("Camille Dupont-Lefebvre", "Dominique Martin"):
        ContactFactory(
            structure=structure,
            nom=nom,
            fonction="Chargée de mission économie sociale et solidaire",
            email=f"{nom.split()[0].lower()}.contact@exemple-de-structure.fr",
        )
    page.goto(f"{site}/admin/structures/structure/{structure.pk}/change/")
    expect(page.locator("#contacts-group tr.dynamic-contacts")).to_have_count(2)
    assert_fits(page, "structure et ses contacts")
    screenshot(page, "admin-structure")


def test_a_fiche_fits_a_laptop_screen_for_its_contributor(page, site, padess, screenshot):
    porteur = padess.participations.get(role=Role.PORTEUR).structure
    staff_user(CONTRIBUTEUR, structures=[porteur], username="pole-ess", password=PASSWORD)
    log_in(page, site, "pole-ess")

    page.goto(f"{site}/admin/actions/ficheaction/{padess.pk}/change/")
    expect(page.locator("input[name=_save]")).to_be_visible()  # its own fiche: editable
    # Its fields the editors keep are read-only text; deleting a row is theirs too.
    assert_budget_rows_in_view(page, 2, deletable=False)
    assert_fits(page, "fiche du contributeur")
    expect(page.locator("#id_points_avancement-0-commentaire")).to_be_editable()
    screenshot(page, "admin-fiche-contributeur")


def test_axe_finds_no_violation_in_the_stacked_budget_lines(page, site, padess):
    """Scoped to the stacked inlines (budget lines, progress notes, indicators), the layout
    this file changed. The tables of Django's tabular
    inlines (participations, sub-actions) have no label per cell, which axe reports, and
    select2 leaves an empty autocomplete without a name (aria-input-field-name): both are
    Django's admin, not ours."""
    get_user_model().objects.create_superuser("cg59", "cg59@example.fr", PASSWORD)
    log_in(page, site, "cg59")
    page.goto(f"{site}/admin/actions/ficheaction/{padess.pk}/change/")
    page.wait_for_load_state("networkidle")
    options = {
        "resultTypes": ["violations"],
        "rules": {"aria-input-field-name": {"enabled": False}},
    }
    for group in ("#lignes_budget-group", "#points_avancement-group", "#indicateurs-group"):
        results = Axe().run(page, context=group, options=options)
        assert results.violations_count == 0, f"{group}\n{results.generate_report()}"
