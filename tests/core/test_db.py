"""Datetimes are stored in UTC and come back aware; naive ones are refused. SQLite runs in WAL mode."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from workshop import create_app
from workshop.accounts.models import Invite, Person
from workshop.db import NaiveDatetimeError, db


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_naive_datetime_is_refused_on_flush_and_nothing_is_written(app, make):
    person = Person(email="naive@example.org", name="Naive", created_at=datetime(2023, 7, 18, 9, 0))
    db.session.add(person)
    with pytest.raises(NaiveDatetimeError, match="naive datetime"):
        db.session.flush()
    db.session.rollback()
    assert _count(Person) == 0


def test_naive_datetime_set_on_an_existing_row_is_refused_on_commit(app, make):
    person, workshop = make.person(), make.workshop()
    invite = Invite(person=person, workshop=workshop, expires_at=datetime(2030, 1, 1, tzinfo=timezone.utc))
    db.session.add(invite)
    db.session.commit()
    invite.expires_at = datetime(2031, 1, 1)
    with pytest.raises(NaiveDatetimeError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Invite, invite.id).expires_at == datetime(2030, 1, 1, tzinfo=timezone.utc)


def test_naive_datetime_in_a_plain_sql_statement_is_refused_too(app, make):
    person, workshop = make.person(), make.workshop()
    with pytest.raises(Exception) as raised:
        db.session.execute(Invite.__table__.insert().values(
            person_id=person.id, workshop_id=workshop.id, created_at=datetime(2023, 1, 1, tzinfo=timezone.utc),
            expires_at=datetime(2030, 1, 1)))
    assert isinstance(raised.value.__cause__ or raised.value.orig, NaiveDatetimeError)
    db.session.rollback()
    assert _count(Invite) == 0


ZONES = ["Asia/Kathmandu", "Pacific/Fiji", "America/Los_Angeles", "UTC"]


def test_aware_datetime_comes_back_as_the_same_instant_in_utc(app, make):
    person, workshop = make.person(), make.workshop()
    sent = {zone: datetime(2023, 7, 18, 9, 30, 15, 250000, tzinfo=ZoneInfo(zone)) for zone in ZONES}
    invites = {zone: Invite(person=person, workshop=workshop, expires_at=when) for zone, when in sent.items()}
    db.session.add_all(invites.values())
    db.session.commit()
    ids = {zone: invite.id for zone, invite in invites.items()}
    db.session.expunge_all()

    for zone, when in sent.items():
        back = db.session.get(Invite, ids[zone]).expires_at
        assert back == when, zone
        assert back.tzinfo is not None and back.utcoffset() == timedelta(0)
        assert back.replace(tzinfo=None) == when.astimezone(timezone.utc).replace(tzinfo=None)


def test_comparisons_in_sql_use_the_instant_not_the_wall_clock(app, make):
    person, workshop = make.person(), make.workshop()
    # 09:00 in Kathmandu (UTC+5:45) is 03:15 UTC: earlier than 08:00 UTC despite the larger wall-clock hour.
    db.session.add(Invite(person=person, workshop=workshop,
                          expires_at=datetime(2023, 7, 18, 9, 0, tzinfo=ZoneInfo("Asia/Kathmandu"))))
    db.session.commit()
    eight_utc = datetime(2023, 7, 18, 8, 0, tzinfo=timezone.utc)
    three_in_suva = datetime(2023, 7, 18, 15, 0, tzinfo=ZoneInfo("Pacific/Fiji"))  # 03:00 UTC
    assert db.session.scalar(select(func.count()).where(Invite.expires_at < eight_utc)) == 1
    assert db.session.scalar(select(func.count()).where(Invite.expires_at < three_in_suva)) == 0


def test_none_stays_none(app, make):
    invite = Invite(person=make.person(), workshop=make.workshop(),
                    expires_at=datetime(2030, 1, 1, tzinfo=timezone.utc), revoked_at=None)
    db.session.add(invite)
    db.session.commit()
    invite_id = invite.id
    db.session.expunge_all()
    assert db.session.get(Invite, invite_id).revoked_at is None


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.db'}", "ASYNC_MODE": "threading"})
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        finally:
            db.engine.dispose()
