"""Poll services on both databases: preparing, the lifecycle, validation of every vote, and results."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from workshop.db import db, utcnow
from workshop.errors import ValidationError
from workshop.live import revisions
from workshop.live.revisions import LiveRevision
from workshop.polls import services
from workshop.polls.models import Ballot, BallotChoice, BallotSecret, Poll, PollKind, PollState, RankingMethod
from workshop.polls.tallies import Bar, Ranked, Word

SINGLE, MULTIPLE, RATING = PollKind.SINGLE.value, PollKind.MULTIPLE.value, PollKind.RATING.value
WORDCLOUD, OPEN_TEXT, RANKING = PollKind.WORDCLOUD.value, PollKind.OPEN_TEXT.value, PollKind.RANKING.value


def ballots(poll: Poll | None = None) -> int:
    query = select(func.count()).select_from(Ballot)
    return db.session.scalar(query.where(Ballot.poll_id == poll.id) if poll else query)


def choices() -> int:
    return db.session.scalar(select(func.count()).select_from(BallotChoice))


def revision(poll: Poll) -> int:
    return revisions.current(services.live_target(poll.session_id))


def every_revision() -> list[tuple[str, int]]:
    return db.session.execute(select(LiveRevision.target, LiveRevision.revision).order_by(LiveRevision.target)).all()


def option_ids(poll: Poll) -> list[int]:
    return [option.id for option in poll.options]


def assert_refused(poll_id, person, payload, status: int, field: str = "answer") -> ValidationError:
    """The vote is refused with the status and nothing at all is written."""
    before = (ballots(), choices(), every_revision())
    with pytest.raises(ValidationError) as refused:
        services.cast_vote(poll_id, person, payload)
    assert refused.value.status == status
    assert field in refused.value.errors
    db.session.rollback()
    assert (ballots(), choices(), every_revision()) == before
    return refused.value


# Preparing: clean_poll_fields ------------------------------------------------------------------

GOOD = {"kind": SINGLE, "question": "  Which   method?  ", "options": " Open tender \n\n  Framework  agreement\n"}


def test_clean_poll_fields_tidies_a_good_poll():
    cleaned = services.clean_poll_fields(dict(GOOD, duration_seconds="", anonymous="y"))

    assert cleaned["kind"] == PollKind.SINGLE
    assert cleaned["question"] == "Which method?"
    assert cleaned["options"] == ["Open tender", "Framework agreement"]
    assert cleaned["duration_seconds"] is None
    assert cleaned["anonymous"] is True and cleaned["allow_change"] is False
    assert cleaned["ranking_method"] == RankingMethod.BORDA


def test_kinds_without_options_drop_any_options_given():
    assert services.clean_poll_fields(dict(GOOD, kind=WORDCLOUD))["options"] == []


@pytest.mark.parametrize("changes, field", [
    ({"kind": ""}, "kind"),
    ({"kind": "poll of the year"}, "kind"),
    ({"question": ""}, "question"),
    ({"question": " \n\t "}, "question"),
    ({"question": "x" * 301}, "question"),
    ({"options": "Only one"}, "options"),
    ({"options": ""}, "options"),
    ({"options": "\n".join(f"Option {i}" for i in range(21))}, "options"),
    ({"options": "Short\n" + "x" * 201}, "options"),
    ({"options": "Open tender\nOPEN  tender"}, "options"),
    ({"kind": RANKING, "options": "Only one"}, "options"),
    ({"kind": MULTIPLE, "max_picks": "0"}, "max_picks"),
    ({"kind": MULTIPLE, "max_picks": "3"}, "max_picks"),
    ({"kind": RATING, "scale_max": "7"}, "scale_max"),
    ({"ranking_method": "alphabetical"}, "ranking_method"),
    ({"duration_seconds": "9"}, "duration_seconds"),
    ({"duration_seconds": "3601"}, "duration_seconds"),
    ({"duration_seconds": "soon"}, "duration_seconds"),
    ({"duration_seconds": "-30"}, "duration_seconds"),
])
def test_clean_poll_fields_refuses_each_bad_field(changes, field):
    with pytest.raises(ValidationError) as refused:
        services.clean_poll_fields(dict(GOOD, **changes))

    assert list(refused.value.errors) == [field]


def test_clean_poll_fields_accepts_the_edges():
    cleaned = services.clean_poll_fields(dict(GOOD, question="x" * 300, kind=MULTIPLE, max_picks="2",
                                              options="\n".join(f"O{i}" for i in range(20)),
                                              duration_seconds="3600"))

    assert len(cleaned["options"]) == 20 and cleaned["max_picks"] == 2 and cleaned["duration_seconds"] == 3600
    assert services.clean_poll_fields(dict(GOOD, kind=RATING, scale_max="10"))["scale_max"] == 10


# Lifecycle ----------------------------------------------------------------------------------------

def test_a_poll_goes_from_draft_to_open_to_closed_and_reopens_with_its_ballots(room):
    poll = room.poll(SINGLE, open_it=False)
    assert poll.state == PollState.DRAFT and poll.opened_at is None
    seen = [revision(poll)]

    services.open_poll(poll)
    db.session.commit()
    assert poll.state == PollState.OPEN and poll.opened_at is not None and poll.closes_at is None
    seen.append(revision(poll))
    services.cast_vote(poll.id, room.participants[0], {"option": option_ids(poll)[0]})

    services.close_poll(poll)
    db.session.commit()
    assert poll.state == PollState.CLOSED and poll.closed_at is not None
    seen.append(revision(poll))

    services.open_poll(poll)
    db.session.commit()
    assert poll.state == PollState.OPEN and poll.closed_at is None
    seen.append(revision(poll))
    assert ballots(poll) == 1
    assert services.results(poll).bars[0].count == 1
    assert seen == sorted(set(seen)), "every change of state raises the revision"


def test_opening_an_open_poll_is_a_conflict(room):
    poll = room.poll(SINGLE)
    before = revision(poll)

    with pytest.raises(ValidationError) as refused:
        services.open_poll(poll)

    assert refused.value.status == 409
    db.session.rollback()
    assert revision(poll) == before


def test_closing_a_closed_poll_or_a_draft_is_a_conflict(room):
    poll = room.poll(SINGLE)
    services.close_poll(poll)
    db.session.commit()
    draft = room.poll(SINGLE, open_it=False)

    for not_open in (poll, draft):
        with pytest.raises(ValidationError) as refused:
            services.close_poll(not_open)
        assert refused.value.status == 409


def test_a_countdown_closes_the_poll_exactly_once(room):
    poll = room.poll(SINGLE, duration_seconds="60")
    assert timedelta(seconds=59) <= poll.closes_at - poll.opened_at <= timedelta(seconds=61)
    assert services.close_if_expired(poll.id) is False  # a minute to go
    assert poll.state == PollState.OPEN

    poll.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_refused(poll.id, room.participants[0], {"option": option_ids(poll)[0]}, 409, "poll")  # not closed yet

    assert services.close_if_expired(poll.id) is True
    assert services.close_if_expired(poll.id) is False
    db.session.refresh(poll)
    assert poll.state == PollState.CLOSED and poll.closed_at is not None and poll.closes_at is None


def test_close_if_expired_leaves_polls_without_a_countdown_alone(room):
    poll = room.poll(SINGLE)

    assert services.close_if_expired(poll.id) is False
    db.session.refresh(poll)
    assert poll.state == PollState.OPEN


def test_reopening_restarts_the_countdown(room):
    poll = room.poll(SINGLE, duration_seconds="30")
    services.close_poll(poll)
    db.session.commit()

    services.open_poll(poll)
    db.session.commit()

    assert poll.closes_at > utcnow() + timedelta(seconds=25)


def test_duplicate_makes_a_draft_with_the_same_options_and_no_ballots(room):
    poll = room.poll(MULTIPLE, max_picks="2", anonymous="y", allow_change="")
    services.cast_vote(poll.id, room.participants[0], {"options": option_ids(poll)[:2]})
    services.close_poll(poll)
    db.session.commit()

    copy = services.duplicate_poll(poll)
    db.session.commit()

    assert copy.id != poll.id and copy.state == PollState.DRAFT and copy.opened_at is None
    assert (copy.kind, copy.question, copy.max_picks, copy.anonymous, copy.allow_change) == \
        (PollKind.MULTIPLE, poll.question, 2, True, False)
    assert [o.text for o in copy.options] == ["Open tender", "Framework agreement", "Direct award"]
    assert not set(option_ids(copy)) & set(option_ids(poll))
    assert ballots(copy) == 0 and ballots(poll) == 1
    assert services.polls_of(room.session) == [poll, copy]


def test_only_a_draft_can_be_deleted(room):
    draft = room.poll(SINGLE, open_it=False)
    opened = room.poll(SINGLE)
    closed = room.poll(SINGLE)
    services.close_poll(closed)
    db.session.commit()

    for kept in (opened, closed):
        with pytest.raises(ValidationError) as refused:
            services.delete_poll(kept)
        assert refused.value.status == 409
    services.delete_poll(draft)
    db.session.commit()

    assert services.polls_of(room.session) == [opened, closed]


# Voting: what is refused, with nothing written -------------------------------------------------------

def test_an_unknown_or_malformed_poll_id_is_refused(room):
    poll = room.poll(SINGLE)
    voter = room.participants[0]
    payload = {"option": option_ids(poll)[0]}

    assert_refused(poll.id + 1000, voter, payload, 404, "poll")
    for bad_id in (str(poll.id), float(poll.id), None, [poll.id], True):
        assert_refused(bad_id, voter, payload, 404, "poll")


def test_a_poll_of_another_workshop_is_refused_to_non_members(room, make):
    poll = room.poll(SINGLE)
    elsewhere = make.member(make.workshop())
    nobody = make.person()

    for outsider in (elsewhere, nobody):
        assert_refused(poll.id, outsider, {"option": option_ids(poll)[0]}, 403, "poll")


def test_a_draft_or_closed_poll_takes_no_votes(room):
    draft = room.poll(SINGLE, open_it=False)
    closed = room.poll(SINGLE)
    services.close_poll(closed)
    db.session.commit()

    for poll in (draft, closed):
        assert_refused(poll.id, room.participants[0], {"option": option_ids(poll)[0]}, 409, "poll")


def test_an_option_of_another_poll_is_refused(room):
    poll = room.poll(SINGLE)
    other = room.poll(MULTIPLE, max_picks="3")
    voter = room.participants[0]

    assert_refused(poll.id, voter, {"option": option_ids(other)[0]}, 400)
    assert_refused(other.id, voter, {"options": [option_ids(other)[0], option_ids(poll)[0]]}, 400)


@pytest.mark.parametrize("payload", [
    {}, {"option": None}, {"option": "first"}, {"option": 1.0}, {"option": [0]}, {"options": [0]}])
def test_a_single_choice_without_one_option_is_refused(room, payload):
    poll = room.poll(SINGLE)
    payload = {key: ([option_ids(poll)[0]] if value == [0] else value) for key, value in payload.items()}

    assert_refused(poll.id, room.participants[0], payload, 400)


def test_true_is_not_an_option_id(room):
    poll = room.poll(SINGLE)
    multiple = room.poll(MULTIPLE, max_picks="2")
    assert 1 in option_ids(poll), "the first option of the test has id 1, which True would equal"

    assert_refused(poll.id, room.participants[0], {"option": True}, 400)
    assert_refused(multiple.id, room.participants[0], {"options": [True]}, 400)


@pytest.mark.parametrize("picks", ["too many", "none", "duplicate", "not a list", "not ints"])
def test_bad_multiple_choice_picks_are_refused(room, picks):
    poll = room.poll(MULTIPLE, max_picks="2")
    ids = option_ids(poll)
    payload = {"options": {"too many": ids, "none": [], "duplicate": [ids[0], ids[0]],
                           "not a list": ids[0], "not ints": [str(ids[0])]}[picks]}

    assert_refused(poll.id, room.participants[0], payload, 400)


@pytest.mark.parametrize("order", ["incomplete", "duplicate", "empty"])
def test_an_incomplete_ranking_is_refused(room, order):
    poll = room.poll(RANKING)
    a, b, c = option_ids(poll)
    payload = {"options": {"incomplete": [b, a], "duplicate": [a, b, b, c], "empty": []}[order]}

    assert_refused(poll.id, room.participants[0], payload, 400)


@pytest.mark.parametrize("scale_max, rating", [(5, 0), (5, 6), (10, 11), (5, True), (5, "3"), (5, 3.0),
                                               (5, None), (10, -1)])
def test_a_rating_off_the_scale_is_refused(room, scale_max, rating):
    poll = room.poll(RATING, scale_max=str(scale_max))

    assert_refused(poll.id, room.participants[0], {"rating": rating}, 400)


@pytest.mark.parametrize("kind, text", [
    (WORDCLOUD, ""), (WORDCLOUD, "   \n\t"), (WORDCLOUD, "x" * 41), (WORDCLOUD, None), (WORDCLOUD, 42),
    (OPEN_TEXT, ""), (OPEN_TEXT, "  "), (OPEN_TEXT, "x" * 501), (OPEN_TEXT, ["text"])])
def test_empty_or_over_long_text_is_refused(room, kind, text):
    poll = room.poll(kind)

    assert_refused(poll.id, room.participants[0], {"text": text}, 400)


def test_text_at_the_limits_is_taken(room):
    cloud, answers = room.poll(WORDCLOUD), room.poll(OPEN_TEXT)

    services.cast_vote(cloud.id, room.participants[0], {"text": " " + "x" * 40 + " "})
    services.cast_vote(answers.id, room.participants[0], {"text": "y" * 500})

    assert ballots() == 2


@pytest.mark.parametrize("payload", [None, [1], "option=1", 1])
def test_a_payload_that_is_not_a_dict_is_refused(room, payload):
    poll = room.poll(SINGLE)

    assert_refused(poll.id, room.participants[0], payload, 400)


# Voting: what is accepted -----------------------------------------------------------------------------

def test_each_vote_returns_a_revision_that_only_grows(room):
    poll = room.poll(SINGLE)
    ids = option_ids(poll)

    revisions = [services.cast_vote(poll.id, person, {"option": ids[i % 3]})
                 for i, person in enumerate(room.participants)]
    revisions.append(services.cast_vote(poll.id, room.participants[0], {"option": ids[2]}))  # a change counts too

    assert revisions == sorted(set(revisions))
    assert revisions[-1] == revision(poll)


def test_without_allow_change_a_second_vote_is_a_conflict_and_the_first_stands(room):
    poll = room.poll(SINGLE, allow_change="")
    voter = room.participants[0]
    first, second = option_ids(poll)[:2]
    services.cast_vote(poll.id, voter, {"option": first})

    assert_refused(poll.id, voter, {"option": second}, 409, "poll")

    assert [c.option_id for c in services.my_ballot(poll, voter).choices] == [first]


def test_with_allow_change_a_second_vote_replaces_the_first(room):
    poll = room.poll(SINGLE)
    voter = room.participants[0]
    first, second = option_ids(poll)[:2]
    services.cast_vote(poll.id, voter, {"option": first})

    services.cast_vote(poll.id, voter, {"option": second})

    assert ballots(poll) == 1 and choices() == 1
    assert [bar.count for bar in services.results(poll).bars] == [0, 1, 0]
    assert [c.option_id for c in services.my_ballot(poll, voter).choices] == [second]


@pytest.mark.parametrize("kind, first, second", [
    (SINGLE, [0], [0]), (MULTIPLE, [0, 1], [1, 2]), (RANKING, [0, 1, 2], [2, 1, 0]), (RANKING, [0, 1, 2], [0, 2, 1])])
def test_a_changed_vote_may_keep_options_it_had(room, kind, first, second):
    poll = room.poll(kind, max_picks="3")
    ids = option_ids(poll)
    voter = room.participants[0]
    key = "option" if kind == SINGLE else "options"

    def payload(positions):
        return {key: ids[positions[0]] if kind == SINGLE else [ids[p] for p in positions]}

    services.cast_vote(poll.id, voter, payload(first))
    services.cast_vote(poll.id, voter, payload(second))

    db.session.expire_all()
    ballot = services.my_ballot(poll, voter)
    assert [(c.option_id, c.rank) for c in ballot.choices] == [(ids[p], r) for r, p in enumerate(second, start=1)]
    assert choices() == len(second)


def test_a_changed_rating_or_text_replaces_the_answer(room):
    rating, cloud = room.poll(RATING), room.poll(WORDCLOUD)
    voter = room.participants[0]

    services.cast_vote(rating.id, voter, {"rating": 2})
    services.cast_vote(rating.id, voter, {"rating": 5})
    services.cast_vote(cloud.id, voter, {"text": "Budget"})
    services.cast_vote(cloud.id, voter, {"text": "Open  Data"})

    assert services.results(rating).mean == 5.0
    assert services.results(cloud).words == [Word("open data", 1, 3)]
    assert services.my_ballot(cloud, voter).text == "Open Data"


def test_my_ballot_is_none_before_voting(room):
    assert services.my_ballot(room.poll(SINGLE), room.participants[0]) is None


def test_an_anonymous_ballot_names_nobody_but_is_still_one_per_person(room):
    poll, other = room.poll(SINGLE, anonymous="y"), room.poll(SINGLE, anonymous="y")
    alice, bob = room.participants[:2]
    services.cast_vote(poll.id, alice, {"option": option_ids(poll)[0]})

    ballot = db.session.scalar(select(Ballot).where(Ballot.poll_id == poll.id))
    assert ballot.person_id is None
    secret = db.session.scalar(select(BallotSecret.secret))  # the database's, not the app's SECRET_KEY
    expected = hmac.new(secret, f"ballot:{poll.id}:{alice.id}".encode(), hashlib.sha256).hexdigest()
    assert ballot.voter_key == expected == services.voter_key(poll.id, alice.id)
    assert ballot.voter_key != str(alice.id)
    assert ballot.voter_key != hashlib.sha256(f"ballot:{poll.id}:{alice.id}".encode()).hexdigest()  # keyed
    keys = {services.voter_key(p, person) for p in (poll.id, other.id) for person in (alice.id, bob.id)}
    assert len(keys) == 4
    assert services.my_ballot(poll, alice) == ballot and services.my_ballot(poll, bob) is None


def test_a_named_ballot_keeps_the_person(room):
    poll = room.poll(SINGLE)
    voter = room.participants[0]
    services.cast_vote(poll.id, voter, {"option": option_ids(poll)[0]})

    assert services.my_ballot(poll, voter).person_id == voter.id


def test_the_database_refuses_a_second_ballot_for_the_same_voter(room):
    poll = room.poll(SINGLE, anonymous="y")
    voter = room.participants[0]
    services.cast_vote(poll.id, voter, {"option": option_ids(poll)[0]})

    db.session.add(Ballot(poll_id=poll.id, voter_key=services.voter_key(poll.id, voter.id)))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()

    assert ballots(poll) == 1


# Results ----------------------------------------------------------------------------------------------

def vote_all(room, poll, payloads):
    for person, payload in zip(room.participants, payloads, strict=False):
        services.cast_vote(poll.id, person, payload)


def test_single_choice_results(room):
    poll = room.poll(SINGLE)
    a, b, c = option_ids(poll)
    vote_all(room, poll, [{"option": a}, {"option": c}, {"option": a}, {"option": a}])

    found = services.results(poll)

    assert found.voters == 4
    assert found.bars == [Bar("Open tender", 3, 75.0), Bar("Framework agreement", 0, 0.0), Bar("Direct award", 1, 25.0)]


def test_multiple_choice_results(room):
    poll = room.poll(MULTIPLE, max_picks="2")
    a, b, c = option_ids(poll)
    vote_all(room, poll, [{"options": [a, b]}, {"options": [b]}, {"options": [c, b]}])

    found = services.results(poll)

    assert found.voters == 3
    assert [(bar.count, bar.percent) for bar in found.bars] == [(1, 33.3), (3, 100.0), (1, 33.3)]


def test_rating_results(room):
    poll = room.poll(RATING, scale_max="10")
    vote_all(room, poll, [{"rating": 10}, {"rating": 7}, {"rating": 7}, {"rating": 1}, {"rating": 9}])

    found = services.results(poll)

    assert found.voters == 5
    assert [bar.count for bar in found.bars] == [1, 0, 0, 0, 0, 0, 2, 0, 1, 1]
    assert found.mean == 6.8  # 34 / 5


def test_word_cloud_results_count_answers_written_differently_as_one(room):
    poll = room.poll(WORDCLOUD)
    vote_all(room, poll, [{"text": "Open  Data"}, {"text": "open data"}, {"text": " OPEN DATA "},
                          {"text": "e-GP"}, {"text": "Budget"}])

    assert services.results(poll).words == [Word("budget", 1, 1), Word("e-gp", 1, 1), Word("open data", 3, 5)]


def test_open_text_results_list_answers_and_the_moderator_can_hide_them(room):
    poll = room.poll(OPEN_TEXT)
    vote_all(room, poll, [{"text": "More site visits"}, {"text": "  <b>Shorter</b> breaks  "}])
    hidden = services.my_ballot(poll, room.participants[1])
    before = revision(poll)

    services.set_answer_hidden(poll, hidden.id, True)
    db.session.commit()

    found = services.results(poll)
    assert found.voters == 2
    assert {(answer.text, answer.hidden) for answer in found.answers} == {
        ("More site visits", False), ("<b>Shorter</b> breaks", True)}
    assert revision(poll) > before
    services.set_answer_hidden(poll, hidden.id, False)
    db.session.commit()
    assert not services.my_ballot(poll, room.participants[1]).hidden


def test_only_an_answer_of_this_open_text_poll_can_be_hidden(room):
    poll, other, single = room.poll(OPEN_TEXT), room.poll(OPEN_TEXT), room.poll(SINGLE)
    services.cast_vote(other.id, room.participants[0], {"text": "Elsewhere"})
    services.cast_vote(single.id, room.participants[0], {"option": option_ids(single)[0]})
    elsewhere = services.my_ballot(other, room.participants[0])
    choice = services.my_ballot(single, room.participants[0])

    for target_poll, ballot_id in ((poll, elsewhere.id), (poll, 10_000), (single, choice.id)):
        with pytest.raises(ValidationError) as refused:
            services.set_answer_hidden(target_poll, ballot_id, True)
        assert refused.value.status == 404
    db.session.rollback()
    assert not services.my_ballot(other, room.participants[0]).hidden


def test_ranking_results(room):
    poll = room.poll(RANKING)
    a, b, c = option_ids(poll)
    # Open tender: places 1 2 1 2 -> mean 1.5, Borda 2+1+2+1 = 6; Framework: 2 1 3 3 -> 2.25, 3;
    # Direct award: 3 3 2 1 -> 2.25, 3.
    vote_all(room, poll, [{"options": [a, b, c]}, {"options": [b, a, c]}, {"options": [a, c, b]},
                          {"options": [c, a, b]}])

    found = services.results(poll)

    assert found.voters == 4
    assert found.ranked == [Ranked("Open tender", 1.5, 6), Ranked("Direct award", 2.25, 3),
                            Ranked("Framework agreement", 2.25, 3)]


def test_results_visible_can_be_switched_and_raises_the_revision(room):
    poll = room.poll(SINGLE)
    before = revision(poll)

    services.set_results_visible(poll, True)
    db.session.commit()

    assert poll.results_visible is True and revision(poll) == before + 1
