"""The workshop's evaluation: prepared from its objectives and agenda, answered once, read as charts."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the blueprint, the organizers' live response rate and the opening at the last session's end."""
    from workshop.evaluation import live, models, routes  # noqa: F401

    app.register_blueprint(routes.blueprint)
    app.jinja_env.globals["evaluation_link"] = routes.evaluation_link
    live.register()
