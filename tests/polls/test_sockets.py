"""Polls over the live socket: votes acknowledged after commit, every bad payload refused, coalesced
versioned result broadcasts, the state a (re)connecting participant gets, hidden results, countdowns."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from workshop.db import db, utcnow
from workshop.live import revisions
from workshop.live.broadcast import coalescer
from workshop.live.revisions import LiveRevision
from workshop.polls import services
from workshop.polls.models import Ballot, Poll, PollKind, PollState
from workshop.workshops.models import Role

VOTERS = re.compile(r'<span data-testid="voters">(\d+)</span>')
RESULTS = re.compile(r'<div id="poll-results-(\d+)"[^>]*data-version="(\d+)"')


def ballots(poll_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id))


@pytest.fixture
def join(room, connect):
    """``join(person)``: a socket of that person on the room's session page."""

    def open_page(person):
        socket = connect(person, auth={"workshop": room.workshop.code, "session": room.session.id})
        assert socket.connected
        return socket

    return open_page


@pytest.fixture
def cast(app):
    """``cast(socket, payload)``: emit ``vote`` as the browser does and return the acknowledgement."""

    def emit(socket, payload):
        db.session.commit()  # the test's own writes are visible and hold no lock
        with app.app_context():  # a fresh context and database session, as each socket event gets
            return socket.client.emit("vote", payload, callback=True)

    return emit


def results_fragments(socket, poll_id: int) -> list[str]:
    return [f for f in socket.collect() if f'id="poll-results-{poll_id}"' in f]


def last_voters(socket, poll_id: int) -> int | None:
    found = [int(n) for f in results_fragments(socket, poll_id) for n in VOTERS.findall(f)]
    return found[-1] if found else None


# Acknowledgement ------------------------------------------------------------------------------------

def test_the_ack_comes_after_commit_with_the_polls_revision(room, join, cast):
    poll = room.poll(PollKind.SINGLE.value)
    voter = room.participants[0]
    ack = cast(join(voter), {"poll": poll.id, "answer": {"option": poll.options[1].id}})
    assert ack["ok"] is True
    # Read through a new connection: the ballot is committed, not merely flushed in the handler's transaction.
    with db.engine.connect() as connection:
        stored = connection.execute(select(Ballot.id).where(Ballot.poll_id == poll.id)).all()
        revision = connection.execute(select(LiveRevision.revision).where(
            LiveRevision.target == services.live_target(poll.session_id))).scalar_one()
    assert len(stored) == 1
    assert ack["version"] == revision
    assert f'id="poll-mine-{poll.id}"' in ack["mine"] and "Framework agreement" in ack["mine"]


def test_changing_a_vote_gives_a_higher_version_and_the_new_answer(room, join, cast):
    poll = room.poll(PollKind.SINGLE.value)
    socket = join(room.participants[0])
    first = cast(socket, {"poll": poll.id, "answer": {"option": poll.options[0].id}})
    second = cast(socket, {"poll": poll.id, "answer": {"option": poll.options[2].id}})
    assert second["ok"] and second["version"] > first["version"]
    assert "Direct award" in second["mine"]
    assert ballots(poll.id) == 1


# Every invalid payload ------------------------------------------------------------------------------

def _other_poll_option(room):
    other = room.poll(PollKind.SINGLE.value, question="Another?")
    return other.options[0].id


BAD = {
    "unknown poll": (PollKind.SINGLE, lambda room, poll: {"poll": 999999, "answer": {"option": 1}},
                     "There is no such poll."),
    "poll id as text": (PollKind.SINGLE, lambda room, poll: {"poll": str(poll.id),
                                                             "answer": {"option": poll.options[0].id}},
                        "There is no such poll."),
    "poll id true": (PollKind.SINGLE, lambda room, poll: {"poll": True, "answer": {"option": poll.options[0].id}},
                     "There is no such poll."),
    "option of another poll": (PollKind.SINGLE, lambda room, poll: {"poll": poll.id,
                                                                    "answer": {"option": _other_poll_option(room)}},
                               "Choose one of the poll's options."),
    "no option": (PollKind.SINGLE, lambda room, poll: {"poll": poll.id, "answer": {}},
                  "Choose one of the poll's options."),
    "answer not an object": (PollKind.SINGLE, lambda room, poll: {"poll": poll.id, "answer": "Open tender"},
                             "The vote was not understood."),
    "no answer": (PollKind.SINGLE, lambda room, poll: {"poll": poll.id}, "The vote was not understood."),
    "too many picks": (PollKind.MULTIPLE, lambda room, poll: {"poll": poll.id, "answer": {
        "options": [o.id for o in poll.options]}}, "Choose at most 2 options."),
    "picks of another poll": (PollKind.MULTIPLE, lambda room, poll: {"poll": poll.id, "answer": {
        "options": [poll.options[0].id, _other_poll_option(room)]}}, "Those are not options of this poll."),
    "the same pick twice": (PollKind.MULTIPLE, lambda room, poll: {"poll": poll.id, "answer": {
        "options": [poll.options[0].id] * 2}}, "Those are not options of this poll."),
    "no picks": (PollKind.MULTIPLE, lambda room, poll: {"poll": poll.id, "answer": {"options": []}},
                 "Choose at least one option."),
    "rating out of scale": (PollKind.RATING, lambda room, poll: {"poll": poll.id, "answer": {"rating": 6}},
                            "Give a rating from 1 to 5."),
    "rating as text": (PollKind.RATING, lambda room, poll: {"poll": poll.id, "answer": {"rating": "5"}},
                       "Give a rating from 1 to 5."),
    "ranking incomplete": (PollKind.RANKING, lambda room, poll: {"poll": poll.id, "answer": {
        "options": [poll.options[0].id]}}, "Put every option in your order."),
    "empty text": (PollKind.OPEN_TEXT, lambda room, poll: {"poll": poll.id, "answer": {"text": ""}},
                   "Write an answer first."),
    "blank text": (PollKind.WORDCLOUD, lambda room, poll: {"poll": poll.id, "answer": {"text": " \n\t "}},
                   "Write an answer first."),
    "over-long text": (PollKind.OPEN_TEXT, lambda room, poll: {"poll": poll.id, "answer": {"text": "x" * 501}},
                       "The answer is longer than 500 characters."),
    "over-long word": (PollKind.WORDCLOUD, lambda room, poll: {"poll": poll.id, "answer": {"text": "x" * 41}},
                       "The answer is longer than 40 characters."),
    "text not a string": (PollKind.OPEN_TEXT, lambda room, poll: {"poll": poll.id, "answer": {"text": ["x"]}},
                          "Write an answer first."),
    "None": (PollKind.SINGLE, lambda room, poll: None, "There is no such poll."),
    "a list": (PollKind.SINGLE, lambda room, poll: [poll.id, {"option": poll.options[0].id}],
               "There is no such poll."),
    "a string": (PollKind.SINGLE, lambda room, poll: "vote!", "There is no such poll."),
    "a number": (PollKind.SINGLE, lambda room, poll: poll.id, "There is no such poll."),
}


def test_every_invalid_vote_is_refused_with_its_message_and_nothing_is_stored(room, join, cast):
    socket = join(room.participants[0])
    # Every poll first (some payloads open one more): then no vote may raise the session's polls revision.
    payloads = {case: payload(room, room.poll(kind.value, max_picks="2")) for case, (kind, payload, _) in BAD.items()}
    revision = revisions.current(services.live_target(room.session.id))
    for case, (_, _, message) in BAD.items():
        assert cast(socket, payloads[case]) == {"ok": False, "message": message}, case
    assert revisions.current(services.live_target(room.session.id)) == revision
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


@pytest.mark.parametrize("state", ["draft", "closed", "expired"])
def test_a_vote_in_a_poll_that_is_not_open_is_refused(room, join, cast, state):
    poll = room.poll(PollKind.SINGLE.value, open_it=state != "draft")
    if state == "closed":
        services.close_poll(poll)
    if state == "expired":  # its countdown ran out, and the timer has not closed it yet
        poll.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    ack = cast(join(room.participants[0]), {"poll": poll.id, "answer": {"option": poll.options[0].id}})
    assert ack == {"ok": False, "message": "This poll has closed."}
    assert ballots(poll.id) == 0


def test_a_person_of_another_workshop_may_not_vote_here(room, make, connect, cast):
    poll = room.poll(PollKind.SINGLE.value)
    other = make.workshop()
    outsider = make.member(other, Role.ORGANIZER)
    socket = connect(outsider, other.code)  # connected to their own workshop
    assert socket.connected
    ack = cast(socket, {"poll": poll.id, "answer": {"option": poll.options[0].id}})
    assert ack == {"ok": False, "status": 403, "reason": "not a member",
                   "message": "You are not a member of this workshop."}
    assert ballots(poll.id) == 0


def test_a_second_vote_where_changing_is_not_allowed_is_refused(room, join, cast):
    poll = room.poll(PollKind.SINGLE.value, allow_change="")
    socket = join(room.participants[0])
    assert cast(socket, {"poll": poll.id, "answer": {"option": poll.options[0].id}})["ok"]
    ack = cast(socket, {"poll": poll.id, "answer": {"option": poll.options[1].id}})
    assert ack == {"ok": False, "message": "You have already voted in this poll."}
    assert "Open tender" in services.describe(poll, services.my_ballot(poll, room.participants[0]))


# Broadcasts ----------------------------------------------------------------------------------------

def test_other_sockets_in_the_session_get_the_results_with_a_version(room, join, cast):
    poll = room.poll(PollKind.SINGLE.value, results_visible="y")
    watcher = join(room.participants[1])
    ack = cast(join(room.participants[0]), {"poll": poll.id, "answer": {"option": poll.options[0].id}})
    watcher.wait_for(lambda s: last_voters(s, poll.id) == 1, what="the results after one vote")
    fragment = results_fragments(watcher, poll.id)[-1]
    version = int(RESULTS.search(fragment).group(2))
    assert version >= ack["version"]
    assert 'hx-swap-oob="outerHTML"' in fragment
    assert "1 · 100.0%" in fragment


def test_a_burst_of_votes_is_coalesced_and_the_last_fragment_has_the_final_count(app, room, make, join, cast):
    coalescer = app.extensions["live_coalescer"]
    coalescer.interval = 0.3  # slower than the tests' usual flush, so that a burst clearly spans few flushes
    try:
        burst_of_votes(room, make, join, cast)
    finally:
        time.sleep(0.7)  # the last slow flush runs before the tables are emptied
        coalescer.interval = app.config["LIVE_FLUSH_SECONDS"]


def burst_of_votes(room, make, join, cast):
    voters = room.participants + [make.member(room.workshop) for _ in range(15)]
    poll = room.poll(PollKind.SINGLE.value, results_visible="y")
    watcher = join(make.member(room.workshop))
    sockets = [join(person) for person in voters]
    watcher.wait_for(lambda s: last_voters(s, poll.id) == 0, what="the poll's results on arrival")
    before = len(results_fragments(watcher, poll.id))
    acks = [cast(socket, {"poll": poll.id, "answer": {"option": poll.options[n % 3].id}})
            for n, socket in enumerate(sockets)]
    assert all(ack["ok"] for ack in acks)
    watcher.wait_for(lambda s: last_voters(s, poll.id) == len(voters), timeout=5, what="the final count")
    time.sleep(0.7)  # anything still to come
    during = results_fragments(watcher, poll.id)[before:]
    assert len(during) <= len(voters) // 4, f"{len(voters)} votes made {len(during)} result fragments"
    assert last_voters(watcher, poll.id) == len(voters)
    versions = [int(v) for f in during for _, v in RESULTS.findall(f)]
    assert versions == sorted(versions) and versions[-1] >= max(ack["version"] for ack in acks)
    for socket in [watcher, *sockets]:
        socket.disconnect()


def test_sockets_of_another_session_get_nothing_of_this_poll(room, join, connect, cast):
    from tests.polls.conftest import add_session

    elsewhere = add_session(room.workshop)
    poll = room.poll(PollKind.SINGLE.value, results_visible="y")
    outside = connect(room.participants[1], auth={"workshop": room.workshop.code, "session": elsewhere.id})
    inside = join(room.participants[2])
    cast(join(room.participants[0]), {"poll": poll.id, "answer": {"option": poll.options[0].id}})
    inside.wait_for(lambda s: last_voters(s, poll.id) == 1, what="the results in the session")
    time.sleep(0.15)
    assert not any(f"poll-{poll.id}" in f for f in outside.collect())


def test_a_participant_who_reconnects_gets_the_poll_their_answer_and_the_results(room, join, cast):
    poll = room.poll(PollKind.SINGLE.value, results_visible="y")
    voter = room.participants[0]
    first = join(voter)
    assert cast(first, {"poll": poll.id, "answer": {"option": poll.options[2].id}})["ok"]
    first.disconnect()

    again = join(voter)
    arrival = next(f for f in again.collect() if 'id="session-polls"' in f)
    assert f'id="poll-{poll.id}"' in arrival and "poll-form" in arrival
    mine = re.search(rf'<p id="poll-mine-{poll.id}"[^>]*>(.*?)</p>', arrival, re.S).group(1)
    assert "Your answer" in mine and "Direct award" in mine
    assert VOTERS.search(arrival).group(1) == "1"
    assert "1 · 100.0%" in arrival


def test_arrivals_at_the_same_revision_each_get_only_their_own_answers(room, join, cast):
    """The cards of unanswered polls are kept per revision and shared; an answer is never one of them."""
    answered, other = room.poll(PollKind.SINGLE.value), room.poll(PollKind.RATING.value)
    voter, bystander = room.participants[0], room.participants[1]
    assert cast(join(voter), {"poll": answered.id, "answer": {"option": answered.options[1].id}})["ok"]

    def mine(person) -> dict[int, str]:
        arrival = next(f for f in join(person).collect() if 'id="session-polls"' in f)
        return {poll.id: re.search(rf'<p id="poll-mine-{poll.id}"[^>]*>(.*?)</p>', arrival, re.S).group(1)
                for poll in (answered, other)}

    first_bystander, voters, second_bystander = mine(bystander), mine(voter), mine(bystander)
    assert "Framework agreement" in voters[answered.id] and voters[other.id] == ""
    assert first_bystander == second_bystander == {answered.id: "", other.id: ""}


def test_a_new_poll_with_a_deleted_drafts_id_is_voted_on_with_its_own_options(room, join, cast):
    """Options are kept per poll once read; SQLite gives a deleted poll's id to the next one (a deleted
    workshop's polls too: the live demo is made afresh each day)."""
    draft = room.poll(PollKind.SINGLE.value, open_it=False, options="Alpha\nBeta", max_picks="1")
    socket = join(room.participants[0])
    refused = cast(socket, {"poll": draft.id, "answer": {"option": draft.options[0].id}})  # the draft is read
    assert refused == {"ok": False, "message": "This poll has closed."}
    services.delete_poll(draft)
    db.session.commit()
    poll = room.poll(PollKind.MULTIPLE.value, options="Gamma\nDelta\nEpsilon", max_picks="2")  # its id on SQLite
    picks = [option.id for option in poll.options[1:]]
    ack = cast(socket, {"poll": poll.id, "answer": {"options": picks}})
    assert ack["ok"] and "Delta; Epsilon" in ack["mine"]


def test_drafts_are_not_sent_to_participants(room, join):
    draft = room.poll(PollKind.SINGLE.value, open_it=False, question="A secret draft?")
    opened = room.poll(PollKind.RATING.value)
    arrival = "".join(join(room.participants[0]).collect())
    assert f'id="poll-{opened.id}"' in arrival
    assert f'id="poll-{draft.id}"' not in arrival and "A secret draft?" not in arrival


def test_opening_a_poll_sends_its_card_to_the_session_page(room, join):
    watcher = join(room.participants[0])
    poll = room.poll(PollKind.SINGLE.value, open_it=False)
    services.open_poll(poll)
    db.session.commit()
    watcher.wait_for(lambda s: any('data-append-to="session-polls"' in f and f'id="poll-{poll.id}"' in f
                                   for f in s.fragments), what="the new poll's card")


def test_showing_results_of_a_draft_does_not_reveal_it_to_participants(room, moderator_client, make, join):
    client, _ = moderator_client
    watcher = join(room.participants[0])
    draft = room.poll(PollKind.SINGLE.value, open_it=False, question="A secret draft?")
    path = f"/w/{room.workshop.code}/s/{room.session.id}/polls/{draft.id}/show"
    assert make.post(client, path).status_code == 200
    time.sleep(0.2)
    assert not any("A secret draft?" in f or f'id="poll-{draft.id}"' in f for f in watcher.collect())


# Hidden results --------------------------------------------------------------------------------------

@pytest.fixture
def moderator_client(app, room, make):
    moderator = make.member(room.workshop, Role.MODERATOR)
    client = app.test_client()
    make.sign_in(client, moderator)
    return client, moderator


def test_hidden_results_reach_staff_but_not_participants(room, connect, join, cast, moderator_client):
    client, moderator = moderator_client
    poll = room.poll(PollKind.SINGLE.value)  # results hidden
    participant = join(room.participants[1])
    staff = connect(moderator, signed_in_client=client,
                    auth={"workshop": room.workshop.code, "session": room.session.id})
    cast(join(room.participants[0]), {"poll": poll.id, "answer": {"option": poll.options[0].id}})
    participant.wait_for(lambda s: last_voters(s, poll.id) == 1, what="the participant's fragment")
    staff.wait_for(lambda s: any(f'id="poll-staff-results-{poll.id}"' in f and "1 · 100.0%" in f
                                 for f in s.fragments), what="counts per option on the desk")
    for fragment in results_fragments(participant, poll.id):
        fragment = fragment[fragment.index(f'id="poll-results-{poll.id}"'):].split("</article>")[0]
        assert "bar-figure" not in fragment and "Open tender" not in fragment
        assert "The moderator will show the results." in fragment
    assert not any("poll-staff-results" in f for f in participant.fragments)


def test_showing_the_results_sends_the_results_and_leaves_the_forms_being_filled_in(room, join, make,
                                                                                    moderator_client):
    client, _ = moderator_client
    poll = room.poll(PollKind.SINGLE.value)  # results hidden
    watcher = join(room.participants[0])
    watcher.wait_for(lambda s: any(f'id="poll-body-{poll.id}"' in f for f in s.fragments), what="the poll's card")
    before = revisions.current(services.live_target(room.session.id))
    path = f"/w/{room.workshop.code}/s/{room.session.id}/polls/{poll.id}/show"
    assert make.post(client, path).status_code == 200
    watcher.wait_for(lambda s: any(f'id="poll-results-{poll.id}"' in f and "bar-figure" in f for f in s.fragments),
                     what="the results shown")
    coalescer().flush()
    # A newer body would replace the form under a participant choosing an option.
    bodies = [int(v) for f in watcher.collect() for v in re.findall(
        rf'id="poll-body-{poll.id}"[^>]*data-version="(\d+)"', f)]
    assert bodies and max(bodies) <= before


# Countdown ----------------------------------------------------------------------------------------------

def test_an_expired_poll_is_closed_once_and_the_closed_card_is_broadcast(room, join):
    poll = room.poll(PollKind.SINGLE.value, duration_seconds="10")
    watcher = join(room.participants[0])
    assert services.close_if_expired(poll.id) is False, "not due yet"
    db.session.execute(update(Poll).where(Poll.id == poll.id).values(closes_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert services.close_if_expired(poll.id) is True
    assert services.close_if_expired(poll.id) is False, "closed only once"
    db.session.expire_all()
    poll = db.session.get(Poll, poll.id)
    assert poll.state == PollState.CLOSED and poll.closes_at is None
    watcher.wait_for(lambda s: any(f'id="poll-body-{poll.id}"' in f and "Closed" in f for f in s.fragments),
                     what="the closed poll's body")


def test_the_countdown_timer_closes_the_poll_by_itself(app, room, join, monkeypatch):
    poll = room.poll(PollKind.SINGLE.value, open_it=False, duration_seconds="10")
    watcher = join(room.participants[0])
    services.open_poll(poll)
    # Due in half a second rather than ten: the timer sleeps until closes_at, whatever the duration.
    poll.closes_at = utcnow() + timedelta(seconds=0.5)
    db.session.commit()
    watcher.wait_for(lambda s: any(f'id="poll-body-{poll.id}"' in f and "badge closed" in f for f in s.fragments),
                     timeout=4, what="the poll closed by its countdown")
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).state == PollState.CLOSED
