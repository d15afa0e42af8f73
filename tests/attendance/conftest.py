"""A workshop with two sessions, an organizer, a moderator and participants of two countries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from tests.live.conftest import connect  # noqa: F401  (fixture)
from tests.live.server import live_server  # noqa: F401  (fixture)
from workshop.accounts.models import Person
from workshop.agenda.models import AgendaSession, SessionKind
from workshop.db import db
from workshop.workshops.models import Role, Workshop

OPENING = datetime(2023, 7, 18, 3, 30, tzinfo=timezone.utc)  # 09:00 in Colombo


@dataclass
class Scene:
    workshop: Workshop
    organizer: Person
    moderator: Person
    nepal: Person
    sri_lanka: Person
    opening: AgendaSession  # 03:30-05:00 UTC
    panel: AgendaSession  # 05:30-07:00 UTC

    @property
    def code(self) -> str:
        return self.workshop.code


def at(minutes: float) -> datetime:
    """A moment ``minutes`` after the opening session starts."""
    return OPENING + timedelta(minutes=minutes)


def add_session(workshop: Workshop, title: str, starts: datetime, minutes: int,
                kind: SessionKind = SessionKind.PLENARY) -> AgendaSession:
    session = AgendaSession(workshop=workshop, kind=kind, title=title, starts_at=starts,
                            ends_at=starts + timedelta(minutes=minutes))
    db.session.add(session)
    db.session.commit()
    return session


@pytest.fixture
def scene(app, make) -> Scene:
    workshop = make.workshop()
    return Scene(workshop=workshop,
                 organizer=make.member(workshop, Role.ORGANIZER, name="Olga Organizer", country="LK"),
                 moderator=make.member(workshop, Role.MODERATOR, name="Mona Moderator", country="LK"),
                 nepal=make.member(workshop, name="Nima Sherpa", country="NP"),
                 sri_lanka=make.member(workshop, name="Sunil Perera", country="LK"),
                 opening=add_session(workshop, "Opening", at(0), 90),
                 panel=add_session(workshop, "Panel", at(120), 90))
