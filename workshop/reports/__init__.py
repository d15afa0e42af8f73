"""Country report slots: collect, version and track every participating country's report."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the feature's blueprint."""
    from workshop.reports import models, routes  # noqa: F401

    app.register_blueprint(routes.blueprint)
