"""The database cache's increment, which the download throttle counts with, loses no hit."""

import threading

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connections


@pytest.mark.django_db(transaction=True)
def test_increments_made_at_the_same_time_are_all_counted(settings):
    settings.CACHES = {
        "default": {"BACKEND": "contrat.caches.DatabaseCache", "LOCATION": "contrat_cache_incr"}
    }
    call_command("createcachetable")
    caches["default"].set("compte", 0)
    start = threading.Barrier(8)

    def count():
        start.wait()
        try:
            for _ in range(25):
                caches["default"].incr("compte")
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert caches["default"].get("compte") == 200
