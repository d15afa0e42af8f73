"""Recording attendance from live presence, with bounded writes.

The live core tells the recorder of each accepted and each forgotten connection
(:func:`workshop.live.handlers.on_connection`). Nothing is written there: the
opening or closing is kept in memory, and every ``ATTENDANCE_FLUSH_SECONDS`` the
worker's timer writes all of them in one transaction (one INSERT of the new rows,
one UPDATE per closed row), together with the worker's heartbeat. A connection
is one row, whatever its heartbeats; a reconnect is a new row.

A worker that dies leaves its rows open. Every worker's sweep looks for workers
whose heartbeat is older than ``ATTENDANCE_WORKER_TIMEOUT_SECONDS`` and closes
their open rows at that last heartbeat (their pages reconnected elsewhere and
opened new rows there). A worker swept by mistake (paused longer than the
timeout) finds its heartbeat row gone at its next flush and opens its
connections again as new rows, so nobody stays uncounted.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import count

from flask import Flask, current_app
from sqlalchemy import bindparam, case, delete, insert, select, update

from workshop.accounts.models import Person
from workshop.agenda.models import AgendaSession
from workshop.attendance.models import AttendanceInterval, AttendanceSource, AttendanceWorker
from workshop.db import db, utcnow
from workshop.live.handlers import on_connection
from workshop.live.presence import Connection
from workshop.live.timers import Job, on_timer

INTERVALS = AttendanceInterval.__table__
WORKERS = AttendanceWorker.__table__
log = logging.getLogger(__name__)
PROJECTOR = "projector"  # the auth key of a projector's page (live.js): it shows the session to a room, nobody attends

_CLOSE = (update(INTERVALS)
          .where(INTERVALS.c.worker_id == bindparam("worker"), INTERVALS.c.connection_id == bindparam("row_key"),
                 INTERVALS.c.ended_at.is_(None))
          .values(ended_at=bindparam("at")))


@dataclass(frozen=True)
class Opening:
    """A connection being recorded: its row is keyed by (worker, ``row_key``)."""

    row_key: str
    workshop_id: int
    session_id: int
    person_id: int
    started_at: datetime


class Recorder:
    """This worker's connections to sessions, and the openings and closings not yet written."""

    def __init__(self):
        self.worker_id = uuid.uuid4().hex
        self._lock = threading.Lock()
        self._open: dict[str, Opening] = {}  # sid -> its row, for every connection recorded and not yet closed
        self._to_insert: dict[str, Opening] = {}
        self._to_close: dict[str, tuple[str, datetime]] = {}  # sid -> (row key, when it ended)
        self._reopenings = count(1)
        self._registered = False  # whether this worker's heartbeat row was written

    # Told by the live core (no database work here) ---------------------------------------------------------

    def arrived(self, sid: str, connection: Connection, auth: dict) -> None:
        if connection.session_id is None or auth.get(PROJECTOR):
            return
        opening = Opening(sid, connection.workshop_id, connection.session_id, connection.person_id, utcnow())
        with self._lock:
            self._open[sid] = self._to_insert[sid] = opening

    def left(self, sid: str) -> None:
        with self._lock:
            opening = self._open.pop(sid, None)
            if opening is not None:
                self._to_close[sid] = (opening.row_key, utcnow())

    # Written by the timer ------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write what was buffered and the heartbeat, in one transaction; on failure keep it for the next try."""
        with self._lock:
            inserts, closes = self._to_insert, self._to_close
            self._to_insert, self._to_close = {}, {}
            recording = bool(self._open)
        try:
            self._write(inserts, closes, recording)
            db.session.commit()
        except Exception:
            db.session.rollback()
            with self._lock:
                self._to_insert = {**inserts, **self._to_insert}
                self._to_close = {**closes, **self._to_close}
            raise

    def _write(self, inserts: dict[str, Opening], closes: dict[str, tuple[str, datetime]], recording: bool) -> None:
        """Writes ``inserts`` and ``closes`` without changing them: ``flush`` puts them back if the write fails."""
        connection = db.session.connection()
        now = utcnow()
        if recording:
            inserts = {**self._reopened_if_swept(connection, now, inserts), **inserts}
        elif self._registered:  # nothing open here any more: no heartbeat needed, nothing to sweep
            connection.execute(delete(WORKERS).where(WORKERS.c.id == self.worker_id))
            self._registered = False
        rows = []
        for sid, opening in inserts.items():
            closed = closes.get(sid)
            rows.append({"workshop_id": opening.workshop_id, "session_id": opening.session_id,
                         "person_id": opening.person_id, "started_at": opening.started_at,
                         "ended_at": closed[1] if closed else None, "source": AttendanceSource.LIVE.value,
                         "worker_id": self.worker_id, "connection_id": opening.row_key, "reason": "",
                         "created_at": now})
        rows = _without_orphans(rows) if rows else []
        if rows:
            connection.execute(insert(INTERVALS), rows)
        closings = [{"worker": self.worker_id, "row_key": key, "at": at}
                    for sid, (key, at) in closes.items() if sid not in inserts]
        if closings:
            connection.execute(_CLOSE, closings)

    def _reopened_if_swept(self, connection, now: datetime, inserts: dict[str, Opening]) -> dict[str, Opening]:
        """The heartbeat. If another worker swept this one as dead, its rows were closed: open its connections
        again from now, as new rows."""
        beat = connection.execute(update(WORKERS).where(WORKERS.c.id == self.worker_id).values(seen_at=now))
        if beat.rowcount:
            return {}
        connection.execute(insert(WORKERS).values(id=self.worker_id, seen_at=now))
        reopened = {}
        if self._registered:
            with self._lock:
                for sid, opening in self._open.items():
                    if sid not in inserts and sid not in self._to_insert:  # those get their row at their flush
                        self._open[sid] = reopened[sid] = replace(
                            opening, row_key=f"{sid}.{next(self._reopenings)}", started_at=now)
        self._registered = True
        return reopened


def _without_orphans(rows: list[dict]) -> list[dict]:
    """The rows whose session and person still exist. One deleted while its opening waited in memory would fail the
    batch's INSERT at every flush; it is dropped (and logged) instead. One deleted between this check and the INSERT
    fails that flush only: the batch is kept, and the next flush drops it."""
    sessions = set(db.session.scalars(select(AgendaSession.id)
                                      .where(AgendaSession.id.in_({row["session_id"] for row in rows}))))
    people = set(db.session.scalars(select(Person.id).where(Person.id.in_({row["person_id"] for row in rows}))))
    kept = []
    for row in rows:
        if row["session_id"] in sessions and row["person_id"] in people:
            kept.append(row)
        else:
            log.warning("attendance from %s not recorded: person %s or session %s was deleted",
                        row["started_at"], row["person_id"], row["session_id"])
    return kept


def sweep_dead_workers(timeout_seconds: float, now: datetime | None = None) -> int:
    """Close the open rows of every worker not seen for ``timeout_seconds``, at its last heartbeat; returns how many
    workers were swept. Safe on several workers at once: a worker is swept by whoever deletes its row."""
    now = now or utcnow()
    stale = db.session.execute(select(WORKERS.c.id, WORKERS.c.seen_at)
                               .where(WORKERS.c.seen_at < now - timedelta(seconds=timeout_seconds))).all()
    swept = 0
    for worker_id, seen_at in stale:
        gone = db.session.execute(delete(WORKERS).where(WORKERS.c.id == worker_id, WORKERS.c.seen_at == seen_at))
        if not gone.rowcount:
            continue  # it came back, or another worker swept it
        db.session.execute(update(INTERVALS)
                           .where(INTERVALS.c.worker_id == worker_id, INTERVALS.c.ended_at.is_(None))
                           .values(ended_at=case((INTERVALS.c.started_at > seen_at, INTERVALS.c.started_at),
                                                 else_=seen_at)))
        swept += 1
    db.session.commit()
    return swept


def recorder() -> Recorder:
    return current_app.extensions["attendance_recorder"]


def _flush() -> None:
    recorder().flush()


def _sweep() -> None:
    sweep_dead_workers(current_app.config["ATTENDANCE_WORKER_TIMEOUT_SECONDS"])


def _setting(app: Flask, name: str, default: float) -> None:
    app.config.setdefault(name, float(os.environ.get(f"WORKSHOP_{name}", default)))


def init_app(app: Flask) -> None:
    # Seconds between writes of the buffered intervals (and the heartbeat); a worker not seen for the timeout
    # is taken as dead. The timeout is several flushes, so that a busy worker is not swept by mistake.
    _setting(app, "ATTENDANCE_FLUSH_SECONDS", 2.0)
    _setting(app, "ATTENDANCE_WORKER_TIMEOUT_SECONDS", 20.0)
    app.extensions["attendance_recorder"] = Recorder()
    on_connection(_arrived, _left)
    on_timer(Job("attendance flush", app.config["ATTENDANCE_FLUSH_SECONDS"], _flush, once_more_at_stop=True))
    on_timer(Job("attendance sweep", app.config["ATTENDANCE_WORKER_TIMEOUT_SECONDS"] / 4, _sweep))


def _arrived(sid: str, connection: Connection, auth: dict) -> None:
    recorder().arrived(sid, connection, auth)


def _left(sid: str, connection: Connection) -> None:
    recorder().left(sid)
