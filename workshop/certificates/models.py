"""Certificates of participation: each workshop's rule for who earns one, and the certificates issued.

A certificate keeps what it was issued for (the name, country, the workshop's title, code, dates, modality and
implementing organizations as they were then): the PDF is drawn from these, and the public verification page
shows them, so a certificate whose name was changed on paper no longer matches its code.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshop.accounts.models import Person
from workshop.db import UTCDateTime, db, string_enum, utcnow
from workshop.uploads.models import StoredFile
from workshop.workshops.models import Workshop


class RuleKind(enum.StrEnum):
    PLENARY_SHARE = "plenary share"  # present for at least ``threshold`` % of the plenary minutes
    SESSIONS = "sessions"  # present for at least half of each of ``threshold`` sessions


class CertificateRule(db.Model):
    """The rule applied to a workshop (one at most); applying another replaces it."""

    __tablename__ = "certificate_rule"
    __table_args__ = (
        CheckConstraint("(kind = 'plenary share' AND threshold BETWEEN 1 AND 100) OR "
                        "(kind = 'sessions' AND threshold BETWEEN 1 AND 1000)", name="threshold_in_range"),
    )

    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[RuleKind] = mapped_column(string_enum(RuleKind))
    threshold: Mapped[int]
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class Certificate(db.Model):
    """One person's certificate for one workshop, issued by the rule or by hand (``reason`` then says why)."""

    __tablename__ = "certificate"
    __table_args__ = (
        UniqueConstraint("workshop_id", "person_id"),
        CheckConstraint("length(code_digest) = 64", name="digest_is_sha256"),
        CheckConstraint("manual = (reason <> '')", name="manual_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    # The verification code itself is kept nowhere: it is printed in the PDF (``pdf_file``) and shown once when
    # issued; a typed code is looked up by its SHA-256.
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="")
    workshop_title: Mapped[str] = mapped_column(String(200))
    workshop_code: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    modality: Mapped[str] = mapped_column(String(20))
    implementing_organizations: Mapped[str] = mapped_column(Text, default="")
    manual: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # Drawn once, when issued, and served from storage from then on.
    pdf_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))

    workshop: Mapped[Workshop] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    pdf_file: Mapped[StoredFile] = relationship()
