"""Two served workers sharing Redis: withdrawing a link on one worker ends the person's pages on both within 5 s.

The organizer presses "Revoke link" on worker one (the real route, which commits
and then calls ``end_live_access``); the participant has a page open on each
worker. The private Redis keeps other tests' broadcasts away.
"""

from __future__ import annotations

import re
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
import socketio

from tests.live.server import cookie_header, invite_path, sign_in_with_invite  # noqa: F401  (fixture)
from tests.ops.servers import SERVE, served
from tests.scale.conftest import Tab
from workshop.db import db
from workshop.errors import Reason
from workshop.live.access import ACCESS_ENDED_EVENT, REFUSALS
from workshop.workshops.models import Role

BUDGET_SECONDS = 5.0  # the promise
WAIT_SECONDS = 10.0  # how long the test looks, so that a slow machine fails on the budget, not on a timeout


class Watched(Tab):
    """A tab that also notes the reason its access ended, and when, next to when it was disconnected."""

    def __post_init__(self):
        super().__post_init__()
        self.ended: list[tuple[float, dict]] = []
        self.client.on(ACCESS_ENDED_EVENT, lambda data: self.ended.append((time.monotonic(), data)))


def signed_in(app, person, base_url: str) -> requests.Session:
    """A browser with the session cookie the server sets on signing the person in."""
    browser = requests.Session()
    signer = app.session_interface.get_signing_serializer(app)
    # For the server's host, so that the cookie the server sends back (with the CSRF token) replaces it.
    browser.cookies.set(app.config["SESSION_COOKIE_NAME"], signer.dumps({"_user_id": person.get_id(), "_fresh": True}),
                        domain=urlsplit(base_url).hostname)
    return browser


def revoke_link(base_url: str, browser: requests.Session, code: str, person_id: int) -> None:
    """Press "Revoke link" on the People page, as the organizer does."""
    people = browser.get(f"{base_url}/w/{code}/people", timeout=10)
    assert people.status_code == 200, people.status_code
    form = re.search(rf'action="/w/{code}/people/{person_id}/invite/revoke">\s*<input type="hidden" '
                     r'name="csrf_token" value="([^"]+)"', people.text)
    assert form, "no Revoke link button for the participant"
    answer = browser.post(f"{base_url}/w/{code}/people/{person_id}/invite/revoke",
                          data={"csrf_token": form.group(1)}, timeout=10, allow_redirects=False)
    assert answer.status_code == 302, (answer.status_code, answer.text[:2000])


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # several workers need a database server
def test_revoking_on_worker_one_ends_the_persons_pages_on_both_workers_within_5_seconds(app, make, invite_path,
                                                                                     private_redis, tmp_path):
    workshop = make.workshop()
    organizer = make.member(workshop, Role.ORGANIZER)
    participant, bystander = make.member(workshop), make.member(workshop)
    links = [invite_path(person, workshop) for person in (participant, bystander)]
    db.session.commit()
    url = db.engine.url.render_as_string(hide_password=False)
    settings = {"WORKSHOP_MESSAGE_QUEUE": private_redis.url}
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    auth = {"workshop": workshop.code}
    with served(SERVE, url, tmp_path / "one", **settings) as one, served(SERVE, url, tmp_path / "two", **settings) as two:
        cookie = cookie_header(sign_in_with_invite(two.base_url, links[0]))
        # No reconnecting by the client: a page that came back would show in the count and the disconnects.
        there = Watched.open(two.base_url, cookie, auth, reconnection=False)
        here = Watched.open(one.base_url, cookie, auth, reconnection=False)
        other = Watched.open(two.base_url, cookie_header(sign_in_with_invite(two.base_url, links[1])), auth,
                             reconnection=False)
        other.wait_for(lambda: other.online_counts()[-1:] == [2], WAIT_SECONDS, "both people online")

        started = time.monotonic()
        revoke_link(one.base_url, signed_in(app, organizer, one.base_url), workshop.code, participant.id)
        for tab in (there, here):
            tab.wait_for(lambda: tab.disconnects, WAIT_SECONDS, "the participant's page disconnected")
        took = max(there.disconnects[0], here.disconnects[0]) - started
        assert took < BUDGET_SECONDS, f"disconnected after {took:.1f} s"
        expected = REFUSALS[Reason.INVITE_REVOKED].event()
        for tab in (there, here):
            assert [data for _, data in tab.ended] == [expected]
            assert tab.ended[0][0] <= tab.disconnects[0], "the reason arrives before the disconnection"
        other.wait_for(lambda: other.online_counts()[-1:] == [1], WAIT_SECONDS, "the participant gone from the count")
        assert other.client.connected and not other.ended

        # The page cannot come back: a new connection with the same cookie is refused, saying why.
        refusals = []
        again = socketio.Client(reconnection=False)
        again.on("connect_error", lambda data=None: refusals.append(data))
        with pytest.raises(socketio.exceptions.ConnectionError):
            again.connect(two.base_url, headers={"Cookie": cookie}, auth=auth, transports=["websocket"],
                          wait_timeout=10)
        assert refusals == [{"message": expected["message"],
                             "data": {k: v for k, v in expected.items() if k != "message"}}]

        closing = [threading.Thread(target=tab.client.disconnect) for tab in (there, here, other)]
        for thread in closing:
            thread.start()
        for thread in closing:
            thread.join(15)
