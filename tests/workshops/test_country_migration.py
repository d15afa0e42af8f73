"""Upgrading to 0009 copies each member's profile country onto their memberships, confirmed, on both backends."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import flask_migrate
from sqlalchemy import String, text

from workshop import create_app
from workshop.db import UTCDateTime, db

BEFORE = "0008"






def _rows_at_0008(connection) -> None:
    """A workshop with an organizer, an imported participant, a self-registrant (indistinguishable before 0009)
    and a member without a country, written as the schema of revision 0008 has them."""
    now = datetime(2023, 7, 1, 8, 0, tzinfo=timezone.utc)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    connection.execute(text(
        "INSERT INTO workshop (id, title, code, starts_on, ends_on, timezone, modality, objectives, topics, "
        "join_enabled, agenda_version, created_at) VALUES (1, 'Procurement', 'IP-01', '2023-07-18', "
        "'2023-07-20', 'Asia/Colombo', 'online', '', '', true, 0, :now)"), {"now": now})
    people = [(1, "olga@example.org", "Olga", "LK"), (2, "anil@example.org", "Anil", "NP"),
              (3, "mallory@example.org", "Mallory", "IN"), (4, "nobody@example.org", "Nobody", None)]
    for person_id, email, name, country in people:
        connection.execute(text(
            "INSERT INTO person (id, email, name, country, organization, timezone, timezone_chosen, "
            "can_create_workshops, session_version, created_at) VALUES (:id, :email, :name, :country, '', 'UTC', "
            "false, false, 1, :now)"), {"id": person_id, "email": email, "name": name, "country": country, "now": now})
    for person_id, role in [(1, "organizer"), (2, "participant"), (3, "participant"), (4, "participant")]:
        connection.execute(text(
            "INSERT INTO membership (id, workshop_id, person_id, role, origin, created_at) "
            "VALUES (:id, 1, :id, :role, 'overseas', :now)"), {"id": person_id, "role": role, "now": now})


def test_upgrade_copies_each_members_country_and_confirms_it(empty_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "ASYNC_MODE": "threading"})
    with app.app_context():
        try:
            flask_migrate.upgrade(revision=BEFORE)
            with db.engine.begin() as connection:
                _rows_at_0008(connection)
            started = datetime.now(timezone.utc)
            flask_migrate.upgrade(revision="0009")
            with db.engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT person_id, country, country_confirmed_at FROM membership ORDER BY person_id")
                    .columns(country=String, country_confirmed_at=UTCDateTime)).all()
        finally:
            db.engine.dispose()
    assert [(person_id, country) for person_id, country, _ in rows] == [(1, "LK"), (2, "NP"), (3, "IN"), (4, None)]
    # Every copied country is confirmed (self-registrants could not be told apart: nobody is locked out).
    for _, country, confirmed_at in rows:
        if country is None:
            assert confirmed_at is None
        else:
            assert confirmed_at.tzinfo is not None
            assert started - timedelta(minutes=1) <= confirmed_at <= datetime.now(timezone.utc) + timedelta(minutes=1)
