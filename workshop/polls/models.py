"""Polls of a session, their options, and the ballots cast in them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshop.db import UTCDateTime, db, string_enum, utcnow


class PollKind(enum.StrEnum):
    SINGLE = "single choice"
    MULTIPLE = "multiple choice"
    RATING = "rating"
    WORDCLOUD = "word cloud"
    OPEN_TEXT = "open text"
    RANKING = "ranking"


class PollState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class RankingMethod(enum.StrEnum):
    MEAN_RANK = "mean rank"
    BORDA = "borda"



class Poll(db.Model):
    __tablename__ = "poll"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_session.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PollKind] = mapped_column(string_enum(PollKind))
    question: Mapped[str] = mapped_column(String(300))
    state: Mapped[PollState] = mapped_column(string_enum(PollState), default=PollState.DRAFT)
    anonymous: Mapped[bool] = mapped_column(default=False)
    allow_change: Mapped[bool] = mapped_column(default=True)
    results_visible: Mapped[bool] = mapped_column(default=False)
    max_picks: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=5)
    ranking_method: Mapped[RankingMethod] = mapped_column(string_enum(RankingMethod), default=RankingMethod.BORDA)
    duration_seconds: Mapped[int | None]
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Rises (in SQL, atomically) with every vote and every change of state: the version of live fragments.

    options: Mapped[list[PollOption]] = relationship(back_populates="poll", cascade="all, delete-orphan",
                                                     order_by="PollOption.position")


class PollOption(db.Model):
    __tablename__ = "poll_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)

    poll: Mapped[Poll] = relationship(back_populates="options")


class BallotSecret(db.Model):
    """The key of every ballot's ``voter_key``: one row (id 1), written once and never changed.

    Kept apart from SECRET_KEY so that rotating that key (sessions, links) lets
    nobody vote again in an open poll. Migration 0008 seeded it from the
    SECRET_KEY of the time, which keyed the ballots cast before it.
    """

    __tablename__ = "ballot_secret"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary)


class Ballot(db.Model):
    """One person's answer to one poll.

    ``voter_key`` is a keyed hash of poll and person, unique per poll, so even
    an anonymous ballot is one per person while ``person_id`` stays empty.
    """

    __tablename__ = "ballot"
    __table_args__ = (UniqueConstraint("poll_id", "voter_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    voter_key: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    rating: Mapped[int | None]
    text: Mapped[str | None] = mapped_column(String(500))
    normalized: Mapped[str | None] = mapped_column(String(100))  # word-cloud answers, for counting
    hidden: Mapped[bool] = mapped_column(default=False)  # open-text answers the moderator hid
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    choices: Mapped[list[BallotChoice]] = relationship(cascade="all, delete-orphan", order_by="BallotChoice.rank")


class BallotChoice(db.Model):
    """An option picked on a ballot; ``rank`` orders them on a ranking ballot (1 = first)."""

    __tablename__ = "ballot_choice"
    __table_args__ = (UniqueConstraint("ballot_id", "option_id"), Index("ix_ballot_choice_option", "option_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id", ondelete="CASCADE"), index=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("poll_option.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(default=1)
