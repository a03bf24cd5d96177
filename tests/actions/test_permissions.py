"""Who may do what: the permission matrix of the four staff roles and the public, end to end."""

import html

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from actions.models import Etat, FicheAction, Role
from actions.roles import ADMINISTRATEUR, CONTRIBUTEUR, LECTEUR, REDACTEUR, ROLES, roles_ensure
from tests.factories import (
    FicheActionFactory,
    ParticipationFactory,
    StructureFactory,
    UserFactory,
    admin_form_data,
    staff_user,
)

pytestmark = pytest.mark.django_db

ROLE_GROUPS = {
    "contributeur": CONTRIBUTEUR,
    "lecteur": LECTEUR,
    "redacteur": REDACTEUR,
    "administrateur": ADMINISTRATEUR,
}


@pytest.fixture
def world():
    """Two structures, each carrying fiches: "Les sens du goût" is the contributor's."""
    sens = StructureFactory(nom="Les sens du goût", slug="les-sens-du-gout")
    adus = StructureFactory(nom="ADUS", slug="adus", sigle="ADUS")

    def fiche(titre, etat, structure):
        fiche = FicheActionFactory(titre=titre, etat=etat)
        ParticipationFactory(fiche=fiche, structure=structure, role=Role.PORTEUR)
        return fiche

    return {
        "sens": sens,
        "propre": fiche("Maison de l'alimentation", Etat.PUBLIEE, sens),
        "brouillon": fiche("Consommer bio", Etat.BROUILLON, sens),
        "en_relecture": fiche("Centre d'animations", Etat.EN_RELECTURE, sens),
        "autre": fiche("Un observatoire de l'ESS", Etat.PUBLIEE, adus),
    }


def client_for(role, world) -> Client:
    client = Client()
    if role != "anonyme":
        structures = [world["sens"]] if role == "contributeur" else []
        client.force_login(staff_user(ROLE_GROUPS[role], structures=structures))
    return client


def change_form_data(fiche) -> dict:
    """What the fiche's change form posts, read by a superuser (whoever posts it later)."""
    superuser = UserFactory(username="lecture-du-formulaire", is_superuser=True)
    reader = Client()
    reader.force_login(superuser)
    data = admin_form_data(reader.get(reverse("admin:actions_ficheaction_change", args=[fiche.pk])))
    data["titre"] = f"{fiche.titre} (modifiée)"
    return data


def changes_fiche(client, fiche) -> bool:
    data = change_form_data(fiche)
    client.post(reverse("admin:actions_ficheaction_change", args=[fiche.pk]), data)
    return FicheAction.objects.get(pk=fiche.pk).titre == data["titre"]


def listing(client) -> str:
    return html.unescape(client.get("/actions/").content.decode())


# Each action does what a user would, and says whether it happened.
ACTIONS = {
    "liste_brouillon": lambda c, w: w["brouillon"].titre in listing(c),
    "liste_publiee": lambda c, w: w["propre"].titre in listing(c),
    "fiche_brouillon": lambda c, w: c.get(w["brouillon"].get_absolute_url()).status_code == 200,
    "fiche_publiee": lambda c, w: c.get(w["propre"].get_absolute_url()).status_code == 200,
    "modifier_sa_fiche": lambda c, w: changes_fiche(c, w["propre"]),
    "modifier_autre_fiche": lambda c, w: changes_fiche(c, w["autre"]),
    "publier": lambda c, w: (
        c.post(
            reverse("admin:actions_ficheaction_transition", args=[w["en_relecture"].pk, "publier"])
        )
        and FicheAction.objects.get(pk=w["en_relecture"].pk).etat == Etat.PUBLIEE
    ),
    "supprimer": lambda c, w: (
        c.post(reverse("admin:actions_ficheaction_delete", args=[w["autre"].pk]), {"post": "yes"})
        and not FicheAction.objects.filter(pk=w["autre"].pk).exists()
    ),
    "importer": lambda c, w: c.get(reverse("admin:actions_ficheaction_import")).status_code == 200,
    "gerer_utilisateurs": lambda c, w: c.get(reverse("admin:auth_user_add")).status_code == 200,
}

ROLES_TESTED = ["anonyme", "contributeur", "lecteur", "redacteur", "administrateur"]
# True: allowed. One row per action, one column per role, in the order of ROLES_TESTED.
MATRIX = {
    "liste_brouillon": [False, True, True, True, True],
    "liste_publiee": [True, True, True, True, True],
    "fiche_brouillon": [False, True, True, True, True],
    "fiche_publiee": [True, True, True, True, True],
    "modifier_sa_fiche": [False, True, False, True, True],
    "modifier_autre_fiche": [False, False, False, True, True],
    "publier": [False, False, False, True, True],
    "supprimer": [False, False, False, True, True],
    "importer": [False, False, False, True, True],
    "gerer_utilisateurs": [False, False, False, False, True],
}


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        (role, action, row[index])
        for action, row in MATRIX.items()
        for index, role in enumerate(ROLES_TESTED)
    ],
    ids=lambda value: value if isinstance(value, str) else ("permis" if value else "refuse"),
)
def test_permission_matrix(world, role, action, allowed):
    client = client_for(role, world)

    assert bool(ACTIONS[action](client, world)) is allowed


def test_every_permission_a_role_names_exists():
    roles_ensure()
    for name, spec in ROLES.items():
        group = Group.objects.get(name=name)
        if isinstance(spec, list):
            assert group.permissions.count() == len(set(spec)), name


def test_a_contributor_does_not_even_see_another_structures_fiche_in_the_admin(world, client):
    client.force_login(staff_user(CONTRIBUTEUR, structures=[world["sens"]]))

    admin_list = html.unescape(
        client.get(reverse("admin:actions_ficheaction_changelist")).content.decode()
    )
    other = client.get(reverse("admin:actions_ficheaction_change", args=[world["autre"].pk]))

    assert world["propre"].titre in admin_list
    assert world["autre"].titre not in admin_list
    assert other.status_code == 302  # to the admin's index, "n'existe pas"
    rows = client.get(reverse("admin:actions_lignebudget_changelist")).content.decode()
    assert "Un observatoire" not in rows


def test_a_contributor_cannot_delete_its_own_fiche(world, client):
    client.force_login(staff_user(CONTRIBUTEUR, structures=[world["sens"]]))

    response = client.post(
        reverse("admin:actions_ficheaction_delete", args=[world["propre"].pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert FicheAction.objects.filter(pk=world["propre"].pk).exists()


def test_a_reader_sees_a_fiche_read_only(world, client):
    client.force_login(staff_user(LECTEUR))

    page = client.get(reverse("admin:actions_ficheaction_change", args=[world["brouillon"].pk]))

    assert page.status_code == 200
    assert "Consommer bio" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()


def test_only_an_administrator_names_a_structures_representatives(world, client):
    redacteur = staff_user(REDACTEUR)
    client.force_login(redacteur)
    url = reverse("admin:structures_structure_change", args=[world["sens"].pk])

    page = client.get(url).content.decode()

    assert 'name="representants"' not in page
    client.force_login(staff_user(ADMINISTRATEUR))
    assert 'name="representants"' in client.get(url).content.decode()


def test_staff_status_is_needed_to_enter_the_admin(world, client):
    client.force_login(staff_user(REDACTEUR, is_staff=False))

    response = client.get(reverse("admin:actions_ficheaction_changelist"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
