"""The demo archive's attendance: what the live pages would have recorded over its three days, and two people who
joined a session by phone, added by the organizer. The same every time the demo is made."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select

from workshop.attendance import services
from workshop.attendance.models import AttendanceInterval, AttendanceSource
from workshop.db import db
from workshop.workshops.models import Membership, Role, Workshop

DEMO_WORKER = "demo"  # the worker named on the seeded rows (none is ever swept: they are all closed)
MISSED_SHARE = 0.1


def seed_attendance(workshop: Workshop, organizer) -> None:
    """Intervals for each participant in most sessions, one to three per session (reconnections), and two entries
    by hand (the caller commits)."""
    randomly = random.Random(2023)
    participants = list(db.session.scalars(select(Membership.person_id).where(
        Membership.workshop_id == workshop.id, Membership.role == Role.PARTICIPANT).order_by(Membership.person_id)))
    sessions = services.attended_sessions(workshop)
    rows = []
    for person_id in participants:
        for session in sessions:
            if randomly.random() < MISSED_SHARE:
                continue
            start = session.starts_at + timedelta(minutes=randomly.uniform(-8, 10))
            for piece in range(randomly.randint(1, 3)):
                end = min(session.ends_at + timedelta(minutes=5), start + timedelta(minutes=randomly.uniform(20, 80)))
                rows.append({"workshop_id": workshop.id, "session_id": session.id, "person_id": person_id,
                             "started_at": start, "ended_at": end, "source": AttendanceSource.LIVE.value,
                             "worker_id": DEMO_WORKER, "connection_id": f"{person_id}.{session.id}.{piece}",
                             "reason": "", "created_at": end})
                start = end + timedelta(minutes=randomly.uniform(0.5, 6))
                if start >= session.ends_at:
                    break
    if rows:
        db.session.execute(insert(AttendanceInterval), rows)
    for person_id, session in zip(participants[:2], sessions[:2]):
        services.add_manual(workshop, organizer, person_id, session.id, session.starts_at, session.ends_at,
                            "Joined by phone: the video link did not open on the office network.")
