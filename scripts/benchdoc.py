"""Writes one script's block of docs/benchmarks.md between its markers, leaving the others."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"

# The portal's TIME_ZONE (contrat/settings/base.py): every block says when in the same time.
PARIS = ZoneInfo("Europe/Paris")


def measured_at() -> str:
    """Now, as the blocks' "Mesuré le …" line writes it."""
    return f"{datetime.now(PARIS):%d/%m/%Y à %H:%M}"


def write_section(section: str, start: str, end: str) -> None:
    """Replace what stands between `start` and `end` (both kept in `section`), or append it."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Mesures de performance\n\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text, encoding="utf-8")
