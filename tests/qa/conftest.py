"""A workshop with a session, a moderator and participants; sockets on the session page; Q&A helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from tests.polls.conftest import add_session
from workshop.accounts.models import Person
from workshop.agenda.models import AgendaSession
from workshop.db import db
from workshop.live import revisions
from workshop.qa import services
from workshop.qa.models import Question, QuestionVote
from workshop.workshops.models import Role, Workshop

# The live pipe's socket test clients, shared with tests/live.
from tests.live.conftest import Socket, connect  # noqa: E402,F401  (fixture)
from tests.live.server import invite_path, live_server  # noqa: E402,F401  (fixtures)

QUESTION = re.compile(r'<li id="question-(\d+)"[^>]*data-version="(\d+)"[^>]*data-votes="(\d+)"')
HTMX = {"HX-Request": "true"}


@dataclass
class Room:
    workshop: Workshop
    session: AgendaSession
    moderator: Person
    participants: list[Person]

    @property
    def base(self) -> str:
        return f"/w/{self.workshop.code}/s/{self.session.id}/questions"

    def ask(self, person, text="How do framework agreements handle price changes?", **kwargs) -> Question:
        """A question stored directly through the service, committed."""
        question, _ = services.ask(self.session, person, text, **kwargs)
        db.session.commit()
        return question

    def settings(self, anonymous_allowed=False, premoderation=False) -> None:
        services.save_settings(self.session, anonymous_allowed, premoderation)
        db.session.commit()


@pytest.fixture
def room(app, make) -> Room:
    workshop = make.workshop()
    return Room(workshop=workshop, session=add_session(workshop), moderator=make.member(workshop, Role.MODERATOR, password=None),  # no slow hashing
                participants=[make.member(workshop) for _ in range(4)])


@pytest.fixture
def join(room, connect):
    """``join(person)``: a socket of that person on the room's session page."""

    def open_page(person):
        socket = connect(person, auth={"workshop": room.workshop.code, "session": room.session.id})
        assert socket.connected
        return socket

    return open_page


@pytest.fixture
def send(app):
    """``send(socket, event, payload)``: emit as the browser does and return the acknowledgement."""

    def emit(socket, event, payload):
        db.session.commit()  # the test's own writes are visible and hold no lock
        with app.app_context():  # a fresh context and database session, as each socket event gets
            ack = socket.client.emit(event, payload, callback=True)
        db.session.expire_all()
        return ack

    return emit


def questions_revision(session_id: int) -> int:
    """The revision every page's copy of the session's questions carries now."""
    return revisions.current(services.live_target(session_id))


def stored(question_id: int) -> Question | None:
    db.session.expire_all()
    return db.session.get(Question, question_id)


def question_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Question))


def vote_count(question_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(QuestionVote).where(QuestionVote.question_id == question_id))


def fragments_of(socket, question_id: int) -> list[str]:
    return [f for f in socket.collect() if f'id="question-{question_id}"' in f]
