"""Public pages kept whole for anonymous visitors (contrat/pagecache.py): the second visitor
gets the same page without a query, any write shows at once, an account is never served
someone else's page."""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.template import RequestContext, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import Etat, FicheAction
from actions.roles import REDACTEUR
from contrat.pagecache import public_page_cached
from tests.conftest import page_html
from tests.factories import make_fiches, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE = True  # as in production (off for the other tests)


LIST_URL = reverse("actions:list")


def test_the_second_anonymous_visit_gets_the_same_page_without_a_query(
    client, django_assert_num_queries
):
    fiche = make_fiches(3)[0]
    for url in [
        LIST_URL,
        f"{LIST_URL}?q=fiche",
        fiche.get_absolute_url(),
        reverse("enjeux:home"),
        reverse("structures:list"),
        fiche.participations.first().structure.get_absolute_url(),
        reverse("financements:plan"),
    ]:
        first = client.get(url)
        assert first.status_code == 200
        with django_assert_num_queries(0):
            again = Client().get(url)
        assert again.status_code == 200
        assert again.content == first.content
        assert again["Content-Type"] == first["Content-Type"]
        # The middlewares still add their headers to a page served from the cache.
        assert again["Content-Security-Policy"] == first["Content-Security-Policy"]


def test_a_write_shows_on_the_next_visit(client):
    fiche = make_fiches(2)[0]
    assert fiche.titre in page_html(client.get(LIST_URL))
    fiche.titre = "Ressourcerie des trois vallées"
    fiche.save()
    assert "Ressourcerie des trois vallées" in page_html(client.get(LIST_URL))
    assert "Ressourcerie des trois vallées" in page_html(client.get(fiche.get_absolute_url()))


def test_each_address_is_its_own_page(client):
    make_fiches(45)
    first, second = client.get(LIST_URL), client.get(LIST_URL, {"page": 2})
    assert first.context["page_obj"].number == 1
    assert second.context["page_obj"].number == 2
    assert Client().get(LIST_URL, {"page": 2}).content == second.content
    assert Client().get(LIST_URL, {"page": 3}).content != second.content


def test_an_editor_is_never_served_the_public_page_nor_the_public_theirs(client):
    fiches = make_fiches(2)
    FicheAction.objects.filter(pk=fiches[1].pk).update(etat=Etat.BROUILLON)
    public = page_html(client.get(LIST_URL))
    assert fiches[1].titre not in public
    editor = Client()
    editor.force_login(staff_user(REDACTEUR))
    seen = page_html(editor.get(LIST_URL))
    assert fiches[1].titre in seen  # the draft, for an editor
    assert fiches[1].titre not in page_html(Client().get(LIST_URL))


def test_a_page_not_found_or_a_redirect_is_not_kept(client):
    fiche = make_fiches(1)[0]
    fiche.anciens_slugs.create(slug="ancienne-adresse")
    for url, status in [("/actions/nexiste-pas/", 404), ("/actions/ancienne-adresse/", 301)]:
        assert client.get(url).status_code == status
        with CaptureQueriesContext(connection) as queries:
            assert Client().get(url).status_code == status
        assert queries.captured_queries  # looked up again, not served from the cache


def test_a_page_holding_a_form_token_or_setting_a_cookie_is_not_kept(rf):
    # Another visitor would get this one's CSRF token (refused) or cookie.
    calls = []

    def form_view(request):
        calls.append(1)
        return HttpResponse(
            Template("<form method=post>{% csrf_token %}</form>").render(RequestContext(request))
        )

    def cookie_view(request):
        calls.append(1)
        response = HttpResponse("<p>Bonjour</p>")
        response.set_cookie("choix", "1")
        return response

    for view in (form_view, cookie_view):
        calls.clear()
        for _ in range(2):
            assert public_page_cached(view)(rf.get("/page/")).status_code == 200
        assert len(calls) == 2
