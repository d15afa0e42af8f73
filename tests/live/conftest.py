"""Fixtures for the live pipe: Socket.IO test clients that collect what the server sends."""

from __future__ import annotations

import re
import time

import pytest

from tests.live.server import invite_path, live_server  # noqa: F401  (fixtures)
from workshop.extensions import socketio

COUNT = re.compile(r'<strong data-testid="online-count">(\d+)</strong>')
VERSION = re.compile(r'data-version="(\d+)"')
NAMES_LIST = re.compile(r'<ul id="online-names-(\d+)"[^>]*>(.*?)</ul>', re.S)
NAME = re.compile(r"<li>([^<]+)")


class Socket:
    """One browser tab's socket: keeps every fragment the server sent it, in order."""

    def __init__(self, client):
        self.client = client
        self.fragments: list[str] = []
        self.events: list[tuple[str, list]] = []  # what came other than fragments: (event, arguments)

    @property
    def connected(self) -> bool:
        return self.client.is_connected()

    def collect(self) -> list[str]:
        if self.connected:
            for message in self.client.get_received():
                if message["name"] == "fragment":
                    self.fragments.append(message["args"][0])
                else:
                    self.events.append((message["name"], message["args"]))
        return self.fragments

    def wait_for(self, condition, timeout: float = 2.0, what: str = "the expected fragment"):
        """Poll until ``condition(self)`` is true; coalesced broadcasts arrive from a background thread."""
        deadline = time.monotonic() + timeout
        while True:
            self.collect()
            if condition(self):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; got {self.fragments!r}")
            time.sleep(0.01)

    def counts(self) -> list[int]:
        return [int(n) for fragment in self.fragments for n in COUNT.findall(fragment)]

    def last_count(self) -> int | None:
        counts = self.counts()
        return counts[-1] if counts else None

    def names_lists(self) -> list[list[str]]:
        return [[name.strip() for name in NAME.findall(body)]
                for fragment in self.fragments for _, body in NAMES_LIST.findall(fragment)]

    def versions(self) -> list[int]:
        return [int(v) for fragment in self.fragments for v in VERSION.findall(fragment)]

    def disconnect(self) -> None:
        with self.client.app.app_context():
            self.client.disconnect()


@pytest.fixture
def connect(app, make):
    """``connect(person_or_None, code, auth=...)``: a socket as a browser tab of that person would open it."""
    opened: list[Socket] = []

    def open_socket(person=None, code: str | None = None, *, auth=..., signed_in_client=None):
        flask_client = signed_in_client
        if flask_client is None and person is not None:
            flask_client = app.test_client()
            make.sign_in(flask_client, person)
        if auth is ...:
            auth = {"workshop": code}
        # A fresh app context, as each real connection gets: under the test's own one, Flask would
        # reuse its ``g`` and Flask-Login would take the user cached there by an earlier connection.
        with app.app_context():
            socket = Socket(socketio.test_client(app, flask_test_client=flask_client, auth=auth))
        opened.append(socket)
        return socket

    yield open_socket
    for socket in opened:
        if socket.connected:
            socket.disconnect()
    # Let a pending coalesced broadcast run before the tables are emptied under it.
    time.sleep(app.config["LIVE_FLUSH_SECONDS"] * 2)

