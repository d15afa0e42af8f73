"""Thirty members vote in the same instant, each in a request-like app context of its own: every vote counts."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from workshop.accounts.models import Person
from workshop.db import db
from workshop.errors import ValidationError
from workshop.live import revisions as live_revisions
from workshop.polls import services
from workshop.polls.models import Ballot, PollKind

VOTERS = 30


def test_simultaneous_votes_are_all_stored_with_distinct_revisions(app, room, make):
    voters = [person.id for person in room.participants] + [make.member(room.workshop).id
                                                            for _ in range(VOTERS - len(room.participants))]
    poll = room.poll(PollKind.SINGLE.value)
    poll_id, option_ids = poll.id, [option.id for option in poll.options]
    start = threading.Barrier(VOTERS)
    revisions: list[int] = []
    errors: list[BaseException] = []

    def vote(n: int, person_id: int) -> None:
        with app.app_context():
            try:
                start.wait(timeout=10)  # before any connection is taken: the pool holds fewer than 30
                person = db.session.get(Person, person_id)  # as a request loads its signed-in user
                revisions.append(services.cast_vote(poll_id, person, {"option": option_ids[n % 3]}))
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

    threads = [threading.Thread(target=vote, args=(n, person_id)) for n, person_id in enumerate(voters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(revisions) == VOTERS and len(set(revisions)) == VOTERS
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)) == VOTERS
    found = services.results(poll)
    assert found.voters == VOTERS
    assert [bar.count for bar in found.bars] == [10, 10, 10]
    assert max(revisions) == live_revisions.current(services.live_target(poll.session_id))


def test_one_person_voting_from_several_tabs_at_once_gets_one_ballot(app, room):
    poll = room.poll(PollKind.SINGLE.value, allow_change="")
    poll_id, option_ids, person_id = poll.id, [option.id for option in poll.options], room.participants[0].id
    next_revision = live_revisions.current(services.live_target(poll.session_id)) + 1
    tabs = 6
    start = threading.Barrier(tabs)
    outcomes: list[int | str] = []

    def vote(n: int) -> None:
        with app.app_context():
            start.wait(timeout=10)
            try:
                outcomes.append(services.cast_vote(poll_id, db.session.get(Person, person_id),
                                                   {"option": option_ids[n % 3]}))
            except ValidationError as refused:
                outcomes.append(refused.status)
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                outcomes.append(repr(error))

    threads = [threading.Thread(target=vote, args=(n,)) for n in range(tabs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes, key=str) == sorted([409] * (tabs - 1) + [next_revision], key=str)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)) == 1
