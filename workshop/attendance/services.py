"""Attendance rules: time present per person and session (the union of their intervals within the session's
scheduled span), manual entries, the grid and lists organizers see, and deleting intervals while keeping totals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from workshop.agenda.models import AgendaSession
from workshop.attendance.models import AttendanceInterval, AttendanceTotal
from workshop.db import db, utcnow

Span = tuple[datetime, datetime]


def merged_seconds(intervals: Iterable[Span], bounds: Span) -> int:
    """Seconds covered by the union of ``intervals``, counting only within ``bounds``."""
    lower, upper = bounds
    clipped = sorted((max(start, lower), min(end, upper)) for start, end in intervals)
    total, current_start, current_end = 0.0, None, None
    for start, end in clipped:
        if end <= start:
            continue
        if current_end is None or start > current_end:
            if current_end is not None:
                total += (current_end - current_start).total_seconds()
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += (current_end - current_start).total_seconds()
    return int(total)


@dataclass(frozen=True)
class SessionSpan:
    id: int
    starts_at: datetime
    ends_at: datetime

    @property
    def seconds(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds())


def session_spans(workshop_id: int) -> dict[int, SessionSpan]:
    rows = db.session.execute(select(AgendaSession.id, AgendaSession.starts_at, AgendaSession.ends_at)
                              .where(AgendaSession.workshop_id == workshop_id))
    return {row.id: SessionSpan(*row) for row in rows}


def intervals_by_person_session(workshop_id: int, now: datetime | None = None) -> dict[tuple[int, int], list[Span]]:
    """Every interval of the workshop, recorded and manual, an open one running until ``now``."""
    now = now or utcnow()
    found: dict[tuple[int, int], list[Span]] = defaultdict(list)
    table = AttendanceInterval.__table__
    rows = db.session.connection().execute(select(table.c.person_id, table.c.session_id, table.c.started_at,
                                                  table.c.ended_at).where(table.c.workshop_id == workshop_id))
    for person_id, session_id, started_at, ended_at in rows:
        found[person_id, session_id].append((started_at, ended_at or now))
    return found


def seconds_attended(workshop_id: int) -> dict[int, dict[int, int]]:
    """person_id -> session_id -> seconds present: the union of recorded and manual intervals within the session's
    scheduled span, plus the totals kept when intervals were deleted. A pair never attended is absent."""
    spans = session_spans(workshop_id)
    attended: dict[int, dict[int, int]] = defaultdict(dict)
    for (person_id, session_id), intervals in intervals_by_person_session(workshop_id).items():
        span = spans.get(session_id)
        seconds = merged_seconds(intervals, (span.starts_at, span.ends_at)) if span else 0
        if seconds:
            attended[person_id][session_id] = seconds
    kept = db.session.execute(select(AttendanceTotal.person_id, AttendanceTotal.session_id, AttendanceTotal.seconds)
                              .where(AttendanceTotal.workshop_id == workshop_id, AttendanceTotal.seconds > 0))
    for person_id, session_id, seconds in kept:
        attended[person_id][session_id] = attended[person_id].get(session_id, 0) + seconds
    return dict(attended)
