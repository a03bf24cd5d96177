"""The error pages: French, in the portal's frame, or in the admin's under /admin/."""

import re

import pytest
from django.test import Client, override_settings
from django.urls import path, reverse

from actions.models import FicheAction, Role
from actions.roles import CONTRIBUTEUR
from contrat import errors
from contrat import urls as site_urls
from tests.conftest import page_text
from tests.factories import FicheActionFactory, ParticipationFactory, StructureFactory, staff_user

pytestmark = pytest.mark.django_db

ENGLISH = ["Forbidden", "Not Found", "Server Error", "Bad Request", "Skip to main content"]
ADMIN_HEADER = "Contrat de territoire — administration"
CSRF_HEADING = "Le formulaire n'a pas pu être envoyé"


def boom(request):
    raise RuntimeError("une vue qui casse")


# A test-only URLconf (this module): the site's URLs plus a view that raises, on each side.
urlpatterns = [path("boum/", boom), path("admin/boum/", boom), *site_urls.urlpatterns]
handler500 = site_urls.handler500
BOOM_URLS = override_settings(ROOT_URLCONF=__name__, DEBUG=False)


def broken_context_processor(request):
    raise RuntimeError("un processeur de contexte qui casse")


def assert_french_page(response, status: int, title: str, frame: str, heading: str = ""):
    """The status, the language, the title in the tab and as the heading, and the frame: the
    portal's header and sections, or the admin's header and its way back to the admin index."""
    assert response.status_code == status
    text = page_text(response)
    assert '<html lang="fr"' in text
    assert re.search(rf"<title>{re.escape(title)} [—|]", text), title
    heading = heading or title
    assert re.search(rf"<h1>\s*{re.escape(heading)}\s*</h1>", text), heading
    for word in ENGLISH:
        assert word not in text
    if frame == "admin":
        assert ADMIN_HEADER in text
        assert "Revenir à l'accueil de l'espace de gestion" in text
        assert 'aria-label="Sections du site"' not in text
    else:
        assert 'aria-label="Sections du site"' in text
        assert ADMIN_HEADER not in text


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(staff_user(CONTRIBUTEUR))
    return client


# --- 404 -----------------------------------------------------------------------------------


def test_a_missing_page_on_the_portal(client):
    response = client.get("/pas-une-page/")
    assert_french_page(response, 404, "Page introuvable", "portail")
    assert "Rechercher parmi les fiches actions" in page_text(response)


def test_a_missing_page_in_the_admin(staff_client):
    response = staff_client.get("/admin/pas-une-page/")
    assert_french_page(response, 404, "Page introuvable", "admin")
    # The staff member's own header: still logged in, with the admin's French user tools.
    assert "Déconnexion" in page_text(response)


# --- 403 -----------------------------------------------------------------------------------


def test_a_refused_operation_in_the_admin():
    """A contributor may change its structure's fiche, not delete it: the admin raises
    PermissionDenied, answered in the admin's frame."""
    structure = StructureFactory()
    fiche = FicheActionFactory()
    ParticipationFactory(fiche=fiche, structure=structure, role=Role.PORTEUR)
    client = Client()
    client.force_login(staff_user(CONTRIBUTEUR, structures=[structure]))

    response = client.post(reverse("admin:actions_ficheaction_delete", args=[fiche.pk]))

    assert_french_page(response, 403, "Accès refusé", "admin")
    assert "Rien n'a été modifié" in page_text(response)
    assert FicheAction.objects.filter(pk=fiche.pk).exists()


def test_a_refused_operation_on_the_portal(rf):
    response = errors.permission_denied(rf.get("/actions/"))
    assert_french_page(response, 403, "Accès refusé", "portail")


# --- CSRF ----------------------------------------------------------------------------------


def test_a_form_without_its_token_on_the_portal():
    response = Client(enforce_csrf_checks=True).post("/", {"q": "emploi"})
    assert_french_page(response, 403, "Formulaire refusé", "portail", CSRF_HEADING)
    assert "autorisez les cookies" in page_text(response)


def test_a_login_form_with_a_bad_token_in_the_admin():
    client = Client(enforce_csrf_checks=True)
    client.get("/admin/login/")  # sets the CSRF cookie
    response = client.post(
        "/admin/login/",
        {"username": "agent", "password": "mot-de-passe", "csrfmiddlewaretoken": "x" * 64},
    )
    assert_french_page(response, 403, "Formulaire refusé", "admin", CSRF_HEADING)
    assert "la page était sans doute ouverte depuis longtemps" in page_text(response)
    assert "style=" not in page_text(response)


# --- 400 -----------------------------------------------------------------------------------


@override_settings(ALLOWED_HOSTS=["testserver"])
@pytest.mark.parametrize(("url", "frame"), [("/actions/", "portail"), ("/admin/", "admin")])
def test_a_request_for_another_host(client, url, frame):
    response = client.get(url, HTTP_HOST="pas-le-portail.example")
    assert_french_page(response, 400, "Demande incorrecte", frame)


# --- 500 -----------------------------------------------------------------------------------


@BOOM_URLS
@pytest.mark.parametrize(("url", "frame"), [("/boum/", "portail"), ("/admin/boum/", "admin")])
def test_a_view_that_raises(url, frame):
    response = Client(raise_request_exception=False).get(url)
    assert_french_page(response, 500, "Erreur du serveur", frame)
    assert "une vue qui casse" not in page_text(response)


@BOOM_URLS
@pytest.mark.parametrize("url", ["/boum/", "/admin/boum/"])
def test_the_500_page_needs_no_context_processor(settings, url):
    """A broken context processor (or the database behind one) does not break the 500 page."""
    template_settings = settings.TEMPLATES[0]
    processors = template_settings["OPTIONS"]["context_processors"]
    settings.TEMPLATES = [
        {
            **template_settings,
            "OPTIONS": {
                **template_settings["OPTIONS"],
                "context_processors": [*processors, f"{__name__}.broken_context_processor"],
            },
        }
    ]
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 500
    assert "Erreur du serveur" in page_text(response)


@BOOM_URLS
def test_the_500_page_without_its_template(monkeypatch):
    def no_template(name, *args, **kwargs):
        raise RuntimeError(f"{name} illisible")

    monkeypatch.setattr(errors.loader, "get_template", no_template)
    response = Client(raise_request_exception=False).get("/admin/boum/")

    assert response.status_code == 500
    text = page_text(response)
    assert '<html lang="fr">' in text
    assert "<h1>Erreur du serveur</h1>" in text
    assert "Server Error" not in text
