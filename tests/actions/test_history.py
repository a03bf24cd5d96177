"""Change history: every save keeps a version with its author, the admin shows the differences
in French, restores an earlier version, and brings a deleted fiche back."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from actions import services
from actions.models import FicheAction, LigneBudget, Participation, Role, SousAction
from actions.resources import FicheActionResource
from actions.roles import CONTRIBUTEUR, REDACTEUR
from contrat.spreadsheets import CSV
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Contact, Structure
from tests.conftest import page_text
from tests.factories import (
    ContactFactory,
    FicheActionFactory,
    LigneBudgetFactory,
    OrientationFactory,
    ParticipationFactory,
    SousActionFactory,
    StructureFactory,
    admin_form_data,
    staff_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def redacteur():
    return staff_user(REDACTEUR, username="rdacteur", first_name="Rémi", last_name="Dacteur")


def change_url(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def history_url(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[obj.pk])


def edit(client, obj, **changes):
    data = admin_form_data(client.get(change_url(obj)))
    data.update(changes)
    response = client.post(change_url(obj), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def test_an_admin_save_keeps_a_version_with_its_author_shown_in_french(client, redacteur):
    fiche = FicheActionFactory(titre="Ancien titre", statut="proposee")
    client.force_login(redacteur)

    edit(client, fiche, titre="Nouveau titre", statut="en_cours")

    latest = fiche.history.first()
    assert (latest.history_type, latest.history_user, latest.titre) == (
        "~",
        redacteur,
        "Nouveau titre",
    )
    page = page_text(client.get(history_url(fiche)))
    assert "Rémi Dacteur (rdacteur)" in page
    assert "Titre : Ancien titre → Nouveau titre" in re.sub(r"</?(del|ins|strong)>", "", page)
    assert "Proposée" in page and "En cours" in page  # labels, not codes
    assert "Modifiée le :" not in page  # saved every time, says nothing


def test_the_rows_of_a_fiche_keep_versions_shown_on_the_fiches_history(client, redacteur):
    fiche = FicheActionFactory()
    client.force_login(redacteur)
    data = admin_form_data(client.get(change_url(fiche)))
    data.update(
        {
            "lignes_budget-TOTAL_FORMS": "1",
            "lignes_budget-0-montant": "12000",
            "lignes_budget-0-periodicite": "total",
            "lignes_budget-0-ordre": "0",
        }
    )

    client.post(change_url(fiche), data)

    ligne = LigneBudget.objects.get(fiche=fiche)
    assert ligne.history.get().history_user == redacteur
    page = page_text(client.get(history_url(fiche)))
    assert "Participations, lignes de budget, de financement et sous-actions de la fiche" in page
    assert "Ligne de budget : 12" in page  # its amount, the French way
    assert "Ajout" in page


@pytest.mark.parametrize(
    ("factory", "field", "value"),
    [
        (StructureFactory, "description", "Une association du Quercitain."),
        (ContactFactory, "fonction", "Chargée de mission"),
        (lambda: Contrat.objects.create(nom="C", slug="c", territoire="T"), "periode", "2026"),
        (lambda: OrientationFactory().enjeu, "description", "Développer l'ESS."),
        (OrientationFactory, "libelles_cites", "Soutenir l'ESS"),
    ],
    ids=["structure", "contact", "contrat", "enjeu", "orientation"],
)
def test_structures_and_the_referential_keep_versions_with_their_author(
    client, redacteur, factory, field, value
):
    obj = factory()
    client.force_login(redacteur)

    edit(client, obj, **{field: value})

    latest = type(obj).history.filter(id=obj.pk).first()
    assert (latest.history_user, getattr(latest, field)) == (redacteur, value)
    assert redacteur.username in page_text(client.get(history_url(obj)))


def test_history_models_cover_what_the_issue_lists():
    for model in (FicheAction, LigneBudget, Participation, SousAction, Structure, Contact):
        assert hasattr(model, "history"), model
    for model in (Contrat, Enjeu, Orientation):
        assert hasattr(model, "history"), model


# --- Comparing two versions ----------------------------------------------------------------------


def test_two_versions_compared_field_by_field(client, redacteur):
    fiche = FicheActionFactory(titre="Version un", descriptif="Ligne A\nLigne B")
    client.force_login(redacteur)
    edit(client, fiche, titre="Version deux", descriptif="Ligne A\nLigne C")
    edit(client, fiche, titre="Version trois")
    first, last = fiche.history.last(), fiche.history.first()
    compare = reverse("admin:actions_ficheaction_history_compare", args=[fiche.pk])

    page = page_text(client.get(compare, {"de": first.history_id, "a": last.history_id}))

    assert "Différences entre deux versions" in page
    assert "<del>Version un</del>" in page
    assert "<ins>Version trois</ins>" in page
    assert "<del>Ligne B</del>" in page and "<ins>Ligne C</ins>" in page
    assert "Rémi Dacteur (rdacteur)" in page


@pytest.mark.parametrize(
    "params", [{}, {"de": "x", "a": "1"}, {"de": "1", "a": "1"}, {"de": "999999", "a": "1"}]
)
def test_a_bad_comparison_request_says_so_in_french(client, redacteur, params):
    fiche = FicheActionFactory()
    client.force_login(redacteur)
    compare = reverse("admin:actions_ficheaction_history_compare", args=[fiche.pk])

    response = client.get(compare, params, follow=True)

    assert response.status_code == 200
    assert "Choisissez" in page_text(response)


def test_a_contributor_sees_no_history_of_another_structures_fiche(client):
    client.force_login(staff_user(CONTRIBUTEUR, structures=[StructureFactory()]))
    other = FicheActionFactory()

    assert client.get(history_url(other)).status_code == 403


# --- Restoring an earlier version ----------------------------------------------------------------


def test_an_earlier_version_is_restored_with_its_orientations(client, redacteur):
    ancienne, nouvelle = OrientationFactory(), OrientationFactory()
    fiche = FicheActionFactory(titre="Le bon titre")
    fiche.orientations.set([ancienne])
    client.force_login(redacteur)
    edit(client, fiche, titre="Un titre erroné", orientations=[str(nouvelle.pk)])
    good = fiche.history.filter(titre="Le bon titre").first()
    version_url = reverse("admin:actions_ficheaction_simple_history", args=[fiche.pk, good.pk])

    page = client.get(version_url)
    shown = page_text(page)
    assert "Le bon titre" in shown and str(ancienne) in shown
    assert "Restaurer cette version" in shown
    client.post(version_url, admin_form_data(page))

    fiche.refresh_from_db()
    assert fiche.titre == "Le bon titre"
    assert list(fiche.orientations.all()) == [ancienne]
    assert fiche.history.first().history_user == redacteur


# --- Restoring a deleted fiche -------------------------------------------------------------------


def test_a_deleted_fiche_comes_back_with_its_rows(client, redacteur):
    orientation = OrientationFactory()
    structure = StructureFactory(nom="Les sens du goût")
    fiche = FicheActionFactory(titre="Maison de l'alimentation")
    fiche.orientations.set([orientation])
    ParticipationFactory(fiche=fiche, structure=structure, role=Role.PORTEUR)
    LigneBudgetFactory(fiche=fiche, montant=Decimal("15000"))
    parent = SousActionFactory(fiche=fiche, titre="Axe 1")
    SousActionFactory(fiche=fiche, titre="Action 1.1", parent=parent)
    client.force_login(redacteur)
    edit(client, fiche, descriptif="Dernière version avant suppression.")
    client.post(reverse("admin:actions_ficheaction_delete", args=[fiche.pk]), {"post": "yes"})
    assert not FicheAction.objects.filter(pk=fiche.pk).exists()

    deleted = page_text(client.get(reverse("admin:actions_ficheaction_deleted")))
    assert "Maison de l'alimentation" in deleted
    assert "Rémi Dacteur (rdacteur)" in deleted
    assert "Fiches supprimées" in page_text(
        client.get(reverse("admin:actions_ficheaction_changelist"))
    )
    response = client.post(
        reverse("admin:actions_ficheaction_restore", args=[fiche.pk]), follow=True
    )

    assert "Fiche « Maison de l'alimentation » restaurée, avec 4 ligne(s)" in page_text(response)
    fiche = FicheAction.objects.get(pk=fiche.pk)
    assert fiche.descriptif == "Dernière version avant suppression."
    assert list(fiche.orientations.all()) == [orientation]
    assert [p.structure for p in fiche.participations.all()] == [structure]
    assert fiche.budget_total == 15000
    enfant = SousAction.objects.get(titre="Action 1.1")
    assert enfant.parent.titre == "Axe 1"
    assert "Aucune fiche supprimée." in page_text(
        client.get(reverse("admin:actions_ficheaction_deleted"))
    )


def test_restoring_twice_or_an_unknown_fiche_is_refused_in_french(client, redacteur):
    fiche = FicheActionFactory()
    client.force_login(redacteur)
    restore = reverse("admin:actions_ficheaction_restore", args=[fiche.pk])

    response = client.post(restore, follow=True)
    assert "Cette fiche existe toujours" in page_text(response)
    response = client.post(reverse("admin:actions_ficheaction_restore", args=[999999]), follow=True)
    assert "Aucune fiche supprimée ne porte ce numéro." in page_text(response)
    assert client.get(restore).status_code == 405


def test_a_contributor_cannot_restore_a_deleted_fiche(client, redacteur):
    fiche = FicheActionFactory(titre="Supprimée")
    fiche_id = fiche.pk
    fiche._history_user = redacteur
    fiche.delete()
    client.force_login(staff_user(CONTRIBUTEUR, structures=[StructureFactory()]))

    page = page_text(client.get(reverse("admin:actions_ficheaction_deleted")))
    response = client.post(
        reverse("admin:actions_ficheaction_restore", args=[fiche_id]), follow=True
    )

    assert "Restaurer" not in page
    assert "Seuls les rédacteurs du CG59 peuvent restaurer" in page_text(response)
    assert not FicheAction.objects.filter(pk=fiche_id).exists()


# --- Loading the recap -------------------------------------------------------------------------


def test_seeding_the_recap_gives_every_row_one_whole_first_version(client, redacteur):
    assert services.recap_seed() is True

    assert FicheAction.history.filter(history_type="+").count() == 29
    assert FicheAction.history.count() == 29  # no half version left by loaddata's links
    assert Structure.history.count() == Structure.objects.count()
    assert Participation.history.count() == Participation.objects.count()
    fiche = FicheAction.objects.get(titre="Maison de l’alimentation")
    baseline = fiche.history.get()
    assert baseline.history_change_reason == "Chargement de la récapitulation"
    assert {r.orientation_id for r in baseline.orientations.all()} == set(
        fiche.orientations.values_list("pk", flat=True)
    )
    client.force_login(redacteur)
    edit(client, fiche, titre="Maison de l’alimentation durable")
    page = page_text(client.get(history_url(fiche)))
    assert "Maison de l’alimentation durable" in page
    assert "Orientations :" not in page  # the first version knew them: no false change


def test_a_forced_reload_adds_one_version_per_row_and_keeps_the_older_ones():
    services.recap_seed()
    FicheAction.objects.filter(pk=7).update(titre="Changé à la main")

    assert services.recap_seed(force=True) is True

    fiche = FicheAction.objects.get(pk=7)
    assert [r.history_type for r in fiche.history.all()] == ["~", "+"]
    assert fiche.history.first().titre == fiche.titre == "Maison de l’alimentation"


def test_a_browser_sending_a_text_back_with_crlf_changes_nothing(client, redacteur):
    fiche = FicheActionFactory(descriptif="Ligne A\nLigne B")
    client.force_login(redacteur)

    edit(client, fiche, descriptif="Ligne A\r\nLigne B")

    fiche.refresh_from_db()
    assert fiche.descriptif == "Ligne A\nLigne B"
    assert "Descriptif :" not in page_text(client.get(history_url(fiche)))


def test_a_contributor_restoring_an_old_version_takes_the_fiche_off_the_portal(client, redacteur):
    structure = StructureFactory()
    fiche = FicheActionFactory(titre="Titre validé", etat="publiee")
    ParticipationFactory(fiche=fiche, structure=structure, role=Role.PORTEUR)
    fiche.titre = "Ancien titre non validé"
    fiche.save()
    fiche.titre = "Titre validé"
    fiche.save()
    old = fiche.history.filter(titre="Ancien titre non validé").get()
    client.force_login(staff_user(CONTRIBUTEUR, structures=[structure]))
    version_url = reverse("admin:actions_ficheaction_simple_history", args=[fiche.pk, old.pk])

    response = client.post(version_url, admin_form_data(client.get(version_url)), follow=True)

    assert "vos modifications la repassent en brouillon" in page_text(response)
    fiche.refresh_from_db()
    assert (fiche.titre, fiche.etat) == ("Ancien titre non validé", "brouillon")


def test_an_import_writes_one_version_per_fiche_with_its_author_and_links(redacteur):
    orientation = OrientationFactory()
    structure = StructureFactory(slug="les-sens-du-gout")
    existing = FicheActionFactory(slug="maison", titre="Maison")
    code = orientation.code
    rows = (
        "slug;titre;orientations;lignes_budget;structures\r\n"
        f"maison;Maison de l'alimentation;{code};15000;Porteur : les-sens-du-gout\r\n"
        f"nouvelle;Une nouvelle fiche;{code};2000;Porteur : les-sens-du-gout\r\n"
    )
    resource = FicheActionResource()

    preview = resource.import_data(CSV().create_dataset(rows), dry_run=True, user=redacteur)
    result = FicheActionResource().import_data(CSV().create_dataset(rows), user=redacteur)

    assert not preview.has_validation_errors() and not result.has_validation_errors()
    nouvelle = FicheAction.objects.get(slug="nouvelle")
    [creation] = nouvelle.history.all()
    assert (creation.history_type, creation.history_user) == ("+", redacteur)
    assert [r.orientation_id for r in creation.orientations.all()] == [orientation.pk]
    assert [r.history_type for r in existing.history.all()] == ["~", "+"]
    assert existing.history.first().history_user == redacteur
    assert existing.history.first().titre == "Maison de l'alimentation"
    assert LigneBudget.history.filter(fiche_id=nouvelle.pk, history_user=redacteur).count() == 1
    assert Participation.history.get(fiche_id=nouvelle.pk).structure_id == structure.pk


@pytest.mark.parametrize("model", ["actions_ficheaction", "structures_structure"])
def test_import_export_buttons_and_the_history_button_all_show(admin_client, model):
    obj = FicheActionFactory() if model == "actions_ficheaction" else StructureFactory()

    changelist = admin_client.get(reverse(f"admin:{model}_changelist")).content.decode()
    change = admin_client.get(reverse(f"admin:{model}_change", args=[obj.pk])).content.decode()

    assert f"href='{reverse(f'admin:{model}_import')}' class=\"import_link\"" in changelist
    assert f'href="{reverse(f"admin:{model}_export")}?" class="export_link"' in changelist
    assert f'href="{reverse(f"admin:{model}_history", args=[obj.pk])}"' in change
