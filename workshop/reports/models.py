"""Country report slots, the versions uploaded to them, and the audit log of everything done to them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshop.accounts.models import Person
from workshop.db import UTCDateTime, db, string_enum, utcnow
from workshop.uploads.models import StoredFile
from workshop.workshops.models import Workshop

DEFAULT_KINDS = "pdf,docx,pptx,xlsx"
DEFAULT_MAX_MB = 25


class ReportState(enum.StrEnum):
    MISSING = "missing"
    SUBMITTED = "submitted"
    LATE = "late"
    CHANGES_REQUESTED = "changes requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PUBLISHED = "published"



class ReportSlot(db.Model):
    """Where one country's report for one workshop goes."""

    __tablename__ = "report_slot"
    __table_args__ = (UniqueConstraint("workshop_id", "country"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    allowed_kinds: Mapped[str] = mapped_column(String(100), default=DEFAULT_KINDS)  # comma-separated KINDS names
    max_mb: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_MB)
    participants_may_upload: Mapped[bool] = mapped_column(default=False)
    state: Mapped[ReportState] = mapped_column(string_enum(ReportState), default=ReportState.MISSING)
    note: Mapped[str] = mapped_column(Text, default="")  # to the country, with "changes requested" or "rejected"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    workshop: Mapped[Workshop] = relationship()
    versions: Mapped[list[ReportVersion]] = relationship(back_populates="slot", order_by="ReportVersion.number",
                                                         cascade="all, delete-orphan")

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(name for name in self.allowed_kinds.split(",") if name)

    @property
    def max_bytes(self) -> int:
        return self.max_mb * 1024 * 1024

    @property
    def live_versions(self) -> list[ReportVersion]:
        return [version for version in self.versions if version.removed_at is None]

    @property
    def latest(self) -> ReportVersion | None:
        live = self.live_versions
        return live[-1] if live else None


class ReportVersion(db.Model):
    """One upload to a slot; removing it is soft (``removed_at``) until an organizer purges it."""

    __tablename__ = "report_version"
    __table_args__ = (UniqueConstraint("slot_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("report_slot.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="RESTRICT"), index=True)
    late: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))

    slot: Mapped[ReportSlot] = relationship(back_populates="versions")
    stored_file: Mapped[StoredFile] = relationship()
    removed_by: Mapped[Person | None] = relationship()


class ReportEvent(db.Model):
    """The audit log: who did what to which slot, and when. The actor's name is kept if the person is deleted."""

    __tablename__ = "report_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("report_slot.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    slot: Mapped[ReportSlot] = relationship()
