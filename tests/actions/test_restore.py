"""Restoring a version of a fiche brings it back whole, with its participations, budget lines and
sub-actions as they were then; comparing two versions shows their rows' differences too."""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from actions import services
from actions.models import FicheAction, LigneBudget, Participation, Role, SousAction
from actions.roles import REDACTEUR
from contrat.formats import NBSP, format_euros
from tests.factories import (
    FicheActionFactory,
    LigneBudgetFactory,
    LigneFinancementFactory,
    ParticipationFactory,
    SousActionFactory,
    StructureFactory,
    admin_form_data,
    staff_user,
)

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode())).replace(NBSP, " ")


def words(response) -> str:
    """The page's text without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text(response)))


def euros(amount) -> str:
    return format_euros(Decimal(amount)).replace(NBSP, " ")


@pytest.fixture
def redacteur():
    return staff_user(REDACTEUR, username="rdacteur", first_name="Rémi", last_name="Dacteur")


def change_url(fiche):
    return reverse("admin:actions_ficheaction_change", args=[fiche.pk])


def version_url(fiche, record):
    return reverse("admin:actions_ficheaction_simple_history", args=[fiche.pk, record.pk])


def inline_index(data: dict, prefix: str, pk) -> str:
    """The number of the inline form showing row `pk` in the admin form's data."""
    return next(
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith(f"{prefix}-") and key.endswith("-id") and value == str(pk)
    )


def inline_add(data: dict, prefix: str, **fields) -> None:
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    for name, value in fields.items():
        data[f"{prefix}-{index}-{name}"] = value


@pytest.fixture
def fiche():
    """A fiche with two budget lines (30 000 € and 5 000 €), a porteur and two sub-actions."""
    fiche = FicheActionFactory(titre="Maison de l'alimentation", descriptif="Le texte d'origine.")
    ParticipationFactory(fiche=fiche, structure=StructureFactory(nom="Les sens du goût"))
    LigneBudgetFactory(fiche=fiche, montant=Decimal("30000"), ordre=1, note="Phase 1")
    LigneBudgetFactory(fiche=fiche, montant=Decimal("5000"), ordre=2, note="Phase 2")
    axe = SousActionFactory(fiche=fiche, titre="Axe 1", ordre=1)
    SousActionFactory(fiche=fiche, titre="Action 1.1", parent=axe, ordre=2)
    return fiche


def edit_everything(client, fiche):
    """One save of the fiche's form: a new title, the first line at 45 000 €, the second line
    and the sub-action 1.1 deleted, a line and a partner added, the axis renamed."""
    data = admin_form_data(client.get(change_url(fiche)))
    premiere = fiche.lignes_budget.get(note="Phase 1")
    seconde = fiche.lignes_budget.get(note="Phase 2")
    data["titre"] = "Maison de l'alimentation durable"
    data[f"lignes_budget-{inline_index(data, 'lignes_budget', premiere.pk)}-montant"] = "45000"
    data[f"lignes_budget-{inline_index(data, 'lignes_budget', seconde.pk)}-DELETE"] = "on"
    inline_add(data, "lignes_budget", montant="2000", periodicite="total", ordre="3", note="Ajout")
    inline_add(
        data,
        "participations",
        structure=str(StructureFactory(nom="ADUS").pk),
        role=Role.PARTENAIRE,
        ordre="2",
    )
    axe = fiche.sous_actions.get(titre="Axe 1")
    enfant = fiche.sous_actions.get(titre="Action 1.1")
    data[f"sous_actions-{inline_index(data, 'sous_actions', axe.pk)}-titre"] = "Axe un"
    data[f"sous_actions-{inline_index(data, 'sous_actions', enfant.pk)}-DELETE"] = "on"
    response = client.post(change_url(fiche), data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_a_restored_version_brings_its_title_and_its_rows_back_together(client, redacteur, fiche):
    lignes_avant = dict(fiche.lignes_budget.values_list("pk", "montant"))
    sous_actions_avant = set(fiche.sous_actions.values_list("pk", "titre", "parent_id"))
    participations_avant = set(fiche.participations.values_list("pk", flat=True))
    before = fiche.history.first()  # the version before the edit
    client.force_login(redacteur)
    edit_everything(client, fiche)
    assert FicheAction.objects.get(pk=fiche.pk).budget_total == Decimal("47000")

    page = client.get(version_url(fiche, before))
    shown = words(page)
    assert "Maison de l'alimentation" in shown
    assert f"Total du budget à cette version : {euros(35000)}" in shown  # then, not today
    assert "Action 1.1" in shown and "Restaurer cette version" in shown
    response = client.post(version_url(fiche, before), admin_form_data(page), follow=True)

    assert "restaurée telle qu'elle était" in text(response)
    fiche = FicheAction.objects.get(pk=fiche.pk)
    assert fiche.titre == "Maison de l'alimentation"
    assert dict(fiche.lignes_budget.values_list("pk", "montant")) == lignes_avant
    assert fiche.budget_total == Decimal("35000")
    assert not LigneBudget.objects.filter(note="Ajout").exists()  # added since: removed
    assert set(fiche.participations.values_list("pk", flat=True)) == participations_avant
    assert set(fiche.sous_actions.values_list("pk", "titre", "parent_id")) == sous_actions_avant
    restored = fiche.history.first()
    assert (restored.history_type, restored.history_user) == ("~", redacteur)
    reason = restored.history_change_reason.replace(NBSP, " ")
    assert reason.startswith("Restauration de la version du ")
    assert ", enregistrée par inconnu (chargement de données" in reason  # the factory
    assert "Titre" in reason
    assert f"ligne de budget « {euros(45000)} » modifiée" in reason
    assert f"ligne de budget « {euros(5000)} » ajoutée" in reason  # deleted since: back
    assert f"ligne de budget « {euros(2000)} » supprimée" in reason
    assert "participation « ADUS — Partenaire » supprimée" in reason
    assert LigneBudget.history.filter(history_user=redacteur, note="Phase 2").first()


def test_the_version_page_says_what_a_restore_would_change_and_what_stays(client, redacteur, fiche):
    before = fiche.history.first()
    client.force_login(redacteur)
    edit_everything(client, fiche)

    page = words(client.get(version_url(fiche, before)))

    assert "Ce que la restauration changerait" in page
    montant = f"Montant (€) {euros(45000)} → {euros(30000)}"
    assert f"Ligne de budget « {euros(45000)} » : {montant}" in page
    assert f"Ligne de budget « {euros(5000)} » : revient" in page
    assert "Ce qui reste tel qu'aujourd'hui" in page
    assert "État de publication : Publiée" in page
    assert FicheAction.objects.get(pk=fiche.pk).titre == "Maison de l'alimentation durable"


def test_the_restore_claims_the_version_and_leaves_the_publication_state(redacteur, fiche):
    before = fiche.history.first()
    fiche.titre = "Un autre titre"
    fiche.etat = "archivee"
    fiche.version = 2
    fiche.save()
    fiche.lignes_budget.filter(note="Phase 1").update(montant=1)

    result = services.fiche_restore_version(fiche=fiche, record=before, user=redacteur)

    fiche.refresh_from_db()
    assert (fiche.titre, fiche.etat, fiche.version) == ("Maison de l'alimentation", "archivee", 3)
    assert fiche.budget_total == Decimal("35000")
    assert result.reason.startswith("Restauration de la version du ")
    with pytest.raises(services.StaleFicheError):  # a page opened before the restore
        services.fiche_restore_version(fiche=fiche, record=before, user=redacteur, expected=2)


def test_a_form_opened_before_a_restore_is_refused(client, redacteur, fiche):
    before = fiche.history.first()
    client.force_login(redacteur)
    edit_everything(client, fiche)
    fiche.refresh_from_db()
    alice = staff_user(REDACTEUR, username="alice")
    client.force_login(alice)
    form = admin_form_data(client.get(change_url(fiche)))
    client.force_login(redacteur)
    page = client.get(version_url(fiche, before))
    client.post(version_url(fiche, before), admin_form_data(page))

    client.force_login(alice)
    form["descriptif"] = "Trop tard."
    response = client.post(change_url(fiche), form)

    page = text(response)
    assert "modifiée par quelqu'un d'autre" in page
    assert "(rdacteur) a modifié Titre" in page
    assert f"(rdacteur) a ajouté la ligne de budget « {euros(5000)} »" in page
    assert FicheAction.objects.get(pk=fiche.pk).descriptif == "Le texte d'origine."


def test_a_fiche_loaded_without_history_can_be_brought_back_after_its_first_edit(
    client, redacteur, recap
):
    """The tests' recap is a plain loaddata: no version at all before the first edit."""
    fiche = FicheAction.objects.get(titre="Maison de l’alimentation")
    assert not fiche.history.exists()
    lignes_avant = dict(fiche.lignes_budget.values_list("pk", "montant"))
    client.force_login(redacteur)
    data = admin_form_data(client.get(change_url(fiche)))
    data["titre"] = "Maison de l’alimentation durable"
    first = next(iter(lignes_avant))
    data[f"lignes_budget-{inline_index(data, 'lignes_budget', first)}-montant"] = "1"
    assert client.post(change_url(fiche), data).status_code == 302

    baseline = fiche.history.last()
    assert baseline.history_change_reason == services.BASELINE_REASON
    assert baseline.history_user is None
    page = client.get(version_url(fiche, baseline))
    client.post(version_url(fiche, baseline), admin_form_data(page))

    fiche.refresh_from_db()
    assert fiche.titre == "Maison de l’alimentation"
    assert dict(fiche.lignes_budget.values_list("pk", "montant")) == lignes_avant


def test_an_import_gives_the_sub_actions_it_finds_without_history_a_first_version(redacteur):
    fiche = FicheActionFactory(slug="maison")
    SousAction.objects.bulk_create([SousAction(fiche=fiche, titre="Chargée sans version")])
    Participation.objects.bulk_create(
        [Participation(fiche=fiche, structure=StructureFactory(), role=Role.PORTEUR)]
    )

    services.history_record_import(fiches=[fiche], user=redacteur)

    assert SousAction.history.filter(fiche_id=fiche.pk).count() == 1
    assert Participation.history.filter(fiche_id=fiche.pk).count() == 1


# --- Comparing two versions --------------------------------------------------------------------


def test_the_comparison_shows_the_rows_differences_with_old_and_new_values(
    client, redacteur, fiche
):
    before = fiche.history.first()
    client.force_login(redacteur)
    edit_everything(client, fiche)
    after = fiche.history.first()
    compare = reverse("admin:actions_ficheaction_history_compare", args=[fiche.pk])

    page = text(client.get(compare, {"de": before.history_id, "a": after.history_id}))

    assert "Participations, lignes de budget, de financement et sous-actions" in page
    assert (
        f'<th scope="row">Ligne de budget « {euros(30000)} » : Montant (€)</th> '
        f"<td><del>{euros(30000)}</del></td> <td><ins>{euros(45000)}</ins></td>"
    ) in page
    assert f"Ligne de budget supprimée</th><td><del>{euros(5000)}</del></td>" in page
    assert f"Ligne de budget ajoutée</th><td>(absente)</td><td><ins>{euros(2000)}</ins>" in page
    assert "Participation ajoutée</th><td>(absente)</td><td><ins>ADUS — Partenaire</ins>" in page
    assert "<del>Axe 1</del>" in page and "<ins>Axe un</ins>" in page


# --- Financing lines come back with the fiche -----------------------------------------------


def test_a_restore_brings_the_financing_lines_of_then_back(client, redacteur, fiche):
    financeur = StructureFactory(nom="Département du Nord", sigle="CG59")
    ligne = LigneFinancementFactory(fiche=fiche, financeur=financeur, annee=2025, prevu=10000)
    before = fiche.history.first()
    client.force_login(redacteur)
    data = admin_form_data(client.get(change_url(fiche)))
    data[f"lignes_financement-{inline_index(data, 'lignes_financement', ligne.pk)}-prevu"] = "12000"
    inline_add(
        data,
        "lignes_financement",
        financeur=str(financeur.pk),
        annee="2026",
        nature="fonctionnement",
        prevu="8000",
        verse="0",
    )
    response = client.post(change_url(fiche), data)
    assert response.status_code == 302, response.context["errors"]
    assert fiche.lignes_financement.count() == 2

    page = client.get(version_url(fiche, before))
    assert "Ligne de financement" in words(page)
    client.post(version_url(fiche, before), admin_form_data(page))

    assert list(fiche.lignes_financement.values_list("pk", "annee", "prevu")) == [
        (ligne.pk, 2025, Decimal("10000"))
    ]
    reason = fiche.history.first().history_change_reason.replace(NBSP, " ")
    assert "ligne de financement « CG59 — 2026 — fonctionnement" in reason


def test_a_financing_line_outside_todays_period_stays_out_with_a_note(client, redacteur, fiche):
    financeur = StructureFactory(nom="Région Hauts-de-France")
    LigneFinancementFactory(fiche=fiche, financeur=financeur, annee=2020, prevu=5000)
    before = fiche.history.first()
    client.force_login(redacteur)
    data = admin_form_data(client.get(change_url(fiche)))
    index = inline_index(data, "lignes_financement", fiche.lignes_financement.get().pk)
    data[f"lignes_financement-{index}-DELETE"] = "on"
    data["titre"] = "Un titre de plus tard"
    assert client.post(change_url(fiche), data).status_code == 302
    contrat = fiche.contrat
    contrat.annee_debut, contrat.annee_fin = 2024, 2029
    contrat.save()

    page = client.get(version_url(fiche, before))
    assert "l'année 2020 est hors de la période du contrat (2024–2029)" in words(page)
    client.post(version_url(fiche, before), admin_form_data(page))

    fiche.refresh_from_db()
    assert fiche.titre == "Maison de l'alimentation"  # the rest came back
    assert not fiche.lignes_financement.exists()


def test_a_deleted_fiche_comes_back_with_its_financing_lines(redacteur, fiche):
    LigneFinancementFactory(fiche=fiche, annee=2025, prevu=10000, accorde=9000, verse=4000)
    pk = fiche.pk
    fiche.delete()

    services.fiche_restore(fiche_id=pk, user=redacteur)

    restored = FicheAction.objects.get(pk=pk)
    assert list(restored.lignes_financement.values_list("prevu", "accorde", "verse")) == [
        (Decimal("10000"), Decimal("9000"), Decimal("4000"))
    ]
