"""Ballot keys come from the database's ballot secret: rotating SECRET_KEY lets nobody vote twice, and the
migration that brought the secret keeps the keys of ballots cast before it."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta

import flask_migrate
import pytest
from sqlalchemy import MetaData, Table, func, insert, select
from sqlalchemy.exc import IntegrityError

from tests.conftest import app_settings
from workshop import create_app
from workshop.accounts.models import Person
from workshop.db import db
from workshop.errors import ValidationError
from workshop.polls import services
from workshop.polls.models import Ballot, PollKind

OLD_KEY = "the-secret-key-of-the-old-days"


def ballot_count(poll_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id))


@pytest.mark.parametrize("allow_change", [True, False])
def test_after_rotating_secret_key_the_same_person_still_has_one_ballot(database_url, app, room, allow_change):
    poll = room.poll(PollKind.SINGLE.value, anonymous="y", allow_change=allow_change)
    first, second = (option.id for option in poll.options[:2])
    voter_id = room.participants[0].id
    services.cast_vote(poll.id, room.participants[0], {"option": first})

    rotated = create_app({**app_settings(database_url), "SECRET_KEY": "rotated-" + app.secret_key})
    try:
        with rotated.app_context():
            voter = db.session.get(Person, voter_id)
            if allow_change:
                services.vote(poll.id, voter, {"option": second})
            else:
                with pytest.raises(ValidationError, match="already voted") as refused:
                    services.vote(poll.id, voter, {"option": second})
                assert refused.value.status == 409
                db.session.rollback()
            db.session.remove()
    finally:
        with rotated.app_context():
            db.engine.dispose()

    assert ballot_count(poll.id) == 1
    ballot = db.session.scalar(select(Ballot).where(Ballot.poll_id == poll.id))
    assert [choice.option_id for choice in ballot.choices] == [second if allow_change else first]


# The migration -------------------------------------------------------------------------------------------





def old_voter_key(poll_id: int, person_id: int) -> str:
    """The key as revision 0007's app made it: from SECRET_KEY."""
    return hmac.new(OLD_KEY.encode(), f"ballot:{poll_id}:{person_id}".encode(), hashlib.sha256).hexdigest()


def add_row(connection, table: str, **values) -> int:
    """A row written as the schema of the time has it (the models describe today's)."""
    reflected = Table(table, MetaData(), autoload_with=connection)
    return connection.execute(insert(reflected).values(**values).returning(reflected.c.id)).scalar_one()


def an_anonymous_ballot_at_0007(person_id: int) -> int:
    """An open anonymous poll with one ballot, keyed the old way; returns the poll's id."""
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with db.engine.begin() as connection:
        workshop = add_row(connection, "workshop", title="Before the ballot secret", code="OLD-KEYS",
                           starts_on=date(2026, 11, 30), ends_on=date(2026, 12, 1), timezone="UTC",
                           modality="online", objectives="", topics="", join_enabled=False, created_at=now)
        session = add_row(connection, "agenda_session", workshop_id=workshop, kind="plenary", title="Plenary",
                          description="", starts_at=now, ends_at=now + timedelta(hours=1), speakers="",
                          resource_persons="", uid="old-keys-plenary", sequence=0, updated_at=now)
        poll = add_row(connection, "poll", workshop_id=workshop, session_id=session, kind="single choice",
                       question="Which method first?", state="open", anonymous=True, allow_change=False,
                       results_visible=False, max_picks=1, scale_max=5, ranking_method="borda", created_at=now,
                       revision=1)
        add_row(connection, "ballot", poll_id=poll, voter_key=old_voter_key(poll, person_id), hidden=False,
                cast_at=now)
    return poll


def test_the_migration_keeps_the_keys_of_ballots_cast_before_it(empty_database):
    person_id = 42
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "ASYNC_MODE": "threading", "SECRET_KEY": OLD_KEY})
    with app.app_context():
        try:
            flask_migrate.upgrade(revision="0007")
            poll_id = an_anonymous_ballot_at_0007(person_id)

            flask_migrate.upgrade(revision="0008")

            # The same person's second vote looks for, and would write, the key their first ballot has.
            key = services.voter_key(poll_id, person_id)
            assert key == old_voter_key(poll_id, person_id)
            assert db.session.scalar(select(Ballot.id).where(Ballot.poll_id == poll_id, Ballot.voter_key == key))
            db.session.add(Ballot(poll_id=poll_id, voter_key=key))
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_a_database_without_ballots_gets_a_random_ballot_secret(empty_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "ASYNC_MODE": "threading", "SECRET_KEY": OLD_KEY})
    with app.app_context():
        try:
            flask_migrate.upgrade(revision="0008")
            secret = services.ballot_secret()
            assert len(secret) == 32 and secret != OLD_KEY.encode()
        finally:
            db.session.remove()
            db.engine.dispose()
