"""The search reads its index on either engine (migration 0014): PostgreSQL's GIN index of the
search documents, SQLite's FTS5 table; never a scan of every fiche's texts."""

import pytest
from django.db import connection

from actions.models import FicheAction
from tests.factories import FicheActionFactory, SousActionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fiches(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(30):
            fiche = FicheActionFactory(titre=f"Fiche {n}", descriptif="Un descriptif sans le mot.")
            SousActionFactory(fiche=fiche, titre=f"Sous-action {n}")
        FicheActionFactory(titre="Ludothèque itinérante")


@pytest.mark.parametrize("query", ["Ludothèques", "a", "lu", '"ludothèque itinérante"'])
def test_the_search_plan_reads_the_index(fiches, query):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Few rows: the planner would rather scan them, or walk the primary keys; forbid
            # it to see the GIN index serve, as it does at 10,000 fiches (docs/benchmarks.md).
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("SET LOCAL enable_nestloop = off")
            cursor.execute("ANALYZE")
    plan = FicheAction.objects.published().search(query).explain()

    if connection.vendor == "postgresql":
        assert "actions_fiche_recherche_gin" in plan
    else:
        assert "VIRTUAL TABLE INDEX" in plan
    # The texts themselves are never read to search: no folding function, no LIKE.
    sql = str(FicheAction.objects.search(query).query).upper()
    assert "LIKE" not in sql and "CONTRAT_FOLD" not in sql


def test_search_through_the_index_finds_what_the_text_holds(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        FicheActionFactory(titre="Ludothèque itinérante")
        FicheActionFactory(titre="Autre", descriptif="Une LUDOTHEQUE au village")
        SousActionFactory(fiche=FicheActionFactory(titre="Plan"), titre="Créer des ludothèques")
        FicheActionFactory(titre="Sans rapport")

    found = FicheAction.objects.published().search("ludothèque").order_by("titre")

    assert [fiche.titre for fiche in found] == ["Autre", "Ludothèque itinérante", "Plan"]
