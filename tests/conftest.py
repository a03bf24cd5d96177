"""Fixtures and helpers shared by the whole suite."""

import html
import re

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


@pytest.fixture(autouse=True)
def empty_caches():
    """Each test starts with empty caches: no download built, no throttle hit counted before."""
    for cache in caches.all():
        cache.clear()


@pytest.fixture
def recap(db):
    """The 29 fiches of the recap table, loaded from fixtures/recap.json."""
    call_command("loaddata", "recap", verbosity=0)
