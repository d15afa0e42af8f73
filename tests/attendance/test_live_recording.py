"""Attendance recorded from real socket connections to the real gevent server (``python -m workshop.serve``), on
SQLite and PostgreSQL: two tabs and a reconnect are three rows whose union is counted once."""

from __future__ import annotations

import time
from datetime import timedelta

import socketio
from sqlalchemy import select

from tests.attendance.conftest import add_session
from tests.attendance.union import union_seconds
from tests.polls.test_load import session_cookie
from workshop.attendance.models import AttendanceInterval
from workshop.attendance.services import seconds_attended
from workshop.db import db, utcnow
from workshop.workshops.models import Role

FLUSH_WAIT_SECONDS = 10  # the server writes every 2 s (ATTENDANCE_FLUSH_SECONDS); a busy machine may take longer


def open_tab(base_url: str, cookie: str, auth: dict) -> socketio.Client:
    tab = socketio.Client(reconnection=False, websocket_extra_options={"origin": base_url})
    tab.connect(base_url, headers={"Cookie": cookie}, auth=auth, transports=["websocket"], wait_timeout=20)
    return tab


def rows_of(person_id: int) -> list[AttendanceInterval]:
    db.session.expire_all()
    return list(db.session.scalars(select(AttendanceInterval).where(AttendanceInterval.person_id == person_id)
                                   .order_by(AttendanceInterval.started_at)))


def wait_for_rows(person_id: int, condition, what: str) -> list[AttendanceInterval]:
    deadline = time.monotonic() + FLUSH_WAIT_SECONDS
    while True:
        rows = rows_of(person_id)
        if condition(rows):
            return rows
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {[(r.started_at, r.ended_at) for r in rows]}"
        time.sleep(0.2)


def test_two_tabs_and_a_reconnect_are_counted_once(app, make, live_server):
    workshop = make.workshop()
    now = utcnow()
    session = add_session(workshop, "Plenary now", now - timedelta(minutes=10), 70)
    participant = make.member(workshop, name="Tab Opener")
    moderator = make.member(workshop, Role.MODERATOR)
    auth = {"workshop": workshop.code, "session": session.id}
    cookie = session_cookie(app, participant)

    first = open_tab(live_server, cookie, auth)
    time.sleep(1)
    second = open_tab(live_server, cookie, auth)  # a second tab of the same person
    projector = open_tab(live_server, session_cookie(app, moderator), {**auth, "projector": True})
    time.sleep(1)
    first.disconnect()
    time.sleep(1)
    second.disconnect()
    time.sleep(1)  # a second away, then back: the page reconnects
    again = open_tab(live_server, cookie, auth)
    wait_for_rows(participant.id, lambda rows: len(rows) == 3 and rows[-1].ended_at is None,
                  "the reconnection's open row")
    time.sleep(1)
    again.disconnect()
    projector.disconnect()

    rows = wait_for_rows(participant.id, lambda rows: len(rows) == 3 and all(r.ended_at for r in rows),
                         "every row closed")
    assert len({row.connection_id for row in rows}) == 3 and {row.source.value for row in rows} == {"live"}
    union = union_seconds([(r.started_at, r.ended_at) for r in rows], (session.starts_at, session.ends_at))
    summed = sum((r.ended_at - r.started_at).total_seconds() for r in rows)
    assert 3 <= union <= summed - 0.8  # the overlap of the two tabs counted once; the second away not at all
    assert abs(seconds_attended(workshop.id)[participant.id][session.id] - union) <= 1
    assert rows_of(moderator.id) == []  # the projector counts for nobody
