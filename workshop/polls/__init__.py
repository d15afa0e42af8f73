"""Live polls: moderators prepare and open them, participants vote, results update live."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.polls import live, routes

    app.register_blueprint(routes.blueprint)
    live.register()
