"""Backup then restore into an empty migrated database: nothing lost, nothing added."""

import gzip
import importlib.util
import json
from datetime import datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core import serializers
from django.db import connection

from actions.demo import demo_generate
from actions.models import (
    FicheAction,
    FicheRecherche,
    LigneBudget,
    Participation,
    SousAction,
    TransitionFiche,
)
from actions.roles import CONTRIBUTEUR, REDACTEUR, roles_ensure
from actions.services import fiche_publish, recap_seed
from tests.factories import UserFactory, staff_user

pytestmark = pytest.mark.django_db

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "backup.py"
NOT_BACKED_UP = {ContentType, Permission, Session}


@pytest.fixture(scope="module")
def backup():
    """scripts/backup.py, the module `make backup` and `make restore` run."""
    spec = importlib.util.spec_from_file_location("backup_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def millis(value):
    # Django's JSON serializer keeps datetimes to the millisecond (docs/sauvegarde.md).
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def everything() -> dict[str, list[str]]:
    """Every row of every backed-up table, with natural keys, comparable across databases."""
    tables = {}
    for model in apps.get_models():
        if model in NOT_BACKED_UP or not model._meta.managed:  # the search index
            continue
        rows = serializers.serialize(
            "python",
            model._base_manager.all(),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        )
        tables[model._meta.label] = sorted(
            repr((row.get("pk"), {k: millis(v) for k, v in row["fields"].items()})) for row in rows
        )
    return tables


def wipe():
    """What `migrate` alone leaves: every table emptied but content types and permissions,
    then the role groups the migrations create."""
    keep = {ContentType._meta.db_table, Permission._meta.db_table, "django_migrations"}
    tables = [
        table
        for table in connection.introspection.django_table_names(only_existing=True)
        if table not in keep
    ]
    # DELETE rather than flush's TRUNCATE: the test's transaction has deferred foreign-key
    # checks pending, which PostgreSQL's TRUNCATE refuses; they are checked at commit only.
    # The search index too (unmanaged, so not among Django's tables): the restore rebuilds it.
    postgresql = connection.vendor == "postgresql"
    tables.append(FicheRecherche._meta.db_table if postgresql else "actions_fiche_fts")
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
    roles_ensure()


@pytest.fixture
def site():
    """The recap with its first versions, generated fiches, staff in groups, a publication."""
    recap_seed()
    demo_generate(fiches=40, seed=5)
    editor = staff_user(REDACTEUR, username="redactrice", password="mot-de-passe-1")
    fiche = FicheAction.objects.get(slug="le-padess-en-sambre-avesnois")
    contributor = staff_user(
        CONTRIBUTEUR,
        username="contributeur",
        structures=[fiche.participations.first().structure],
    )
    UserFactory(username="admin", is_superuser=True, password="mot-de-passe-2")
    fiche.etat = "brouillon"
    fiche._history_user = contributor
    fiche.save()
    fiche_publish(fiche=fiche, user=editor)
    return {"editor": editor, "fiche": fiche}


def test_a_round_trip_loses_nothing(backup, site, tmp_path, client):
    before = everything()
    found = {fiche.titre for fiche in FicheAction.objects.search("ludothèques")}
    assert "Ludothèque itinérante" in found
    assert len(before["actions.HistoricalFicheAction"]) > FicheAction.objects.count() - 40
    counts = {label: len(rows) for label, rows in before.items()}

    path = backup.backup_create(folder=tmp_path)
    assert path.parent == tmp_path and path.name.endswith(".json.gz")
    wipe()
    assert backup.database_is_empty()
    assert not FicheAction.history.exists()
    backup.backup_restore(path=path)

    after = everything()
    assert {label: len(rows) for label, rows in after.items()} == counts
    assert after == before
    # What people notice: the fiches and their parts, the accounts, the groups, the history.
    assert FicheAction.objects.count() == 29 + 40
    assert Participation.objects.exists() and LigneBudget.objects.exists()
    assert SousAction.objects.filter(parent__isnull=False).exists()
    assert {fiche.titre for fiche in FicheAction.objects.search("ludothèques")} == found
    editor = Group.objects.get(name=REDACTEUR).user_set.get()
    assert editor.username == "redactrice"
    assert editor.has_perm("actions.publish_ficheaction")
    assert client.login(username="admin", password="mot-de-passe-2")
    transition = TransitionFiche.objects.get()
    assert (transition.auteur, transition.etat_apres) == (editor, "publiee")
    fiche = FicheAction.objects.get(pk=site["fiche"].pk)
    authors = set(fiche.history.values_list("history_user__username", flat=True))
    assert {"redactrice", "contributeur"} <= authors


def test_the_backup_is_gzipped_json_without_sessions_nor_content_types(backup, site, tmp_path):
    path = backup.backup_create(folder=tmp_path, now=datetime(2026, 1, 2, 3, 4, 5))
    assert path.name == "2026-01-02_030405.json.gz"
    rows = json.loads(gzip.decompress(path.read_bytes()))
    models = {row["model"] for row in rows}
    assert {"actions.ficheaction", "auth.user", "auth.group", "actions.historicalficheaction"} <= (
        models
    )
    assert not models & {"contenttypes.contenttype", "auth.permission", "sessions.session"}
    group = next(row for row in rows if row["model"] == "auth.group")
    assert "pk" not in group  # natural keys: it merges with the group `migrate` created
    assert all(isinstance(p, list) for p in group["fields"]["permissions"])


def test_a_restore_into_a_database_with_data_is_refused_and_changes_nothing(backup, site, tmp_path):
    path = backup.backup_create(folder=tmp_path)
    FicheAction.objects.filter(pk=site["fiche"].pk).update(titre="Modifiée après la sauvegarde")
    with pytest.raises(backup.RestoreRefused, match="La base contient déjà des fiches"):
        backup.backup_restore(path=path)
    assert FicheAction.objects.get(pk=site["fiche"].pk).titre == "Modifiée après la sauvegarde"


def test_a_missing_file_is_refused_in_french(backup, tmp_path):
    with pytest.raises(FileNotFoundError, match="Sauvegarde introuvable"):
        backup.backup_restore(path=tmp_path / "absente.json.gz")
