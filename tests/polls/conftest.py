"""A workshop with a plenary session and five participants, and a helper to open polls in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tests.live.conftest import connect  # noqa: F401  (fixture: socket test clients, shared with tests/live)
from tests.live.server import live_server  # noqa: F401  (fixture: the real gevent server)
from workshop.accounts.models import Person
from workshop.agenda.models import AgendaSession, SessionKind
from workshop.db import db
from workshop.polls import services
from workshop.polls.models import Poll
from workshop.workshops.models import Workshop

OPTIONS = "Open tender\nFramework agreement\nDirect award"


@dataclass
class Room:
    workshop: Workshop
    session: AgendaSession
    participants: list[Person]

    def poll(self, kind: str, *, open_it: bool = True, options: str = OPTIONS, **fields) -> Poll:
        """A poll of the given kind in the session, committed, and opened unless told otherwise."""
        data = {"kind": kind, "question": f"A {kind} question?", "options": options, "allow_change": True}
        data.update(fields)
        poll = services.create_poll(self.session, data)
        db.session.commit()
        if open_it:
            services.open_poll(poll)
            db.session.commit()
        return poll


def add_session(workshop: Workshop) -> AgendaSession:
    starts = datetime(2023, 7, 18, 3, 30, tzinfo=UTC)
    session = AgendaSession(workshop_id=workshop.id, kind=SessionKind.PLENARY, title="Opening plenary",
                            starts_at=starts, ends_at=starts + timedelta(minutes=90))
    db.session.add(session)
    db.session.commit()
    return session


@pytest.fixture
def room(app, make) -> Room:
    workshop = make.workshop()
    return Room(workshop=workshop, session=add_session(workshop),
                participants=[make.member(workshop) for _ in range(5)])
