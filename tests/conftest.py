"""Fixtures shared by the whole suite."""

import pytest
from django.core.management import call_command


@pytest.fixture
def recap(db):
    """The 29 fiches of the recap table, loaded from fixtures/recap.json."""
    call_command("loaddata", "recap", verbosity=0)
