"""Against the real gevent server over websocket: 40 participants each receive their own room when the
moderator opens a round, a moved participant sees the move, and closing sends everyone back."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import socketio

from tests.live.server import running_server
from tests.polls.test_load import add_participants, session_cookie
from workshop.breakouts import services
from workshop.breakouts.models import BreakoutRound, RoundState
from workshop.db import db

CLIENTS = 40
ANNOUNCE = re.compile(r"You are in <strong>([^<]+)</strong>")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Participant:
    def __init__(self, base_url: str, cookie: str, auth: dict):
        self.rooms: list[str] = []
        self.plenary = False
        self.client = socketio.Client(reconnection=False, request_timeout=20,
                                      websocket_extra_options={"origin": base_url})
        self.client.on("fragment", self._fragment)
        self.client.connect(base_url, headers={"Cookie": cookie}, auth=auth, transports=["websocket"],
                            wait_timeout=20)

    def _fragment(self, html: str) -> None:
        self.rooms += ANNOUNCE.findall(html)
        self.plenary = self.plenary or "Back in the plenary" in html


def post_as(base_url: str, cookie: str, page_path: str, action_path: str, data: dict | None = None) -> int:
    """A form posted from a page as the browser does: with the page's CSRF token and the session it set."""
    browser = requests.Session()
    browser.headers["Cookie"] = cookie
    page = browser.get(base_url + page_path, timeout=10)
    token = CSRF.search(page.text).group(1)
    name = cookie.split("=", 1)[0]
    browser.headers["Cookie"] = f"{name}={page.cookies.get(name, cookie.split('=', 1)[1])}"
    answer = browser.post(base_url + action_path, data={"csrf_token": token, **(data or {})}, timeout=20,
                          allow_redirects=False)
    return answer.status_code


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def own_server(app, database_url, tmp_path):
    """The real server for this test alone: a served worker sweeps due rounds every half second, and left
    running on the shared test database it would end the other tests' rounds in its own process."""
    with running_server(database_url, tmp_path) as base_url:
        yield base_url


def test_every_participant_receives_their_own_room_a_move_and_the_close(scene, app, own_server):
    people = add_participants(scene.workshop, CLIENTS)
    round_ = scene.round(room_count="8")
    expected = {person.id: services.room_of(round_.id, person.id).label for person in people}
    auth = {"workshop": scene.code, "session": scene.session.id}
    with ThreadPoolExecutor(max_workers=20) as pool:
        clients = list(pool.map(lambda p: Participant(own_server, session_cookie(app, p), auth), people))
    try:
        moderator = session_cookie(app, scene.moderator)
        page = scene.path(f"/{round_.id}")
        assert post_as(own_server, moderator, page, f"{page}/open") == 303
        assert wait_until(lambda: all(c.rooms for c in clients), 10), "every participant is sent a room"
        for person, client in zip(people, clients):
            assert client.rooms == [expected[person.id]], person.name

        mover, target = people[0], next(r for r in round_.rooms if r.label != expected[people[0].id])
        assert post_as(own_server, moderator, page, f"{page}/move",
                       {"person_id": str(mover.id), "room_id": str(target.id)}) == 303
        assert wait_until(lambda: clients[0].rooms[-1:] == [target.label], 10), "the moved person sees it"
        assert all(len(c.rooms) == 1 for c in clients[1:]), "nobody else is told"

        assert post_as(own_server, moderator, page, f"{page}/close") == 303
        assert wait_until(lambda: all(c.plenary for c in clients), 10), "closing sent everyone back"
        db.session.expire_all()
        assert db.session.get(BreakoutRound, round_.id).state == RoundState.CLOSED
    finally:
        # All at once: each client's disconnect waits for its reader thread to end.
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            list(pool.map(lambda c: c.client.disconnect(), clients))
