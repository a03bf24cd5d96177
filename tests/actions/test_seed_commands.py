"""The loading commands: loaddata, seed_recap, ensure_admin and build_recap_fixture."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from actions.models import FicheAction, LigneBudget, Participation, SousAction
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Contact, Structure

pytestmark = pytest.mark.django_db

MODELS = [
    Contrat,
    Enjeu,
    Orientation,
    Structure,
    Contact,
    FicheAction,
    Participation,
    LigneBudget,
    SousAction,
]
FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "recap.json"
PASSWORD = re.compile(r"Compte administrateur créé : admin / (\S+) \(notez-le")


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_loading_the_fixture_twice_duplicates_nothing():
    call_command("loaddata", "recap", verbosity=0)
    first = counts()
    call_command("loaddata", "recap", verbosity=0)
    assert counts() == first
    assert first == {
        "Contrat": 1,
        "Enjeu": 5,
        "Orientation": 17,
        "Structure": 64,  # the 63 the fiches name, and the contract's own financer (CG59)
        "Contact": 1,
        "FicheAction": 29,
        "Participation": 103,
        "LigneBudget": 18,
        "SousAction": 30,
    }


def test_seed_recap_loads_an_empty_database_then_keeps_staff_edits():
    assert run("seed_recap").strip() == "Recap chargée : 29 fiches"
    loaded = counts()
    FicheAction.objects.filter(ordre=1).update(titre="Titre corrigé par l'équipe")

    assert run("seed_recap").strip() == "Des fiches existent déjà : rien n'est rechargé"
    assert FicheAction.objects.get(ordre=1).titre == "Titre corrigé par l'équipe"
    assert counts() == loaded


def test_seed_recap_force_reloads_in_place():
    run("seed_recap")
    loaded = counts()
    FicheAction.objects.filter(ordre=1).update(titre="Titre corrigé par l'équipe")

    assert run("seed_recap", "--force").strip() == "Recap chargée : 29 fiches"
    assert FicheAction.objects.get(ordre=1).titre == "Le PADESS en Sambre-Avesnois"
    assert counts() == loaded


def test_seed_recap_force_keeps_the_footer_the_staff_completed():
    run("seed_recap")
    completed = "Le Pôle de développement de l’ESS est soutenu par le Département du Nord."
    Contrat.objects.update(pied_de_page=completed)
    run("seed_recap", "--force")
    assert Contrat.objects.get().pied_de_page == completed
    assert Contrat.history.latest("history_id").pied_de_page == completed


def test_seed_recap_leaves_a_database_with_other_fiches_alone(recap):
    FicheAction.objects.exclude(ordre=1).delete()
    assert "rien n'est rechargé" in run("seed_recap")
    assert FicheAction.objects.count() == 1


def test_ensure_admin_prints_a_password_once_and_it_logs_in(client):
    first = run("ensure_admin")
    match = PASSWORD.search(first)
    assert match, first
    assert "il ne sera plus affiché" in first
    assert client.login(username="admin", password=match.group(1))
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff

    second = run("ensure_admin")
    assert match.group(1) not in second
    assert "existe déjà" in second
    assert get_user_model().objects.count() == 1
    assert client.login(username="admin", password=match.group(1))


def test_ensure_admin_creates_nothing_when_a_superuser_exists(django_user_model):
    django_user_model.objects.create_superuser("marie", "marie@example.org", "x" * 20)
    out = run("ensure_admin")
    assert "existe déjà" in out
    assert not PASSWORD.search(out)
    assert list(django_user_model.objects.values_list("username", flat=True)) == ["marie"]


def test_ensure_admin_refuses_to_take_over_an_ordinary_admin_account(django_user_model):
    user = django_user_model.objects.create_user("admin", password="mot-de-passe-initial")
    with pytest.raises(CommandError, match="existe déjà sans être administrateur"):
        run("ensure_admin")
    user.refresh_from_db()
    assert not user.is_superuser
    assert user.check_password("mot-de-passe-initial")


def test_build_recap_fixture_regenerates_the_same_bytes(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert "29 fiches" in run("build_recap_fixture", "--output", str(first))
    run("build_recap_fixture", "--output", str(second))
    assert first.read_bytes() == second.read_bytes() == FIXTURE.read_bytes()


def test_build_recap_fixture_explains_a_missing_or_broken_source(tmp_path):
    output = tmp_path / "out.json"
    with pytest.raises(CommandError, match="Fichier introuvable"):
        run("build_recap_fixture", "--source", str(tmp_path / "absent.txt"), "--output", output)
    broken = tmp_path / "recap.txt"
    broken.write_text("\tTitre\n\tDescriptif\n\tEnjeu\n\tBudget\n\tStructure\n\tUne fiche\n")
    with pytest.raises(CommandError, match="La recap n'a pas pu être lue"):
        run("build_recap_fixture", "--source", str(broken), "--output", str(output))
    assert not output.exists()


def test_rows_added_after_seeding_get_fresh_keys():
    """PostgreSQL sequences must move past the fixture's explicit keys."""
    run("seed_recap")
    structure = Structure.objects.create(nom="Nouvelle structure", slug="nouvelle-structure")
    assert structure.pk > 63
    fiche = FicheAction.objects.create(
        contrat=Contrat.objects.get(), titre="Nouvelle fiche", slug="nouvelle-fiche", ordre=30
    )
    assert fiche.pk > 29
