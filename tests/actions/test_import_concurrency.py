"""An import racing an editor's save: the import claims each fiche's version when it writes it,
and writes only the columns of its file; a save made meanwhile is never lost."""

import copy
import html
import re
import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection, connections, transaction
from django.urls import reverse
from import_export.instance_loaders import CachedInstanceLoader

from actions import services
from actions.models import FicheAction
from actions.resources import FicheActionResource
from contrat.spreadsheets import CSV
from tests.actions.samples import sample_fiches
from tests.actions.test_import import FICHES_CONFIRM_URL, csv_file, post_import, problems
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EDITOR_TEXT = "Le descriptif de l'éditrice, enregistré pendant l'import."


def editor_saves(fiche, **changes):
    """What the admin's change form does on save: claim the next version, then save."""
    mine = FicheAction.objects.get(pk=fiche.pk)
    services.fiche_claim_version(fiche=mine, expected=mine.version)
    for name, value in changes.items():
        setattr(mine, name, value)
    mine._history_user = UserFactory(username="editrice", first_name="Éva", last_name="Dit")
    mine.save()
    return mine


def import_loads(monkeypatch, stale):
    """The import's instance loader hands out `stale`, the fiche as it read it when it
    started: what a save made between the loading and the writing leaves it holding."""
    original = CachedInstanceLoader.get_instance

    def get_instance(self, row):
        found = original(self, row)
        if found is not None and found.pk == stale.pk:
            return copy.deepcopy(stale)
        return found

    monkeypatch.setattr(CachedInstanceLoader, "get_instance", get_instance)


def snapshot(fiche) -> dict:
    fiche = FicheAction.objects.get(pk=fiche.pk)
    return {
        "fields": {
            f.attname: getattr(fiche, f.attname)
            for f in FicheAction._meta.concrete_fields
            if f.attname != "modifie_le"
        },
        "orientations": list(fiche.orientations.values_list("pk", flat=True)),
        "enjeux": list(fiche.enjeux.values_list("pk", flat=True)),
        "lignes_budget": list(fiche.lignes_budget.values_list("montant", "periodicite")),
        "participations": list(fiche.participations.values_list("structure", "role")),
    }


def test_a_save_during_the_import_refuses_the_import_and_keeps_the_editors_text(monkeypatch):
    sample = sample_fiches()
    padess, generations = sample["fiches"][0], sample["fiches"][1]
    stale = FicheAction.objects.get(pk=padess.pk)  # loaded when the import starts…
    editor_saves(padess, descriptif=EDITOR_TEXT)  # …then the editor saves
    import_loads(monkeypatch, stale)
    before = {fiche.pk: snapshot(fiche) for fiche in sample["fiches"]}
    rows = [
        ["slug", "titre", "descriptif"],
        [generations.slug, "Générations, titre importé", "Importé"],
        [padess.slug, "PADESS, titre importé", "Importé aussi"],
        ["nouvelle-fiche", "Une fiche nouvelle", ""],
    ]

    result = FicheActionResource().import_data(CSV().create_dataset(csv_file(rows)))

    assert result.has_validation_errors()
    [invalid] = result.invalid_rows
    assert invalid.number == 3
    [message] = invalid.non_field_specific_errors
    assert f"« PADESS, titre importé » ({padess.slug})" in message
    assert "modifiée par quelqu'un d'autre" in message
    assert "Éva Dit (editrice) a modifié Descriptif" in message
    assert "Rien n'a été importé" in message
    # Nothing of the file was written, the editor's save is whole.
    assert {fiche.pk: snapshot(fiche) for fiche in sample["fiches"]} == before
    assert FicheAction.objects.get(pk=padess.pk).descriptif == EDITOR_TEXT
    assert FicheAction.objects.get(pk=padess.pk).version == 2
    assert not FicheAction.objects.filter(slug="nouvelle-fiche").exists()
    assert FicheAction.history.filter(history_change_reason=services.IMPORT_REASON).count() == 0


def test_the_admin_refuses_the_confirmed_import_naming_the_fiche(admin_client, monkeypatch):
    sample = sample_fiches()
    padess = sample["fiches"][0]
    rows = [["slug", "titre"], [padess.slug, "PADESS, titre importé"]]
    preview = post_import(admin_client, csv_file(rows))
    assert preview.context["confirm_form"] is not None

    stale = FicheAction.objects.get(pk=padess.pk)
    editor_saves(padess, descriptif=EDITOR_TEXT)
    import_loads(monkeypatch, stale)
    response = admin_client.post(
        reverse(FICHES_CONFIRM_URL), preview.context["confirm_form"].initial, follow=True
    )

    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    shown = re.sub(r"\s+", " ", html.unescape(shown))
    assert "L'import a été annulé, rien n'a été enregistré" in shown
    assert f"Ligne 2 : La fiche « PADESS, titre importé » ({padess.slug})" in shown
    assert "Éva Dit (editrice) a modifié Descriptif" in shown
    padess.refresh_from_db()
    assert (padess.titre, padess.descriptif) == ("Le PADESS en Sambre-Avesnois", EDITOR_TEXT)


def test_a_file_with_only_slug_and_titre_leaves_every_other_column_untouched(monkeypatch):
    sample = sample_fiches()
    padess = sample["fiches"][0]
    # The in-memory copy differs from the database in every column the file does not have
    # (a write that left the version alone, or any other reason): none of it may be written.
    stale = FicheAction.objects.get(pk=padess.pk)
    stale.descriptif, stale.enjeu_texte, stale.budget_texte = "périmé", "périmé", "périmé"
    stale.structure_texte, stale.statut, stale.etat = "périmé", "realisee", "archivee"
    stale.ordre = 99
    import_loads(monkeypatch, stale)
    before = snapshot(padess)
    rows = [["slug", "titre"], [padess.slug, "Le PADESS, nouveau titre"]]

    result = FicheActionResource().import_data(CSV().create_dataset(csv_file(rows)))

    assert not problems(result)
    after = snapshot(padess)
    assert after["fields"].pop("titre") == "Le PADESS, nouveau titre"
    assert after["fields"].pop("version") == before["fields"].pop("version") + 1
    before["fields"].pop("titre")
    assert after == before  # descriptif, texts, statut, etat, ordre and every relation
    assert FicheAction.objects.get(pk=padess.pk).modifie_le > padess.modifie_le


def test_relations_are_rewritten_only_when_their_column_is_in_the_file():
    sample = sample_fiches()
    padess, generations = sample["fiches"][0], sample["fiches"][1]
    before = snapshot(padess), snapshot(generations)
    rows = [
        ["slug", "titre", "descriptif"],
        [padess.slug, padess.titre, "Nouveau descriptif"],
        [generations.slug, generations.titre, "Autre descriptif"],
    ]
    result = FicheActionResource().import_data(CSV().create_dataset(csv_file(rows)))
    assert not problems(result)
    for old, fiche in zip(before, (padess, generations), strict=True):
        new = snapshot(fiche)
        for name in ("orientations", "enjeux", "lignes_budget", "participations"):
            assert new[name] == old[name], name
    assert snapshot(generations)["enjeux"] == [sample["enjeu2"].pk]

    rows = [
        ["slug", "titre", "orientations", "enjeux", "lignes_budget", "structures"],
        [padess.slug, padess.titre, "", "Enjeu 2", "1 000 €", "Porteur : cress"],
    ]
    result = FicheActionResource().import_data(CSV().create_dataset(csv_file(rows)))
    assert not problems(result)
    new = snapshot(padess)
    assert new["orientations"] == []
    assert new["enjeux"] == [sample["enjeu2"].pk]
    assert [montant for montant, _ in new["lignes_budget"]] == [1000]
    assert len(new["participations"]) == 1
    assert new["fields"]["descriptif"] == "Nouveau descriptif"


@pytest.mark.django_db(transaction=True)
def test_a_real_race_with_a_second_connection_keeps_the_editors_save():
    if connection.vendor != "postgresql":
        pytest.skip(
            "Needs PostgreSQL: the in-memory SQLite test database refuses a second writer "
            "at once instead of waiting (the tests above cover the check on every engine)."
        )
    sample = sample_fiches()
    padess = sample["fiches"][0]
    loaded, saved = threading.Event(), threading.Event()
    original_init = CachedInstanceLoader.__init__

    def init_then_wait(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        loaded.set()  # the import holds its copies: let the editor save, then go on
        assert saved.wait(timeout=20)

    def editor():
        try:
            assert loaded.wait(timeout=20)
            with transaction.atomic():
                editor_saves(padess, descriptif=EDITOR_TEXT)
        finally:
            saved.set()
            connections.close_all()

    rows = [["slug", "titre"], [padess.slug, "PADESS, titre importé"]]
    dataset = CSV().create_dataset(csv_file(rows))
    thread = threading.Thread(target=editor)
    thread.start()
    CachedInstanceLoader.__init__ = init_then_wait
    try:
        result = FicheActionResource().import_data(dataset)
    finally:
        CachedInstanceLoader.__init__ = original_init
        thread.join(timeout=30)

    assert result.has_validation_errors()
    assert "modifiée par quelqu'un d'autre" in result.invalid_rows[0].non_field_specific_errors[0]
    padess.refresh_from_db()
    assert (padess.titre, padess.descriptif, padess.version) == (
        "Le PADESS en Sambre-Avesnois",
        EDITOR_TEXT,
        2,
    )
