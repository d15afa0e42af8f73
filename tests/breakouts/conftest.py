"""A workshop with a breakout session: participants from several countries, a moderator, and helpers for rounds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from tests.live.conftest import connect  # noqa: F401  (fixture: socket test clients, shared with tests/live)
from workshop.accounts.models import Person
from workshop.agenda.models import AgendaSession, SessionKind
from workshop.breakouts import services
from workshop.breakouts.models import BreakoutRound
from workshop.db import db
from workshop.workshops.models import Role, Workshop

COUNTRIES = ["NP", "LK", "IN", "BD", "PK", "FJ"]


@dataclass
class Scene:
    workshop: Workshop
    session: AgendaSession
    moderator: Person
    participants: list[Person] = field(default_factory=list)

    def round(self, *, preview: bool = True, open_it: bool = False, **fields) -> BreakoutRound:
        """A round of the session (3 rooms, diverse, 20 minutes unless told), committed, previewed and opened."""
        data = {"mode": "diverse", "rooms_by": "count", "room_count": "3", "duration_minutes": "20",
                "notes_by_members": "y"}
        data.update(fields)
        round_ = services.create_round(self.session, data)
        db.session.commit()
        if preview:
            services.generate_preview(round_)
            db.session.commit()
        if open_it:
            services.start_round(round_)
            db.session.commit()
        db.session.refresh(round_)
        return round_

    @property
    def code(self) -> str:
        return self.workshop.code

    def path(self, rest: str = "") -> str:
        return f"/w/{self.workshop.code}/s/{self.session.id}/breakouts{rest}"


def add_session(workshop: Workshop) -> AgendaSession:
    starts = datetime(2023, 7, 18, 5, 0, tzinfo=UTC)
    session = AgendaSession(workshop_id=workshop.id, kind=SessionKind.BREAKOUT, title="Country groups",
                            starts_at=starts, ends_at=starts + timedelta(minutes=90))
    db.session.add(session)
    db.session.commit()
    return session


@pytest.fixture
def scene(app, make) -> Scene:
    workshop = make.workshop()
    session = add_session(workshop)
    moderator = make.member(workshop, Role.MODERATOR, name="Mona Moderator")
    participants = [make.member(workshop, name=f"Participant {n:02d}", country=COUNTRIES[n % len(COUNTRIES)])
                    for n in range(12)]
    return Scene(workshop, session, moderator, participants)
