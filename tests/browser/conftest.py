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


def horizontal_overflow(page) -> int:
    """How far the page runs past the window's width (0 or less: no sideways scrolling)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.fixture
def pages_check(page, screenshot):
    """pages_check(base_url, {name: path}): each page, on a phone then a desktop, answers 200
    with its heading, fits the window (no sideways scrolling) and is axe-clean; a screenshot
    of each. Every violation of every page is reported at once."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    def check(base_url: str, pages: dict[str, str]) -> None:
        axe = Axe()
        reports = {}
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            for name, path in pages.items():
                response = page.goto(f"{base_url}{path}")
                assert response.status == 200, path
                expect(page.get_by_role("heading", level=1)).to_be_visible()
                overflow = horizontal_overflow(page)
                assert overflow <= 0, f"{name} déborde de {overflow} px à {viewport['width']} px"
                results = axe.run(page)
                if results.violations_count:
                    reports[f"{name} ({viewport['width']} px)"] = results.generate_report()
                screenshot(page, name)
        assert not reports, "\n\n".join(f"== {name}\n{text}" for name, text in reports.items())

    return check
