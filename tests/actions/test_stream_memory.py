"""The process that writes the CSV and JSON of many fiches (`manage.py ecrire_donnees`, started
by the portal above EXPORT_STREAM_INLINE_FICHES) stays under 100 MB: measured on the real
command, in its own process, over a database of 2,000 generated fiches (issue 14)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from actions.exports import process_command

FICHES = 2000
LIMIT_MB = 100
NOTHING = "q=zzzqqqxxx"  # a search that finds no fiche: the process's own weight


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """The environment of a SQLite file of FICHES generated fiches: the test database lives in
    this process, which the writing process cannot read."""
    path = tmp_path_factory.mktemp("flux") / "fiches.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "contrat.settings.test",
        "DATABASE_URL": f"sqlite:///{path}",
    }
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    for command in (["migrate"], ["generate_demo", "--fiches", str(FICHES), "--seed", "1"]):
        subprocess.run([*manage, *command, "-v0"], env=env, check=True, capture_output=True)
    return env


# Starts the command and prints its exit code and peak memory. On Linux a child's ru_maxrss
# starts from its parent's size when it forks: this small Python (~10 MB) forks it, not pytest.
LAUNCHER = (
    "import os, subprocess, sys; process = subprocess.Popen(sys.argv[1:]); "
    "_pid, status, usage = os.wait4(process.pid, 0); "
    "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)"
)


def peak_mb(env, kind: str, path, query: str = "") -> float:
    """The writing process's peak resident memory (its ru_maxrss)."""
    command = process_command(kind=kind, query=query, user=None, path=path)
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], env=env, check=True, capture_output=True
    )
    code, maxrss_kb = launched.stdout.split()[-2:]
    assert int(code) == 0, launched.stderr.decode()[-2000:]
    return int(maxrss_kb) / 1024


def test_the_writing_process_loads_neither_the_pdf_nor_the_views():
    """What `ecrire_donnees` imports (Django set up, the exports): the modules that weigh and
    that it does not use stay out (WeasyPrint alone ~40 MB, the views ~30 MB with it)."""
    code = (
        "import sys, django; django.setup(); import actions.exports, actions.filters; "
        "print(' '.join(m for m in ('weasyprint', 'xlsxwriter', 'actions.views', "
        "'comites.views', 'django.test') if m in sys.modules))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "contrat.settings.test"}
    loaded = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, check=True,
        capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    assert loaded == []


@pytest.fixture(scope="module")
def empty_mb(database, tmp_path_factory) -> float:
    """The process's own weight: Django and the modules the command loads, no fiche."""
    return peak_mb(database, "actions-csv", tmp_path_factory.mktemp("vide") / "f", NOTHING)


@pytest.mark.parametrize("kind", ["actions-csv", "actions-json", "financements-csv"])
def test_the_writing_process_stays_under_100_mb(database, empty_mb, kind, tmp_path):
    full = peak_mb(database, kind, tmp_path / "fichier")
    print(f"{kind}: {empty_mb:.1f} → {full:.1f} Mo")
    assert (tmp_path / "fichier").stat().st_size > 1_000_000  # 2,000 fiches' worth (3–6 MB)
    # Measured 78–79 MB here (2,000 or 10,000 fiches alike; 120–131 MB before: the admin
    # loaded WeasyPrint, the checks every view, and each chunk of fiches outlived its turn).
    assert full < LIMIT_MB, f"{kind}: {full:.0f} Mo"
    # What the fiches add to the process's own weight (~69 MB): a chunk of them at a time,
    # measured +8 to +10 MB (+23 before).
    assert full - empty_mb < 15, f"{kind}: {empty_mb:.0f} → {full:.0f} Mo"
