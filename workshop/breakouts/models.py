"""Breakout rounds of a session, their rooms, who is assigned where, and what the rooms send back.

Rounds are kept as history: a closed round keeps its rooms, assignments and notes, and later
rounds of the same session are compared against them (repeated pairs).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshop.accounts.models import Person
from workshop.db import UTCDateTime, db, string_enum, utcnow


class RoundState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class AssignmentMode(enum.StrEnum):
    BALANCED = "balanced random"
    DIVERSE = "diverse"
    ROTATION = "rotation"
    SELF_SELECT = "self-select"
    CSV = "csv import"


class GroupKind(enum.StrEnum):
    KEEP_APART = "keep apart"
    KEEP_TOGETHER = "keep together"
    FACILITATORS = "facilitators"


class AssignmentSource(enum.StrEnum):
    GENERATED = "generated"
    MOVED = "moved"
    LATE = "late joiner"
    IMPORTED = "imported"
    CHOSEN = "chosen"


class BreakoutRound(db.Model):
    __tablename__ = "breakout_round"
    __table_args__ = (
        UniqueConstraint("session_id", "number"),
        # At most one open round per session, whatever two moderators press at the same moment.
        Index("ix_breakout_round_one_open", "session_id", unique=True,
              sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_session.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    state: Mapped[RoundState] = mapped_column(string_enum(RoundState), default=RoundState.DRAFT)
    mode: Mapped[AssignmentMode] = mapped_column(string_enum(AssignmentMode), default=AssignmentMode.DIVERSE)
    seed: Mapped[int] = mapped_column(default=1)
    room_count: Mapped[int | None]  # rooms wanted; or
    room_size: Mapped[int | None]  # people per room, the count following from the number of people
    duration_seconds: Mapped[int | None]
    # Settings of the assignment: rules beyond keep apart / keep together groups.
    spread_leads: Mapped[bool] = mapped_column(default=False)  # one moderator or facilitator per room
    max_one_roles: Mapped[str] = mapped_column(String(100), default="")  # comma-separated roles
    notes_by_members: Mapped[bool] = mapped_column(default=True)  # everyone in a room may write its notes
    choosing_open: Mapped[bool] = mapped_column(default=False)  # self-select: participants may pick now
    preview_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Rises with every change, above every other round of the session: the version of live fragments,
    # so a participant's card (which shows whichever round is current) never goes back to an older state.

    rooms: Mapped[list[BreakoutRoom]] = relationship(back_populates="round", cascade="all, delete-orphan",
                                                     order_by="BreakoutRoom.position")
    groups: Mapped[list[BreakoutGroup]] = relationship(cascade="all, delete-orphan", order_by="BreakoutGroup.id")

    @property
    def title(self) -> str:
        return f"Round {self.number}"

    @property
    def max_one_role_set(self) -> frozenset[str]:
        return frozenset(role for role in self.max_one_roles.split(",") if role)


class BreakoutRoom(db.Model):
    __tablename__ = "breakout_room"
    __table_args__ = (UniqueConstraint("round_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("breakout_round.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]  # 0-based; "Room 1" is position 0
    name: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str] = mapped_column(String(200), default="")
    video_url: Mapped[str | None] = mapped_column(String(500))
    rapporteur_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    capacity: Mapped[int | None]  # self-select: seats; also the limit a late joiner is placed within
    chosen: Mapped[int] = mapped_column(default=0)  # self-select seats taken, changed only atomically in SQL
    notes: Mapped[str] = mapped_column(Text, default="")
    # Optimistic concurrency: a save names the revision it started from, and a stale one is refused.
    notes_revision: Mapped[int] = mapped_column(default=0)
    notes_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes_saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))

    round: Mapped[BreakoutRound] = relationship(back_populates="rooms")
    rapporteur: Mapped[Person | None] = relationship(foreign_keys=[rapporteur_id])
    notes_saved_by: Mapped[Person | None] = relationship(foreign_keys=[notes_saved_by_id])

    @property
    def label(self) -> str:
        """"Room 3: Open contracting", or just the name when there is no topic."""
        return f"{self.name}: {self.topic}" if self.topic else self.name


class BreakoutAssignment(db.Model):
    """One person in one room of a round: at most one per person per round, by database constraint."""

    __tablename__ = "breakout_assignment"
    __table_args__ = (UniqueConstraint("round_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("breakout_round.id", ondelete="CASCADE"))
    room_id: Mapped[int] = mapped_column(ForeignKey("breakout_room.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    source: Mapped[AssignmentSource] = mapped_column(string_enum(AssignmentSource),
                                                     default=AssignmentSource.GENERATED)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()


class BreakoutChoice(db.Model):
    """Self-select: the room a participant picked, first come first served within its capacity."""

    __tablename__ = "breakout_choice"
    __table_args__ = (UniqueConstraint("round_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("breakout_round.id", ondelete="CASCADE"))
    room_id: Mapped[int] = mapped_column(ForeignKey("breakout_room.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BreakoutGroup(db.Model):
    """A rule about some people of a round: keep them apart, keep them together, or they facilitate."""

    __tablename__ = "breakout_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("breakout_round.id", ondelete="CASCADE"), index=True)
    kind: Mapped[GroupKind] = mapped_column(string_enum(GroupKind))

    members: Mapped[list[BreakoutGroupMember]] = relationship(cascade="all, delete-orphan",
                                                              order_by="BreakoutGroupMember.id")

    @property
    def person_ids(self) -> frozenset[int]:
        return frozenset(member.person_id for member in self.members)


class BreakoutGroupMember(db.Model):
    __tablename__ = "breakout_group_member"
    __table_args__ = (UniqueConstraint("group_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("breakout_group.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)

    person: Mapped[Person] = relationship()


class HelpRequest(db.Model):
    """"Ask for help" from a room: the moderators see it until one of them marks it handled."""

    __tablename__ = "breakout_help_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("breakout_round.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("breakout_room.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(String(300), default="")
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    room: Mapped[BreakoutRoom] = relationship()
    person: Mapped[Person] = relationship()


class BreakoutMessage(db.Model):
    """A message from the moderators to every room of a round."""

    __tablename__ = "breakout_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("breakout_round.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(500))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sender: Mapped[Person | None] = relationship()
