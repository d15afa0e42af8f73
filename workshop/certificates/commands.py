"""``flask certificate-fonts``: make the static fonts ahead (``make run`` runs it), so that no certificate
request waits for one."""

import click
from flask import current_app
from flask.cli import with_appcontext

from workshop.certificates import fonts


@click.command("certificate-fonts")
@with_appcontext
def certificate_fonts() -> None:
    """Make the certificates' static fonts (some seconds each, once; later runs find them made)."""
    made = fonts.prepare_for(current_app)
    click.echo(f"Certificate fonts ready: {len(made)} in {current_app.config['CERTIFICATE_FONT_CACHE']}")
