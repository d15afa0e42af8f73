"""Workshops, their members and roles, participant import, invitations and self-registration."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.workshops import routes

    app.register_blueprint(routes.blueprint)
