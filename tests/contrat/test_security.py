"""Protective headers on every response, admin login lockout, the client's address, uploads."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from actions.models import FicheAction
from contrat import spreadsheets
from contrat.security import client_ip, french_duration
from tests.factories import FicheActionFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/admin/login/"
PASSWORD = "un-mot-de-passe-solide"
OFFICE = "203.0.113.10"
ELSEWHERE = "198.51.100.7"


# --- headers -------------------------------------------------------------------------------


def assert_protective_headers(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    denied = {part.strip() for part in response["Permissions-Policy"].split(",")}
    assert {"camera=()", "microphone=()", "geolocation=()"} <= denied


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.fixture
def fiche():
    return FicheActionFactory(titre="Ludothèque itinérante")


@pytest.mark.parametrize(
    ("label", "url", "status"),
    [
        ("accueil", "/", 200),
        ("liste des fiches", "/actions/", 200),
        ("connexion à l'administration", LOGIN_URL, 200),
        ("page introuvable", "/actions/pas-de-fiche-a-ce-nom/", 404),
        ("export CSV", "/actions/export/actions.csv", 200),
        ("export JSON", "/actions/export/actions.json", 200),
    ],
)
def test_every_kind_of_response_carries_the_protective_headers(client, label, url, status):
    response = client.get(url)
    assert response.status_code == status, label
    assert_protective_headers(response)
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["base-uri"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_an_admin_page_carries_the_headers(admin_client, fiche):
    response = admin_client.get(reverse("admin:actions_ficheaction_change", args=[fiche.pk]))
    assert response.status_code == 200
    assert_protective_headers(response)
    assert policy(response)["script-src"] == ["'self'"]
    assert "unsafe-hashes" not in response["Content-Security-Policy"]


def test_a_pdf_has_the_headers_but_no_policy_that_would_blank_chrome_viewer(client, recap):
    response = client.get(reverse("actions:recap-pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert_protective_headers(response)
    assert "Content-Security-Policy" not in response


def test_a_fiche_pdf_has_no_policy_either(client, fiche):
    response = client.get(reverse("actions:fiche-pdf", args=[fiche.slug]))
    assert response["Content-Type"] == "application/pdf"
    assert "Content-Security-Policy" not in response


def test_the_page_refusing_a_pdf_keeps_the_policy(client, fiche, settings):
    settings.EXPORT_RATE = "1/m"
    url = reverse("actions:fiche-pdf", args=[fiche.slug])
    client.get(url)

    response = client.get(url)

    assert response.status_code == 429
    assert policy(response)["script-src"] == ["'self'"]


def test_the_export_page_needs_no_exception_to_the_policy(admin_client):
    """Its French template wires the "select all" box from a static script: no inline code."""
    response = admin_client.get(reverse("admin:actions_ficheaction_export"))
    assert response.status_code == 200
    directives = policy(response)
    assert "script-src-attr" not in directives and "style-src-attr" not in directives
    assert directives["script-src"] == ["'self'"]
    html = response.content.decode()
    assert "onchange=" not in html and "style=" not in html


# --- lockout -------------------------------------------------------------------------------


@pytest.fixture
def agent():
    return get_user_model().objects.create_user(
        "agent.cg59", password=PASSWORD, is_staff=True, is_superuser=True
    )


def attempt(username, password, address=OFFICE, **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    response = client.post(LOGIN_URL, {"username": username, "password": password})
    return client, response


def logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def set_back(minutes):
    """As if the recorded failures had happened `minutes` earlier."""
    attempt_time = AccessAttempt.objects.get().attempt_time
    AccessAttempt.objects.update(attempt_time=attempt_time - timedelta(minutes=minutes))


def fail(times, username="agent.cg59", address=OFFICE, **headers):
    return [attempt(username, "mauvais", address, **headers)[1] for _ in range(times)]


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5)
def test_five_failures_lock_the_account_from_that_address_with_a_french_page(agent):
    responses = fail(5)
    assert [r.status_code for r in responses[:4]] == [200] * 4  # the login form, with its error
    locked = responses[4]
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Connexion temporairement bloquée" in html
    assert "Trop de tentatives de connexion ont échoué" in html
    assert "contactez un" in html and "administrateur" in html
    assert "30 minutes" in html
    assert locked["Retry-After"] == "1800"
    assert_protective_headers(locked)

    # Even the right password is refused now, from that address.
    client, response = attempt("agent.cg59", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5)
def test_the_lockout_holds_that_account_from_that_address_only(agent):
    get_user_model().objects.create_user("collegue", password=PASSWORD, is_staff=True)
    fail(5)

    client, _ = attempt("agent.cg59", PASSWORD, address=ELSEWHERE)
    assert logged_in(client), "the same person, from another address"
    client, _ = attempt("collegue", PASSWORD)
    assert logged_in(client), "a colleague sharing the office's address"


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5)
def test_a_success_before_the_limit_starts_the_count_again(agent):
    fail(4)
    client, _ = attempt("agent.cg59", PASSWORD)
    assert logged_in(client)
    assert [r.status_code for r in fail(4)] == [200] * 4


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5)
def test_the_lockout_ends_after_the_cool_off(agent):
    fail(5)
    set_back(31)

    client, _ = attempt("agent.cg59", PASSWORD)
    assert logged_in(client)


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5)
def test_a_new_try_during_the_lockout_starts_the_cool_off_again(agent):
    fail(5)
    set_back(25)
    assert fail(1)[0].status_code == 429
    set_back(10)  # 35 minutes after the lockout, 10 after the last try

    _, response = attempt("agent.cg59", PASSWORD)
    assert response.status_code == 429


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("axes_reset_username", ["agent.cg59"]),
        ("axes_reset_ip", [OFFICE]),
        ("axes_reset", []),
    ],
)
@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5)
def test_an_administrator_unlocks_with_an_axes_command(agent, command, args):
    fail(5)
    _, response = attempt("agent.cg59", PASSWORD)
    assert response.status_code == 429

    call_command(command, *args, verbosity=0)

    client, _ = attempt("agent.cg59", PASSWORD)
    assert logged_in(client)


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5)
def test_an_administrator_unlocks_from_the_admin(agent, admin_client):
    fail(5)
    listing = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert "agent.cg59" in listing.content.decode()

    locked = AccessAttempt.objects.get()
    admin_client.post(reverse("admin:axes_accessattempt_delete", args=[locked.pk]), {"post": "yes"})

    client, _ = attempt("agent.cg59", PASSWORD)
    assert logged_in(client)


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_a_forged_forwarded_address_does_not_dodge_the_lockout(agent):
    # The proxy appends the address it saw; the client forges a new one on each try.
    for n in range(5):
        attempt("agent.cg59", "mauvais", "127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, {OFFICE}")
    _, response = attempt(
        "agent.cg59", PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.9.9.9, {OFFICE}"
    )
    assert response.status_code == 429
    client, _ = attempt("agent.cg59", PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR=ELSEWHERE)
    assert logged_in(client), "another client behind the same proxy is not locked out"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "192.0.2.1"),  # no proxy: the header is the client's word, ignored
        (1, None, "192.0.2.1"),
        (1, OFFICE, OFFICE),
        (1, f"6.6.6.6, {OFFICE}", OFFICE),
        (2, f"6.6.6.6, {OFFICE}, 10.0.0.2", OFFICE),
        (2, OFFICE, "192.0.2.1"),  # fewer addresses than proxies: misconfigured, not trusted
        (1, "pas-une-adresse", "192.0.2.1"),
        (1, "2001:db8::1", "2001:db8::1"),
        (-1, f"{OFFICE}, 6.6.6.6", "192.0.2.1"),  # nonsense count: no proxy trusted
    ],
)
def test_client_ip_trusts_only_what_our_proxies_wrote(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", **headers)
    assert client_ip(request) == expected


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(1, "1 minute"), (30, "30 minutes"), (60, "1 heure"), (90, "1 h 30"), (120, "2 heures")],
)
def test_the_cool_off_reads_in_french(minutes, text):
    assert french_duration(minutes) == text


# --- uploads -------------------------------------------------------------------------------


def post_import(client, content: bytes, name: str, file_format: str):
    upload = SimpleUploadedFile(name, content)
    return client.post(
        reverse("admin:actions_ficheaction_import"),
        {"resource": "0", "format": file_format, "import_file": upload},
    )


def test_an_upload_over_the_real_limit_is_refused_in_french(admin_client):
    content = b"slug;titre\r\n" + b"x" * (spreadsheets.IMPORT_MAX_BYTES + 1024 * 1024)
    response = post_import(admin_client, content, "fiches.csv", "0")
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["import_file"])
    assert "Le fichier pèse 6,0\xa0Mio ; la limite est de 5,0\xa0Mio." in errors
    assert FicheAction.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "file_format", "message"),
    [
        ("rapport.pdf", b"%PDF-1.7\n\xe2\xe3\xcf\xd3\n1 0 obj\n", "0", "n'est pas un CSV en UTF-8"),
    ],
    ids=["pdf-as-csv"],
)
def test_a_file_of_the_wrong_type_is_refused_in_french(
    admin_client, name, content, file_format, message
):
    response = post_import(admin_client, content, name, file_format)
    assert message in " ".join(response.context["form"].errors["import_file"])
    assert FicheAction.objects.count() == 0


def test_a_refused_form_explains_itself_in_french_without_inline_style():
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN_URL, {"username": "agent", "password": PASSWORD})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Le formulaire n'a pas pu être envoyé" in html
    assert "autorisez les cookies" in html
    assert "<style" not in html and "style=" not in html
    assert_protective_headers(response)
