"""No import cycle between the parts of the app.

A part is a top-level package or module of ``workshop/`` (``workshop/polls/`` is one part,
``workshop/urls.py`` another; ``workshop/__init__.py`` is the part ``workshop``). Every import
counts, at any depth: one inside a function still ties the two parts together, only later. The test
reads the source with ``ast`` and imports nothing, so it sees the code as written.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "workshop"
ROOT = PACKAGE.name  # the part for workshop/__init__.py


def _module_name(path: Path) -> str:
    """``workshop/agenda/routes.py`` -> ``workshop.agenda.routes``; a package's __init__ is the package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _part_of(module: str) -> str | None:
    """The part a dotted module name belongs to; None for anything outside ``workshop``."""
    names = module.split(".")
    if names[0] != ROOT:
        return None
    return names[1] if len(names) > 1 else ROOT


def _is_part(name: str) -> bool:
    return (PACKAGE / f"{name}.py").is_file() or (PACKAGE / name / "__init__.py").is_file()


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Every module that the source of ``module`` imports, anywhere in it, as absolute dotted names.

    ``from workshop import polls`` imports the module ``workshop.polls``, while ``from workshop import
    create_app`` takes a name from ``workshop`` itself: both forms are told apart here.
    """
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0]
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module
            if origin == ROOT:
                found.update(f"{ROOT}.{alias.name}" if _is_part(alias.name) else ROOT for alias in node.names)
            else:
                found.add(origin)
    return found


def import_graph() -> dict[str, dict[str, set[str]]]:
    """For each part, the other parts it imports, each with the files (relative paths) that import it."""
    graph: dict[str, dict[str, set[str]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        importer = _part_of(module)
        edges = graph.setdefault(importer, {})
        source = path.read_text(encoding="utf-8")
        for imported_module in imported_modules(source, module, is_package=path.name == "__init__.py"):
            imported = _part_of(imported_module)
            if imported is not None and imported != importer:
                edges.setdefault(imported, set()).add(str(path.relative_to(PACKAGE.parent)))
    return graph


def cycles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """The strongly connected components of more than one part (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(part: str) -> None:
        index[part] = lowest[part] = len(index)
        stack.append(part)
        on_stack.add(part)
        for neighbour in graph.get(part, {}):
            if neighbour not in index:
                visit(neighbour)
                lowest[part] = min(lowest[part], lowest[neighbour])
            elif neighbour in on_stack:
                lowest[part] = min(lowest[part], index[neighbour])
        if lowest[part] == index[part]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == part:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for part in sorted(graph):
        if part not in index:
            visit(part)
    return sorted(components)


def shortest_cycles(component: list[str], graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """For each import between two parts of the component, the shortest way back (breadth first): every
    import that closes a cycle is in one of these. Each starts at its first part by name; shortest first."""
    members = set(component)
    found = set()
    for importer in component:
        for imported in sorted(members & graph[importer].keys()):
            reached_from = {imported: None}
            queue = deque([imported])
            while importer not in reached_from:
                part = queue.popleft()
                for neighbour in sorted(members & graph[part].keys()):
                    if neighbour not in reached_from:
                        reached_from[neighbour] = part
                        queue.append(neighbour)
            way_back = [importer]
            while way_back[-1] != imported:
                way_back.append(reached_from[way_back[-1]])
            cycle = [importer] + way_back[:0:-1]
            turn = cycle.index(min(cycle))
            found.add(tuple(cycle[turn:] + cycle[:turn]))
    return sorted((list(cycle) for cycle in found), key=lambda cycle: (len(cycle), cycle))


def describe(component: list[str], graph: dict[str, dict[str, set[str]]]) -> str:
    """A component: its parts, its shortest cycles, then each import between two of its parts and the files
    that make it."""
    members = set(component)
    lines = [f"{', '.join(component)} import one another:"]
    lines += [f"    {' -> '.join(cycle + cycle[:1])}" for cycle in shortest_cycles(component, graph)]
    lines.append("  by these imports:")
    for importer in component:
        for imported in sorted(members & graph[importer].keys()):
            lines.append(f"    {importer} -> {imported}: {', '.join(sorted(graph[importer][imported]))}")
    return "\n".join(lines)


def test_no_import_cycle_between_parts():
    graph = import_graph()
    found = cycles(graph)
    assert not found, "Import cycles between parts of workshop/:\n" + "\n".join(describe(c, graph) for c in found)


def test_the_walk_sees_imports_inside_functions_and_every_form_of_import():
    """A test that saw no import would pass on any code: a few known ones, then each form on its own."""
    graph = import_graph()
    assert "app" in graph["workshop"]                      # inside create_app: from workshop.app import ...
    assert {"polls", "qa", "live"} <= graph["app"].keys()  # from workshop import polls, qa, live
    assert "db" in graph["errors"]                         # from workshop.db import db

    source = ("import workshop.db\n"
              "from workshop import action_limits, create_app\n"
              "from . import services\n"
              "from ..agenda.models import AgendaSession\n"
              "def later():\n"
              "    from .. import uploads\n")
    assert imported_modules(source, "workshop.qa.live", is_package=False) == {
        "workshop.db", "workshop.action_limits", "workshop", "workshop.qa", "workshop.agenda.models",
        "workshop.uploads"}


def test_cycles_are_found_and_described():
    graph = {"a": {"b": {"workshop/a.py"}}, "b": {"a": {"workshop/b/y.py"}, "c": {"workshop/b/x.py"}},
             "c": {"a": {"workshop/c.py"}}, "d": {"a": {"workshop/d.py"}}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert describe(["a", "b", "c"], graph) == ("a, b, c import one another:\n"
                                                "    a -> b -> a\n"
                                                "    a -> b -> c -> a\n"
                                                "  by these imports:\n"
                                                "    a -> b: workshop/a.py\n"
                                                "    b -> a: workshop/b/y.py\n"
                                                "    b -> c: workshop/b/x.py\n"
                                                "    c -> a: workshop/c.py")
