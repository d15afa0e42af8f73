"""The database going away: a clear 503 page, a message in the live view, and recovery without a restart.

PostgreSQL: the served app reaches the database through a TCP forwarder that
the test stops and starts again (the shared server itself is never touched).
SQLite has no server to lose: its outage is a write lock held longer than the
busy timeout (a backup or another program holding the file).
"""

from __future__ import annotations

import signal
import sqlite3
import time

import pytest
import requests
import socketio
from sqlalchemy.engine import make_url

from tests.live.conftest import connect  # noqa: F401  (fixture)
from tests.live.server import cookie_header, invite_path, sign_in_with_invite  # noqa: F401  (invite_path: fixture)
from tests.ops.proxy import TcpProxy
from tests.ops.servers import SERVE, served
from tests.polls.conftest import room  # noqa: F401  (fixture)
from workshop.db import db
from workshop.errors import DATABASE_UNAVAILABLE
from workshop.polls.models import PollKind


def _vote_payload(poll) -> dict:
    return {"poll": poll.id, "answer": {"option": poll.options[0].id}}


@pytest.fixture
def proxied_database(app):
    """The test's PostgreSQL database reached through a forwarder the test can stop."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    yield proxy, url.set(port=proxy.port).render_as_string(hide_password=False)
    proxy.stop()


def _open_socket(base_url: str, cookies: str, room) -> tuple[socketio.Client, list]:
    client = socketio.Client(reconnection=False)
    refusals = []
    client.on("connect_error", lambda data=None: refusals.append(data))
    try:
        client.connect(base_url, headers={"Cookie": cookies}, transports=["websocket"], wait_timeout=10,
                       auth={"workshop": room.workshop.code, "session": room.session.id})
    except socketio.exceptions.ConnectionError:
        pass
    return client, refusals


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_away_is_a_503_and_a_live_message_and_back_needs_no_restart(room, proxied_database, invite_path,
                                                                               tmp_path):
    proxy, url = proxied_database
    vote = _vote_payload(room.poll(PollKind.SINGLE.value))
    voter, latecomer = room.participants[0], room.participants[1]
    links = [invite_path(person, room.workshop) for person in (voter, latecomer)]
    home = f"/w/{room.workshop.code}"
    with served(SERVE, url, tmp_path) as live:
        browser, latecomer_browser = (sign_in_with_invite(live.base_url, link) for link in links)
        voter_cookies, latecomer_cookies = cookie_header(browser), cookie_header(latecomer_browser)
        page = browser.get(live.base_url + home, timeout=10)
        assert page.status_code == 200 and room.workshop.title in page.text
        socket, _ = _open_socket(live.base_url, voter_cookies, room)
        assert socket.connected

        proxy.stop()  # the database goes away

        page = browser.get(live.base_url + home, timeout=15)
        assert page.status_code == 503
        assert "The workshop is briefly unavailable" in page.text and DATABASE_UNAVAILABLE in page.text
        assert page.headers["Retry-After"] == "5"
        assert requests.get(live.base_url + "/healthz", timeout=15).json()["database"] == "failed: OperationalError"
        assert socket.call("vote", vote, timeout=15) == {"ok": False, "message": DATABASE_UNAVAILABLE}
        refused, refusals = _open_socket(live.base_url, latecomer_cookies, room)
        assert not refused.connected
        assert refusals == [{"message": DATABASE_UNAVAILABLE, "data": {"retry": True}}], refusals

        proxy.start()  # and comes back on the same address: no restart of the app

        page = browser.get(live.base_url + home, timeout=15)
        assert page.status_code == 200 and room.workshop.title in page.text
        assert requests.get(live.base_url + "/healthz", timeout=15).status_code == 200
        assert socket.call("vote", vote, timeout=15)["ok"] is True
        latecomer_socket, _ = _open_socket(live.base_url, latecomer_cookies, room)
        assert latecomer_socket.connected
        for client in (socket, latecomer_socket):
            client.disconnect()
        live.process.send_signal(signal.SIGTERM)
        assert live.process.wait(timeout=20) == 0, live.log()


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
