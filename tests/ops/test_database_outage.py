"""SQLite busy: a clear 503 page, a message in the live view, and recovery without a restart.

SQLite has no server to lose: its outage is a write lock held longer than the
busy timeout (a backup or another program holding the file). PostgreSQL going
away is a fault test on a private server: tests/scale/test_faults.py.
"""

from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy.engine import make_url

from tests.live.conftest import connect  # noqa: F401  (fixture)
from tests.polls.conftest import room  # noqa: F401  (fixture)
from workshop.db import db
from workshop.errors import DATABASE_UNAVAILABLE
from workshop.polls.models import PollKind


def _vote_payload(poll) -> dict:
    return {"poll": poll.id, "answer": {"option": poll.options[0].id}}


@pytest.fixture
def write_lock(app):
    """``write_lock.hold()`` / ``write_lock.release()``: another program holding SQLite's write lock."""
    holder = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None)

    class Lock:
        @staticmethod
        def hold():
            holder.execute("BEGIN IMMEDIATE")

        @staticmethod
        def release():
            if holder.in_transaction:
                holder.execute("ROLLBACK")

    yield Lock
    Lock.release()
    holder.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_locked_longer_than_the_busy_timeout_is_a_503_and_a_live_message_then_works(app, room, client,
                                                                                           make, connect,
                                                                                           write_lock):
    vote = _vote_payload(room.poll(PollKind.SINGLE.value))
    voter = room.participants[0]
    make.sign_in(client, voter)
    socket = connect(voter, auth={"workshop": room.workshop.code, "session": room.session.id})
    assert socket.connected
    token = make.csrf_token(client)
    db.session.commit()
    db.session.close()  # the test's own session holds no read snapshot either

    write_lock.hold()
    started = time.monotonic()
    with app.app_context():
        ack = socket.client.emit("vote", vote, callback=True)
    assert ack == {"ok": False, "message": DATABASE_UNAVAILABLE}
    assert time.monotonic() - started >= 4, "SQLite waited for the lock first"
    response = client.post("/me/timezone", data={"csrf_token": token, "timezone": "Asia/Colombo"})
    assert response.status_code == 503
    assert DATABASE_UNAVAILABLE in response.get_data(as_text=True)

    write_lock.release()  # the other program is done: the same app goes on
    with app.app_context():
        assert socket.client.emit("vote", vote, callback=True)["ok"] is True
    assert client.post("/me/timezone", data={"csrf_token": token, "timezone": "Asia/Colombo"}).status_code == 302
