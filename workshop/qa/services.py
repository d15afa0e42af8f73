"""Q&A: asking, editing, withdrawing and upvoting questions, and moderating them. No web code.

Every rule is checked here, whether the action came over a socket or a form.
Each change raises the revision of the session's questions and announces the
question (``workshop/changes.py``) in its transaction; the caller commits, and
only then is anyone told: a change is acknowledged only once it is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, literal, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from workshop import action_limits
from workshop.accounts.models import Person
from workshop.agenda.models import AgendaSession
from workshop.changes import announce
from workshop.db import db, utcnow
from workshop.errors import ValidationError
from workshop.live import revisions
from workshop.inputs import is_int
from workshop.qa.models import PUBLIC, BlockedWord, QaBan, QaSettings, Question, QuestionStatus, QuestionVote
from workshop.workshops.permissions import Action, can, membership_of

MAX_TEXT = 500
MAX_REPLY = 300
MAX_WORD = 60
MAX_BLOCKED_WORDS = 500
EDITABLE = (QuestionStatus.PENDING, QuestionStatus.APPROVED)


# Settings and rules of a session or workshop ----------------------------------------------------

def settings_of(session_id: int) -> QaSettings:
    """The session's settings; the defaults (not stored) if the moderators never changed them."""
    found = db.session.get(QaSettings, session_id)
    return found if found is not None else QaSettings(session_id=session_id, anonymous_allowed=False,
                                                      premoderation=False)


def save_settings(session: AgendaSession, anonymous_allowed: bool, premoderation: bool) -> QaSettings:
    found = db.session.get(QaSettings, session.id)
    if found is None:
        found = QaSettings(session_id=session.id)
        db.session.add(found)
    found.anonymous_allowed = anonymous_allowed
    found.premoderation = premoderation
    return found


def blocked_words(workshop_id: int) -> list[str]:
    return list(db.session.scalars(select(BlockedWord.word).where(BlockedWord.workshop_id == workshop_id)
                                   .order_by(BlockedWord.word)))


def save_blocked_words(workshop_id: int, text: str) -> list[str]:
    """Replace the workshop's list with the words given one per line (compared without case)."""
    words: dict[str, str] = {}
    for line in (text or "").splitlines():
        word = " ".join(line.split())
        if not word:
            continue
        if len(word) > MAX_WORD:
            raise ValidationError({"words": f"A blocked word can have at most {MAX_WORD} characters: “{word[:20]}…”."})
        words.setdefault(word.casefold(), word.casefold())
    if len(words) > MAX_BLOCKED_WORDS:
        raise ValidationError({"words": f"At most {MAX_BLOCKED_WORDS} blocked words."})
    db.session.execute(delete(BlockedWord).where(BlockedWord.workshop_id == workshop_id))
    db.session.add_all(BlockedWord(workshop_id=workshop_id, word=word) for word in sorted(words))
    return sorted(words)


def first_blocked_word(text: str, words: list[str]) -> str | None:
    """The first blocked word found in the text as a whole word, ignoring case; None if there is none."""
    for word in words:
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE):
            return word
    return None


def is_banned(workshop_id: int, person_id: int) -> bool:
    return db.session.scalar(select(QaBan.id).where(QaBan.workshop_id == workshop_id,
                                                    QaBan.person_id == person_id)) is not None


def bans_of(workshop_id: int) -> list[tuple[QaBan, str | None]]:
    """Each ban with the text of the question it was made from (never the person's name)."""
    rows = db.session.execute(select(QaBan, Question.text).outerjoin(Question, Question.id == QaBan.question_id)
                              .where(QaBan.workshop_id == workshop_id).order_by(QaBan.banned_at))
    return [(ban, text) for ban, text in rows]


# Checks shared by every participant action ------------------------------------------------------

def _may_post(workshop_id: int, person) -> None:
    if not can(membership_of(workshop_id, person), Action.ASK):
        raise ValidationError({"question": "Only members of this workshop can ask questions."}, status=403)
    if is_banned(workshop_id, person.id):
        raise ValidationError({"question": "A moderator has stopped you from posting questions in this workshop."},
                              status=403)


def clean_text(raw, workshop_id: int) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError({"text": "Write a question first."})
    text = raw.strip()
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": f"A question can have at most {MAX_TEXT} characters (this one has "
                                       f"{len(text)})."})
    word = first_blocked_word(text, blocked_words(workshop_id))
    if word is not None:
        raise ValidationError({"text": f"Your question contains a word this workshop does not allow (“{word}”). "
                                       "Please rephrase it."})
    return text


def _question(question_id) -> Question:
    question = db.session.get(Question, question_id) if is_int(question_id) else None
    if question is None:
        raise ValidationError({"question": "There is no such question."}, status=404)
    return question


def _own_question(question_id, person) -> Question:
    question = _question(question_id)
    if question.person_id != person.id:
        raise ValidationError({"question": "You can only change your own questions."}, status=403)
    if question.status not in EDITABLE:
        raise ValidationError({"question": "This question can no longer be changed."}, status=409)
    _may_post(question.workshop_id, person)
    return question


QUESTION_TOPIC = "question"


def live_target(session_id: int) -> str:
    """The revision every page's copy of the session's questions carries."""
    return f"questions:session:{session_id}"


def changed(question: Question) -> int:
    """The question changed in this transaction: raise the session's revision, announce it; returns the revision."""
    announce(QUESTION_TOPIC, question.session_id, question.workshop_id, question.id, False)
    return revisions.bump(live_target(question.session_id))


def change(question: Question, **values) -> int:
    """Apply the changes in one UPDATE and announce them; returns the session's new revision."""
    db.session.execute(update(Question).where(Question.id == question.id).values(**values))
    return changed(question)


# Participant actions -------------------------------------------------------------------------------

def ask(session: AgendaSession, person, text, anonymous=False) -> tuple[Question, int]:
    """A new question, pending if the session is pre-moderated, and the revision that shows it. Refuses
    non-members, banned people, anonymity where it is not allowed, bad text, and questions faster than the
    person's limit (429)."""
    _may_post(session.workshop_id, person)
    settings = settings_of(session.id)
    anonymous = anonymous is True
    if anonymous and not settings.anonymous_allowed:
        raise ValidationError({"anonymous": "This session does not allow anonymous questions."})
    text = clean_text(text, session.workshop_id)
    action_limits.check("question", person.id)
    question = Question(workshop_id=session.workshop_id, session_id=session.id, person_id=person.id,
                        anonymous=anonymous, text=text,
                        status=QuestionStatus.PENDING if settings.premoderation else QuestionStatus.APPROVED)
    db.session.add(question)
    db.session.flush()
    return question, changed(question)


def edit(question_id, person, text) -> tuple[Question, int]:
    """The asker rewrites their question (under pre-moderation it waits for approval again); returns it and the
    revision that shows the change."""
    question = _own_question(question_id, person)
    text = clean_text(text, question.workshop_id)
    changes: dict = {"text": text, "edited_at": utcnow()}
    if settings_of(question.session_id).premoderation:
        changes.update(status=QuestionStatus.PENDING, pinned=False)
    return question, change(question, **changes)


def withdraw(question_id, person) -> Question:
    question = _own_question(question_id, person)
    change(question, status=QuestionStatus.WITHDRAWN, pinned=False)
    return question


@dataclass(frozen=True)
class Upvoted:
    question_id: int
    votes: int  # the count stored with this upvote
    revision: int  # the revision that includes it


# An upvote's statements, built once and run on the session's connection (as a vote's, see polls.services).
_NEW_UPVOTE = insert(QuestionVote)
_TAKEN_BACK_UPVOTE = delete(QuestionVote).where(QuestionVote.question_id == bindparam("question_id"),
                                                QuestionVote.person_id == bindparam("person_id"))
_COUNT_UPVOTE = (update(Question).where(Question.id == bindparam("question_id"))
                 .values(votes=Question.votes + bindparam("step")).returning(Question.votes))


def upvote(question_id, person, on) -> Upvoted:
    """Add (``on`` true) or take back (false) the person's upvote and commit.

    The unique constraint on (question, person) keeps it to one per person even when two tabs
    send at the same instant; the count changes in the same transaction as the vote row.
    """
    return upvote_in(upvoted_question(question_id), person, on)


def upvote_in(question: UpvotedQuestion | None, person, on) -> Upvoted:
    """:func:`upvote`, of a question already read with :func:`upvoted_question` (for the access check)."""
    if not isinstance(on, bool):
        raise ValidationError({"question": "Say whether to add or remove the upvote."})
    if question is None:
        raise ValidationError({"question": "There is no such question."}, status=404)
    if not can(membership_of(question.workshop_id, person), Action.ASK):
        raise ValidationError({"question": "Only members of this workshop can upvote."}, status=403)
    if question.status != QuestionStatus.APPROVED:
        raise ValidationError({"question": "Only open questions can be upvoted."}, status=409)
    action_limits.check("upvote", person.id)  # taking one back counts too: toggling is as much work
    connection = db.session.connection()
    if on:
        already = ValidationError({"question": "You have already upvoted this question."}, status=409)
        try:  # the unique constraint answers whether this person upvoted already: no query before
            connection.execute(_NEW_UPVOTE, {"question_id": question.id, "person_id": person.id, "cast_at": utcnow()})
        except IntegrityError:  # an earlier upvote, or another tab's at the same instant
            db.session.rollback()
            raise already from None
        step = 1
    else:
        removed = connection.execute(_TAKEN_BACK_UPVOTE, {"question_id": question.id, "person_id": person.id})
        if removed.rowcount != 1:
            raise ValidationError({"question": "You have not upvoted this question."}, status=409)
        step = -1
    votes = connection.execute(_COUNT_UPVOTE, {"question_id": question.id, "step": step}).scalar_one()
    revision = revisions.commit_busy(live_target(question.session_id), QUESTION_TOPIC, question.session_id,
                                     question.workshop_id, question.id, True)
    return Upvoted(question.id, votes, revision)


@dataclass(frozen=True)
class UpvotedQuestion:
    """What an upvote needs of its question: read in one plain query, since upvotes come by the thousand."""

    id: int
    workshop_id: int
    session_id: int
    status: QuestionStatus


_UPVOTED_QUESTION = select(Question.id, Question.workshop_id, Question.session_id, Question.status).where(
    Question.id == bindparam("question_id"))


def upvoted_question(question_id) -> UpvotedQuestion | None:
    """The question an upvote names (any value), for its access check; None if there is no such question."""
    if not is_int(question_id):
        return None
    row = db.session.connection().execute(_UPVOTED_QUESTION, {"question_id": question_id}).first()
    return UpvotedQuestion(*row) if row is not None else None


# Moderation ------------------------------------------------------------------------------------------

def question_in(session: AgendaSession, question_id: int) -> Question | None:
    question = db.session.get(Question, question_id)
    return question if question is not None and question.session_id == session.id else None


def approve(question: Question) -> None:
    if question.status not in (QuestionStatus.PENDING, QuestionStatus.DISMISSED):
        raise ValidationError({"question": "Only a question awaiting moderation or dismissed can be approved."},
                              status=409)
    change(question, status=QuestionStatus.APPROVED)


def dismiss(question: Question) -> None:
    if question.status in (QuestionStatus.DISMISSED, QuestionStatus.WITHDRAWN):
        raise ValidationError({"question": "This question is already off the list."}, status=409)
    change(question, status=QuestionStatus.DISMISSED, pinned=False)


def mark_answered(question: Question) -> None:
    if question.status not in (QuestionStatus.PENDING, QuestionStatus.APPROVED):
        raise ValidationError({"question": "Only an open question can be marked answered."}, status=409)
    change(question, status=QuestionStatus.ANSWERED, answered_at=utcnow(), pinned=False)


def pin(question: Question) -> None:
    """Pin the question being answered now; the one pinned before (one per session) is unpinned."""
    if question.status != QuestionStatus.APPROVED:
        raise ValidationError({"question": "Only an approved question that is not yet answered can be pinned."},
                              status=409)
    unpinned = list(db.session.execute(
        update(Question).where(Question.session_id == question.session_id, Question.pinned.is_(True),
                               Question.id != question.id)
        .values(pinned=False).returning(Question.id)).scalars())
    for other in unpinned:
        announce(QUESTION_TOPIC, question.session_id, question.workshop_id, other, False)
    change(question, pinned=True)


def unpin(question: Question) -> None:
    change(question, pinned=False)


def set_reply(question: Question, reply) -> None:
    reply = reply.strip() if isinstance(reply, str) else ""
    if len(reply) > MAX_REPLY:
        raise ValidationError({"reply": f"A reply can have at most {MAX_REPLY} characters."})
    change(question, reply=reply or None)


def ban_asker(question: Question) -> None:
    """Stop the question's asker from posting in this workshop (without anyone seeing their name)."""
    if is_banned(question.workshop_id, question.person_id):
        raise ValidationError({"question": "This person is already stopped from posting."}, status=409)
    db.session.add(QaBan(workshop_id=question.workshop_id, person_id=question.person_id, question_id=question.id))


def lift_ban(workshop_id: int, ban_id: int) -> None:
    removed = db.session.execute(delete(QaBan).where(QaBan.id == ban_id, QaBan.workshop_id == workshop_id))
    if removed.rowcount != 1:
        raise ValidationError({"ban": "There is no such ban."}, status=404)


# Reading -----------------------------------------------------------------------------------------------

def public_questions(session_id: int) -> list[Question]:
    """What every participant's list holds: the approved and answered questions, with their askers."""
    return list(db.session.scalars(select(Question).options(joinedload(Question.asker))
                                   .where(Question.session_id == session_id, Question.status.in_(PUBLIC))
                                   .order_by(Question.id)))


def awaiting_moderation_of(session_id: int, person_id: int) -> list[Question]:
    """The person's own questions awaiting moderation, which their list shows to them alone."""
    return list(db.session.scalars(select(Question).where(
        Question.session_id == session_id, Question.status == QuestionStatus.PENDING,
        Question.person_id == person_id).order_by(Question.id)))


def queue_of(session_id: int) -> list[Question]:
    """Every question of the session but the withdrawn ones, for the moderators."""
    return list(db.session.scalars(select(Question).where(Question.session_id == session_id,
                                                          Question.status != QuestionStatus.WITHDRAWN)
                                   .order_by(Question.id)))


_MINE = union_all(
    select(QuestionVote.question_id.label("id"), literal(True).label("vote")).join(Question)
    .where(Question.session_id == bindparam("session_id"), QuestionVote.person_id == bindparam("person_id")),
    select(Question.id.label("id"), literal(False).label("vote"))
    .where(Question.session_id == bindparam("session_id"), Question.person_id == bindparam("person_id")))


def mine(session_id: int, person_id: int) -> tuple[list[int], list[int]]:
    """The questions of the session the person upvoted, and those they asked: one round trip, as every
    arrival on the session page asks it."""
    rows = db.session.connection().execute(_MINE, {"session_id": session_id, "person_id": person_id}).all()
    return sorted(id_ for id_, vote in rows if vote), sorted(id_ for id_, vote in rows if not vote)


def export_rows(session_id: int) -> list[tuple]:
    """text, votes, status, asked, answered, asker (blank for anonymous questions), reply; oldest first."""
    rows = db.session.execute(select(Question, Person.name).join(Person, Person.id == Question.person_id)
                              .where(Question.session_id == session_id).order_by(Question.id))
    return [(q.text, q.votes, q.status.value, _iso(q.asked_at), _iso(q.answered_at), "" if q.anonymous else name,
             q.reply or "") for q, name in rows]


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def question_named(question_id) -> Question | None:
    """The question a socket event names (any value), for its access check; None if there is no such question."""
    return db.session.get(Question, question_id) if is_int(question_id) else None
