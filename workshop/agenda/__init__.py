"""The agenda: sessions over several days, shown in each viewer's timezone, now/next, calendar feeds."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.agenda import calendar_routes, routes
    from workshop.agenda.display import timezone_options, viewer_language
    from workshop.zone_names import aliases

    app.register_blueprint(routes.blueprint)
    app.register_blueprint(calendar_routes.blueprint)
    app.jinja_env.globals["timezone_options"] = timezone_options
    app.jinja_env.globals["timezone_aliases"] = aliases
    app.jinja_env.globals["viewer_language"] = viewer_language
    app.jinja_env.globals["now_next_section"] = routes.now_next_section
