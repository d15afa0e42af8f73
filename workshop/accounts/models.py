"""People (one account per email) and their personal invite links."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshop.db import UTCDateTime, db, utcnow


class Person(UserMixin, db.Model):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    organization: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # False until the person picks a zone: pages may then suggest the browser's.
    timezone_chosen: Mapped[bool] = mapped_column(default=False)
    # The secret in the person's personal calendar feed URL; a new one revokes the old.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    can_create_workshops: Mapped[bool] = mapped_column(default=False)
    # Raised when a password is reset, so every session signed in before it ends.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the person deleted their account: the row stays, emptied, so what they contributed keeps its author.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list["Membership"]] = relationship(back_populates="person", cascade="all, delete-orphan")  # noqa: F821

    # The invite link this sign-in came through (None: a password): set at sign-in and by the session loader.
    signed_in_invite_id = None

    def get_id(self) -> str:
        """What the session and the remember cookie carry: a password reset or an invite's end invalidates it."""
        base = f"{self.id}.{self.session_version}"
        return f"{base}.i{self.signed_in_invite_id}" if self.signed_in_invite_id else base

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.email}>"


class Invite(db.Model):
    """A personal sign-in link for one person into one workshop."""

    __tablename__ = "invite"
    # Its link carries its id: on SQLite, never give a deleted invite's id to a new one (see migration 0012).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()
    workshop: Mapped["Workshop"] = relationship()  # noqa: F821

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class PasswordLink(db.Model):
    """A one-time link to set a password, sent to the person's own address. Only the token's hash is kept."""

    __tablename__ = "password_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()
