"""An evaluation, its questions, the responses and who has responded.

Once only is kept by the database: ``evaluation_respondent`` has one row per person who responded, its primary
key (evaluation, person), written in the same transaction as the response. When the evaluation is anonymous the
response carries no person and no time, and the respondent row carries nothing but the two keys, so there is
nothing to join them on: no shared id, no timestamp. Response ids are random strings, not counters, so their
order says nothing about who answered first. Nor does the database's own bookkeeping: an anonymous response is
first written to ``evaluation_inbox`` (with the respondent row, in one transaction) and moved into
``evaluation_response`` by the deadline sweep in shuffled batches of at least five, each in its own transaction,
so a response's PostgreSQL ``xmin`` and place in the table are shared with four others at least; on SQLite these
tables have no rowid. See docs/evaluation.md.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshop.db import UTCDateTime, db, string_enum, utcnow

RATING_MIN, RATING_MAX = 1, 5


class EvaluationState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class QuestionKind(enum.StrEnum):
    RATING = "rating"  # 1 to 5, on the scale of its section
    TEXT = "text"      # an open comment


class Section(enum.StrEnum):
    OBJECTIVE = "objectives"
    SESSION = "sessions"
    SPEAKER = "speakers"
    OVERALL = "overall"
    COMMENTS = "comments"


# On SQLite a table's rowid counts insertions, so the n-th respondent and the n-th response (and its answers)
# would line up: these tables are stored by their primary keys instead (random for a response).
NO_ROWID = {"sqlite_with_rowid": False}


def _random_id() -> str:
    return secrets.token_urlsafe(12)


class Evaluation(db.Model):
    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), unique=True)
    state: Mapped[EvaluationState] = mapped_column(string_enum(EvaluationState), default=EvaluationState.DRAFT)
    anonymous: Mapped[bool] = mapped_column(default=True)
    # Opened by the deadline sweep once the workshop's last session has ended (read from the agenda then).
    open_at_end: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    questions: Mapped[list[EvaluationQuestion]] = relationship(
        back_populates="evaluation", order_by="EvaluationQuestion.position", cascade="all, delete-orphan")


class EvaluationQuestion(db.Model):
    __tablename__ = "evaluation_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    section: Mapped[Section] = mapped_column(string_enum(Section))
    kind: Mapped[QuestionKind] = mapped_column(string_enum(QuestionKind))
    text: Mapped[str] = mapped_column(String(500))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_session.id", ondelete="SET NULL"))

    evaluation: Mapped[Evaluation] = relationship(back_populates="questions")


class EvaluationResponse(db.Model):
    """One person's answers. Anonymous: ``person_id`` and ``submitted_at`` are None."""

    __tablename__ = "evaluation_response"
    __table_args__ = (UniqueConstraint("evaluation_id", "person_id"), NO_ROWID)

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=_random_id)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # The respondent's confirmed country for this workshop, for breakdowns (small groups are never shown).
    country: Mapped[str | None] = mapped_column(String(2))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    answers: Mapped[list[EvaluationAnswer]] = relationship(cascade="all, delete-orphan")


class EvaluationAnswer(db.Model):
    __tablename__ = "evaluation_answer"
    __table_args__ = (
        CheckConstraint(f"rating IS NULL OR (rating >= {RATING_MIN} AND rating <= {RATING_MAX})",
                        name="rating"),
        CheckConstraint("(rating IS NULL) <> (text IS NULL)", name="one_value"),
        NO_ROWID,
    )

    response_id: Mapped[str] = mapped_column(ForeignKey("evaluation_response.id", ondelete="CASCADE"),
                                             primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("evaluation_question.id", ondelete="CASCADE"),
                                             primary_key=True, index=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)


class EvaluationInbox(db.Model):
    """An anonymous response waiting to be moved into ``evaluation_response`` with others (see the module's
    docstring): written with its respondent row, so in the same PostgreSQL transaction (the same ``xmin``)."""

    __tablename__ = "evaluation_inbox"
    __table_args__ = NO_ROWID

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=_random_id)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    country: Mapped[str | None] = mapped_column(String(2))
    # [[question id, rating or None, text or None], ...]
    answers: Mapped[list] = mapped_column(JSON)


class EvaluationRespondent(db.Model):
    """That a person has responded: the two keys and nothing else (see the module's docstring)."""

    __tablename__ = "evaluation_respondent"
    __table_args__ = NO_ROWID

    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
