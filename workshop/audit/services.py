"""Writing and reading a workshop's audit log. The line is added to the caller's transaction: it commits with the change."""

from __future__ import annotations

from sqlalchemy import select

from workshop.audit.models import AuditEvent
from workshop.db import db

SYSTEM = "the system"


def record(workshop_id: int, actor, action: str, *, subject=None, detail: str = "") -> AuditEvent:
    """Add a line; ``actor`` and ``subject`` are people (or None: the system, an operator's command)."""
    event = AuditEvent(workshop_id=workshop_id, actor_id=actor.id if actor else None,
                       actor_name=actor.name if actor else SYSTEM, action=action,
                       subject_id=subject.id if subject else None, subject_name=subject.name if subject else "",
                       detail=detail)
    db.session.add(event)
    return event


def events_of(workshop_id: int, *, limit: int = 1000, before: int | None = None) -> list[AuditEvent]:
    """The newest lines first, ``limit`` at most, older than the id ``before`` when paging."""
    query = select(AuditEvent).where(AuditEvent.workshop_id == workshop_id)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    return list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
