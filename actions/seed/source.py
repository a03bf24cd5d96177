"""Reading fixtures/source/recap.txt: its cells, its 29 rows of five columns and its footer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

SOURCE_PATH = Path(settings.BASE_DIR) / "fixtures" / "source" / "recap.txt"

HEADER = ["Titre", "Descriptif", "Enjeu", "Budget", "Structure"]
COLUMNS = len(HEADER)

_FOOTER = re.compile(r"^-{3,}\s*(?P<text>.*?)\s*-{3,}\s*$", re.MULTILINE)
_TITLE_SPACES = re.compile(r"[ \t\r\n]+")  # not NBSP: « les p’tits loups » keeps its own


@dataclass
class SourceRow:
    ordre: int
    titre: str
    descriptif: str
    enjeu_texte: str
    budget_texte: str
    structure_texte: str


@dataclass
class SourceText:
    preamble: list[str]
    rows: list[SourceRow]
    footer: str


def clean_cell(cell: str) -> str:
    """A cell as written: only the trailing blank lines and spaces go."""
    return cell.rstrip()


def clean_title(cell: str) -> str:
    """A title on one line: line breaks and runs of spaces become one space."""
    return _TITLE_SPACES.sub(" ", cell).strip(" \t\r\n")


def split_cells(text: str) -> tuple[list[str], list[str]]:
    """(preamble lines, cells): a cell starts at a line beginning with TAB, the TAB removed."""
    preamble: list[str] = []
    cells: list[list[str]] = []
    for line in text.split("\n"):
        if line.startswith("\t"):
            cells.append([line[1:]])
        elif cells:
            cells[-1].append(line)
        else:
            preamble.append(line)
    return preamble, ["\n".join(cell) for cell in cells]


def read_source(text: str) -> SourceText:
    preamble, cells = split_cells(text)
    if [clean_title(c) for c in cells[:COLUMNS]] != HEADER:
        raise ValueError(
            "L'en-tête du tableau n'est pas Titre, Descriptif, Enjeu, Budget, Structure."
        )
    body = cells[COLUMNS:]
    if len(body) % COLUMNS:
        raise ValueError(f"{len(body)} cellules : ce n'est pas un multiple de {COLUMNS}.")
    # The dashed footer line sits after the last row, inside its last cell.
    match = _FOOTER.search(body[-1])
    if not match:
        raise ValueError("Le pied de page en tirets est introuvable après la dernière fiche.")
    body[-1] = body[-1][: match.start()]
    rows = []
    for index in range(0, len(body), COLUMNS):
        titre, descriptif, enjeu, budget, structure = body[index : index + COLUMNS]
        rows.append(
            SourceRow(
                ordre=index // COLUMNS + 1,
                titre=clean_title(titre),
                descriptif=clean_cell(descriptif),
                enjeu_texte=clean_cell(enjeu),
                budget_texte=clean_cell(budget),
                structure_texte=clean_cell(structure),
            )
        )
    return SourceText(
        preamble=[line.strip() for line in preamble if line.strip()],
        rows=rows,
        footer=match.group("text"),
    )
