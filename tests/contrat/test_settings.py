"""Production settings: `check --deploy` is clean, and they refuse to run half-configured."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Requests made inside a production-settings process. The admin's JavaScript catalogue needs
# neither the database nor collected static files: it only redirects an anonymous visitor.
PROBE = """
import django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="example.fr")
plain = client.get("/admin/jsi18n/")
print("http", plain.status_code, plain["Location"])
secure = client.get("/admin/jsi18n/", headers={"X-Forwarded-Proto": "https"})
print("https", secure.status_code, secure["Location"], secure.get("Strict-Transport-Security"))
print("cookies", settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)
"""


def production(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run python with contrat.settings.production and this environment, from the project."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "AXES_"))
        and key not in {"BEHIND_PROXY", "TRUSTED_PROXY_COUNT"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="contrat.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.fr",
    )
    environment.update(env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_deploy(**env: str) -> subprocess.CompletedProcess:
    return production("manage.py", "check", "--deploy", "--fail-level", "WARNING", **env)


def test_check_deploy_is_clean():
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_is_clean_behind_a_proxy():
    result = check_deploy(BEHIND_PROXY="true")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "warning"),
    [
        ({"SECRET_KEY": "trop-courte"}, "security.W009"),
        ({"SECURE_SSL_REDIRECT": "false"}, "security.W008"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
    ],
    ids=["weak-secret-key", "no-ssl-redirect", "no-hsts"],
)
def test_check_deploy_fails_on_a_weakened_configuration(env, warning):
    result = check_deploy(**env)
    assert result.returncode != 0
    assert warning in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = check_deploy(SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY doit être défini dans l'environnement." in result.stderr


def test_a_misspelt_number_in_the_environment_is_refused_in_french():
    result = check_deploy(AXES_COOLOFF_MINUTES="trente")
    assert result.returncode != 0
    assert "AXES_COOLOFF_MINUTES doit être un nombre entier (reçu : 'trente')" in result.stderr


def test_the_cool_off_and_the_limit_come_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.AXES_COOLOFF_TIME.total_seconds(), settings.AXES_FAILURE_LIMIT, "
        "settings.TRUSTED_PROXY_COUNT)"
    )
    result = production("-c", code, AXES_COOLOFF_MINUTES="45", AXES_FAILURE_LIMIT="8")
    assert result.stdout.split() == ["2700.0", "8", "0"], result.stderr
    result = production("-c", code, BEHIND_PROXY="true")
    assert result.stdout.split() == ["1800.0", "5", "1"], result.stderr


def test_the_caches_and_the_download_limits_come_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(*(c['BACKEND'].rsplit('.', 1)[1] for c in s.CACHES.values()), s.EXPORT_RATE, "
        "s.EXPORT_MAX_CONCURRENT_RENDERS)"
    )
    result = production("-c", code, CACHE_URL="")
    assert result.stdout.split() == ["DatabaseCache", "DatabaseCache", "20/m", "1"], result.stderr
    result = production(
        "-c",
        code,
        CACHE_URL="redis://127.0.0.1:6379/1",
        EXPORT_RATE="5/m",
        EXPORT_MAX_CONCURRENT_RENDERS="2",
    )
    assert result.stdout.split() == ["RedisCache", "RedisCache", "5/m", "2"], result.stderr
    result = check_deploy(EXPORT_RATE="vingt par minute")
    assert result.returncode != 0
    assert "EXPORT_RATE doit s'écrire nombre/unité" in result.stderr


def test_behind_the_proxy_http_is_redirected_and_https_gets_hsts_and_secure_cookies():
    result = production("-c", PROBE, BEHIND_PROXY="true")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "http 301 https://example.fr/admin/jsi18n/"
    assert lines[1] == (
        "https 302 /admin/login/?next=/admin/jsi18n/ max-age=31536000; includeSubDomains; preload"
    )
    assert lines[2] == "cookies True True"


def test_without_a_proxy_a_client_cannot_claim_https_with_the_header():
    result = production("-c", PROBE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "https 301 https://example.fr/admin/jsi18n/ None"
