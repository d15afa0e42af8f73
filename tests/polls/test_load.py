"""200 real participants vote at the same instant over websocket against the real gevent server.

Every vote is acknowledged, stored once, and every client ends up showing the final tally.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
import socketio
from sqlalchemy import func, select

from tests.polls.conftest import add_session
from workshop.accounts.models import Person
from workshop.db import db
from workshop.polls.models import Ballot, Poll
from workshop.workshops.models import Membership, Origin, Role

CLIENTS = 200
VOTERS = re.compile(r'<span data-testid="voters">(\d+)</span>')
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def session_cookie(app, person) -> str:
    """The session cookie the server would set when this person signs in (same secret key)."""
    value = app.session_interface.get_signing_serializer(app).dumps({"_user_id": person.get_id(), "_fresh": True})
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def add_participants(workshop, how_many: int) -> list[Person]:
    people = [Person(email=f"load{n}-{workshop.id}@example.org", name=f"Voter {n}", country="NP",
                     timezone="Asia/Kathmandu") for n in range(how_many)]
    db.session.add_all(people)
    db.session.flush()
    db.session.add_all(Membership(workshop_id=workshop.id, person_id=p.id, role=Role.PARTICIPANT,
                                  origin=Origin.LOCAL) for p in people)
    db.session.commit()
    return people


class Voter:
    """One participant's browser tab: a Socket.IO client over websocket keeping every results fragment."""

    def __init__(self, base_url: str, cookie: str, auth: dict, poll_marker: list[str]):
        self.results: list[int] = []
        self.cards: list[str] = []
        self.client = socketio.Client(reconnection=False, request_timeout=20,
                                      websocket_extra_options={"origin": base_url})
        self.client.on("fragment", self._fragment)
        self._marker = poll_marker
        self.client.connect(base_url, headers={"Cookie": cookie}, auth=auth, transports=["websocket"],
                            wait_timeout=20)

    def _fragment(self, html: str) -> None:
        if self._marker and f'id="poll-results-{self._marker[0]}"' in html:
            self.results += [int(n) for n in VOTERS.findall(html)]
        if 'data-append-to="session-polls"' in html:
            self.cards.append(html)

    def vote(self, poll_id: int, option_id: int) -> dict:
        return self.client.call("vote", {"poll": poll_id, "answer": {"option": option_id}}, timeout=30)


def open_poll_as_moderator(base_url: str, cookie: str, code: str, session_id: int) -> int:
    """Create and open a single-choice poll through the desk, as the moderator's browser does."""
    desk = f"{base_url}/w/{code}/s/{session_id}/polls"
    browser = requests.Session()
    browser.headers["Cookie"] = cookie
    page = browser.get(desk, timeout=10)
    token = CSRF.search(page.text).group(1)
    name = cookie.split("=", 1)[0]
    browser.headers["Cookie"] = f"{name}={page.cookies[name]}"  # the session now holds the CSRF secret
    created = browser.post(desk, timeout=10, headers={"HX-Request": "true"}, data={
        "csrf_token": token, "kind": "single choice", "question": "Which method first?",
        "options": "Open tender\nFramework agreement\nDirect award", "max_picks": "1", "scale_max": "5",
        "ranking_method": "borda", "results_visible": "y", "allow_change": "y"})
    assert created.status_code == 200, created.text
    poll_id = int(re.search(r'id="poll-control-(\d+)"', created.text).group(1))
    opened = browser.post(f"{desk}/{poll_id}/open", data={"csrf_token": token}, headers={"HX-Request": "true"},
                          timeout=10)
    assert opened.status_code == 200, opened.text
    return poll_id


def test_200_participants_vote_at_once_and_all_see_200(app, make, live_server):
    started = time.monotonic()
    workshop = make.workshop()
    session = add_session(workshop)
    moderator = make.member(workshop, Role.MODERATOR)
    people = add_participants(workshop, CLIENTS)
    auth = {"workshop": workshop.code, "session": session.id}
    poll_marker: list[str] = []

    cookies = [session_cookie(app, person) for person in people]
    with ThreadPoolExecutor(max_workers=25) as pool:
        voters = list(pool.map(lambda cookie: Voter(live_server, cookie, auth, poll_marker), cookies))
    try:
        assert all(v.client.connected for v in voters)
        poll_id = open_poll_as_moderator(live_server, session_cookie(app, moderator), workshop.code, session.id)
        poll_marker.append(str(poll_id))
        deadline = time.monotonic() + 10
        while not all(v.cards for v in voters) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(v.cards for v in voters), "the opened poll did not reach every participant"
        option_ids = [o.id for o in db.session.get(Poll, poll_id).options]

        start = threading.Barrier(CLIENTS)

        def vote(n: int):
            start.wait(timeout=30)
            return voters[n].vote(poll_id, option_ids[n % 3])

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            acks = list(pool.map(vote, range(CLIENTS)))

        refused = [ack for ack in acks if not ack.get("ok")]
        assert refused == [], f"{len(refused)} votes refused, e.g. {refused[:3]}"
        versions = [ack["version"] for ack in acks]
        assert len(set(versions)) == CLIENTS, "each vote's version is its own"

        db.session.expire_all()
        stored = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id))
        assert stored == CLIENTS

        deadline = time.monotonic() + 10
        while any(not v.results or v.results[-1] != CLIENTS for v in voters) and time.monotonic() < deadline:
            time.sleep(0.05)
        behind = [v.results[-1:] for v in voters if not v.results or v.results[-1] != CLIENTS]
        assert behind == [], f"{len(behind)} clients do not show the final tally: {behind[:5]}"
        for v in voters:
            assert v.results == sorted(v.results), "a client saw the tally go down"
    finally:
        # All at once: each client's disconnect waits for its reader thread to end.
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            list(pool.map(lambda v: v.client.disconnect(), voters))
    assert time.monotonic() - started < 40
