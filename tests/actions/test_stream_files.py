"""The CSV and JSON of the fiches, written once per content and data version into a file of the
machine (contrat/streamfiles.py), by a process of their own beyond a few fiches."""

import subprocess

import pytest
from django.core.management import call_command

from actions import exports
from tests.actions.plan_samples import make_plan
from tests.conftest import download_bytes, page_words
from tests.factories import ContratFactory, FicheActionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    contrat = ContratFactory()
    return {
        "fiches": [
            FicheActionFactory(contrat=contrat, titre=f"Chantier école {number}")
            for number in range(2)
        ]
    }


def words(response) -> str:
    return page_words(response)


def test_the_streamed_csv_is_built_once_per_data_version(world, client):
    first = client.get("/actions/export/actions.csv")
    assert first.streaming
    content = download_bytes(first)
    again = client.get("/actions/export/actions.csv")
    assert download_bytes(again) == content  # the file written while the first was sent

    def retitle():
        fiche = world["fiches"][0]
        fiche.titre = "Chantier école renommé"
        fiche.save()

    retitle()
    assert "Chantier école renommé" in download_bytes(
        client.get("/actions/export/actions.csv")
    ).decode("utf-8-sig")


def test_a_second_build_while_one_runs_is_asked_to_retry(world, client, settings):
    import fcntl
    from pathlib import Path

    settings.EXPORT_RENDER_WAIT = 0
    # Another process of this machine is building a file.
    Path(settings.EXPORT_STREAMS_DIR).mkdir(parents=True, exist_ok=True)
    with open(Path(settings.EXPORT_STREAMS_DIR) / "construction.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        busy = client.get("/actions/export/actions.csv")
        assert busy.status_code == 503
        assert "réessayez" in words(busy).lower()
    assert download_bytes(client.get("/actions/export/actions.csv")).startswith(b"\xef\xbb\xbf")


def commands_run_here(monkeypatch) -> list:
    """The separate process's commands, run in this process instead (the test database is this
    process's), as the process would; the list of the commands it was given."""
    commands = []

    def run(command, **kwargs):
        commands.append(command)
        kind, path = command[command.index("ecrire_donnees") + 1 :][:2]
        query = command[command.index("--requete") + 1] if "--requete" in command else ""
        exports.write_actions_file(kind=kind, query=query, user=None, path=path)

    monkeypatch.setattr(subprocess, "run", run)
    return commands


def test_the_command_writes_the_filtered_csv(world, tmp_path):
    path = tmp_path / "actions.csv"
    call_command("ecrire_donnees", "actions-csv", str(path), "--requete", "q=Chantier école 1")
    text = path.read_text(encoding="utf-8-sig")
    assert "Chantier école 1" in text
    assert "Chantier école 0" not in text


def test_many_fiches_are_written_by_a_process_of_their_own(world, client, settings, monkeypatch):
    settings.EXPORT_STREAM_INLINE_FICHES = 1
    commands = commands_run_here(monkeypatch)
    content = download_bytes(client.get("/actions/export/actions.json")).decode()
    assert "Chantier école 0" in content and "Chantier école 1" in content
    (command,) = commands
    assert command[:3] == ["nice", "-n", str(settings.EXPORT_STREAM_NICE)]
    assert "--compte" not in command  # published fiches only: no account's drafts


def test_a_failed_writing_process_gives_the_french_retry_page(world, client, settings, monkeypatch):
    settings.EXPORT_STREAM_INLINE_FICHES = 1

    def run(command, **kwargs):
        raise subprocess.TimeoutExpired(command, 110)

    monkeypatch.setattr(subprocess, "run", run)
    response = client.get("/actions/export/actions.csv")
    assert response.status_code == 503
    assert "réessayez" in words(response).lower()


def test_a_recap_pdf_is_rendered_by_a_process_of_its_own(world, client, settings, monkeypatch):
    settings.EXPORT_RENDER_IN_PROCESS = True
    commands = commands_run_here(monkeypatch)
    response = client.get("/actions/export/recap.pdf?q=Chantier")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    (command,) = commands
    assert command[:3] == ["nice", "-n", str(settings.EXPORT_STREAM_NICE)]
    assert "recap-pdf" in command and "q=Chantier" in command


def test_a_failed_rendering_gives_the_french_retry_page(world, client, settings, monkeypatch):
    settings.EXPORT_RENDER_IN_PROCESS = True

    def run(command, **kwargs):
        raise subprocess.CalledProcessError(1, command)

    monkeypatch.setattr(subprocess, "run", run)
    response = client.get("/actions/export/recap.pdf")
    assert response.status_code == 503
    assert "réessayez" in words(response).lower()


@pytest.mark.parametrize(
    "url", ["/financements/export/financements.csv?enjeu=2", "/financements/export/subventions.csv"]
)
def test_the_financing_files_are_the_same_written_by_a_process_of_their_own(
    client, settings, monkeypatch, tmp_path, url
):
    make_plan()
    here = download_bytes(client.get(url))
    assert here.count(b"\n") >= 3  # a header and grants or lines
    settings.EXPORT_STREAM_INLINE_FICHES = 0
    settings.EXPORT_STREAMS_DIR = str(tmp_path)  # not the file written above
    commands = commands_run_here(monkeypatch)
    assert download_bytes(client.get(url)) == here
    assert len(commands) == 1
