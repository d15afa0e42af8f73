"""A moderator's run-of-show: one page with what is live in a session now and the next action for each."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.run_of_show import routes

    app.register_blueprint(routes.blueprint)
