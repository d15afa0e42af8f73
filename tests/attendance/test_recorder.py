"""Intervals recorded from socket connections in the app's own process: written in batches by the flush, one row
per connection, projectors and pages outside a session not counted, a dead worker's rows closed by a sweep."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from workshop.attendance.models import AttendanceInterval, AttendanceWorker
from workshop.attendance.recorder import recorder, sweep_dead_workers
from workshop.db import db, utcnow


def intervals(person):
    return list(db.session.scalars(select(AttendanceInterval).where(AttendanceInterval.person_id == person.id)
                                   .order_by(AttendanceInterval.id)))


def session_auth(scene, **more):
    return {"workshop": scene.code, "session": scene.opening.id, **more}


def test_nothing_is_written_until_the_flush_then_one_row_per_connection(scene, connect):
    first = connect(scene.nepal, auth=session_auth(scene))
    second = connect(scene.nepal, auth=session_auth(scene))
    assert first.connected and second.connected
    assert intervals(scene.nepal) == []  # buffered: the connect handler wrote nothing
    recorder().flush()
    rows = intervals(scene.nepal)
    assert [(row.session_id, row.ended_at) for row in rows] == [(scene.opening.id, None)] * 2
    first.disconnect()
    recorder().flush()
    db.session.expire_all()
    rows = intervals(scene.nepal)
    assert rows[0].ended_at is not None and rows[0].ended_at >= rows[0].started_at
    assert rows[1].ended_at is None


def test_a_connection_opened_and_closed_between_flushes_is_one_closed_row(scene, connect):
    tab = connect(scene.nepal, auth=session_auth(scene))
    tab.disconnect()
    recorder().flush()
    (row,) = intervals(scene.nepal)
    assert row.ended_at is not None


def test_projectors_and_pages_outside_a_session_are_not_attendance(scene, connect):
    connect(scene.moderator, auth=session_auth(scene, projector=True))
    connect(scene.nepal, scene.code)  # the workshop's home page
    recorder().flush()
    assert db.session.scalar(select(func.count()).select_from(AttendanceInterval)) == 0


def test_a_dead_workers_open_rows_are_closed_at_its_last_heartbeat(scene, connect):
    connect(scene.nepal, auth=session_auth(scene))
    recorder().flush()
    worker = db.session.get(AttendanceWorker, recorder().worker_id)
    last_seen = worker.seen_at
    assert sweep_dead_workers(20, now=last_seen + timedelta(seconds=10)) == 0  # still alive
    assert sweep_dead_workers(20, now=last_seen + timedelta(seconds=21)) == 1
    db.session.expire_all()
    (row,) = intervals(scene.nepal)
    assert row.ended_at == last_seen


def test_a_worker_swept_by_mistake_opens_its_connections_again(scene, connect):
    connect(scene.nepal, auth=session_auth(scene))
    recorder().flush()
    sweep_dead_workers(0, now=utcnow() + timedelta(seconds=1))
    recorder().flush()
    db.session.expire_all()
    first, again = intervals(scene.nepal)
    assert first.ended_at is not None and again.ended_at is None
    assert again.started_at >= first.ended_at
