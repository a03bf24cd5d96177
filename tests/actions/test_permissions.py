"""Who may do what: the permission matrix of the four staff roles and the public, end to end."""

import html
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.jobs import ExportJob, JobStatus
from actions.models import Etat, FicheAction, Role
from actions.roles import ADMINISTRATEUR, CONTRIBUTEUR, LECTEUR, REDACTEUR, ROLES, roles_ensure
from comites.models import Avenant, Instantane
from comites.services import instantane_arreter
from structures.models import Structure
from tests.conftest import download_bytes
from tests.factories import (
    ContactFactory,
    ContratFactory,
    EnjeuFactory,
    EtapeFactory,
    FicheActionFactory,
    IndicateurFactory,
    LigneBudgetFactory,
    LigneFinancementFactory,
    OrientationFactory,
    ParticipationFactory,
    PointAvancementFactory,
    SousActionFactory,
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
        "autre_brouillon": fiche("Diagnostic confidentiel", Etat.BROUILLON, adus),
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


def listing(client, query="") -> str:
    # The words a search found are highlighted: <mark> left out to read the titles.
    page = client.get(f"/actions/{query}").content.decode()
    return html.unescape(page.replace("<mark>", "").replace("</mark>", ""))


def shows(client, url, text) -> bool:
    response = client.get(url)
    return response.status_code == 200 and text in html.unescape(download_bytes(response).decode())


def changes_row(client, row, field: str = "note") -> bool:
    """A fiche's row changed on its own admin page (its `field`), read by a superuser first."""
    url = reverse(f"admin:actions_{row._meta.model_name}_change", args=[row.pk])
    reader = Client()
    reader.force_login(UserFactory(username="lecture-de-ligne", is_superuser=True))
    data = admin_form_data(reader.get(url))
    data[field] = "Texte modifié"
    client.post(url, data)
    row.refresh_from_db()
    return getattr(row, field) == "Texte modifié"


def adds_indicator_value(client, fiche) -> bool:
    """A yearly value added on the indicator's page (its inline), read by a superuser first."""
    indicateur = IndicateurFactory(fiche=fiche)
    url = reverse("admin:actions_indicateur_change", args=[indicateur.pk])
    reader = Client()
    reader.force_login(UserFactory(username="lecture-indicateur", is_superuser=True))
    data = admin_form_data(reader.get(url))
    data.update({"valeurs-0-annee": "2026", "valeurs-0-valeur": "42"})
    client.post(url, data)
    return indicateur.valeurs.filter(annee=2026).exists()


def changes_snapshot(client, instantane) -> bool:
    url = reverse("admin:comites_instantane_change", args=[instantane.pk])
    client.post(url, {"nom": "Renommé", "date": "2020-01-01"})
    return Instantane.objects.filter(nom="Renommé").exists()


def avenant_form(url, **values) -> dict:
    data = superuser_form(url)
    data.update(values)
    return data


def adds_avenant(client, world) -> bool:
    url = reverse("admin:comites_avenant_add")
    data = avenant_form(url, numero="7", date="2026-09-01", resume="Ajoute une fiche.")
    data["contrat"] = str(world["propre"].contrat_id)
    data["lignes-0-fiche"] = str(world["autre"].pk)
    data["lignes-0-role"] = "ajoutee"
    client.post(url, data)
    avenant = Avenant.objects.filter(numero=7).first()
    return avenant is not None and avenant.fiches.filter(pk=world["autre"].pk).exists()


def changes_avenant(client, world) -> bool:
    avenant = Avenant.objects.create(
        contrat=world["propre"].contrat, numero=3, date="2026-03-01", resume="Avant"
    )
    url = reverse("admin:comites_avenant_change", args=[avenant.pk])
    client.post(url, avenant_form(url, resume="Après"))
    avenant.refresh_from_db()
    return avenant.resume == "Après"


def editors_export_job(status=JobStatus.READY) -> ExportJob:
    """A background export of another editor's, with every draft in it (audience "tous")."""
    return ExportJob.objects.create(
        kind="recap-pdf",
        key=f"download:recap-pdf:tous:v:{status}",
        query="brouillons=1",
        audience="tous",
        requested_by=UserFactory(username=f"demandeur-{status}"),
        status=status,
        file_name="recap-avec-brouillons.pdf",
        content_type="application/pdf",
        content=b"%PDF-1.7 brouillons",
        error="La fabrication du document a échoué." if status == JobStatus.FAILED else "",
        expires_at=timezone.now() + timedelta(hours=1),
    )


def retries_job(client, job) -> bool:
    client.post(reverse("exports:retry", args=[job.pk]))
    job.refresh_from_db()
    return job.status == JobStatus.WAITING


# Each action does what a user would, and says whether it happened.
ACTIONS = {
    "liste_brouillon": lambda c, w: w["brouillon"].titre in listing(c),
    "liste_publiee": lambda c, w: w["propre"].titre in listing(c),
    "fiche_brouillon": lambda c, w: c.get(w["brouillon"].get_absolute_url()).status_code == 200,
    "fiche_publiee": lambda c, w: c.get(w["propre"].get_absolute_url()).status_code == 200,
    # Another structure's draft, wherever the portal could show it.
    "liste_brouillon_autre": lambda c, w: w["autre_brouillon"].titre in listing(c),
    "recherche_brouillon_autre": lambda c, w: (
        w["autre_brouillon"].titre in listing(c, "?q=confidentiel")
    ),
    "fiche_brouillon_autre": lambda c, w: (
        c.get(w["autre_brouillon"].get_absolute_url()).status_code == 200
    ),
    "pdf_brouillon_autre": lambda c, w: (
        c.get(reverse("actions:fiche-pdf", args=[w["autre_brouillon"].slug])).status_code == 200
    ),
    # Asked for (the downloads' checkbox "Inclure les fiches non publiées"): without it, an
    # export holds published fiches only, whoever asks (tests/actions/test_drafts.py).
    "json_brouillon_autre": lambda c, w: shows(
        c, reverse("actions:export-json") + "?brouillons=1", w["autre_brouillon"].titre
    ),
    "structure_brouillon_autre": lambda c, w: shows(
        c,
        reverse("structures:detail", args=[w["autre_brouillon"].porteurs[0].slug]),
        w["autre_brouillon"].titre,
    ),
    "admin_structure_brouillon_autre": lambda c, w: shows(
        c,
        reverse("admin:structures_structure_change", args=[w["autre_brouillon"].porteurs[0].pk]),
        w["autre_brouillon"].titre,
    ),
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
    # Financing lines: their list shows another structure's draft's lines to nobody who may
    # not see that draft in the admin; each is edited by whoever may edit its fiche.
    "financements_brouillon_autre": lambda c, w: shows(
        c,
        reverse("admin:actions_lignefinancement_changelist"),
        LigneFinancementFactory(fiche=w["autre_brouillon"]).fiche.titre,
    ),
    "modifier_financement_sien": lambda c, w: changes_row(
        c, LigneFinancementFactory(fiche=w["brouillon"])
    ),
    "modifier_financement_autre": lambda c, w: changes_row(
        c, LigneFinancementFactory(fiche=w["autre"])
    ),
    # The follow-up's rows (actions/suivi.py), each on its own admin page.
    "modifier_point_sien": lambda c, w: changes_row(
        c, PointAvancementFactory(fiche=w["brouillon"]), "commentaire"
    ),
    "modifier_point_autre": lambda c, w: changes_row(
        c, PointAvancementFactory(fiche=w["autre"]), "commentaire"
    ),
    "modifier_indicateur_sien": lambda c, w: changes_row(
        c, IndicateurFactory(fiche=w["brouillon"]), "nom"
    ),
    "modifier_indicateur_autre": lambda c, w: changes_row(
        c, IndicateurFactory(fiche=w["autre"]), "nom"
    ),
    "valeur_indicateur_sien": lambda c, w: adds_indicator_value(c, w["brouillon"]),
    "valeur_indicateur_autre": lambda c, w: adds_indicator_value(c, w["autre"]),
    "modifier_etape_sienne": lambda c, w: changes_row(
        c, EtapeFactory(fiche=w["brouillon"]), "titre"
    ),
    "modifier_etape_autre": lambda c, w: changes_row(c, EtapeFactory(fiche=w["autre"]), "titre"),
    "importer_financements": lambda c, w: (
        c.get(reverse("admin:actions_lignefinancement_import")).status_code == 200
    ),
    "gerer_utilisateurs": lambda c, w: c.get(reverse("admin:auth_user_add")).status_code == 200,
    # Committees (comites/): anyone reads them; editors arrest a snapshot and write the
    # amendments; nobody changes a snapshot once arrested.
    "voir_comites": lambda c, w: shows(c, reverse("comites:timeline"), "Comités et avenants"),
    "arreter_recap": lambda c, w: (
        c.post(reverse("admin:comites_instantane_add"), {"nom": "Comité", "date": "2026-06-30"})
        and Instantane.objects.filter(nom="Comité").exists()
    ),
    "modifier_instantane": lambda c, w: changes_snapshot(c, instantane_arreter(nom="Comité")),
    "ajouter_avenant": lambda c, w: adds_avenant(c, w),
    "modifier_avenant": lambda c, w: changes_avenant(c, w),
    # A background export holding an editor's drafts (/exports/<id>/): its page and file for
    # those who see the same drafts only, a 404 for the others; relaunched by staff among them.
    "voir_export_brouillons": lambda c, w: (
        c.get(editors_export_job().get_absolute_url()).status_code == 200
    ),
    "fichier_export_brouillons": lambda c, w: (
        c.get(reverse("exports:file", args=[editors_export_job().pk])).status_code == 200
    ),
    "relancer_export_brouillons": lambda c, w: retries_job(c, editors_export_job(JobStatus.FAILED)),
}

ROLES_TESTED = ["anonyme", "contributeur", "lecteur", "redacteur", "administrateur"]
# True: allowed. One row per action, one column per role, in the order of ROLES_TESTED.
MATRIX = {
    # An unpublished fiche shows to those who may edit it only: not to a read-only account
    # on the public pages (the admin shows it everything), nor to another structure's
    # contributor anywhere.
    "liste_brouillon": [False, True, False, True, True],
    "liste_publiee": [True, True, True, True, True],
    "fiche_brouillon": [False, True, False, True, True],
    "fiche_publiee": [True, True, True, True, True],
    "liste_brouillon_autre": [False, False, False, True, True],
    "recherche_brouillon_autre": [False, False, False, True, True],
    "fiche_brouillon_autre": [False, False, False, True, True],
    "pdf_brouillon_autre": [False, False, False, True, True],
    "json_brouillon_autre": [False, False, False, True, True],
    "structure_brouillon_autre": [False, False, False, True, True],
    "admin_structure_brouillon_autre": [False, False, True, True, True],
    "modifier_sa_fiche": [False, True, False, True, True],
    "modifier_autre_fiche": [False, False, False, True, True],
    "publier": [False, False, False, True, True],
    "supprimer": [False, False, False, True, True],
    "importer": [False, False, False, True, True],
    "financements_brouillon_autre": [False, False, True, True, True],
    "modifier_financement_sien": [False, True, False, True, True],
    "modifier_financement_autre": [False, False, False, True, True],
    "modifier_point_sien": [False, True, False, True, True],
    "modifier_point_autre": [False, False, False, True, True],
    "modifier_indicateur_sien": [False, True, False, True, True],
    "modifier_indicateur_autre": [False, False, False, True, True],
    "valeur_indicateur_sien": [False, True, False, True, True],
    "valeur_indicateur_autre": [False, False, False, True, True],
    "modifier_etape_sienne": [False, True, False, True, True],
    "modifier_etape_autre": [False, False, False, True, True],
    # A file may name any fiche: editors only, a contributor included in none.
    "importer_financements": [False, False, False, True, True],
    "gerer_utilisateurs": [False, False, False, False, True],
    "voir_comites": [True, True, True, True, True],
    "arreter_recap": [False, False, False, True, True],
    "modifier_instantane": [False, False, False, False, False],
    "ajouter_avenant": [False, False, False, True, True],
    "modifier_avenant": [False, False, False, True, True],
    "voir_export_brouillons": [False, False, False, True, True],
    "fichier_export_brouillons": [False, False, False, True, True],
    "relancer_export_brouillons": [False, False, False, True, True],
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


# --- Restoring an earlier version (django-simple-history's version pages) --------------------
#
# A restore is a write: it needs the change permission on the object as it stands today, with
# the contributor's per-structure scope, and re-creating a deleted object needs the add one.


def archived_fiche_of(structure):
    fiche = FicheActionFactory(etat=Etat.ARCHIVEE, titre="Fiche archivée")
    ParticipationFactory(fiche=fiche, structure=structure, role=Role.PORTEUR)
    return fiche


def _row(factory, field, whose):
    def make(w):
        return factory(fiche=w[whose])

    return make, field


HISTORY_CASES = {
    "contrat": (lambda w: ContratFactory(), "pied_de_page"),
    "enjeu": (lambda w: EnjeuFactory(), "titre"),
    "orientation": (lambda w: OrientationFactory(), "titre"),
    "structure_autre": (lambda w: StructureFactory(nom="Une autre structure"), "nom"),
    "structure_sienne": (lambda w: w["sens"], "nom"),
    "contact": (lambda w: ContactFactory(structure=w["sens"]), "nom"),
    "fiche_sienne": (lambda w: w["brouillon"], "titre"),
    "fiche_autre": (lambda w: w["autre_brouillon"], "titre"),
    "fiche_sienne_archivee": (lambda w: archived_fiche_of(w["sens"]), "titre"),
    "participation_sienne": _row(ParticipationFactory, "precision", "brouillon"),
    "participation_autre": _row(ParticipationFactory, "precision", "autre_brouillon"),
    "lignebudget_sienne": _row(LigneBudgetFactory, "note", "brouillon"),
    "lignebudget_autre": _row(LigneBudgetFactory, "note", "autre_brouillon"),
    "lignefinancement_sienne": _row(LigneFinancementFactory, "note", "brouillon"),
    "lignefinancement_autre": _row(LigneFinancementFactory, "note", "autre_brouillon"),
    "sousaction_sienne": _row(SousActionFactory, "titre", "brouillon"),
    "sousaction_autre": _row(SousActionFactory, "titre", "autre_brouillon"),
}
EDITORS_ONLY = [False, False, False, True, True]
OWN_FICHE = [False, True, False, True, True]
HISTORY_MATRIX = {
    "contrat": EDITORS_ONLY,
    "enjeu": EDITORS_ONLY,
    "orientation": EDITORS_ONLY,
    "structure_autre": EDITORS_ONLY,
    "structure_sienne": EDITORS_ONLY,
    "contact": EDITORS_ONLY,
    "fiche_sienne": OWN_FICHE,
    "fiche_autre": EDITORS_ONLY,
    # Out of the workflow until an editor brings it back: not its contributor's to edit.
    "fiche_sienne_archivee": EDITORS_ONLY,
    "participation_sienne": OWN_FICHE,
    "participation_autre": EDITORS_ONLY,
    "lignebudget_sienne": OWN_FICHE,
    "lignebudget_autre": EDITORS_ONLY,
    "lignefinancement_sienne": OWN_FICHE,
    "lignefinancement_autre": EDITORS_ONLY,
    "sousaction_sienne": OWN_FICHE,
    "sousaction_autre": EDITORS_ONLY,
}


def version_url(obj, record) -> str:
    meta = obj._meta
    return reverse(
        f"admin:{meta.app_label}_{meta.model_name}_simple_history", args=[obj.pk, record.pk]
    )


def superuser_form(url) -> dict:
    reader = Client()
    reader.force_login(UserFactory(username="lecture-de-version", is_superuser=True))
    page = reader.get(url)
    assert page.status_code == 200
    return admin_form_data(page)


@pytest.mark.parametrize(
    ("role", "case", "allowed"),
    [
        (role, case, row[index])
        for case, row in HISTORY_MATRIX.items()
        for index, role in enumerate(ROLES_TESTED)
    ],
    ids=lambda value: value if isinstance(value, str) else ("permis" if value else "refuse"),
)
def test_history_restore_matrix(world, role, case, allowed):
    make, field = HISTORY_CASES[case]
    obj = make(world)
    setattr(obj, field, "Valeur d'origine")
    obj.save()
    first = obj.history.first()
    setattr(obj, field, "Valeur actuelle")
    obj.save()
    url = version_url(obj, first)
    data = superuser_form(url)
    client = client_for(role, world)

    response = client.post(url, data)

    obj.refresh_from_db()
    restored = getattr(obj, field) == "Valeur d'origine"
    assert restored is allowed, response.status_code
    if not allowed and role != "anonyme":
        assert response.status_code == 403
        assert "Accès refusé" in html.unescape(response.content.decode())


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("contributeur", False), ("lecteur", False), ("redacteur", True), ("administrateur", True)],
)
def test_recreating_a_deleted_structure_from_its_history_needs_the_add_permission(
    world, role, allowed
):
    structure = StructureFactory(nom="Structure dissoute")
    structure_id, record = structure.pk, structure.history.first()
    url = version_url(structure, record)
    data = superuser_form(url)
    structure.delete()

    client_for(role, world).post(url, data)

    assert Structure.objects.filter(pk=structure_id).exists() is allowed


@pytest.mark.parametrize("role", ["contributeur", "lecteur", "redacteur", "administrateur"])
def test_a_deleted_fiche_never_comes_back_through_a_version_page(world, role):
    fiche = world["propre"]
    fiche_id, url = fiche.pk, version_url(fiche, fiche.history.first())
    data = superuser_form(url)
    fiche.delete()

    response = client_for(role, world).post(url, data)

    # "Fiches supprimées" brings it back whole, with its rows: tests/actions/test_history.py.
    assert response.status_code == 403
    assert not FicheAction.objects.filter(pk=fiche_id).exists()


def test_a_reader_sees_a_version_without_the_restore_button(world, client):
    fiche = world["brouillon"]
    client.force_login(staff_user(LECTEUR))

    page = client.get(version_url(fiche, fiche.history.first()))

    assert page.status_code == 200
    assert "Restaurer cette version" not in html.unescape(page.content.decode())


def test_a_restore_keeps_todays_publication_state(world, client):
    fiche = world["propre"]  # published after an earlier version in draft
    fiche.etat = Etat.BROUILLON
    fiche.titre = "Titre du brouillon"
    fiche.save()
    draft = fiche.history.first()
    fiche.etat = Etat.ARCHIVEE
    fiche.titre = "Titre archivé"
    fiche.save()
    url = version_url(fiche, draft)
    data = superuser_form(url)
    client.force_login(staff_user(REDACTEUR))

    client.post(url, data)

    fiche.refresh_from_db()
    assert (fiche.titre, fiche.etat) == ("Titre du brouillon", Etat.ARCHIVEE)
    assert not fiche.transitions.exists()  # no move recorded: none happened


def test_a_typed_version_address_that_is_not_a_number_is_a_404(world, client):
    client.force_login(staff_user(REDACTEUR))
    base = reverse("admin:actions_ficheaction_history", args=[world["propre"].pk])

    assert client.get(f"{base}pas-un-numero/").status_code == 404
    assert client.post(f"{base}pas-un-numero/").status_code == 404


def test_a_contributor_lists_only_its_structures_deleted_fiches(world, client):
    world["brouillon"].delete()  # its participations' deletion versions name its porteur
    world["autre_brouillon"].delete()
    client.force_login(staff_user(CONTRIBUTEUR, structures=[world["sens"]]))

    page = html.unescape(client.get(reverse("admin:actions_ficheaction_deleted")).content.decode())

    assert "Consommer bio" in page
    assert "Diagnostic confidentiel" not in page
