"""Absolute links, for invitations, QR codes and calendar feeds read outside the browser."""

from flask import current_app, url_for


def external_url(endpoint: str, **values) -> str:
    """BASE_URL plus the path when it is set (behind a proxy), else this request's own host."""
    base = current_app.config["BASE_URL"]
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
