"""Attendance: each person's time on a session's pages, recorded from live presence, corrected by hand,
shown to organizers as a grid and to each person as their own."""

from flask import Flask


def init_app(app: Flask) -> None:
    """The blueprint, and the recorder the live core tells of every accepted and forgotten connection."""
    from workshop.attendance import models, recorder, routes  # noqa: F401

    app.register_blueprint(routes.blueprint)
    recorder.init_app(app)
