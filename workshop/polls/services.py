"""Polls: preparing, opening and closing them, casting ballots, and computing results. No web code.

Every rule a vote must pass is checked here, whether the vote came over a
socket or a form, and a vote counts only once its transaction commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from workshop import action_limits
from workshop.accounts.models import Person
from workshop.agenda.models import AgendaSession
from workshop.changes import announce
from workshop.db import db, utcnow
from workshop.errors import ValidationError
from workshop.live import revisions
from workshop.inputs import is_int
from workshop.polls import tallies
from workshop.workshops.permissions import Action, can, membership_of
from workshop.polls.models import (Ballot, BallotChoice, BallotSecret, Poll, PollKind, PollOption, PollState,
                                   RankingMethod)

MAX_QUESTION = 300
MAX_OPTION = 200
MAX_OPTIONS = 20
MAX_WORD = 40
MAX_TEXT = 500
CHOICE_KINDS = (PollKind.SINGLE, PollKind.MULTIPLE, PollKind.RANKING)


# Preparing polls ------------------------------------------------------------------------

def clean_poll_fields(data: dict) -> dict:
    """Validated poll settings, or ValidationError naming each field that is wrong."""
    errors: dict[str, str] = {}
    cleaned: dict = {}
    try:
        cleaned["kind"] = PollKind(data.get("kind") or "")
    except ValueError:
        errors["kind"] = "Choose a kind of poll."
    question = " ".join((data.get("question") or "").split())
    if not question:
        errors["question"] = "A question is required."
    elif len(question) > MAX_QUESTION:
        errors["question"] = f"The question is longer than {MAX_QUESTION} characters."
    cleaned["question"] = question
    options = [" ".join(line.split()) for line in (data.get("options") or "").splitlines() if line.strip()]
    kind = cleaned.get("kind")
    if kind in CHOICE_KINDS:
        if len(options) < 2:
            errors["options"] = "Give at least two options, one per line."
        elif len(options) > MAX_OPTIONS:
            errors["options"] = f"At most {MAX_OPTIONS} options."
        elif any(len(option) > MAX_OPTION for option in options):
            errors["options"] = f"Each option can have at most {MAX_OPTION} characters."
        elif len({o.casefold() for o in options}) != len(options):
            errors["options"] = "Two options are the same."
    cleaned["options"] = options if kind in CHOICE_KINDS else []
    cleaned["max_picks"] = _int(data.get("max_picks"), 1)
    if kind == PollKind.MULTIPLE and not 1 <= cleaned["max_picks"] <= max(len(options), 1):
        errors["max_picks"] = "The maximum number of picks must be between 1 and the number of options."
    cleaned["scale_max"] = _int(data.get("scale_max"), 5)
    if cleaned["scale_max"] not in (5, 10):
        errors["scale_max"] = "A rating scale goes from 1 to 5 or from 1 to 10."
    try:
        cleaned["ranking_method"] = RankingMethod(data.get("ranking_method") or RankingMethod.BORDA.value)
    except ValueError:
        errors["ranking_method"] = "Rank by mean rank or by Borda points."
    duration = data.get("duration_seconds")
    cleaned["duration_seconds"] = _int(duration, 0) or None
    if duration not in (None, "", 0, "0") and not 10 <= (cleaned["duration_seconds"] or 0) <= 3600:
        errors["duration_seconds"] = "A countdown lasts from 10 seconds to an hour."
    cleaned["anonymous"] = bool(data.get("anonymous"))
    cleaned["allow_change"] = bool(data.get("allow_change"))
    cleaned["results_visible"] = bool(data.get("results_visible"))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _int(raw, default: int) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


def create_poll(session: AgendaSession, data: dict) -> Poll:
    fields = clean_poll_fields(data)
    options = fields.pop("options")
    poll = Poll(workshop_id=session.workshop_id, session_id=session.id, **fields)
    poll.options = [PollOption(text=text, position=i) for i, text in enumerate(options)]
    db.session.add(poll)
    return poll


def duplicate_poll(poll: Poll) -> Poll:
    """A new draft with the same question, options and settings, and no ballots."""
    copy = Poll(workshop_id=poll.workshop_id, session_id=poll.session_id, kind=poll.kind,
                question=poll.question, anonymous=poll.anonymous, allow_change=poll.allow_change,
                results_visible=poll.results_visible, max_picks=poll.max_picks, scale_max=poll.scale_max,
                ranking_method=poll.ranking_method, duration_seconds=poll.duration_seconds)
    copy.options = [PollOption(text=o.text, position=o.position) for o in poll.options]
    db.session.add(copy)
    return copy


def polls_of(session: AgendaSession) -> list[Poll]:
    return list(db.session.scalars(select(Poll).where(Poll.session_id == session.id).order_by(Poll.id)))


def poll_in(session: AgendaSession, poll_id: int) -> Poll | None:
    poll = db.session.get(Poll, poll_id)
    return poll if poll is not None and poll.session_id == session.id else None


def delete_poll(poll: Poll) -> None:
    if poll.state != PollState.DRAFT:
        raise ValidationError({"poll": "Only a draft can be deleted; an opened poll keeps its results."}, status=409)
    db.session.delete(poll)


# Lifecycle ----------------------------------------------------------------------------------

POLL_TOPIC = "poll"  # opened or closed: its card
RESULTS_TOPIC = "poll-results"  # votes, results shown or hidden, an answer hidden: the results only, so that
# a form someone is filling in stays as it is
COUNTDOWN_TOPIC = "poll-countdown"


def live_target(session_id: int) -> str:
    """One revision for the polls of a session: its page shows them together."""
    return f"polls:session:{session_id}"


def _changed(poll: Poll, topic: str = POLL_TOPIC) -> None:
    """The poll changed in this transaction: raise the session's polls revision, announce it after commit."""
    announce(topic, poll.id)
    revisions.bump(live_target(poll.session_id))


def open_poll(poll: Poll) -> Poll:
    """Open a draft, or reopen a closed poll (its ballots are kept); a countdown starts if it has one."""
    if poll.state == PollState.OPEN:
        raise ValidationError({"poll": "The poll is already open."}, status=409)
    now = utcnow()
    poll.state = PollState.OPEN
    poll.opened_at = now
    poll.closed_at = None
    poll.closes_at = now + timedelta(seconds=poll.duration_seconds) if poll.duration_seconds else None
    _changed(poll)
    if poll.closes_at is not None:
        announce(COUNTDOWN_TOPIC, poll.id)
    return poll


def close_poll(poll: Poll) -> Poll:
    """Close an open poll: one conditional UPDATE (open to closed) decides, under the lock votes wait for."""
    if _close(poll.id) is None:
        raise ValidationError({"poll": "The poll is not open."}, status=409)
    _changed(poll)
    db.session.expire(poll)
    return poll


def close_if_expired(poll_id: int) -> bool:
    """Close a poll whose countdown has run out; True if this call closed it (so it happens once)."""
    session_id = _close(poll_id, Poll.closes_at.is_not(None), Poll.closes_at <= utcnow())
    if session_id is not None:
        announce(POLL_TOPIC, poll_id)
        revisions.bump(live_target(session_id))
    db.session.commit()
    return session_id is not None


def _close(poll_id: int, *due) -> int | None:
    """Closed is final: move the poll from open to closed in the caller's transaction; its session's id, or None
    if it was not open (or, given ``due``, not due).

    On PostgreSQL the poll's row is first locked FOR UPDATE: that waits for every vote in flight (each holds
    FOR KEY SHARE on the row until it commits, see :func:`_open_for_ballot`), and every later vote waits for
    this transaction and then sees the poll closed; the UPDATE after it reads the latest row. On SQLite the
    UPDATE takes the database's write lock, which a vote that has written holds until it commits.
    """
    db.session.execute(select(Poll.id).where(Poll.id == poll_id).with_for_update())
    return db.session.execute(
        update(Poll).where(Poll.id == poll_id, Poll.state == PollState.OPEN, *due)
        .values(state=PollState.CLOSED, closed_at=utcnow(), closes_at=None)
        .returning(Poll.session_id).execution_options(synchronize_session=False)).scalar()


def set_results_visible(poll: Poll, visible: bool) -> Poll:
    poll.results_visible = visible
    _changed(poll, RESULTS_TOPIC)
    return poll


def set_answer_hidden(poll: Poll, ballot_id: int, hidden: bool) -> None:
    ballot = db.session.get(Ballot, ballot_id)
    if ballot is None or ballot.poll_id != poll.id or poll.kind != PollKind.OPEN_TEXT:
        raise ValidationError({"answer": "There is no such answer in this poll."}, status=404)
    ballot.hidden = hidden
    _changed(poll, RESULTS_TOPIC)


# Voting -------------------------------------------------------------------------------------

def voter_key(poll_id: int, person_id: int) -> str:
    """A keyed hash of poll and person: unique per voter, but naming nobody without the ballot secret."""
    return hmac.new(ballot_secret(), f"ballot:{poll_id}:{person_id}".encode(), hashlib.sha256).hexdigest()


BALLOT_SECRET_ID = 1
INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def ballot_secret() -> bytes:
    """The database's ballot secret, kept by the app once read (it never changes).

    A database made without the migrations (``db.create_all``) gets one on first
    need, in the caller's transaction: the ballot keyed with it is stored with it
    or not at all. ON CONFLICT DO NOTHING lets two workers race for it; the loser
    reads the winner's. Only a secret read back as already there is kept, since
    one made here is not stored until the caller commits.
    """
    kept = current_app.extensions.get("ballot_secret")
    if kept is not None:
        return kept
    stored = select(BallotSecret.secret).where(BallotSecret.id == BALLOT_SECRET_ID)
    secret = db.session.scalar(stored)
    if secret is None:
        dialect_insert = INSERTS[db.session.get_bind().dialect.name]
        made = db.session.execute(dialect_insert(BallotSecret)
                                  .values(id=BALLOT_SECRET_ID, secret=secrets.token_bytes(32))
                                  .on_conflict_do_nothing(index_elements=["id"]))
        secret = db.session.scalar(stored)
        if made.rowcount == 1:
            return secret
    current_app.extensions["ballot_secret"] = secret
    return secret


@dataclass
class Answer:
    """A validated answer, ready to be written as a ballot."""

    option_ids: list[int] = field(default_factory=list)
    rating: int | None = None
    text: str | None = None
    normalized: str | None = None


def check_answer(poll: Poll | VotingPoll, payload: dict) -> Answer:
    if not isinstance(payload, dict):
        raise ValidationError({"answer": "The vote was not understood."})
    option_ids = set(option_texts(poll))
    kind = poll.kind
    if kind == PollKind.SINGLE:
        choice = payload.get("option")
        if not is_int(choice) or choice not in option_ids:
            raise ValidationError({"answer": "Choose one of the poll's options."})
        return Answer(option_ids=[choice])
    if kind in (PollKind.MULTIPLE, PollKind.RANKING):
        picks = payload.get("options")
        if not isinstance(picks, list) or not picks or not all(is_int(p) for p in picks):
            raise ValidationError({"answer": "Choose at least one option."})
        if len(set(picks)) != len(picks) or not set(picks) <= option_ids:
            raise ValidationError({"answer": "Those are not options of this poll."})
        if kind == PollKind.MULTIPLE and len(picks) > poll.max_picks:
            raise ValidationError({"answer": f"Choose at most {poll.max_picks} options."})
        if kind == PollKind.RANKING and len(picks) != len(option_ids):
            raise ValidationError({"answer": "Put every option in your order."})
        return Answer(option_ids=picks)
    if kind == PollKind.RATING:
        rating = payload.get("rating")
        if not is_int(rating) or not 1 <= rating <= poll.scale_max:
            raise ValidationError({"answer": f"Give a rating from 1 to {poll.scale_max}."})
        return Answer(rating=rating)
    text = payload.get("text")
    limit = MAX_WORD if kind == PollKind.WORDCLOUD else MAX_TEXT
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"answer": "Write an answer first."})
    text = " ".join(text.split()) if kind == PollKind.WORDCLOUD else text.strip()
    if len(text) > limit:
        raise ValidationError({"answer": f"The answer is longer than {limit} characters."})
    return Answer(text=text, normalized=tallies.normalize_word(text) if kind == PollKind.WORDCLOUD else None)


def cast_vote(poll_id, person, payload) -> int:
    """Record the person's ballot and return the poll revision that includes it, after commit."""
    return vote(poll_id, person, payload).revision


@dataclass(frozen=True)
class Cast:
    revision: int  # the poll revision that includes this ballot
    answer: str  # the answer in words, for the voter


def vote(poll_id, person, payload) -> Cast:
    """Record the person's ballot; answers only after commit.

    Refuses (ValidationError) an unknown poll, a poll of a workshop the person
    is not in, a poll that is not open or whose countdown ran out, a second
    ballot where changing is not allowed, any answer that breaks the rules,
    and votes faster than the person's limit (429).
    """
    return vote_in(poll_named(poll_id), person, payload)


def vote_in(poll: VotingPoll | None, person, payload) -> Cast:
    """:func:`vote`, in a poll already read with :func:`poll_named` (for the access check)."""
    if poll is None:
        raise ValidationError({"poll": "There is no such poll."}, status=404)
    if not can(membership_of(poll.workshop_id, person), Action.VOTE):
        raise ValidationError({"poll": "Only members of this workshop can vote."}, status=403)
    if poll.state != PollState.OPEN or (poll.closes_at is not None and poll.closes_at <= utcnow()):
        raise ValidationError({"poll": "This poll has closed."}, status=409)
    answer = check_answer(poll, payload)
    key = voter_key(poll.id, person.id)
    earlier = db.session.connection().execute(_EARLIER_BALLOT, {"poll_id": poll.id, "key": key}).scalar()
    if earlier is not None and not poll.allow_change:
        raise ValidationError({"poll": "You have already voted in this poll."}, status=409)
    action_limits.check("vote", person.id)
    try:
        _write_ballot(poll, key, None if poll.anonymous else person.id, earlier, answer)
    except IntegrityError:
        # Two tabs voted at the same instant: the unique constraint kept one ballot; answer as for a repeat.
        db.session.rollback()
        raise ValidationError({"poll": "Your vote was already being counted; try again to change it."},
                              status=409) from None
    if not _open_for_ballot(poll.id):
        # Closed since the check above: the closed poll's tally stays as it was when it closed.
        db.session.rollback()
        raise ValidationError({"poll": "This poll has closed."}, status=409)
    answer_text = answer_in_words(poll, answer.rating, answer.text, answer.option_ids)
    return Cast(revisions.commit_busy(live_target(poll.session_id), RESULTS_TOPIC, poll.id), answer_text)


# The statements of a vote, built once and run on the session's connection: the busiest write of a live session
# skips the ORM (its unit of work, and its bulk path for statements with parameters) and the building of its
# statements, most of a vote's CPU.
_EARLIER_BALLOT = select(Ballot.id).where(Ballot.poll_id == bindparam("poll_id"), Ballot.voter_key == bindparam("key"))
_NEW_BALLOT = insert(Ballot).returning(Ballot.id)
_CHANGED_BALLOT = update(Ballot).where(Ballot.id == bindparam("ballot_id"))
_CHOICES_OF_BALLOT = delete(BallotChoice).where(BallotChoice.ballot_id == bindparam("ballot_id"))
_POLL_OPEN_FOR_BALLOT = (select(Poll.state, Poll.closes_at).where(Poll.id == bindparam("poll_id"))
                         .with_for_update(read=True, key_share=True))


def _write_ballot(poll: Poll | VotingPoll, key: str, person_id: int | None, earlier: int | None, answer: Answer) -> None:
    """The ballot and its picks. A changed vote replaces the earlier ballot's answer and picks."""
    connection = db.session.connection()
    fields = {"rating": answer.rating, "text": answer.text, "normalized": answer.normalized, "hidden": False,
              "cast_at": utcnow()}
    if earlier is None:
        ballot_id = connection.execute(_NEW_BALLOT, {"poll_id": poll.id, "voter_key": key, "person_id": person_id,
                                                     **fields}).scalar_one()
    else:
        ballot_id = earlier
        connection.execute(_CHOICES_OF_BALLOT, {"ballot_id": ballot_id})
        connection.execute(_CHANGED_BALLOT.values(**fields), {"ballot_id": ballot_id})
    if answer.option_ids:
        connection.execute(insert(BallotChoice), [{"ballot_id": ballot_id, "option_id": option_id, "rank": rank}
                                                  for rank, option_id in enumerate(answer.option_ids, start=1)])


def _open_for_ballot(poll_id: int) -> bool:
    """Is the poll open, read inside the ballot's write transaction and under a lock that closing must wait for?

    Called once the ballot's writes are flushed, so the answer holds until the commit. On SQLite the first
    write took the database's write lock (and the latest snapshot): no close commits before this transaction
    ends. On PostgreSQL FOR KEY SHARE on the poll's row waits for a close in progress (which locks the row FOR
    UPDATE) and then reads the row it committed; once it is held, a close waits for this commit. Votes share it.
    """
    state, closes_at = db.session.connection().execute(_POLL_OPEN_FOR_BALLOT, {"poll_id": poll_id}).one()
    return state == PollState.OPEN and (closes_at is None or closes_at > utcnow())


def my_ballot(poll: Poll, person) -> Ballot | None:
    return db.session.scalar(select(Ballot).where(Ballot.poll_id == poll.id,
                                                  Ballot.voter_key == voter_key(poll.id, person.id)))


def ballot_ids_by_poll(poll_ids: list[int], person) -> dict[int, int]:
    """The ids of the person's ballots in these polls, in one query (most people have none to load)."""
    if not poll_ids:
        return {}
    keys = [voter_key(poll_id, person.id) for poll_id in poll_ids]
    return dict(db.session.connection().execute(_BALLOTS_OF_VOTER, {"polls": poll_ids, "keys": keys}).all())


_BALLOTS_OF_VOTER = select(Ballot.poll_id, Ballot.id).where(Ballot.poll_id.in_(bindparam("polls", expanding=True)),
                                                            Ballot.voter_key.in_(bindparam("keys", expanding=True)))


# Results --------------------------------------------------------------------------------------

@dataclass
class Results:
    voters: int
    bars: list[tallies.Bar] = field(default_factory=list)
    mean: float | None = None
    words: list[tallies.Word] = field(default_factory=list)
    answers: list[Ballot] = field(default_factory=list)
    ranked: list[tallies.Ranked] = field(default_factory=list)


def results(poll: Poll) -> Results:
    """The poll's results, counted from its ballots in the database."""
    voters = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll.id))
    found = Results(voters=voters)
    options = [(o.id, o.text) for o in poll.options]
    if poll.kind in (PollKind.SINGLE, PollKind.MULTIPLE):
        counts = dict(db.session.execute(
            select(BallotChoice.option_id, func.count()).join(Ballot).where(Ballot.poll_id == poll.id)
            .group_by(BallotChoice.option_id)).all())
        found.bars = tallies.choice_bars(options, counts, voters)
    elif poll.kind == PollKind.RATING:
        values = dict(db.session.execute(select(Ballot.rating, func.count()).where(Ballot.poll_id == poll.id)
                                         .group_by(Ballot.rating)).all())
        found.bars, found.mean = tallies.rating_summary(values, poll.scale_max)
    elif poll.kind == PollKind.WORDCLOUD:
        counts = dict(db.session.execute(select(Ballot.normalized, func.count()).where(Ballot.poll_id == poll.id)
                                         .group_by(Ballot.normalized)).all())
        found.words = tallies.word_cloud(counts)
    elif poll.kind == PollKind.OPEN_TEXT:
        found.answers = list(db.session.scalars(select(Ballot).where(Ballot.poll_id == poll.id)
                                                .order_by(Ballot.cast_at.desc()).limit(200)))
    else:
        orders: dict[int, list[int]] = {}
        for ballot_id, option_id in db.session.execute(
                select(BallotChoice.ballot_id, BallotChoice.option_id).join(Ballot)
                .where(Ballot.poll_id == poll.id).order_by(BallotChoice.ballot_id, BallotChoice.rank)):
            orders.setdefault(ballot_id, []).append(option_id)
        found.ranked = tallies.ranking_results(options, list(orders.values()))
        if poll.ranking_method == RankingMethod.MEAN_RANK:
            found.ranked.sort(key=lambda r: (r.mean_rank == 0, r.mean_rank, r.label))
    return found


def all_answers(poll: Poll) -> list[Ballot]:
    return list(db.session.scalars(select(Ballot).where(Ballot.poll_id == poll.id).order_by(Ballot.cast_at)))


def describe(poll: Poll, ballot: Ballot) -> str:
    """A ballot's answer in words, for the voter and for exports."""
    return answer_in_words(poll, ballot.rating, ballot.text, [choice.option_id for choice in ballot.choices])


def answer_in_words(poll: Poll | VotingPoll, rating: int | None, text: str | None, option_ids: list[int]) -> str:
    """An answer in words: a rating, a text, or the options picked in order."""
    if rating is not None:
        return f"{rating} of {poll.scale_max}"
    if text is not None:
        return text
    texts = option_texts(poll)
    names = [texts.get(option_id, "?") for option_id in option_ids]
    if poll.kind == PollKind.RANKING:
        return " > ".join(names)
    return "; ".join(names)


def option_texts(poll: Poll | VotingPoll) -> dict[int, str]:
    """The poll's options, id -> text, in order. A poll's options never change once it is made, so they are
    read once per process (keyed with the poll's creation time too: SQLite gives a deleted draft's id to the
    next poll)."""
    kept = current_app.extensions.setdefault("poll_options", {})
    key = (poll.id, poll.created_at)
    if (found := kept.get(key)) is None:
        found = kept[key] = {option.id: option.text for option in poll.options}
    return found


def named_ballots(poll: Poll) -> list[tuple[str, str, str, datetime]]:
    """Who answered what, for polls that are not anonymous."""
    rows = db.session.execute(select(Person.name, Person.email, Ballot).join(Person, Person.id == Ballot.person_id)
                              .where(Ballot.poll_id == poll.id).order_by(Ballot.cast_at))
    return [(name, email, describe(poll, ballot), ballot.cast_at) for name, email, ballot in rows]


@dataclass(frozen=True)
class VotingPoll:
    """What a vote needs of its poll. All but ``state`` and ``closes_at`` never change once a poll is made."""

    id: int
    workshop_id: int
    session_id: int
    kind: PollKind
    anonymous: bool
    allow_change: bool
    max_picks: int
    scale_max: int
    created_at: datetime
    state: PollState
    closes_at: datetime | None


_POLL_NOW = select(Poll.state, Poll.closes_at, Poll.created_at).where(Poll.id == bindparam("poll_id"))


def poll_named(poll_id) -> VotingPoll | None:
    """The poll a vote names (any value), for its access check and its rules; None if there is no such poll.

    Votes are the busiest event of a live session: the parts of a poll that never change are read once per
    process, and each vote reads only its state (and its creation time, since SQLite gives a deleted poll's id
    to the next poll).
    """
    if not is_int(poll_id):
        return None
    now = db.session.connection().execute(_POLL_NOW, {"poll_id": poll_id}).first()
    if now is None:
        return None
    kept = current_app.extensions.setdefault("voting_polls", {})  # poll id -> VotingPoll
    poll = kept.get(poll_id)
    if poll is None or poll.created_at != now.created_at:
        poll = kept[poll_id] = _voting_poll(db.session.get(Poll, poll_id))
    return replace(poll, state=now.state, closes_at=now.closes_at)


def _voting_poll(poll: Poll) -> VotingPoll:
    option_texts(poll)  # read now, with the poll at hand
    return VotingPoll(id=poll.id, workshop_id=poll.workshop_id, session_id=poll.session_id, kind=poll.kind,
                      anonymous=poll.anonymous, allow_change=poll.allow_change, max_picks=poll.max_picks,
                      scale_max=poll.scale_max, created_at=poll.created_at, state=poll.state,
                      closes_at=poll.closes_at)
