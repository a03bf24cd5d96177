"""Fixtures shared by the whole suite."""

import pytest
from django.core.cache import caches
from django.core.management import call_command


@pytest.fixture(autouse=True)
def empty_caches():
    """Each test starts with empty caches: no download built, no throttle hit counted before."""
    for cache in caches.all():
        cache.clear()


@pytest.fixture
def recap(db):
    """The 29 fiches of the recap table, loaded from fixtures/recap.json."""
    call_command("loaddata", "recap", verbosity=0)
