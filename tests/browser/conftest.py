"""Browser tests: Playwright drives Debian's Chromium against Django's live server."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the
# tests themselves (loading the fixture) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def pytest_runtest_setup(item):
    """Before any browser is launched: skip without Chromium, unless CI requires it."""
    if CHROMIUM.exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(
            f"{CHROMIUM} est introuvable alors que REQUIRE_BROWSER=1 : "
            "installez Chromium (`make browsers`).",
            pytrace=False,
        )
    pytest.skip(
        f"Tests navigateur ignorés : {CHROMIUM} est introuvable. "
        "Installez-le avec `make browsers` (apt-get install chromium) pour les lancer."
    )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR", "viewport": DESKTOP}


@pytest.fixture
def site(transactional_db, live_server):
    """The live server's base URL, with the 29 fiches of the recap loaded.

    Live-server tests run in flushed transactions, so the fixture is loaded for each test."""
    call_command("loaddata", "recap", verbosity=0)
    return live_server.url


@pytest.fixture
def screenshot():
    """screenshot(page, name): a full-page PNG in artifacts/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        size = page.viewport_size
        path = SCREENSHOTS / f"{name}-{size['width']}x{size['height']}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
