"""A worker killed with its pages open, on PostgreSQL and Redis behind nginx: its open rows are closed at its last
heartbeat by another worker's sweep, and the pages, reconnected to the survivor, are recorded there."""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from tests.scale.conftest import connections_per_worker, private_postgres, private_redis, scene  # noqa: F401
from workshop.attendance.models import AttendanceInterval
from workshop.attendance.services import seconds_attended
from workshop.db import db

FLUSH_SECONDS = 0.5
WORKER_TIMEOUT_SECONDS = 3  # swept every 0.75 s (a quarter of it)
TABS = 6


def intervals(s) -> list[AttendanceInterval]:
    with s.app.app_context():
        rows = list(db.session.scalars(select(AttendanceInterval).order_by(AttendanceInterval.id)))
        db.session.expunge_all()
        db.session.remove()
    return rows


def wait_until(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_a_killed_workers_rows_are_closed_at_its_last_heartbeat_and_its_pages_recorded_elsewhere(scene, monkeypatch):
    monkeypatch.setenv("WORKSHOP_ATTENDANCE_FLUSH_SECONDS", str(FLUSH_SECONDS))
    monkeypatch.setenv("WORKSHOP_ATTENDANCE_WORKER_TIMEOUT_SECONDS", str(WORKER_TIMEOUT_SECONDS))
    s = scene(workers=2, participants=TABS)
    tabs = [s.open_tab(n) for n in range(TABS)]  # all from 127.0.0.1: nginx's hash puts them on one worker
    held = connections_per_worker(s.cluster)
    busy = max(held, key=held.get)
    assert held[busy] >= TABS, held
    before = wait_until(lambda: (rows := intervals(s)) and len(rows) == TABS and rows, 10, "the first rows")
    (dead_worker,) = {row.worker_id for row in before}

    os.kill(s.cluster.processes[busy].pid, signal.SIGKILL)
    killed_at = datetime.now(timezone.utc)
    for n, tab in enumerate(tabs):
        tab.wait_for(lambda: len(tab.connects) >= 2, seconds=15, what=f"participant {n} to reconnect")

    def settled():
        rows = intervals(s)
        old = [row for row in rows if row.worker_id == dead_worker]
        new = [row for row in rows if row.worker_id != dead_worker and row.ended_at is None]
        return rows if all(row.ended_at for row in old) and len(new) == TABS else None

    rows = wait_until(settled, WORKER_TIMEOUT_SECONDS + 15, "the dead worker's rows to be closed and new ones opened")
    for row in rows:
        if row.worker_id == dead_worker:
            # Closed at the last heartbeat, which came before the kill and at most a flush or two earlier.
            assert killed_at - timedelta(seconds=FLUSH_SECONDS * 4 + 1) <= row.ended_at <= killed_at, row.ended_at
    assert {row.person_id for row in rows if row.worker_id != dead_worker} == set(s.people)

    with s.app.app_context():
        attended = seconds_attended(next(iter(rows)).workshop_id)
        db.session.remove()
    assert set(attended) == set(s.people)  # everyone counted, across the two workers
