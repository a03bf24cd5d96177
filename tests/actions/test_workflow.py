"""The publication workflow: brouillon → en relecture → publiée → archivée, who may move a fiche,
what the public then sees, and the admin's buttons."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from actions import services
from actions.models import Etat, FicheAction, Role, TransitionFiche
from actions.roles import CONTRIBUTEUR, LECTEUR, REDACTEUR
from structures.models import Structure
from tests.conftest import page_text
from tests.factories import (
    FicheActionFactory,
    ParticipationFactory,
    StructureFactory,
    admin_form_data,
    staff_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def structure():
    return StructureFactory(nom="Les sens du goût")


@pytest.fixture
def contributeur(structure):
    return staff_user(CONTRIBUTEUR, username="contributrice", structures=[structure])


@pytest.fixture
def redacteur():
    return staff_user(REDACTEUR, username="redacteur")


def fiche_of(structure, etat=Etat.BROUILLON, role=Role.PORTEUR, **kwargs):
    fiche = FicheActionFactory(etat=etat, **kwargs)
    ParticipationFactory(fiche=fiche, structure=structure, role=role)
    return fiche


# --- The services: allowed moves, with who and when -------------------------------------------


def test_the_whole_cycle_is_recorded_with_who_and_when(structure, contributeur, redacteur):
    fiche = fiche_of(structure)

    services.fiche_submit_for_review(fiche=fiche, user=contributeur)
    services.fiche_send_back(fiche=fiche, user=redacteur, comment="Préciser le budget.")
    services.fiche_submit_for_review(fiche=fiche, user=contributeur)
    services.fiche_publish(fiche=fiche, user=redacteur)
    services.fiche_archive(fiche=fiche, user=redacteur)
    services.fiche_publish(fiche=fiche, user=redacteur)

    assert FicheAction.objects.get(pk=fiche.pk).etat == Etat.PUBLIEE
    steps = [
        (t.etat_avant, t.etat_apres, t.auteur.username, t.commentaire)
        for t in TransitionFiche.objects.filter(fiche=fiche).order_by("date", "pk")
    ]
    assert steps == [
        ("brouillon", "en_relecture", "contributrice", ""),
        ("en_relecture", "brouillon", "redacteur", "Préciser le budget."),
        ("brouillon", "en_relecture", "contributrice", ""),
        ("en_relecture", "publiee", "redacteur", ""),
        ("publiee", "archivee", "redacteur", ""),
        ("archivee", "publiee", "redacteur", ""),
    ]
    assert all(t.date is not None for t in TransitionFiche.objects.all())


def test_an_editor_publishes_a_draft_directly_and_takes_an_archived_fiche_back_to_draft(
    redacteur,
):
    fiche = FicheActionFactory(etat=Etat.BROUILLON)

    services.fiche_publish(fiche=fiche, user=redacteur)
    services.fiche_archive(fiche=fiche, user=redacteur)
    services.fiche_send_back(fiche=fiche, user=redacteur, comment="À refaire pour 2027.")

    assert FicheAction.objects.get(pk=fiche.pk).etat == Etat.BROUILLON


def test_a_co_porteur_contributor_may_submit_too(structure, contributeur):
    fiche = fiche_of(structure, role=Role.CO_PORTEUR)

    services.fiche_submit_for_review(fiche=fiche, user=contributeur)

    assert FicheAction.objects.get(pk=fiche.pk).etat == Etat.EN_RELECTURE


# --- Refusals: a French message, and nothing changed ------------------------------------------


@pytest.mark.parametrize(
    "service", [services.fiche_publish, services.fiche_archive], ids=["publier", "archiver"]
)
def test_a_contributor_cannot_publish_nor_archive(structure, contributeur, service):
    fiche = fiche_of(
        structure, etat=Etat.EN_RELECTURE if service is services.fiche_publish else Etat.PUBLIEE
    )
    before = fiche.etat

    with pytest.raises(PermissionDenied, match="Seuls les rédacteurs du CG59"):
        service(fiche=fiche, user=contributeur)

    assert FicheAction.objects.get(pk=fiche.pk).etat == before
    assert not TransitionFiche.objects.exists()


def test_a_contributor_cannot_send_back(structure, contributeur):
    fiche = fiche_of(structure, etat=Etat.EN_RELECTURE)

    with pytest.raises(PermissionDenied):
        services.fiche_send_back(fiche=fiche, user=contributeur, comment="Non.")

    assert FicheAction.objects.get(pk=fiche.pk).etat == Etat.EN_RELECTURE


def test_a_contributor_cannot_submit_another_structures_fiche(contributeur):
    autre = fiche_of(StructureFactory(nom="ADUS"))

    with pytest.raises(PermissionDenied, match="portées par l'une de vos structures"):
        services.fiche_submit_for_review(fiche=autre, user=contributeur)

    assert FicheAction.objects.get(pk=autre.pk).etat == Etat.BROUILLON


def test_a_partner_structure_does_not_make_its_contributor_an_editor_of_the_fiche(
    structure, contributeur
):
    fiche = fiche_of(structure, role=Role.PARTENAIRE)

    with pytest.raises(PermissionDenied):
        services.fiche_submit_for_review(fiche=fiche, user=contributeur)


def test_a_reader_moves_nothing():
    lecteur = staff_user(LECTEUR)
    fiche = FicheActionFactory(etat=Etat.BROUILLON)

    with pytest.raises(PermissionDenied):
        services.fiche_submit_for_review(fiche=fiche, user=lecteur)
    with pytest.raises(PermissionDenied):
        services.fiche_publish(fiche=fiche, user=lecteur)


@pytest.mark.parametrize(
    ("etat", "service"),
    [
        (Etat.EN_RELECTURE, services.fiche_submit_for_review),
        (Etat.PUBLIEE, services.fiche_submit_for_review),
        (Etat.PUBLIEE, services.fiche_publish),
        (Etat.BROUILLON, services.fiche_archive),
        (Etat.EN_RELECTURE, services.fiche_archive),
        (Etat.ARCHIVEE, services.fiche_archive),
    ],
    ids=lambda value: str(value) if isinstance(value, str) else value.__name__,
)
def test_a_move_from_the_wrong_state_is_refused_in_french(redacteur, etat, service):
    fiche = FicheActionFactory(etat=etat, titre="Consommer bio")

    with pytest.raises(ValidationError) as refusal:
        service(fiche=fiche, user=redacteur)

    assert "La fiche « Consommer bio » est à l'état" in refusal.value.messages[0]
    assert FicheAction.objects.get(pk=fiche.pk).etat == etat
    assert not TransitionFiche.objects.exists()


@pytest.mark.parametrize("comment", ["", "   "])
def test_sending_back_needs_a_comment(redacteur, comment):
    fiche = FicheActionFactory(etat=Etat.EN_RELECTURE)

    with pytest.raises(ValidationError, match="commentaire"):
        services.fiche_send_back(fiche=fiche, user=redacteur, comment=comment)

    assert FicheAction.objects.get(pk=fiche.pk).etat == Etat.EN_RELECTURE


def test_sending_back_a_published_fiche_is_refused(redacteur):
    fiche = FicheActionFactory(etat=Etat.PUBLIEE)

    with pytest.raises(ValidationError):
        services.fiche_send_back(fiche=fiche, user=redacteur, comment="Non.")


# --- What the public sees ----------------------------------------------------------------------


def test_the_public_sees_published_fiches_only(client):
    publiee = FicheActionFactory(titre="Fiche publiée", etat=Etat.PUBLIEE)
    for etat in (Etat.BROUILLON, Etat.EN_RELECTURE):
        fiche = FicheActionFactory(titre=f"Fiche {etat}", etat=etat)
        assert client.get(fiche.get_absolute_url()).status_code == 404
        assert client.get(reverse("actions:fiche-pdf", args=[fiche.slug])).status_code == 404

    listing = page_text(client.get(reverse("actions:list")))

    assert "Fiche publiée" in listing
    assert "Fiche brouillon" not in listing
    assert "Fiche en_relecture" not in listing
    assert client.get(publiee.get_absolute_url()).status_code == 200


def test_an_archived_fiche_leaves_the_lists_but_its_page_answers_with_a_banner(client):
    archivee = FicheActionFactory(titre="Ancienne action", etat=Etat.ARCHIVEE)
    FicheActionFactory(titre="Action en cours", etat=Etat.PUBLIEE)

    listing = page_text(client.get(reverse("actions:list")))
    page = client.get(archivee.get_absolute_url())

    assert "Action en cours" in listing
    assert "Ancienne action" not in listing
    assert page.status_code == 200
    content = page_text(page)
    assert '<div class="notice notice--archive" role="status">' in content
    assert "Fiche archivée" in content
    assert "Ancienne action" in content
    assert "Ancienne action" not in page_text(client.get("/"))  # nor in the home page's totals


def test_editors_see_drafts_and_fiches_in_review_with_a_badge(client):
    client.force_login(staff_user(REDACTEUR))
    brouillon = FicheActionFactory(titre="Idée de fiche", etat=Etat.BROUILLON)
    FicheActionFactory(titre="Fiche à relire", etat=Etat.EN_RELECTURE)
    FicheActionFactory(titre="Fiche rangée", etat=Etat.ARCHIVEE)

    listing = page_text(client.get(reverse("actions:list")))
    page = page_text(client.get(brouillon.get_absolute_url()))

    assert "Idée de fiche" in listing
    assert "Fiche à relire" in listing
    assert "Fiche rangée" not in listing
    assert "Publication : </span>Brouillon" in listing
    assert "Publication : </span>En relecture" in listing
    assert "Brouillon : non publiée" in page


# --- The admin's buttons -----------------------------------------------------------------------


def transition_url(fiche, name):
    return reverse("admin:actions_ficheaction_transition", args=[fiche.pk, name])


def test_the_change_page_offers_the_moves_the_user_may_make(client, structure, contributeur):
    fiche = fiche_of(structure, etat=Etat.BROUILLON)
    change = reverse("admin:actions_ficheaction_change", args=[fiche.pk])

    client.force_login(contributeur)
    page = page_text(client.get(change))
    assert "Envoyer en relecture" in page
    assert ">Publier<" not in page

    client.force_login(staff_user(REDACTEUR))
    page = page_text(client.get(change))
    assert "Envoyer en relecture" in page
    assert ">Publier<" in page
    assert ">Archiver<" not in page


def test_buttons_move_the_fiche_and_the_page_lists_the_moves(client, structure, contributeur):
    fiche = fiche_of(structure, etat=Etat.BROUILLON, titre="Consommer bio")
    client.force_login(contributeur)

    response = client.post(transition_url(fiche, "soumettre"), follow=True)

    assert "Fiche « Consommer bio » envoyée en relecture." in page_text(response)
    client.force_login(staff_user(REDACTEUR, first_name="Rémi", last_name="Dacteur"))
    response = client.post(
        transition_url(fiche, "renvoyer"), {"commentaire": "Ajouter les partenaires."}, follow=True
    )
    page = page_text(response)
    assert "Fiche « Consommer bio » renvoyée en brouillon." in page
    assert "En relecture → Brouillon" in page
    assert "Ajouter les partenaires." in page
    assert "Rémi Dacteur" in page
    assert "Brouillon → En relecture" in page


def test_a_refused_button_says_why_and_changes_nothing(client, redacteur):
    fiche = FicheActionFactory(etat=Etat.EN_RELECTURE)
    client.force_login(redacteur)

    response = client.post(transition_url(fiche, "renvoyer"), {"commentaire": ""}, follow=True)

    assert "il est obligatoire pour renvoyer une fiche en brouillon" in page_text(response)
    assert FicheAction.objects.get(pk=fiche.pk).etat == Etat.EN_RELECTURE


def test_a_contributor_posting_publish_by_hand_is_refused(client, structure, contributeur):
    fiche = fiche_of(structure, etat=Etat.EN_RELECTURE)
    client.force_login(contributeur)

    response = client.post(transition_url(fiche, "publier"), follow=True)

    assert "Seuls les rédacteurs du CG59" in page_text(response)
    assert FicheAction.objects.get(pk=fiche.pk).etat == Etat.EN_RELECTURE


def test_a_transition_url_answers_get_with_405_and_an_unknown_one_with_a_message(client, redacteur):
    fiche = FicheActionFactory(etat=Etat.BROUILLON)
    client.force_login(redacteur)

    assert client.get(transition_url(fiche, "publier")).status_code == 405
    response = client.post(transition_url(fiche, "effacer"), follow=True)
    assert "Action de publication inconnue." in page_text(response)
    missing = client.post(
        reverse("admin:actions_ficheaction_transition", args=[999999, "publier"]), follow=True
    )
    assert "n'existe pas ou ne vous est pas accessible" in page_text(missing)


def test_a_contributor_editing_a_published_fiche_takes_it_off_the_portal(
    client, structure, contributeur
):
    fiche = fiche_of(structure, etat=Etat.PUBLIEE, titre="Maison de l'alimentation")
    client.force_login(contributeur)
    change = reverse("admin:actions_ficheaction_change", args=[fiche.pk])
    page = client.get(change)
    assert "elle repassera en brouillon" in page_text(page)
    data = admin_form_data(page)
    data["descriptif"] = "Un nouveau descriptif."

    response = client.post(change, data, follow=True)

    assert "vos modifications la repassent en brouillon" in page_text(response)
    fiche.refresh_from_db()
    assert (fiche.etat, fiche.descriptif) == (Etat.BROUILLON, "Un nouveau descriptif.")
    assert TransitionFiche.objects.get(fiche=fiche).auteur == contributeur
    client.logout()
    assert client.get(fiche.get_absolute_url()).status_code == 404


def test_a_contributor_saving_an_untouched_form_keeps_the_fiche_published(
    client, structure, contributeur
):
    fiche = fiche_of(structure, etat=Etat.PUBLIEE, descriptif="Ligne A\nLigne B")
    client.force_login(contributeur)
    change = reverse("admin:actions_ficheaction_change", args=[fiche.pk])
    data = admin_form_data(client.get(change))
    data["descriptif"] = "Ligne A\r\nLigne B"  # what a browser sends back for a textarea

    client.post(change, data)

    fiche.refresh_from_db()
    assert (fiche.etat, fiche.descriptif) == (Etat.PUBLIEE, "Ligne A\nLigne B")


def test_an_editor_editing_a_published_fiche_keeps_it_published(client, redacteur):
    fiche = FicheActionFactory(etat=Etat.PUBLIEE)
    client.force_login(redacteur)
    change = reverse("admin:actions_ficheaction_change", args=[fiche.pk])
    data = admin_form_data(client.get(change))
    data["descriptif"] = "Corrigé."

    client.post(change, data)

    fiche.refresh_from_db()
    assert (fiche.etat, fiche.descriptif) == (Etat.PUBLIEE, "Corrigé.")


def test_the_state_cannot_be_forced_through_the_form(client, structure, contributeur):
    fiche = fiche_of(structure, etat=Etat.BROUILLON)
    client.force_login(contributeur)
    change = reverse("admin:actions_ficheaction_change", args=[fiche.pk])
    data = admin_form_data(client.get(change))
    data["etat"] = Etat.PUBLIEE

    client.post(change, data)

    assert FicheAction.objects.get(pk=fiche.pk).etat == Etat.BROUILLON


def test_the_list_actions_refuse_what_the_user_may_not_do(client, structure, contributeur):
    fiches = [fiche_of(structure, etat=Etat.BROUILLON) for _ in range(2)]
    client.force_login(contributeur)
    changelist = reverse("admin:actions_ficheaction_changelist")

    page = page_text(client.get(changelist))
    assert "Envoyer en relecture les fiches sélectionnées" in page
    assert "Publier les fiches sélectionnées" not in page

    response = client.post(
        changelist,
        {"action": "envoyer_en_relecture", "_selected_action": [str(f.pk) for f in fiches]},
        follow=True,
    )
    assert "2 fiches envoyées en relecture." in page_text(response)
    response = client.post(
        changelist,
        {"action": "publier", "_selected_action": [str(f.pk) for f in fiches]},
        follow=True,
    )
    assert FicheAction.objects.filter(etat=Etat.PUBLIEE).count() == 0


# --- The "done when", end to end on the recap's data -----------------------------------


def test_a_contributor_proposes_an_editor_publishes_and_the_history_tells_who(client):
    services.recap_seed()
    sens = Structure.objects.get(nom="Les sens du goût")
    staff_user(
        CONTRIBUTEUR,
        username="sensdugout",
        first_name="Sandrine",
        last_name="Goût",
        structures=[sens],
    )
    staff_user(REDACTEUR, username="cg59", first_name="Rémi", last_name="Dacteur")
    maison = FicheAction.objects.get(titre="Maison de l’alimentation")
    adus = FicheAction.objects.get(titre="Un Laboratoire d’idées")
    assert maison.etat == adus.etat == Etat.PUBLIEE

    # The contributor logs in, edits her structure's fiche and sends it for review.
    assert (
        client.post(
            reverse("admin:login"), {"username": "sensdugout", "password": "mot-de-passe-de-test"}
        ).status_code
        == 302
    )
    change = reverse("admin:actions_ficheaction_change", args=[maison.pk])
    data = admin_form_data(client.get(change))
    data["descriptif"] = maison.descriptif + "\nOuverture prévue au printemps."
    assert "repassent en brouillon" in page_text(client.post(change, data, follow=True))
    assert "envoyée en relecture" in page_text(
        client.post(transition_url(maison, "soumettre"), follow=True)
    )

    # She can neither touch ADUS's fiche nor publish hers.
    adus_change = reverse("admin:actions_ficheaction_change", args=[adus.pk])
    assert client.get(adus_change).status_code == 302
    adus_data = dict(data, titre="Piraté")
    client.post(adus_change, adus_data)
    client.post(transition_url(adus, "soumettre"))
    client.post(transition_url(maison, "publier"))
    adus.refresh_from_db()
    maison.refresh_from_db()
    assert (adus.titre, adus.etat) == ("Un Laboratoire d’idées", Etat.PUBLIEE)
    assert maison.etat == Etat.EN_RELECTURE
    client.logout()
    assert client.get(maison.get_absolute_url()).status_code == 404  # not public meanwhile

    # An editor publishes it.
    client.post(reverse("admin:login"), {"username": "cg59", "password": "mot-de-passe-de-test"})
    assert "publiée" in page_text(client.post(transition_url(maison, "publier"), follow=True))
    client.logout()
    assert "Ouverture prévue au printemps." in page_text(client.get(maison.get_absolute_url()))

    # The history shows both changes with their authors.
    client.post(reverse("admin:login"), {"username": "cg59", "password": "mot-de-passe-de-test"})
    history = page_text(client.get(reverse("admin:actions_ficheaction_history", args=[maison.pk])))
    rows = history.split("<tr>")
    contributor_edit = next(r for r in rows if "Ouverture prévue au printemps." in r)
    publication = next(r for r in rows if "<ins>Publiée</ins>" in r)
    assert "Sandrine Goût (sensdugout)" in contributor_edit
    assert "Rémi Dacteur (cg59)" in publication
    assert "<del>En relecture</del>" in publication
    page = page_text(client.get(change))
    assert "Brouillon → En relecture" in page and "En relecture → Publiée" in page


# --- The migration from the former `publie` flag ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_maps_publie_to_etat_and_back():
    before, after = ("actions", "0002_unaccent_extension"), ("actions", "0003_etat_de_publication")
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([before])
        old_apps = executor.loader.project_state([before]).apps
        contrat = old_apps.get_model("enjeux", "Contrat").objects.create(
            nom="Contrat", slug="contrat", territoire="Sambre-Avesnois"
        )
        old_fiche = old_apps.get_model("actions", "FicheAction")
        old_fiche.objects.create(contrat=contrat, titre="En ligne", slug="en-ligne", publie=True)
        old_fiche.objects.create(contrat=contrat, titre="Projet", slug="projet", publie=False)

        executor = MigrationExecutor(connection)
        executor.migrate([after])
        new_fiche = executor.loader.project_state([after]).apps.get_model("actions", "FicheAction")
        assert dict(new_fiche.objects.values_list("slug", "etat")) == {
            "en-ligne": "publiee",
            "projet": "brouillon",
        }
        new_fiche.objects.filter(slug="projet").update(etat="en_relecture")

        executor = MigrationExecutor(connection)
        executor.migrate([before])
        old_fiche = executor.loader.project_state([before]).apps.get_model("actions", "FicheAction")
        assert dict(old_fiche.objects.values_list("slug", "publie")) == {
            "en-ligne": True,
            "projet": False,
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
