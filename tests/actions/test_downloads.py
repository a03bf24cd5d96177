"""Downloads: built once per data version, a few builds at a time, throttled per client."""

import json

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from actions.models import FicheAction
from actions.views import fiches as views
from tests.actions.samples import sample_fiches

pytestmark = pytest.mark.django_db

CSV_URL = reverse("actions:export-csv")
JSON_URL = reverse("actions:export-json")
PDF_URL = reverse("actions:recap-pdf")
XLSX_URL = reverse("actions:recap-xlsx")


def streamed(response) -> bytes:
    """A streamed download's bytes (CSV and JSON are streamed, not cached)."""
    return b"".join(response.streaming_content)


def count_builds(monkeypatch, name: str) -> list:
    """Wrap the builder `name` the views call; the list grows by one per build."""
    builds = []
    real = getattr(views, name)

    def counted(*args, **kwargs):
        builds.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(views, name, counted)
    return builds


# --- built once per data version --------------------------------------------------------------


def test_the_same_recap_pdf_is_built_once_until_the_data_changes(client, monkeypatch):
    sample_fiches()
    builds = count_builds(monkeypatch, "build_recap_pdf")

    first = client.get(PDF_URL)
    second = client.get(PDF_URL)
    assert first.status_code == second.status_code == 200
    assert second["Content-Type"] == "application/pdf"
    assert second.content == first.content
    assert len(builds) == 1

    fiche = FicheAction.objects.published().first()
    fiche.titre = "Titre corrigé"
    fiche.save()
    third = client.get(PDF_URL)
    assert len(builds) == 2
    assert third.content != first.content


def test_a_budget_line_deleted_is_seen_by_the_next_download(client):
    sample_fiches()
    before = streamed(client.get(CSV_URL)).decode("utf-8-sig")
    ligne = FicheAction.objects.published().filter(lignes_budget__isnull=False).first()
    ligne = ligne.lignes_budget.first()
    ligne.delete()
    assert streamed(client.get(CSV_URL)).decode("utf-8-sig") != before


def test_the_filters_make_the_key_in_any_order_and_other_parameters_do_not(client, monkeypatch):
    sample_fiches()
    builds = count_builds(monkeypatch, "build_recap_xlsx")

    client.get(XLSX_URL + "?sort=titre&statut=en_cours")
    client.get(XLSX_URL + "?statut=en_cours&page=3&utm_source=lettre&sort=titre&q=")
    assert len(builds) == 1
    client.get(XLSX_URL + "?sort=-budget&statut=en_cours")
    assert len(builds) == 2


def test_a_staff_download_is_never_served_to_the_public_nor_the_reverse(client, admin_client):
    sample_fiches()
    url = JSON_URL + "?brouillons=1"  # the staff's download with drafts, the public's without
    staff = json.loads(streamed(admin_client.get(url)))
    public = json.loads(streamed(client.get(url)))
    staff_again = json.loads(streamed(admin_client.get(url)))
    assert "Fiche en brouillon" in [item["titre"] for item in staff]
    assert "Fiche en brouillon" not in [item["titre"] for item in public]
    assert staff_again == staff


def test_a_download_larger_than_the_cap_is_built_each_time(client, monkeypatch, settings):
    settings.EXPORT_CACHE_MAX_BYTES = 100
    sample_fiches()
    builds = count_builds(monkeypatch, "build_recap_xlsx")
    client.get(XLSX_URL)
    client.get(XLSX_URL)
    assert len(builds) == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="UNLOGGED n'existe que sous PostgreSQL."
)
def test_the_database_cache_tables_are_not_journaled_on_postgresql(settings):
    # A cache write needs no disk flush at commit; a crash empties the cache, nothing else.
    settings.CACHES = {
        alias: {"BACKEND": "contrat.caches.DatabaseCache", "LOCATION": table}
        for alias, table in (("default", "contrat_cache"), ("exports", "contrat_cache_exports"))
    }
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relpersistence FROM pg_class WHERE relname = ANY(%s)",
            [["contrat_cache", "contrat_cache_exports"]],
        )
        assert dict(cursor.fetchall()) == {"contrat_cache": "u", "contrat_cache_exports": "u"}
    cache = caches["default"]
    cache.set("essai", "valeur")
    assert cache.get("essai") == "valeur"


def test_the_database_cache_is_created_by_migrate_and_serves_downloads(
    client, monkeypatch, settings
):
    # The test settings use memory caches; production's default is two tables, which any
    # `migrate` makes, even with no migration to apply (actions/apps.py).
    settings.CACHES = {
        alias: {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": table}
        for alias, table in (("default", "contrat_cache"), ("exports", "contrat_cache_exports"))
    }
    assert "contrat_cache" not in connection.introspection.table_names()
    call_command("migrate", verbosity=0)
    assert {"contrat_cache", "contrat_cache_exports"} <= set(connection.introspection.table_names())
    sample_fiches()
    builds = count_builds(monkeypatch, "build_recap_pdf")
    first = client.get(PDF_URL)
    assert client.get(PDF_URL).content == first.content
    assert len(builds) == 1
    FicheAction.objects.published().first().save()
    client.get(PDF_URL)
    assert len(builds) == 2


# --- a few builds at a time ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_process", "per_machine"),
    [(1, 2), (2, 1)],
    ids=["slot of the process taken", "slot of the machine taken"],
)
def test_a_download_waiting_too_long_for_a_render_slot_gets_a_french_503(
    client, monkeypatch, settings, per_process, per_machine
):
    settings.EXPORT_MAX_CONCURRENT_RENDERS = per_process
    settings.EXPORT_MAX_MACHINE_RENDERS = per_machine
    settings.EXPORT_RENDER_WAIT = 0
    sample_fiches()
    during = {}
    real = views.build_recap_xlsx

    def slow_xlsx(fiches, **kwargs):
        # Another visitor asks for other downloads while this one is being built.
        other = Client()
        during["pdf"] = other.get(PDF_URL)
        during["same xlsx"] = other.get(XLSX_URL)
        return real(fiches, **kwargs)

    monkeypatch.setattr(views, "build_recap_xlsx", slow_xlsx)
    assert client.get(XLSX_URL).status_code == 200

    for response in during.values():
        assert response.status_code == 503
        assert response["Retry-After"].isdigit()
        assert "Réessayez dans quelques secondes" in response.content.decode()
    # The slot is free again once the build is over.
    assert client.get(PDF_URL).status_code == 200


def test_a_process_busy_with_its_downloads_refuses_more_at_once_without_a_query(
    client, monkeypatch, settings, django_assert_num_queries
):
    settings.EXPORT_MAX_CONCURRENT_DOWNLOADS = 1
    sample_fiches()
    client.get(PDF_URL)  # built and cached: the gate refuses even what is ready
    during = {}
    real = views.build_recap_xlsx

    def slow_xlsx(fiches, **kwargs):
        with django_assert_num_queries(0):
            during["pdf"] = Client().get(PDF_URL)
        return real(fiches, **kwargs)

    monkeypatch.setattr(views, "build_recap_xlsx", slow_xlsx)
    assert client.get(XLSX_URL).status_code == 200
    assert during["pdf"].status_code == 503
    assert "Réessayez dans quelques secondes" in during["pdf"].content.decode()
    assert client.get(PDF_URL).status_code == 200


# --- throttled per client -----------------------------------------------------------------------


def test_downloads_beyond_the_rate_get_a_french_429_per_client_address(client, settings):
    settings.EXPORT_RATE = "2/h"  # an hour: the test never straddles two windows
    fiche = sample_fiches()["published"][0]
    first = Client(REMOTE_ADDR="203.0.113.7")
    assert first.get(CSV_URL).status_code == 200
    assert first.get(JSON_URL).status_code == 200

    refused = first.get(reverse("actions:recap-xlsx"))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    page = refused.content.decode()
    assert "Trop de téléchargements" in page
    assert "Les pages du portail restent consultables" in page
    # The fiche PDF counts with the exports; the pages are never throttled.
    assert first.get(reverse("actions:fiche-pdf", args=[fiche.slug])).status_code == 429
    assert first.get(reverse("actions:list")).status_code == 200

    assert Client(REMOTE_ADDR="203.0.113.8").get(CSV_URL).status_code == 200


def test_behind_the_proxy_the_client_address_is_counted_not_a_forged_one(settings):
    settings.EXPORT_RATE = "1/h"
    settings.TRUSTED_PROXY_COUNT = 1
    sample_fiches()
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    assert proxy.get(CSV_URL, headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 200
    # A new forged address on the left does not make a new client; the proxy's own part does.
    forged = "192.0.2.99, 198.51.100.1"
    assert proxy.get(CSV_URL, headers={"X-Forwarded-For": forged}).status_code == 429
    assert proxy.get(CSV_URL, headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 200
