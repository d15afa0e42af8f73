"""Against the real gevent server: a page whose socket goes while its connection is being accepted is not
left online, and the sweep that catches the last of them leaves the pages that are still open alone."""

from __future__ import annotations

import json
import re
import threading
import time

import requests
import socketio

from tests.polls.conftest import add_session
from tests.polls.test_load import add_participants, session_cookie
from workshop.live.timers import LOST_CONNECTIONS_SECONDS
from workshop.qa.models import Question
from workshop.db import db
from workshop.workshops.models import Role

ONLINE = re.compile(r'id="online-count-(\d+)"[^>]*data-version="(\d+)"[^>]*><strong data-testid="online-count">(\d+)<')
CUT_PAGES = 24
# Questions make accepting a session page's connection take a while (each is in its snapshot), so that
# most cuts land while the connect handler runs.
QUESTIONS = 150


class Watcher:
    """An organizer's page: the workshop's online count, newest version kept."""

    def __init__(self, base_url: str, cookie: str, workshop_id: int, code: str):
        self.workshop_id = workshop_id
        self.count, self.version = None, -1
        self._lock = threading.Lock()
        self.client = socketio.Client(reconnection=False, websocket_extra_options={"origin": base_url})
        self.client.on("fragment", self._fragment)
        self.client.connect(base_url, headers={"Cookie": cookie}, auth={"workshop": code}, transports=["websocket"],
                            wait_timeout=20)

    def _fragment(self, html: str) -> None:
        for workshop_id, version, count in ONLINE.findall(html):
            with self._lock:
                if int(workshop_id) == self.workshop_id and int(version) > self.version:
                    self.count, self.version = int(count), int(version)

    def wait_for_count(self, expected: int, seconds: float) -> int | None:
        deadline = time.monotonic() + seconds
        while self.count != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.count


def cut_handshake(base_url: str, cookie: str, auth: dict, after_seconds: float) -> None:
    """A page that goes while it is being accepted: on long polling, its connect packet is being handled when
    the page's close packet arrives in a request of its own (a tab closed, or its browser gone)."""
    page = requests.Session()
    page.headers.update({"Cookie": cookie, "Origin": base_url})
    endpoint = f"{base_url}/socket.io/?EIO=4&transport=polling"
    opened = page.get(endpoint, timeout=10)
    assert opened.text.startswith("0"), "no Engine.IO handshake"
    endpoint += f"&sid={json.loads(opened.text[1:])['sid']}"
    joining = threading.Thread(target=page.post, args=(endpoint,), kwargs={"data": "40" + json.dumps(auth),
                                                                               "timeout": 20})
    joining.start()
    time.sleep(after_seconds)
    page.post(endpoint, data="1", timeout=20)
    joining.join(20)


def test_pages_cut_while_being_accepted_leave_the_online_count_and_open_pages_stay(app, make, live_server):
    workshop = make.workshop()
    session = add_session(workshop)
    organizer = make.member(workshop, Role.ORGANIZER, password=None)
    db.session.add_all(Question(workshop_id=workshop.id, session_id=session.id, person_id=organizer.id,
                                text=f"Question {n} on framework agreements and price adjustment?")
                       for n in range(QUESTIONS))
    db.session.commit()
    staying, *cut = add_participants(workshop, CUT_PAGES + 1)
    auth = {"workshop": workshop.code, "session": session.id}

    watcher = Watcher(live_server, session_cookie(app, organizer), workshop.id, workshop.code)
    # A page on long polling, whose socket is open only while a request is: the sweep must keep it.
    open_page = socketio.Client(reconnection=False)
    open_page.connect(live_server, headers={"Cookie": session_cookie(app, staying)}, auth=auth,
                      transports=["polling"], wait_timeout=20)
    try:
        assert watcher.wait_for_count(2, 10) == 2
        threads = [threading.Thread(target=cut_handshake, args=(live_server, session_cookie(app, person), auth,
                                                                 0.002 * n)) for n, person in enumerate(cut)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        # Every cut page gone within one sweep (plus the time to accept the slowest of them and a margin).
        assert watcher.wait_for_count(2, 2 * LOST_CONNECTIONS_SECONDS + 5) == 2, "a cut page stayed online"
        # Two more sweeps: still the two open pages, and both still connected.
        time.sleep(2 * LOST_CONNECTIONS_SECONDS)
        assert watcher.count == 2
        assert watcher.client.connected and open_page.connected
    finally:
        open_page.disconnect()
        watcher.client.disconnect()
