"""Live polls: moderators prepare and open them, participants vote, results update live."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.polls import live, routes, services

    app.register_blueprint(routes.blueprint)
    app.jinja_env.globals["describe_ballot"] = services.describe
    live.register()
