import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from workshop.accounts.services import invite_token
from workshop.db import db
from workshop.demo.seed import database_is_empty, seed_demo


def _base_url() -> str:
    configured = current_app.config["BASE_URL"]
    if configured:
        return configured
    return f"http://127.0.0.1:{os.environ.get('WORKSHOP_PORT', '5000')}"


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has people or workshops.")
@with_appcontext
def demo(if_empty: bool) -> None:
    """Create the demo workshop and print how to sign in as each role."""
    notes = Path(current_app.instance_path) / "demo-sign-in.txt"
    if not database_is_empty():
        if if_empty:
            if notes.exists():
                click.echo(notes.read_text())
            return
        raise click.ClickException("The database already has data; the demo goes into an empty database only.")
    created = seed_demo()
    db.session.commit()
    base = _base_url()
    first = created.invites[0]
    local = next(i for i in created.invites if i.person.country == "LK")
    text = "\n".join([
        f"Demo workshop: {created.workshop.title} ({created.workshop.code})",
        f"  Open {base}/",
        f"  Organizer: {created.organizer.email} / {created.organizer_password}   (sign in at {base}/login)",
        f"  Moderator: {created.moderator.email} / {created.moderator_password}",
        f"  Participant {first.person.name} ({first.person.country}): {base}/invite/{invite_token(first)}",
        f"  Participant {local.person.name} ({local.person.country}): {base}/invite/{invite_token(local)}",
        "  Every participant's link: sign in as the organizer, open People.",
        "",
    ])
    notes.write_text(text)
    notes.chmod(0o600)
    click.echo(text)
