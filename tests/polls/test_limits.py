"""Votes are limited per person (20 in 10 seconds by default): the next is refused in the acknowledgement,
nothing of it is stored, and the socket stays connected. Votes come only over the socket."""

from __future__ import annotations

from sqlalchemy import select

from tests.polls.test_sockets import ballots, cast, join  # noqa: F401  (fixtures)
from workshop.db import db
from workshop.live import revisions
from workshop.polls import services
from workshop.polls.models import Poll, PollKind

VOTE_LIMIT = 20


def test_the_vote_after_the_limit_is_refused_and_nothing_of_it_is_stored(room, join, cast):
    poll = room.poll(PollKind.SINGLE.value)  # changing one's vote is allowed: each vote is a write
    options = [option.id for option in poll.options]
    voter, other = room.participants[:2]
    socket = join(voter)
    for n in range(VOTE_LIMIT):
        assert cast(socket, {"poll": poll.id, "answer": {"option": options[n % 2]}})["ok"] is True, n
    revision = revisions.current(services.live_target(poll.session_id))

    ack = cast(socket, {"poll": poll.id, "answer": {"option": options[2]}})

    assert ack["ok"] is False
    assert ack["message"].startswith("You are voting too fast; wait ") and "seconds and try again." in ack["message"]
    db.session.expire_all()
    assert services.describe(poll, services.my_ballot(poll, voter)) == poll.options[(VOTE_LIMIT - 1) % 2].text
    assert revisions.current(services.live_target(poll.session_id)) == revision
    assert ballots(poll.id) == 1
    assert socket.connected
    # Someone else votes as before.
    assert cast(join(other), {"poll": poll.id, "answer": {"option": options[2]}})["ok"] is True
