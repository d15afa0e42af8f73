"""The demo workshop (APO Workshop on Innovative Public Procurement) and the ``flask demo`` command."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.demo.cli import demo

    app.cli.add_command(demo)
