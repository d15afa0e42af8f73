"""Closed is final (issue 13, point 3): a ballot commits only if its poll is open at commit time.

Barrier tests on SQLite and PostgreSQL: the vote runs in a thread with its own connection and stops at a
chosen point while the close commits (or the close waits for it), and then the closed poll's tally is the
one it had when it closed, the racing vote is refused with "This poll has closed.", and nothing of it is
left half-written.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.barriers import race  # noqa: F401  (fixture)
from workshop.accounts.models import Person
from workshop.db import db, utcnow
from workshop.errors import ValidationError
from workshop.polls import services
from workshop.polls.models import Ballot, BallotChoice, Poll, PollKind, PollState

HAS_CLOSED = "This poll has closed."


def vote_as(person_id: int, poll_id: int, payload: dict) -> services.Cast:
    """A vote as a request or a socket event makes it: the signed-in person loaded in its own session."""
    return services.vote(poll_id, db.session.get(Person, person_id), payload)


def close(poll_id: int) -> tuple:
    """The moderator's close as the route makes it; returns the tally read just after the commit."""
    services.close_poll(db.session.get(Poll, poll_id))
    db.session.commit()
    return tally(poll_id)


def tally(poll_id: int) -> tuple:
    """What the poll's results show, and the rows behind them: (voters, bar counts, ballots, picks)."""
    db.session.commit()  # end any transaction of this session: read what is committed now
    found = services.results(db.session.get(Poll, poll_id))
    ballots = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id))
    picks = db.session.scalar(select(func.count()).select_from(BallotChoice).join(Ballot)
                              .where(Ballot.poll_id == poll_id))
    db.session.commit()
    return found.voters, [bar.count for bar in found.bars], ballots, picks


def state_of(poll_id: int) -> PollState:
    db.session.expire_all()
    return db.session.scalar(select(Poll.state).where(Poll.id == poll_id))


@pytest.fixture
def poll(room) -> Poll:
    """An open single-choice poll with one ballot already in it (for option 2)."""
    found = room.poll(PollKind.SINGLE.value)
    services.vote(found.id, room.participants[4], {"option": found.options[1].id})
    return found


def test_a_vote_checked_before_the_close_commits_is_refused(room, poll, race, monkeypatch):
    """The vote has passed its checks and not written yet; the close commits; then the vote goes on."""
    checked = race.pause()
    monkeypatch.setattr(services, "check_answer", checked.after(services.check_answer))
    voter = race.run(vote_as, room.participants[0].id, poll.id, {"option": poll.options[0].id})
    checked.wait_reached()

    at_close = close(poll.id)
    checked.go()

    assert voter.refusal() == (409, HAS_CLOSED)
    assert at_close == (1, [0, 1, 0], 1, 1)
    assert tally(poll.id) == at_close
    assert state_of(poll.id) == PollState.CLOSED


def test_a_vote_arriving_while_the_close_is_being_committed_waits_and_is_refused(room, poll, race):
    """The close has written (and holds its lock) but not committed; a vote arrives, waits, and is refused."""
    closing = db.session.get(Poll, poll.id)
    services.close_poll(closing)
    db.session.flush()
    voter = race.run(vote_as, room.participants[0].id, poll.id, {"option": poll.options[0].id})
    waited = race.wait_until_blocked(voter)

    db.session.commit()
    at_close = tally(poll.id)

    assert voter.refusal() == (409, HAS_CLOSED)
    assert waited, "the vote did not wait for the close in progress"
    assert at_close == (1, [0, 1, 0], 1, 1)
    assert tally(poll.id) == at_close


def test_a_close_waits_for_a_vote_already_written_and_its_tally_counts_it(room, poll, race, monkeypatch):
    """The vote has written its ballot and not committed; the close waits for it, and the closed tally has it."""
    written = race.pause()
    # After the writes, before the commit.
    monkeypatch.setattr(services, "answer_in_words", written.before(services.answer_in_words))
    voter = race.run(vote_as, room.participants[0].id, poll.id, {"option": poll.options[0].id})
    written.wait_reached()
    closer = race.run(close, poll.id)

    waited = race.wait_until_blocked(closer)
    written.go()

    assert voter.succeeded().answer == "Open tender"
    at_close = closer.succeeded()
    assert waited, "the close did not wait for the vote in flight"
    assert at_close == (2, [1, 1, 0], 2, 2)
    assert tally(poll.id) == at_close


def test_changing_a_ballot_as_the_poll_closes_is_refused_and_the_first_answer_stays(room, poll, race,
                                                                                     monkeypatch):
    """allow_change: the new answer deletes the old picks first; refused, none of that is kept."""
    voter_id = room.participants[0].id
    services.vote(poll.id, db.session.get(Person, voter_id), {"option": poll.options[0].id})
    checked = race.pause()
    monkeypatch.setattr(services, "check_answer", checked.after(services.check_answer))
    voter = race.run(vote_as, voter_id, poll.id, {"option": poll.options[2].id})
    checked.wait_reached()

    at_close = close(poll.id)
    checked.go()

    assert voter.refusal() == (409, HAS_CLOSED)
    assert at_close == (2, [1, 1, 0], 2, 2)
    assert tally(poll.id) == at_close
    closed = db.session.get(Poll, poll.id)
    assert services.describe(closed, services.my_ballot(closed, db.session.get(Person, voter_id))) == "Open tender"


def test_a_vote_racing_the_countdown_is_refused(room, race, monkeypatch):
    """The countdown closes the poll (close_if_expired) between the vote's check and its commit."""
    poll = room.poll(PollKind.SINGLE.value, duration_seconds="60")
    checked = race.pause()
    monkeypatch.setattr(services, "check_answer", checked.after(services.check_answer))
    voter = race.run(vote_as, room.participants[0].id, poll.id, {"option": poll.options[0].id})
    checked.wait_reached()

    db.session.execute(update(Poll).where(Poll.id == poll.id).values(closes_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert services.close_if_expired(poll.id) is True
    at_close = tally(poll.id)
    checked.go()

    assert voter.refusal() == (409, HAS_CLOSED)
    assert at_close == (0, [0, 0, 0], 0, 0)
    assert tally(poll.id) == at_close


def test_over_the_socket_the_racing_vote_is_acknowledged_as_refused(app, room, poll, race, connect, monkeypatch):
    """The live view shows the refusal: the ack of the ``vote`` event carries the message, and no ballot."""
    socket = connect(room.participants[0], auth={"workshop": room.workshop.code, "session": room.session.id})
    assert socket.connected
    checked = race.pause()
    monkeypatch.setattr(services, "check_answer", checked.after(services.check_answer))
    db.session.commit()

    def emit_vote():
        return socket.client.emit("vote", {"poll": poll_id, "answer": {"option": option_id}}, callback=True)

    poll_id, option_id = poll.id, poll.options[0].id
    voter = race.run(emit_vote)
    checked.wait_reached()

    at_close = close(poll.id)
    checked.go()

    assert voter.succeeded() == {"ok": False, "message": HAS_CLOSED}
    assert tally(poll.id) == at_close == (1, [0, 1, 0], 1, 1)


# The bad inputs of these paths keep their clear messages ------------------------------------------------------

def refused(action) -> tuple[int, str]:
    with pytest.raises(ValidationError) as caught:
        action()
    db.session.rollback()
    return caught.value.status, " ".join(caught.value.errors.values())


def test_bad_votes_and_closes_keep_their_messages_and_write_nothing(room, poll):
    voter = room.participants[0]
    draft = room.poll(PollKind.SINGLE.value, open_it=False)
    before = tally(poll.id)

    assert refused(lambda: services.vote(poll.id, voter, {"option": 999999})) == (
        400, "Choose one of the poll's options.")
    assert refused(lambda: services.vote(poll.id, voter, "yes")) == (400, "The vote was not understood.")
    assert refused(lambda: services.vote(999999, voter, {"option": 1})) == (404, "There is no such poll.")
    assert refused(lambda: services.vote(True, voter, {"option": 1})) == (404, "There is no such poll.")
    assert refused(lambda: services.vote(draft.id, voter, {"option": draft.options[0].id})) == (
        409, "This poll has closed.")
    assert refused(lambda: services.close_poll(db.session.get(Poll, draft.id))) == (409, "The poll is not open.")
    assert state_of(draft.id) == PollState.DRAFT
    assert services.close_if_expired(poll.id) is False  # no countdown
    assert tally(poll.id) == before and state_of(poll.id) == PollState.OPEN

    services.close_poll(db.session.get(Poll, poll.id))
    db.session.commit()
    closed = db.session.get(Poll, poll.id)
    assert closed.state == PollState.CLOSED and closed.closed_at is not None and closed.closes_at is None
    closed_at = closed.closed_at
    assert refused(lambda: services.vote(poll.id, voter, {"option": poll.options[0].id})) == (
        409, "This poll has closed.")
    assert refused(lambda: services.close_poll(db.session.get(Poll, poll.id))) == (409, "The poll is not open.")
    assert services.close_if_expired(poll.id) is False
    assert tally(poll.id) == before and db.session.get(Poll, poll.id).closed_at == closed_at
