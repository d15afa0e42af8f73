"""Barrier tests: one action runs in a thread of its own (its own app context, session and database
connection) and stops at a chosen point while the test commits something else, so an interleaving that a
real server meets once in a while happens on every run, on SQLite and on PostgreSQL.

``race.pause()`` makes a :class:`Pause` to patch into the code under test (``pause.after(function)``);
``race.run(function, ...)`` starts the racing thread; ``race.wait_until_blocked(racer)`` returns once a
connection waits for a lock (PostgreSQL shows it in ``pg_stat_activity``; a SQLite writer waiting for the
database's lock cannot be seen from outside, so there it is a short pause). The fixture lets every paused
thread go and joins it before the tables are emptied, even when a test fails half-way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from workshop.db import db
from workshop.errors import ValidationError

TIMEOUT = 20.0  # seconds: a thread stuck this long is a failure, not a wait
SQLITE_WAIT = 0.3  # seconds for a SQLite writer to reach the database's lock and start waiting for it
BLOCKED_WAIT = 3.0  # seconds to see a PostgreSQL connection wait for a lock, before going on anyway


class Pause:
    """A point where the racing thread stops once: ``reached`` is set when it gets there; it goes on at :meth:`go`.

    The test's own thread never stops here, so the patched function still works for its setup and checks.
    """

    def __init__(self) -> None:
        self.reached = threading.Event()
        self._go = threading.Event()
        self._lock = threading.Lock()
        self._used = False

    def here(self) -> None:
        if threading.current_thread() is threading.main_thread():
            return
        with self._lock:
            if self._used:
                return
            self._used = True
        self.reached.set()
        if not self._go.wait(TIMEOUT):
            raise TimeoutError("the test never let the paused thread go on")

    def wait_reached(self) -> None:
        assert self.reached.wait(TIMEOUT), "the racing thread never reached the pause"

    def go(self) -> None:
        self._go.set()

    def before(self, function: Callable) -> Callable:
        def paused_before(*args, **kwargs):
            self.here()
            return function(*args, **kwargs)

        return paused_before

    def after(self, function: Callable) -> Callable:
        def paused_after(*args, **kwargs):
            result = function(*args, **kwargs)
            self.here()
            return result

        return paused_after


class Racer:
    """``function(*args)`` in a thread with an app context (so a database session and connection) of its own."""

    def __init__(self, app, function: Callable, args: tuple) -> None:
        self.app = app
        self.function = function
        self.args = args
        self.result: Any = None
        self.error: BaseException | None = None
        self.name = getattr(function, "__name__", repr(function))
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.app.app_context():
            try:
                self.result = self.function(*self.args)
            except BaseException as error:  # noqa: BLE001 - kept for the test to look at
                self.error = error
                try:
                    db.session.rollback()
                except Exception:  # noqa: BLE001 - the session goes anyway
                    pass
            finally:
                db.session.remove()

    @property
    def done(self) -> bool:
        return not self.thread.is_alive()

    def finish(self) -> Racer:
        self.thread.join(TIMEOUT)
        assert self.done, f"{self.name} did not finish within {TIMEOUT} s"
        return self

    def succeeded(self) -> Any:
        self.finish()
        if self.error is not None:
            raise AssertionError(f"{self.name} failed: {self.error!r}") from self.error
        return self.result

    def refusal(self) -> tuple[int, str]:
        """(status, message) of the ValidationError it raised; the message as the live view or a page shows it."""
        self.finish()
        assert isinstance(self.error, ValidationError), \
            f"{self.name} was expected to be refused, but it gave {self.error or self.result!r}"
        return self.error.status, " ".join(self.error.errors.values())


class Race:
    def __init__(self, app) -> None:
        self.app = app
        self.pauses: list[Pause] = []
        self.racers: list[Racer] = []

    def pause(self) -> Pause:
        pause = Pause()
        self.pauses.append(pause)
        return pause

    def run(self, function: Callable, *args) -> Racer:
        racer = Racer(self.app, function, args)
        self.racers.append(racer)
        racer.thread.start()
        return racer

    def wait_until_blocked(self, racer: Racer) -> bool:
        """Return once ``racer`` waits for a lock (PostgreSQL), or after a short pause (SQLite); False if it did
        not wait (it finished, or no lock stopped it: then it did not wait for the test's transaction)."""
        if db.engine.dialect.name != "postgresql":
            racer.thread.join(SQLITE_WAIT)
            return not racer.done
        query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND wait_event_type = 'Lock'")
        deadline = time.monotonic() + BLOCKED_WAIT
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            while time.monotonic() < deadline and not racer.done:
                if connection.execute(query).scalar_one():
                    return True
                time.sleep(0.01)
        return False

    def close(self) -> None:
        for pause in self.pauses:
            pause.go()
        for racer in self.racers:
            racer.thread.join(TIMEOUT)


@pytest.fixture
def race(app):
    found = Race(app)
    yield found
    found.close()
