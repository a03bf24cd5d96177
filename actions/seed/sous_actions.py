"""Reading the sub-actions a descriptif lists: the PADESS plan's tree, or numbered actions."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class SousActionSpec:
    nature: str
    titre: str
    numero: str = ""
    description: str = ""
    parent: int | None = None  # index in the fiche's list


_PADESS_AXE = re.compile(r"^Axe\s*:\s*(?P<titre>.*)$")
_PADESS_ACTION = re.compile(r"^Action\s*(?P<numero>\d+)\s*:\s*(?P<titre>.*)$")
_ACTION_HEADING = re.compile(r"^Action\s*(?P<numero>\d+)\s*(?::\s*(?P<titre>.*))?$")


def padess_tree(descriptif: str) -> list[SousActionSpec]:
    """The PADESS plan: orientation lines, 'Axe : …' under them, 'ActionN : …' under those
    (or under the orientation when it has no axe, as Action 17)."""
    _intro, _, plan = descriptif.partition("\n\n")
    items: list[SousActionSpec] = []
    orientation = axe = None
    for line in plan.splitlines():
        if not line.strip():
            continue
        if match := _PADESS_AXE.match(line):
            items.append(SousActionSpec("axe", match["titre"].strip(), parent=orientation))
            axe = len(items) - 1
        elif match := _PADESS_ACTION.match(line):
            parent = orientation if axe is None else axe
            items.append(
                SousActionSpec("action", match["titre"].strip(), match["numero"], parent=parent)
            )
        else:
            items.append(SousActionSpec("orientation", line.strip()))
            orientation, axe = len(items) - 1, None
    return items


def numbered_actions(descriptif: str) -> list[SousActionSpec]:
    """'Action N : titre' + paragraph, or 'Action N' + title line + description lines."""
    items: list[SousActionSpec] = []
    body: list[str] = []

    def close() -> None:
        if not items:
            return
        lines = list(body)
        while lines and not lines[0].strip():
            lines.pop(0)
        if not items[-1].titre and lines:
            items[-1].titre = lines.pop(0).strip()
        items[-1].description = "\n".join(lines).rstrip()

    for line in descriptif.splitlines():
        if match := _ACTION_HEADING.match(line.strip()):
            close()
            items.append(SousActionSpec("action", (match["titre"] or "").strip(), match["numero"]))
            body = []
        elif items:
            body.append(line)
    close()
    return items
