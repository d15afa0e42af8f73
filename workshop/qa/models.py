"""Questions asked in a session, their upvotes, and the moderators' rules for them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshop.accounts.models import Person

from workshop.db import UTCDateTime, db, string_enum, utcnow


class QuestionStatus(enum.StrEnum):
    PENDING = "pending"  # awaiting moderation: only the asker and the moderators see it
    APPROVED = "approved"
    ANSWERED = "answered"
    DISMISSED = "dismissed"
    WITHDRAWN = "withdrawn"


# Who sees a question in the session's list.
PUBLIC = (QuestionStatus.APPROVED, QuestionStatus.ANSWERED)


class QaSettings(db.Model):
    """How questions work in one session; a session without a row uses the defaults."""

    __tablename__ = "qa_settings"

    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_session.id", ondelete="CASCADE"), primary_key=True)
    anonymous_allowed: Mapped[bool] = mapped_column(default=False)
    premoderation: Mapped[bool] = mapped_column(default=False)


class Question(db.Model):
    __tablename__ = "question"
    __table_args__ = (
        # Makes the per-person rate limit (questions in the last minute) one index scan.
        Index("ix_question_person_asked", "person_id", "asked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_session.id", ondelete="CASCADE"), index=True)
    # Kept even for anonymous questions: the asker may edit and withdraw, and a ban must find them.
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    anonymous: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str] = mapped_column(String(500))
    status: Mapped[QuestionStatus] = mapped_column(
        string_enum(QuestionStatus), default=QuestionStatus.APPROVED)
    votes: Mapped[int] = mapped_column(default=0)  # changed only in SQL, with the vote row in one transaction
    pinned: Mapped[bool] = mapped_column(default=False)
    reply: Mapped[str | None] = mapped_column(String(300))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Rises (in SQL, atomically) with every change: the version of the question's live fragment.

    asker: Mapped[Person] = relationship()


class QuestionVote(db.Model):
    """One person's upvote of one question: the unique constraint makes it one per person."""

    __tablename__ = "question_vote"
    __table_args__ = (UniqueConstraint("question_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QaBan(db.Model):
    """A person stopped from posting questions in a workshop, found through one of their questions.

    The question is kept so the moderation page can say which asker was stopped without naming them.
    """

    __tablename__ = "qa_ban"
    __table_args__ = (UniqueConstraint("workshop_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id", ondelete="SET NULL"))
    banned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BlockedWord(db.Model):
    """A word (or phrase) questions in a workshop may not contain."""

    __tablename__ = "blocked_word"
    __table_args__ = (UniqueConstraint("workshop_id", "word"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    word: Mapped[str] = mapped_column(String(60))
