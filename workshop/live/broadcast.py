"""Coalesced broadcasts: many changes in a burst become one render and one emit per key.

Services announce committed changes (``workshop/changes.py``); each feature
registers, per topic, the job that renders the topic's current state from the
database and emits it (:func:`on_change`). An announcement marks its job on the
:class:`Coalescer`: jobs wait at most one flush interval, a key marked again
before the flush runs once, with the state as it is at flush time, so the last
state is always the one sent, and a job that finds the queue or the database
away runs again a moment later. No route or socket handler emits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from flask import Flask, current_app

from workshop.changes import Change
from workshop.db import db
from workshop.extensions import socketio
from workshop.live.access import NAMESPACE
from workshop.live.rooms import session_room

log = logging.getLogger(__name__)

FRAGMENT_EVENT = "fragment"
RETRY_SECONDS = 1.0
# What follows people coming and going (the online count, the desk's turnout) goes to a whole workshop or
# session: with a thousand pages, sending it at every flush while people come and go would cost more than the
# votes. It may lag by a moment that grows with the pages of its room: 2 ms a page, at most 2 s.
PRESENCE_SPACING_PER_PAGE = 0.002
PRESENCE_SPACING_MAX = 2.0


def _outages() -> tuple[type[Exception], ...]:
    """The errors of a service that is away for a moment (retry), as opposed to a bug (log and drop)."""
    from sqlalchemy.exc import OperationalError

    from workshop.live.queue import QueueUnavailable

    errors: list[type[Exception]] = [QueueUnavailable, OperationalError]
    try:
        import redis
    except ImportError:  # the embedded default runs without Redis
        return tuple(errors)
    return (*errors, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


OUTAGES = _outages()


class SessionHook(Protocol):
    """What a feature of the session page (polls, questions, breakouts) does when people come and go."""

    # Whether pages narrower than the session's (a breakout room's) show it too: those get only such snapshots.
    on_narrower_pages: bool

    def live_target(self, session_id: int) -> str:
        """The revision target (``workshop/live/revisions.py``) of what the feature shows on the session page."""

    def joined(self, session, membership) -> None:
        """A socket joined the session's room: send it the feature's current state, as this person sees it."""

    def presence_changed(self, session_id: int) -> None:
        """People arrived on or left the session's page: send what shows it (at most once per flush)."""


session_hooks: list[SessionHook] = []


def presence_changed_in(session_id: int) -> None:
    """Someone arrived on or left the session's page: the features hear of it at the next flush, once for
    everyone who came or went meanwhile, not once per arrival (a join storm would read the same state a
    thousand times)."""

    def job():
        for hook in session_hooks:
            hook.presence_changed(session_id)

    coalescer().mark(("session-presence", session_id), job, whole_state=True,
                     spacing=presence_spacing(session_room(session_id)))


def presence_spacing(room: str) -> float:
    """How long a presence broadcast to ``room`` waits after its last one: longer for more pages (this worker's)."""
    pages = len(socketio.server.manager.rooms.get(NAMESPACE, {}).get(room, ()))
    return min(PRESENCE_SPACING_MAX, pages * PRESENCE_SPACING_PER_PAGE)


@dataclass(frozen=True)
class Topic:
    send: Callable[..., None]  # renders the target's current state (read its revision first) and emits it
    whole_state: bool = True  # see Coalescer.mark
    immediate: bool = False  # sent by the committing code at once, reading nothing (on an outage: coalesced)


topics: dict[str, Topic] = {}


def on_change(topic: str, send: Callable[..., None], *, whole_state: bool = True, immediate: bool = False) -> None:
    """A feature says how an announced change of ``topic`` reaches the pages: ``send(*key)``."""
    topics[topic] = Topic(send, whole_state, immediate)


def _from_one_snapshot(send: Callable[..., None], *key) -> None:
    """Every read of a job sees the database as of one moment, so a fragment's revision and its content agree.

    PostgreSQL's default gives each statement its own view; one process on SQLite runs a job without yielding
    to any other green thread, so nothing commits between its reads.
    """
    if db.session.get_bind().dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    send(*key)


def deliver(changes: list[Change]) -> None:
    """After a commit: each announced change becomes a coalesced broadcast (the changes hook calls this)."""
    for change in changes:
        topic = topics.get(change.topic)
        if topic is None:
            log.error("no live job for the announced change %r", change)
            continue
        if topic.immediate:  # no reads: the committing code's session may not read in its after-commit hook
            try:
                topic.send(*change.key)
                continue
            except OUTAGES as outage:
                log.warning("live change %r waits for %s: %s", change, outage.__class__.__name__, outage)
        coalescer().mark((change.topic, *change.key), partial(_from_one_snapshot, topic.send, *change.key),
                         whole_state=topic.whole_state)


def emit_fragment(html: str, room: str) -> None:
    """Send a rendered fragment (carrying hx-swap-oob and data-version) to every socket in a room."""
    socketio.emit(FRAGMENT_EVENT, html, to=room)


class FlushLeases:
    """Which worker sends a key's broadcast in this flush interval: one of them, not each.

    Every worker's broadcast reaches every client through the queue, and each
    renders the state from the database, so when several workers have the same
    key marked, one render per interval is enough. A worker that does not get
    the lease keeps its job for its next flush: the winner may have rendered
    before this worker's change was committed.
    """

    PREFIX = "workshop:flush:"

    def __init__(self, redis_url: str | None, interval: float):
        self._redis = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        self._milliseconds = max(1, int(interval * 1000))

    def take(self, key: Hashable) -> bool:
        if self._redis is None:
            return True
        try:
            return bool(self._redis.set(f"{self.PREFIX}{key!r}", 1, nx=True, px=self._milliseconds))
        except Exception:  # noqa: BLE001 - Redis away: send, and the send finds the queue away and retries
            return True


class Coalescer:
    def __init__(self, app: Flask, interval: float, leases: FlushLeases | None = None):
        self.app = app
        self.interval = interval
        self.leases = leases or FlushLeases(None, interval)
        self._pending: dict[Hashable, Callable[[], None]] = {}
        self._whole_state: set[Hashable] = set()
        self._spacing: dict[Hashable, float] = {}
        self._last_run: dict[Hashable, float] = {}
        self._lock = threading.Lock()
        self._running = False
        self._accepting = True

    def mark(self, key: Hashable, job: Callable[[], None], *, whole_state: bool = False,
             spacing: float = 0.0) -> None:
        """Run ``job`` at the next flush. ``whole_state``: the job sends the key's whole current state from
        the database (not what this worker alone changed), so with several workers one run serves all.
        ``spacing``: the job runs at the first flush at least that many seconds after its last run."""
        with self._lock:
            if not self._accepting:
                return
            self._pending[key] = job
            if whole_state:
                self._whole_state.add(key)
            if spacing > 0:
                self._spacing[key] = spacing
            else:
                self._spacing.pop(key, None)
            start = not self._running
            self._running = True
        if start:
            socketio.start_background_task(self._run)

    def flush(self) -> None:
        now = time.monotonic()
        with self._lock:
            jobs, self._pending = self._pending, {}
            whole, self._whole_state = self._whole_state, set()
        deferred = {key: job for key, job in jobs.items() if self._too_soon(key, now)
                    or key in whole and not self.leases.take(key)}
        if deferred:
            with self._lock:  # for this loop's next flush, unless the key was marked again meanwhile
                self._pending = {**deferred, **self._pending}
                self._whole_state |= deferred.keys() & whole
        for key, job in jobs.items():
            if key in deferred:
                continue
            if key in self._spacing:
                self._last_run[key] = now
            # An app context of its own (a green thread may inherit the one that started it, whose database
            # session that code is still using), and a request context so templates can build links (url_for).
            with self.app.app_context(), self.app.test_request_context("/"):
                try:
                    job()
                except OUTAGES as outage:
                    # The queue or the database is away for a moment: the job renders the state as it is
                    # when it runs, so sending it again later loses nothing.
                    log.warning("live broadcast %r waits for %s: %s; again in %s s", key,
                                outage.__class__.__name__, outage, RETRY_SECONDS)
                    socketio.start_background_task(self._mark_later, key, job)
                except Exception:
                    log.exception("live broadcast %r failed", key)

    def _too_soon(self, key: Hashable, now: float) -> bool:
        spacing = self._spacing.get(key)
        return spacing is not None and now - self._last_run.get(key, -spacing) < spacing

    def _mark_later(self, key: Hashable, job: Callable[[], None]) -> None:
        socketio.sleep(RETRY_SECONDS)
        self.mark(key, job)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Take no more jobs; wait (up to ``timeout``) for the pending ones to be sent."""
        with self._lock:
            self._accepting = False
        deadline = time.monotonic() + timeout
        while self._running and time.monotonic() < deadline:
            socketio.sleep(0.01)

    def _run(self) -> None:
        while True:
            socketio.sleep(self.interval)
            self.flush()
            with self._lock:
                if not self._pending:
                    self._running = False
                    return


def coalescer() -> Coalescer:
    return current_app.extensions["live_coalescer"]
