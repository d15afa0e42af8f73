"""Workshops and who belongs to them in which role."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshop.accounts.models import Person
from workshop.db import UTCDateTime, db, string_enum, utcnow


class Role(enum.StrEnum):
    ORGANIZER = "organizer"
    MODERATOR = "moderator"
    PARTICIPANT = "participant"


class Origin(enum.StrEnum):
    LOCAL = "local"
    OVERSEAS = "overseas"


class Modality(enum.StrEnum):
    ONLINE = "online"
    HYBRID = "hybrid"
    IN_PERSON = "in person"



class Workshop(db.Model):
    __tablename__ = "workshop"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    timezone: Mapped[str] = mapped_column(String(64))
    modality: Mapped[Modality] = mapped_column(string_enum(Modality), default=Modality.ONLINE)
    objectives: Mapped[str] = mapped_column(Text, default="")
    topics: Mapped[str] = mapped_column(Text, default="")
    # Printed on certificates of participation, e.g. "National Productivity Secretariat, Sri Lanka and APO Secretariat".
    implementing_organizations: Mapped[str] = mapped_column(Text, default="", server_default="")
    join_code: Mapped[str | None] = mapped_column(String(40))
    join_enabled: Mapped[bool] = mapped_column(default=False)
    # Rises with every change to the agenda: rendered agendas are cached under it.
    agenda_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="workshop", cascade="all, delete-orphan")

    @property
    def objective_list(self) -> list[str]:
        return [line for line in self.objectives.splitlines() if line.strip()]

    @property
    def topic_list(self) -> list[str]:
        return [line for line in self.topics.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"<Workshop {self.code}>"


class Membership(db.Model):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("workshop_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(string_enum(Role))
    origin: Mapped[Origin] = mapped_column(string_enum(Origin), default=Origin.OVERSEAS)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The country (ISO 3166-1 alpha-2) that counts for this workshop's country reports. It counts only once
    # confirmed: imported members and staff are confirmed as they are added; a self-registrant's declared
    # country waits for an organizer (People page). The confirmation is written to the workshop's audit log.
    country: Mapped[str | None] = mapped_column(String(2))
    country_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    workshop: Mapped[Workshop] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship(back_populates="memberships")

    @property
    def country_waiting(self) -> bool:
        """A declared country that an organizer has not confirmed yet: it gives no access to country reports."""
        return self.country is not None and self.country_confirmed_at is None
