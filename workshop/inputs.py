"""What a browser sends, read the same way by every feature."""

from __future__ import annotations

from flask import request


def is_htmx() -> bool:
    """The request came from htmx, which swaps the answer into the page: it wants a fragment, not a page."""
    return request.headers.get("HX-Request") == "true"


def is_int(value) -> bool:
    """An integer from a socket event's JSON: ``true`` is an int to Python, and would pass for the id 1."""
    return isinstance(value, int) and not isinstance(value, bool)
