"""Template helpers shared by every feature."""

from flask import Flask

from workshop.accounts.services import country_name


def init_templating(app: Flask) -> None:
    app.jinja_env.globals["country_name"] = country_name
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
