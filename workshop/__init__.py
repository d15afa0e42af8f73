"""The online-workshop app.

This module imports nothing heavy, so ``python -m workshop.serve`` can let
gevent patch the standard library before Flask and its friends load.
"""


def create_app(overrides: dict | None = None):
    """Build the app from ``WORKSHOP_*`` environment settings (``overrides`` win, for tests)."""
    from workshop.app import create_app as build

    return build(overrides)
