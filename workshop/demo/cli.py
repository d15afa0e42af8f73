import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from workshop.accounts.models import Person
from workshop.accounts.services import invite_token
from workshop.db import db, utcnow
from workshop.demo import data, live_copy
from workshop.demo.seed import database_is_empty, seed_demo
from workshop.workshops.models import Role

# The sign-in notes: what the console prints, then this line and every participant's link.
EVERY_LINK = "Every participant's personal link to the live copy:"


def _base_url() -> str:
    configured = current_app.config["BASE_URL"]
    if configured:
        return configured
    return f"http://127.0.0.1:{os.environ.get('WORKSHOP_PORT', '5000')}"


def _notes_path() -> Path:
    return Path(current_app.instance_path) / "demo-sign-in.txt"


@click.command("demo")
@click.option("--if-needed", "--if-empty", "if_needed", is_flag=True,
              help="What `make run` does: make the demo in an empty database; in the demo's database keep its live "
                   "copy current (made afresh on a later day); leave any other database alone.")
@with_appcontext
def demo(if_needed: bool) -> None:
    """Create the demo workshop and its live copy, and print how to sign in as each role."""
    if database_is_empty():
        created = seed_demo()
        db.session.commit()
        staff = {Role.ORGANIZER: (created.organizer, created.organizer_password),
                 Role.MODERATOR: (created.moderator, created.moderator_password)}
        _write_and_print(live_copy.make(created.workshop, utcnow()), staff)
        return
    if not if_needed:
        raise click.ClickException("The database already has data; the demo goes into an empty database only.")
    if live_copy.archive() is None:
        return  # not the demo's database: nothing here is ours to change
    _keep_live_copy_current()


def _keep_live_copy_current() -> None:
    now = utcnow()
    copy = live_copy.live_copy()
    if copy is not None and live_copy.is_current(copy, now):
        notes = _notes_path()
        if notes.exists():
            click.echo(notes.read_text().split(EVERY_LINK)[0].rstrip("\n"))
        return
    if copy is not None:
        made_on = live_copy.host_day(copy.created_at)
        live_copy.remove(copy)
        db.session.commit()
        click.echo(f"The live copy made on {made_on.isoformat()} was removed with everything done in it (votes, "
                   "questions, breakout rooms); a fresh one runs today, with new passwords for the organizer and "
                   "the moderator.\n")
    source = live_copy.archive()
    staff = live_copy.new_staff_passwords(source)
    _write_and_print(live_copy.make(source, now), staff)


def _write_and_print(copy: live_copy.LiveCopy, staff: dict[Role, tuple[Person, str]]) -> None:
    base = _base_url()
    code = copy.workshop.code
    (organizer, organizer_password), (moderator, moderator_password) = staff[Role.ORGANIZER], staff[Role.MODERATOR]
    shown = live_copy.printed_invites(copy.invites)
    running = copy.running
    summary = "\n".join([
        f"Live demo: {copy.workshop.title} ({code}), made {live_copy.host_day(copy.workshop.created_at)}: "
        f"“{running.title}” is running now",
        f"  Open {base}/w/{code}/",
        f"  Organizer: {organizer.email} / {organizer_password}   (sign in at {base}/login)",
        f"  Moderator: {moderator.email} / {moderator_password}",
        f"  Run of show of the running session: {base}/w/{code}/s/{running.id}/run-of-show",
        *(f"  Participant {i.person.name} ({i.person.country}): {base}/invite/{invite_token(i)}" for i in shown),
        f"  Every participant's link: {_notes_path()}",
        f"Archive: {data.WORKSHOP['title']}, 18-20 July 2023, as it was: {base}/w/{data.WORKSHOP['code']}/",
        "",
    ])
    every_link = "\n".join(f"  {i.person.name} ({i.person.country}): {base}/invite/{invite_token(i)}"
                           for i in copy.invites)
    notes = _notes_path()
    notes.write_text(f"{summary}\n{EVERY_LINK}\n{every_link}\n")
    notes.chmod(0o600)
    click.echo(summary)
