"""The live core's shape, read from the source: it knows no feature, and nothing but its jobs sends.

A route or a socket handler that emitted would make its answer wait on the message queue (a 500 while the
queue is away) and would be one more place that must remember to broadcast; services announce changes and
the live core's jobs send them (see workshop/changes.py and workshop/live/broadcast.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.core.test_import_cycles import PACKAGE, import_graph

FEATURES = {"polls", "qa", "breakouts", "reports"}
SENDING = {"emit", "emit_fragment"}


def sending_calls(tree: ast.AST) -> list[str]:
    """Every call in the tree to a function that sends over the socket, or broadcasts, by its name."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in SENDING or name.startswith("broadcast"):
                found.append(f"{name}() at line {node.lineno}")
    return found


def test_the_live_core_imports_no_feature():
    assert not import_graph()["live"].keys() & FEATURES


def test_no_route_emits():
    routes = sorted(PACKAGE.rglob("routes.py"))
    assert len(routes) >= 8
    emitting = {str(path.relative_to(PACKAGE.parent)): calls for path in routes
                if (calls := sending_calls(ast.parse(path.read_text(encoding="utf-8"))))}
    assert emitting == {}


def test_no_socket_event_handler_emits():
    """The handlers of participants' socket events (``on_vote``, ``on_ask``...) answer with their ack only."""
    handlers = {}
    for path in sorted(PACKAGE.glob("*/live.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("on_"):
                handlers[f"{Path(path).parent.name}.{node.name}"] = sending_calls(node)
    assert {"polls.on_vote", "qa.on_ask", "qa.on_upvote"} <= handlers.keys()
    assert {name: calls for name, calls in handlers.items() if calls} == {}
