"""The layout the architecture note promises (docs/architecture.md): which app may import which.

grants holds the models and every write; budgets holds the proposals and depends on grants; the
read side (committee) has no models, reads both and is imported by nothing but the project's URLs.
"""

import ast
from pathlib import Path

from django.apps import apps

BASE = Path(__file__).resolve().parent.parent
APPS = ("eldercare", "grants", "budgets", "committee", "public")


def imported_apps(path: Path) -> set[str]:
    """The project apps a module imports (top-level and function-level imports alike)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(APPS)
    return found


def import_graph() -> dict[str, dict[str, set[str]]]:
    """app -> imported app -> the modules that import it."""
    graph: dict[str, dict[str, set[str]]] = {app: {} for app in APPS}
    for app in APPS:
        for path in (BASE / app).rglob("*.py"):
            for other in imported_apps(path) - {app}:
                graph[app].setdefault(other, set()).add(str(path.relative_to(BASE)))
    return graph


def test_no_import_cycle_between_the_apps():
    graph = import_graph()

    def reaches(start: str, goal: str, seen: frozenset = frozenset()) -> bool:
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
            for nxt in graph[start]
        )

    cycles = [app for app in APPS if reaches(app, app)]
    assert not cycles, {app: graph[app] for app in cycles}


def test_the_direction_of_the_dependencies():
    graph = import_graph()
    assert "budgets" not in graph["grants"], graph["grants"].get("budgets")
    for read_side in ("committee", "public"):
        assert set(graph[read_side]) <= {"grants", "budgets"}, read_side
        importers = {
            app: mods
            for app, deps in graph.items()
            for dep, mods in deps.items()
            if dep == read_side
        }
        assert importers == {}, read_side  # the URLs route to it by name only
        assert f'include("{read_side}.urls")' in (BASE / "eldercare" / "urls.py").read_text()


def test_the_read_side_has_no_models():
    for read_side in ("committee", "public"):
        assert list(apps.get_app_config(read_side).get_models()) == []
        assert not (BASE / read_side / "migrations").exists()


def test_the_svg_primitives_import_no_models():
    tree = ast.parse((BASE / "grants" / "svg.py").read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert {m for m in modules if m.split(".")[0] in APPS} == {"grants.money"}
