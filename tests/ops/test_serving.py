"""The served worker: its timers run, and SIGTERM stops it gracefully (the request under way finishes, exit 0).

Both servers: ``python -m workshop.serve`` (what ``make run`` starts) and
gunicorn with ``deploy/gunicorn.conf.py`` (production).
"""

from __future__ import annotations

import re
import signal
import socket
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests
import socketio
from sqlalchemy import update

from tests.factories import PASSWORD
from tests.live.server import cookie_header, invite_path, sign_in_with_invite  # noqa: F401  (invite_path: fixture)
from tests.ops.servers import GUNICORN, SERVE, served
from tests.polls.conftest import room  # noqa: F401  (fixture)
from workshop.db import db, utcnow
from workshop.polls.models import Poll, PollKind, PollState
from workshop.workshops.models import Role

SERVERS = {"serve": SERVE, "gunicorn": GUNICORN}


def _read_response(connection: socket.socket) -> bytes:
    response = b""
    while chunk := connection.recv(65536):
        response += chunk
    return response


# Stopping does not depend on the database: one is enough for these.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("server", SERVERS)
def test_sigterm_lets_the_request_under_way_finish_then_exits_0(server, app, make, tmp_path):
    organizer = make.member(make.workshop(), Role.ORGANIZER)
    with served(SERVERS[server], _database(), tmp_path) as live:
        browser = requests.Session()
        page = browser.get(live.base_url + "/login", timeout=5).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        body = urlencode({"csrf_token": token, "email": organizer.email, "password": PASSWORD}).encode()

        # A slow client: the headers and the start of the form now, the rest after SIGTERM.
        connection = socket.create_connection(("127.0.0.1", live.port), timeout=20)
        connection.sendall(f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\n"
                           f"Cookie: {cookie_header(browser)}\r\nConnection: close\r\n"
                           "Content-Type: application/x-www-form-urlencoded\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:20])
        time.sleep(0.5)  # the app is reading the form
        live.process.send_signal(signal.SIGTERM)
        time.sleep(1.5)
        with pytest.raises(OSError):  # refused: new connections go to another worker
            socket.create_connection(("127.0.0.1", live.port), timeout=2).close()
        assert live.process.poll() is None, "still running while the request is under way"

        connection.sendall(body[20:])
        response = _read_response(connection)
        connection.close()
        assert response.startswith(b"HTTP/1.1 302"), response[:300]  # signed in: the request was served whole
        assert live.process.wait(timeout=20) == 0, live.log()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("transport", ["websocket", "polling"])
@pytest.mark.parametrize("server", SERVERS)
def test_sigterm_closes_open_sockets_so_they_reconnect_elsewhere_and_exits_0_soon(server, transport, make,
                                                                                invite_path, tmp_path):
    workshop = make.workshop()
    participant = make.member(workshop)
    link = invite_path(participant, workshop)
    with served(SERVERS[server], _database(), tmp_path) as live:
        cookies = cookie_header(sign_in_with_invite(live.base_url, link))
        client = socketio.Client(reconnection=False)
        reasons = []
        client.on("disconnect", lambda reason=None: reasons.append(reason))
        client.connect(live.base_url, headers={"Cookie": cookies}, auth={"workshop": workshop.code},
                       transports=[transport], wait_timeout=5)
        assert client.connected
        started = time.monotonic()
        live.process.send_signal(signal.SIGTERM)
        assert live.process.wait(timeout=15) == 0, live.log()
        assert time.monotonic() - started < 8, "an open socket does not hold the stop for the graceful timeout"
        deadline = time.monotonic() + 5
        while not reasons and time.monotonic() < deadline:
            time.sleep(0.05)
        # Closed at the transport: a browser's client reconnects by itself (unlike a server "disconnect").
        assert reasons and reasons[0] != client.reason.SERVER_DISCONNECT, reasons
        client.disconnect()


@pytest.mark.parametrize("server", SERVERS)
def test_the_served_worker_closes_a_poll_whose_countdown_nobody_else_ran(server, room, tmp_path):
    """The worker that opened the poll died before its countdown: any worker's sweep closes it."""
    # Opened by hand, with no countdown of the test's own process, which would close it without the worker.
    poll = room.poll(PollKind.SINGLE.value, open_it=False, duration_seconds="10")
    db.session.execute(update(Poll).where(Poll.id == poll.id).values(
        state=PollState.OPEN, opened_at=utcnow() - timedelta(seconds=11), closes_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    with served(SERVERS[server], _database(), tmp_path) as live:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.get(Poll, poll.id).state == PollState.CLOSED:
                break
            time.sleep(0.1)
        assert db.session.get(Poll, poll.id).state == PollState.CLOSED, live.log()
        live.process.send_signal(signal.SIGTERM)
        assert live.process.wait(timeout=15) == 0, live.log()
    assert "failed; retrying" not in live.log(), "every deadline sweep (breakout rounds too) ran cleanly"


def _database() -> str:
    """The test app's database, for the server to share."""
    return db.engine.url.render_as_string(hide_password=False)
