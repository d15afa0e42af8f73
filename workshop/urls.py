"""Addresses: absolute links read outside the browser (emails, QR codes, calendar feeds), and the
local paths a ``next`` or return parameter may send a browser back to."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import current_app, url_for

BASE_URL_MISSING = ("Set WORKSHOP_BASE_URL to this server's public address (for example "
                    "https://workshops.example.org) so that emailed links point to this server.")

# Longer than any path of this app with its query; a longer "next" is no page of ours.
MAX_LOCAL_PATH = 2048
# Percent-decoding rounds looked through: a value still changing after these is no page of ours.
DECODING_ROUNDS = 4


class BaseUrlMissing(RuntimeError):
    """An emailed link was asked for, and no base URL is configured."""


def external_url(endpoint: str, *, for_email: bool = False, **values) -> str:
    """BASE_URL plus the path when it is set, else the host the request itself was sent to.

    ``for_email``: the link is sent by email, so BASE_URL only, and BaseUrlMissing (message BASE_URL_MISSING)
    without it. Never the request's Host then: anyone can send any Host header, and a password or invite
    link mailed to someone else would lead to the sender's server. Links shown on a page to the person
    who asked for it (and QR codes, calendar feeds) may use the request's host.
    """
    base = current_app.config["BASE_URL"]
    if base:
        return base + url_for(endpoint, **values)
    if for_email:
        raise BaseUrlMissing(BASE_URL_MISSING)
    return url_for(endpoint, _external=True, **values)


def email_url(endpoint: str, **values) -> str:
    """The link for an email: ``external_url(endpoint, for_email=True, **values)``."""
    return external_url(endpoint, for_email=True, **values)


def safe_local_path(target: str | None, default: str) -> str:
    """``target`` if a browser would read it as a page of this site, else ``default``.

    For every ``next`` or return value a request carries. Accepted: a path starting with one "/",
    without scheme or host, without dot segments, without backslashes, control characters or
    whitespace, in the value as sent or percent-decoded (browsers drop tabs and newlines, so
    "/\\t/evil" is "//evil" to them, and a decoded newline would break the Location header).
    """
    if not target or len(target) > MAX_LOCAL_PATH:
        return default
    decoded = _decoded(target)
    if decoded is None or not all(_plain(text) for text in (target, decoded)):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or decoded.startswith("//"):
        return default
    if any(segment in (".", "..") for segment in urlsplit(decoded).path.split("/")):
        # "/../..//evil" resolves to the path "//evil", which a later redirect would send to another host.
        return default
    return target


def _plain(text: str) -> bool:
    return text.isprintable() and "\\" not in text and not any(character.isspace() for character in text)


def _decoded(text: str) -> str | None:
    """``text`` percent-decoded until nothing changes; None if it still changes after DECODING_ROUNDS."""
    for _ in range(DECODING_ROUNDS):
        plain = unquote(text)
        if plain == text:
            return text
        text = plain
    return None
