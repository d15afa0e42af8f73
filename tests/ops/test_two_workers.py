"""Two served workers sharing a database and a Redis: presence and timers are right across them.

The Redis is a private ``redis-server`` on a spare port, so that no other test's
broadcasts (same room names, same Socket.IO channel) reach these clients.
Presence heartbeats every second and expires after two, so that a killed
worker's people drop out within seconds rather than the production minute.
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.live.server import cookie_header, invite_path, sign_in_with_invite  # noqa: F401  (fixture)
from tests.ops.servers import SERVE, served
from tests.polls.conftest import room  # noqa: F401  (fixture)
from tests.scale.conftest import Tab, private_redis  # noqa: F401  (fixture)
from workshop.db import db, utcnow
from workshop.polls.models import Poll, PollKind, PollState


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # several workers need a database server
def test_online_counts_and_deadlines_are_right_across_two_workers_and_a_killed_one(room, invite_path, private_redis,
                                                                                   tmp_path):
    settings = {"WORKSHOP_MESSAGE_QUEUE": private_redis.url, "WORKSHOP_PRESENCE_HEARTBEAT_SECONDS": "1",
                "WORKSHOP_PRESENCE_EXPIRY_SECONDS": "2"}
    url = db.engine.url.render_as_string(hide_password=False)
    here_person, there_person = room.participants[:2]
    links = [invite_path(person, room.workshop) for person in (here_person, there_person)]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    with served(SERVE, url, tmp_path / "one", **settings) as one, served(SERVE, url, tmp_path / "two", **settings) as two:
        auth = {"workshop": room.workshop.code, "session": room.session.id}
        here = Tab.open(one.base_url, cookie_header(sign_in_with_invite(one.base_url, links[0])), auth,
                        reconnection=False)
        there = Tab.open(two.base_url, cookie_header(sign_in_with_invite(two.base_url, links[1])), auth,
                         reconnection=False)
        # Each worker's clients see the people of both: arrivals are broadcast through Redis, counted from it.
        here.wait_for(lambda: here.online_counts()[-1:] == [2], 5, "2 online on worker one")
        there.wait_for(lambda: there.online_counts()[-1:] == [2], 5, "2 online on worker two")

        # A poll's countdown runs out with no worker holding its timer: both sweep, one closes it, once. Opened
        # here by hand, with no countdown of this process's own: that one would close it where no page listens.
        poll = room.poll(PollKind.SINGLE.value, open_it=False, duration_seconds="10")
        db.session.execute(update(Poll).where(Poll.id == poll.id).values(
            state=PollState.OPEN, opened_at=utcnow() - timedelta(seconds=11), closes_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        closed_card = f'id="poll-body-{poll.id}"'
        here.wait_for(lambda: here.count_of(closed_card) and there.count_of(closed_card), 5, "the closed poll")
        time.sleep(1.5)  # several more sweeps of both workers
        assert here.count_of(closed_card) == 1 and there.count_of(closed_card) == 1

        two.process.send_signal(signal.SIGKILL)  # worker two dies without a word
        two.process.wait(10)
        started = time.monotonic()
        here.wait_for(lambda: here.online_counts()[-1:] == [1], 8, "the dead worker's participant to drop out")
        assert time.monotonic() - started < 2 + 1 + 2, "within expiry + a sweep + a flush or so"
        here.client.disconnect()
        one.process.send_signal(signal.SIGTERM)
        assert one.process.wait(timeout=20) == 0, one.log()
