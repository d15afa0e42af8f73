"""Attendance: intervals of presence on a session's pages, recorded live or added by hand, and the totals kept
once a workshop's intervals are deleted."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshop.accounts.models import Person
from workshop.agenda.models import AgendaSession
from workshop.db import UTCDateTime, db, string_enum, utcnow


class AttendanceSource(enum.StrEnum):
    LIVE = "live"  # a page of the session was open (a socket connection)
    MANUAL = "manual"  # added by an organizer, with a reason (someone who joined by phone)


class AttendanceInterval(db.Model):
    """One person present in one session from ``started_at`` to ``ended_at``.

    A live row is one connection (one tab): opened when it is accepted, closed when it is forgotten, or at its
    worker's last heartbeat if the worker died (``ended_at`` is NULL while it is open). Tabs and workers overlap;
    the union is taken when reading (:func:`workshop.attendance.services.seconds_attended`).
    """

    __tablename__ = "attendance_interval"
    __table_args__ = (
        UniqueConstraint("worker_id", "connection_id"),
        Index("ix_attendance_interval_session_person", "session_id", "person_id"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
        # A live row names its worker and connection; a manual one is closed and says why.
        CheckConstraint("(source = 'live' AND worker_id IS NOT NULL AND connection_id IS NOT NULL) OR "
                        "(source = 'manual' AND worker_id IS NULL AND ended_at IS NOT NULL AND reason <> '')",
                        name="source_fields"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_session.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[AttendanceSource] = mapped_column(string_enum(AttendanceSource))
    worker_id: Mapped[str | None] = mapped_column(String(32))
    connection_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[AgendaSession] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    recorded_by: Mapped[Person | None] = relationship(foreign_keys=[recorded_by_id])


class AttendanceWorker(db.Model):
    """A served worker that records intervals, and its last heartbeat: a worker not seen for a while died, and
    any worker's sweep closes its open intervals at that heartbeat."""

    __tablename__ = "attendance_worker"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AttendanceTotal(db.Model):
    """Seconds a person attended a session, kept when the workshop's intervals were deleted."""

    __tablename__ = "attendance_total"
    __table_args__ = (UniqueConstraint("session_id", "person_id"),
                      CheckConstraint("seconds >= 0", name="seconds_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_session.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    seconds: Mapped[int] = mapped_column(Integer)
    first_join: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_leave: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AttendancePurge(db.Model):
    """A workshop whose intervals were deleted (its totals kept): when, and by whom."""

    __tablename__ = "attendance_purge"

    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), primary_key=True)
    purged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    purged_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
