import click
from flask.cli import with_appcontext

from workshop.accounts import services
from workshop.db import db
from workshop.errors import ValidationError


@click.command("create-organizer")
@click.option("--email", prompt=True, help="Sign-in email of the organizer.")
@click.option("--name", prompt=True, help="Full name.")
@click.password_option(help=f"At least {services.MIN_PASSWORD_LENGTH} characters.")
@with_appcontext
def create_organizer(email: str, name: str, password: str) -> None:
    """Make an organizer account that can create workshops."""
    try:
        person = services.create_person(email=email, name=name)
        services.set_password(person, password)
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(" ".join(error.errors.values())) from None
    person.can_create_workshops = True
    db.session.commit()
    click.echo(f"Organizer {person.email} created. Sign in at /login.")


@click.command("reset-password")
@click.option("--email", prompt=True, help="Sign-in email of the account.")
@click.password_option(help=f"The new password, at least {services.MIN_PASSWORD_LENGTH} characters.")
@with_appcontext
def reset_password(email: str, password: str) -> None:
    """Set a new password for an account and sign it out everywhere (for operators, when mail is not set up)."""
    try:
        person = services.operator_reset(email, password)
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(" ".join(error.errors.values())) from None
    db.session.commit()
    click.echo(f"New password set for {person.email}; every session of the account is signed out.")
