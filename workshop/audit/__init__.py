"""The audit log: one per workshop, read by its organizers. Every feature writes to it through ``record``."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.audit import models, routes  # noqa: F401

    app.register_blueprint(routes.blueprint)
