"""The programme of a workshop: sessions, the moderators named for them, and their materials."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshop.accounts.models import Person
from workshop.db import UTCDateTime, db, string_enum, utcnow
from workshop.uploads.models import StoredFile
from workshop.workshops.models import Workshop


class SessionKind(enum.StrEnum):
    PLENARY = "plenary"
    BREAKOUT = "breakout"
    COUNTRY_REPORTS = "country reports"
    SITE_VISIT = "site visit"
    BREAK = "break"
    SOCIAL = "social"


session_moderator = Table(
    "session_moderator",
    db.metadata,
    Column("session_id", ForeignKey("agenda_session.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
)


def _new_uid() -> str:
    return uuid.uuid4().hex


class AgendaSession(db.Model):
    __tablename__ = "agenda_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SessionKind] = mapped_column(string_enum(SessionKind))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    speakers: Mapped[str] = mapped_column(Text, default="")  # one per line
    resource_persons: Mapped[str] = mapped_column(Text, default="")  # one per line
    video_url: Mapped[str | None] = mapped_column(String(500))
    # Calendar identity: the UID never changes, SEQUENCE rises with every edit (RFC 5545).
    uid: Mapped[str] = mapped_column(String(64), unique=True, default=_new_uid)
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    workshop: Mapped[Workshop] = relationship()
    moderators: Mapped[list[Person]] = relationship(secondary=session_moderator, order_by=Person.name)
    materials: Mapped[list[Material]] = relationship(back_populates="session", cascade="all, delete-orphan",
                                                     order_by="Material.id")

    @property
    def speaker_list(self) -> list[str]:
        return [line.strip() for line in self.speakers.splitlines() if line.strip()]

    @property
    def resource_person_list(self) -> list[str]:
        return [line.strip() for line in self.resource_persons.splitlines() if line.strip()]


class Material(db.Model):
    """A link or a file handed out for a session."""

    __tablename__ = "material"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_session.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    stored_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[AgendaSession] = relationship(back_populates="materials")
    stored_file: Mapped[StoredFile | None] = relationship()
