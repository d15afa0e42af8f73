"""Breakout rooms: split participants into balanced, diverse groups and run timed rounds with report-back."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the feature's blueprint and its part of the session page's live pipe."""
    from workshop.breakouts import live, routes

    app.register_blueprint(routes.blueprint)
    live.register()
