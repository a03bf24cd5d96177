"""Fixtures and helpers shared by the whole suite."""

import html
import re
from unittest import mock

import pytest
from django.core.cache import caches
from django.core.management import call_command

from contrat.formats import NBSP

NO_BREAK_SPACES = re.compile(f"[{NBSP}\u202f]")
TAGS = re.compile(r"<[^>]+>")


def page_html(response) -> str:
    """The page's HTML as sent."""
    return response.content.decode()


def download_bytes(response) -> bytes:
    """A download's bytes, streamed (CSV, JSON) or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def page_text(response, *, tags: bool = True) -> str:
    """The page as a reader sees it: entities decoded, no-break spaces as plain spaces; without
    its tags when `tags` is False."""
    text = page_html(response)
    if not tags:
        text = TAGS.sub("", text)
    return NO_BREAK_SPACES.sub(" ", html.unescape(text))


def page_words(response) -> str:
    """`page_text`, every run of white space as one space: for sentences spread over lines."""
    return re.sub(r"\s+", " ", page_text(response))


def run_worker():
    """The real background worker (django-tasks-db's db_worker), until the queue is empty.

    Between two tasks it closes the connection of a process whose autocommit is off, as the
    test's own transaction leaves it: on PostgreSQL that would end the test's transaction (an
    in-memory SQLite database survives it). Its connection stays open here."""
    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    ):
        call_command(
            "db_worker",
            queue_name="*",
            batch=True,
            startup_delay=False,
            reload=False,
            verbosity=0,
        )


@pytest.fixture(autouse=True)
def empty_caches():
    """Each test starts with empty caches: no download built, no throttle hit counted before."""
    for cache in caches.all():
        cache.clear()


@pytest.fixture
def recap(db):
    """The 29 fiches of the recap table, loaded from fixtures/recap.json."""
    call_command("loaddata", "recap", verbosity=0)
