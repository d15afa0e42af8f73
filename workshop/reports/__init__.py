"""Country report slots: collect, version and track every participating country's report."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the feature's blueprint and the dashboard's live updates."""
    from workshop.reports import live, models, routes  # noqa: F401

    app.register_blueprint(routes.blueprint)
    live.register()
