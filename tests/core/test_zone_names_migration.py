"""Upgrading to 0011 rewrites every saved zone name to its current IANA name, people's and workshops', on both
backends, and leaves current names as they are."""

from __future__ import annotations

from datetime import datetime, timezone

import flask_migrate
from sqlalchemy import text

from workshop import create_app
from workshop.db import db

# Chromium reported these (ICU keeps the old names), and the app saved them as they came until 0011.
SAVED = {"Asia/Katmandu": "Asia/Kathmandu", "Asia/Calcutta": "Asia/Kolkata", "Asia/Saigon": "Asia/Ho_Chi_Minh",
         "Asia/Rangoon": "Asia/Yangon", "Europe/Kiev": "Europe/Kyiv", "Asia/Colombo": "Asia/Colombo",
         "Asia/Phnom_Penh": "Asia/Phnom_Penh", "UTC": "UTC"}


def _rows_at_0010(connection) -> None:
    """A person and a workshop per saved zone name, written as the schema of revision 0010 has them."""
    now = datetime(2023, 7, 1, 8, 0, tzinfo=timezone.utc)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    for n, zone in enumerate(SAVED, start=1):
        connection.execute(text(
            "INSERT INTO person (id, email, name, country, organization, timezone, timezone_chosen, "
            "can_create_workshops, session_version, created_at) VALUES (:id, :email, 'Someone', 'NP', '', :zone, "
            "true, false, 1, :now)"), {"id": n, "email": f"person{n}@example.org", "zone": zone, "now": now})
        connection.execute(text(
            "INSERT INTO workshop (id, title, code, starts_on, ends_on, timezone, modality, objectives, topics, "
            "join_enabled, agenda_version, created_at) VALUES (:id, 'Procurement', :code, '2023-07-18', "
            "'2023-07-20', :zone, 'online', '', '', false, 0, :now)"), {"id": n, "code": f"IP-{n}", "zone": zone,
                                                                         "now": now})


def test_upgrade_gives_every_saved_zone_its_current_name(empty_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "ASYNC_MODE": "threading"})
    with app.app_context():
        try:
            flask_migrate.upgrade(revision="0010")
            with db.engine.begin() as connection:
                _rows_at_0010(connection)
            flask_migrate.upgrade(revision="0011")
            with db.engine.connect() as connection:
                people = connection.execute(text("SELECT timezone FROM person ORDER BY id")).scalars().all()
                workshops = connection.execute(text("SELECT timezone FROM workshop ORDER BY id")).scalars().all()
        finally:
            db.engine.dispose()
    assert people == list(SAVED.values())
    assert workshops == list(SAVED.values())
