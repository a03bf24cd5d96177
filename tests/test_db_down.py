"""The database unreachable: every page answers 503 with a French page, never a traceback."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DataError, InterfaceError, OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import RequestFactory

from contrat.middleware import DatabaseErrorMiddleware

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "/",
    "/actions/",
    "/actions/?q=emploi&budget_min=1000",
    "/actions/le-padess-en-sambre-avesnois/",
    "/actions/export/actions.csv",
    "/structures/",
    "/structures/adus/",
    "/enjeux/",
    "/enjeux/7/",
]
REFUSED = 'connection to server at "127.0.0.1", port 5432 failed: Connection refused'


def french_503(response) -> str:
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    html = response.content.decode()
    assert "Service momentanément indisponible" in html
    assert "ne parvient pas à joindre sa base de données" in html
    assert '<html lang="fr">' in html
    assert 'href="/static/css/site.css"' in html  # the site's look
    assert "Traceback" not in html and "OperationalError" not in html
    return html


@pytest.fixture
def database_down(monkeypatch):
    """Every attempt to reach the database fails the way a stopped server does. No test
    database at all: a page that touched the database while failing would raise again."""

    def refuse(self):
        raise OperationalError(REFUSED)

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)


@pytest.mark.parametrize("url", PAGES)
def test_every_public_page_answers_503_in_french(database_down, client, url):
    french_503(client.get(url))


def test_a_logged_in_visitor_gets_the_503_page_too(database_down, client):
    client.cookies["sessionid"] = "une-session-quelconque"  # reading it needs the database
    french_503(client.get("/admin/"))


def test_a_lost_connection_mid_request_is_a_503_too(monkeypatch, client):
    def closed(self):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", closed)
    french_503(client.get("/actions/"))


def test_the_failure_is_logged_for_the_team(database_down, client, caplog):
    client.get("/actions/")
    [record] = [r for r in caplog.records if r.name == "contrat.database"]
    assert "Base de données injoignable" in record.getMessage()
    assert record.exc_info and REFUSED in str(record.exc_info[1])


def test_a_nul_character_the_database_refuses_is_a_french_400():
    middleware = DatabaseErrorMiddleware(lambda request: None)
    request = RequestFactory().get("/admin/actions/ficheaction/?etat__exact=%00")
    error = DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    response = middleware.process_exception(request, error)
    assert response.status_code == 400
    assert "caractère nul" in response.content.decode()
    # Other errors are left to Django (a 500 page, and the error reported to the admins).
    assert middleware.process_exception(request, ValueError("NULL is not allowed")) is None
    assert middleware.process_exception(request, KeyError("x")) is None


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CHILD = """
import django, json
django.setup()
from django.test import Client
response = Client().get("/actions/")
print(json.dumps({"status": response.status_code, "html": response.content.decode()}))
"""


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param(lambda: f"postgres://postgres@127.0.0.1:{closed_port()}/contrat", id="pg"),
        pytest.param(lambda: "sqlite:////nonexistent-folder/contrat.sqlite3", id="sqlite"),
    ],
)
def test_a_real_unreachable_database_gives_the_503_page(database_url):
    """A real server, stopped (closed port), or an SQLite file that cannot be opened."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "contrat.settings.test",
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 503
    assert "ne parvient pas à joindre sa base de données" in result["html"]
    assert "Base de données injoignable" in done.stderr  # logged
