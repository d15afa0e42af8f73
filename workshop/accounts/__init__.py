"""People, sign-in (password for staff, invite link for participants) and the create-organizer command."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.accounts import cli, routes

    app.register_blueprint(routes.blueprint)
    app.cli.add_command(cli.create_organizer)
    app.cli.add_command(cli.reset_password)
