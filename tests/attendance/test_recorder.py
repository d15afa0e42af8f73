"""Intervals recorded from socket connections in the app's own process: written in batches by the flush, one row
per connection, projectors and pages outside a session not counted, a dead worker's rows closed by a sweep."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError

from tests.attendance.conftest import add_session, at
from workshop.agenda.models import AgendaSession
from workshop.attendance.models import AttendanceInterval, AttendanceWorker
from workshop.attendance.recorder import recorder, sweep_dead_workers
from workshop.db import db, utcnow
from workshop.live.presence import Connection
from workshop.live.timers import Timers, live_jobs


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


def test_a_flush_that_fails_keeps_its_batch_whole_and_the_next_one_closes_the_row(scene, connect, monkeypatch):
    tab = connect(scene.nepal, auth=session_auth(scene))
    tab.disconnect()  # opened and closed in the same batch
    real_commit, failures = db.session.commit, []

    def locked_once():
        if not failures:
            failures.append("database is locked")
            raise OperationalError("COMMIT", {}, Exception("database is locked"))
        real_commit()

    monkeypatch.setattr(db.session, "commit", locked_once)
    with pytest.raises(OperationalError):
        recorder().flush()
    recorder().flush()
    db.session.expire_all()
    (row,) = intervals(scene.nepal)
    assert row.ended_at is not None


def test_a_row_whose_session_was_deleted_is_dropped_and_does_not_block_the_others(scene, connect):
    doomed = add_session(scene.workshop, "Cancelled", at(300), 30)
    connect(scene.sri_lanka, auth={"workshop": scene.code, "session": doomed.id})
    connect(scene.nepal, auth=session_auth(scene))
    db.session.execute(delete(AgendaSession).where(AgendaSession.id == doomed.id))
    db.session.commit()
    recorder().flush()  # before: a foreign key error at this flush and every one after
    assert [row.session_id for row in intervals(scene.nepal)] == [scene.opening.id]
    assert intervals(scene.sri_lanka) == []
    recorder().flush()  # nothing left over to fail again
    assert len(intervals(scene.nepal)) == 1


def test_a_connection_arriving_while_a_swept_worker_registers_again_gets_one_row(scene, connect, monkeypatch):
    connect(scene.nepal, auth=session_auth(scene))
    recorder().flush()
    sweep_dead_workers(0, now=utcnow() + timedelta(seconds=1))
    rec, register_again = recorder(), recorder()._reopened_if_swept

    def arrival_during_the_flush(*args):
        rec.arrived("late-sid", Connection(scene.workshop.id, scene.sri_lanka.id, scene.opening.id), {})
        return register_again(*args)

    monkeypatch.setattr(rec, "_reopened_if_swept", arrival_during_the_flush)
    recorder().flush()
    monkeypatch.undo()
    recorder().flush()
    rec.left("late-sid")
    recorder().flush()
    db.session.expire_all()
    (row,) = intervals(scene.sri_lanka)
    assert row.ended_at is not None


def test_the_attendance_flush_runs_once_more_as_the_worker_stops(app, scene, connect):
    (job,) = [job for job in live_jobs(app) if job.name == "attendance flush"]
    assert job.once_more_at_stop
    timers = Timers(app, [replace(job, every=3600)])  # no tick before the stop
    timers.start()
    tab = connect(scene.nepal, auth=session_auth(scene))
    tab.disconnect()
    assert intervals(scene.nepal) == []
    timers.stop()
    db.session.expire_all()
    (row,) = intervals(scene.nepal)
    assert row.ended_at is not None
