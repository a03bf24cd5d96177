"""The search's trigram indexes (migration 0008): PostgreSQL answers a search from them."""

import pytest
from django.db import connection

from actions.models import FicheAction
from tests.factories import FicheActionFactory, SousActionFactory

pytestmark = pytest.mark.django_db

INDEXES = [
    "actions_fiche_titre_trgm",
    "actions_fiche_descriptif_trgm",
    "actions_fiche_enjeu_trgm",
    "actions_sousaction_titre_trgm",
    "actions_sousaction_description_trgm",
]


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("Index trigrammes : PostgreSQL seulement (SQLite cherche sans index).")


def test_search_plan_uses_the_trigram_indexes(postgresql):
    for n in range(30):
        fiche = FicheActionFactory(titre=f"Fiche {n}", descriptif="Un descriptif sans le mot.")
        SousActionFactory(fiche=fiche, titre=f"Sous-action {n}")
    with connection.cursor() as cursor:
        # Few rows: the planner would rather scan them; forbid it to see the indexes serve.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("ANALYZE")

    plan = FicheAction.objects.published().search("Ludothèque").explain()

    for index in INDEXES:
        assert index in plan


def test_search_through_the_indexes_finds_what_the_text_holds(postgresql):
    FicheActionFactory(titre="Ludothèque itinérante")
    FicheActionFactory(titre="Autre", descriptif="Une LUDOTHEQUE au village")
    SousActionFactory(fiche=FicheActionFactory(titre="Plan"), titre="Créer une ludothèque")
    FicheActionFactory(titre="Sans rapport")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")

    found = FicheAction.objects.published().search("ludothèque").order_by("titre")

    assert [fiche.titre for fiche in found] == ["Autre", "Ludothèque itinérante", "Plan"]
