"""Fixtures for the evaluation: a workshop with objectives, an agenda (with a break), organizers and participants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tests.live.conftest import connect  # noqa: F401  (fixture)
from workshop.accounts.models import Person
from workshop.agenda.models import AgendaSession, SessionKind
from workshop.db import db
from workshop.evaluation import services
from workshop.evaluation.models import Evaluation
from workshop.workshops.models import Membership, Role, Workshop

OBJECTIVES = "Discuss innovative procurement\nExamine new approaches"


@dataclass
class Scene:
    workshop: Workshop
    organizer: Person
    moderator: Person
    participants: list[Person]  # eleven: six from Nepal, four from Sri Lanka, one from Fiji

    @property
    def code(self) -> str:
        return self.workshop.code

    def path(self, rest: str = "") -> str:
        return f"/w/{self.code}/evaluation{rest}"

    def membership(self, person: Person) -> Membership:
        return db.session.query(Membership).filter_by(workshop_id=self.workshop.id, person_id=person.id).one()

    def evaluation(self) -> Evaluation:
        db.session.expire_all()
        return services.evaluation_of(self.workshop)


def add_session(workshop: Workshop, title: str, kind: SessionKind, starts: datetime, speakers: str = "") -> None:
    db.session.add(AgendaSession(workshop_id=workshop.id, kind=kind, title=title, starts_at=starts,
                                 ends_at=starts + timedelta(hours=1), speakers=speakers))


@pytest.fixture
def scene(app, make) -> Scene:
    workshop = make.workshop(objectives=OBJECTIVES)
    start = datetime(2023, 7, 18, 3, 30, tzinfo=UTC)
    add_session(workshop, "Opening plenary", SessionKind.PLENARY, start, "Dr. Ada Lim\nMr. Ben Roy")
    add_session(workshop, "Coffee", SessionKind.BREAK, start + timedelta(hours=1))
    add_session(workshop, "Country reports", SessionKind.COUNTRY_REPORTS, start + timedelta(hours=2))
    db.session.commit()
    organizer = make.member(workshop, Role.ORGANIZER, name="Olga Organizer", password=None)
    moderator = make.member(workshop, Role.MODERATOR, name="Mona Moderator", password=None)
    countries = ["NP"] * 6 + ["LK"] * 4 + ["FJ"]
    participants = [make.member(workshop, name=f"Participant {n}", country=country)
                    for n, country in enumerate(countries, 1)]
    return Scene(workshop, organizer, moderator, participants)


def open_evaluation(scene: Scene, *, anonymous: bool = True) -> Evaluation:
    evaluation = services.prepare(scene.workshop, scene.organizer)
    services.update_settings(evaluation, anonymous, False, scene.organizer)
    db.session.commit()
    services.set_state(evaluation, "open", scene.organizer)
    db.session.commit()
    return evaluation


@pytest.fixture
def prepared(scene) -> Evaluation:
    """The evaluation made from the template, anonymous, open."""
    return open_evaluation(scene)


@pytest.fixture
def named(scene) -> Evaluation:
    """The evaluation made from the template, named (answers stored with the person), open."""
    return open_evaluation(scene, anonymous=False)


def answer_form(evaluation: Evaluation, rating: int = 4, comment: str | None = "Useful") -> dict[str, str]:
    form = {}
    for question in evaluation.questions:
        if question.kind.value == "rating":
            form[f"q{question.id}"] = str(rating)
        elif comment is not None:
            form[f"q{question.id}"] = comment
    return form


def release_all(scene: Scene) -> None:
    """The anonymous responses waiting in the inbox moved into the responses, as a close would."""
    services.release_waiting(scene.evaluation(), everything=True)
    db.session.commit()
