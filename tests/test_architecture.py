"""The layout CONVENTIONS.md describes: one-way arrows between apps, no import cycle between
modules, no app file grown past two concerns."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("actions", "comites", "contrat", "enjeux", "structures")
MAX_LINES = 600


def project_modules() -> dict[str, Path]:
    """{dotted name: file} of the project's code, migrations aside."""
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `name` imports, at the top or inside a function alike."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` is the module; `from module import name`, the module.
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            targets = [t for t in targets if t in modules] or [base]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def test_no_import_cycle_between_the_projects_modules(graph):
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(" → ".join([*stack[stack.index(target) :], target]))
            elif target not in state:
                visit(target, [*stack, target])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def wrong_arrows(graph, app, forbidden) -> set[str]:
    return {
        f"{module} → {target}"
        for module, targets in graph.items()
        if module.split(".")[0] == app
        for target in targets
        if target.split(".")[0] in forbidden
    }


@pytest.mark.parametrize("app", ["enjeux", "structures"])
def test_the_referential_apps_never_import_actions(graph, app):
    assert wrong_arrows(graph, app, {"actions", "comites"}) == set()


@pytest.mark.parametrize("app", ["actions", "contrat"])
def test_nothing_below_the_committees_imports_them(graph, app):
    """comites reads actions, structures and enjeux; none of them (nor contrat/) reads it."""
    assert wrong_arrows(graph, app, {"comites"}) == set()


def test_no_app_file_over_600_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in project_modules().values()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
