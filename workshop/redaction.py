"""Paths whose secret must never reach a log: invite, calendar feed and password links.

The error pages (``workshop.errors``) and the request logs (``workshop.ops.logs``) both log paths
through ``redacted_path``. This module imports no part of the app, so either may use it.
"""

from __future__ import annotations

import re

# Paths whose segment after the prefix is the key itself: whoever reads it can use the link. Repeated
# slashes too, since the app is reached by them as well. deploy/nginx-site.conf's maps hide the same.
SECRET_IN_PATH = re.compile(
    r"^(?P<prefix>/+(?:invite|password|calendar)/+)(?P<secret>[^/?#]+?)(?P<suffix>\.ics)?(?=[/?#]|$)")
REDACTED = "[redacted]"
# The app's tokens are 30 characters or more; a shorter segment is no key, and hiding every occurrence
# of, say, "e" in an error's text would make the line unreadable.
SHORTEST_SECRET = 16


def redacted_path(path: str) -> str:
    """The path with the secret of an invite (/invite/<token>), calendar feed (/calendar/<token>.ics) or
    password link (/password/<token>) replaced by [redacted]; any other path as it is."""
    return SECRET_IN_PATH.sub(rf"\g<prefix>{REDACTED}\g<suffix>", path)


def secret_in(path: str) -> str | None:
    """The secret the path carries, to be hidden wherever else it appears in a line; None if it carries none."""
    found = SECRET_IN_PATH.match(path)
    return found["secret"] if found and len(found["secret"]) >= SHORTEST_SECRET else None
