"""An evaluation sent twice at once (two tabs of one person): one response, the other send refused, on SQLite and
PostgreSQL. Barrier tests (tests/barriers.py): each send runs in a thread with its own connection and stops at a
chosen point while the other goes on."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.barriers import race  # noqa: F401  (fixture)
from tests.evaluation.conftest import answer_form
from workshop.accounts.models import Person
from workshop.db import db
from workshop.evaluation import services
from workshop.evaluation.models import (Evaluation, EvaluationAnswer, EvaluationRespondent, EvaluationResponse,
                                        EvaluationState)
from workshop.live import revisions
from workshop.workshops.models import Membership


def send(evaluation_id: int, person_id: int, form: dict) -> None:
    """One tab's send as the route makes it, in the racing thread's own session."""
    evaluation = db.session.get(Evaluation, evaluation_id)
    person = db.session.get(Person, person_id)
    membership = db.session.scalar(select(Membership).where(Membership.person_id == person_id,
                                                            Membership.workshop_id == evaluation.workshop_id))
    services.respond(evaluation, person, membership, form)


def stored(evaluation_id: int) -> tuple[int, int, int]:
    db.session.commit()
    services.release_waiting(db.session.get(Evaluation, evaluation_id), everything=True)
    db.session.commit()
    counted = tuple(db.session.scalar(select(func.count()).select_from(table).where(condition))
                    for table, condition in (
                        (EvaluationRespondent, EvaluationRespondent.evaluation_id == evaluation_id),
                        (EvaluationResponse, EvaluationResponse.evaluation_id == evaluation_id),
                        (EvaluationAnswer, EvaluationAnswer.response_id.in_(
                            select(EvaluationResponse.id).where(EvaluationResponse.evaluation_id == evaluation_id)))))
    db.session.commit()
    return counted


def test_a_send_arriving_while_the_first_is_being_committed_waits_and_is_refused(scene, prepared, race,
                                                                                 monkeypatch):
    """The first tab's send has written and holds its locks, not committed; the second arrives, waits, is refused."""
    committing = race.pause()
    monkeypatch.setattr(revisions, "commit_busy", committing.before(revisions.commit_busy))
    person = scene.participants[0]
    first = race.run(send, prepared.id, person.id, answer_form(prepared, rating=5))
    committing.wait_reached()
    second = race.run(send, prepared.id, person.id, answer_form(prepared, rating=1))
    race.wait_until_blocked(second)
    assert not second.done  # it waits for the first tab's transaction
    committing.go()

    first.succeeded()
    assert second.refusal() == (409, services.ANSWERED_ALREADY)
    questions = len(prepared.questions)
    assert stored(prepared.id) == (1, 1, questions)
    assert set(db.session.scalars(select(EvaluationAnswer.rating).where(EvaluationAnswer.rating.is_not(None)))) == {5}


def test_a_send_checked_before_the_other_commits_is_refused(scene, prepared, race, monkeypatch):
    """The second tab's answers were checked before the first tab's commit; then it goes on and is refused."""
    checked = race.pause()
    monkeypatch.setattr(services, "clean_answers", checked.after(services.clean_answers))
    person = scene.participants[0]
    late = race.run(send, prepared.id, person.id, answer_form(prepared, rating=1))
    checked.wait_reached()
    send(prepared.id, person.id, answer_form(prepared, rating=5))
    checked.go()

    assert late.refusal() == (409, services.ANSWERED_ALREADY)
    assert stored(prepared.id) == (1, 1, len(prepared.questions))


def test_many_participants_at_once_each_count_once(scene, prepared, race):
    racers = [race.run(send, prepared.id, person.id, answer_form(prepared)) for person in scene.participants[:6]]
    racers += [race.run(send, prepared.id, person.id, answer_form(prepared)) for person in scene.participants[:6]]
    outcomes = []
    for racer in racers:
        racer.finish()
        outcomes.append(racer.error is None)
    assert sum(outcomes) == 6
    assert stored(prepared.id)[:2] == (6, 6)


def test_a_close_waits_for_a_send_in_flight_and_a_send_after_it_is_refused(scene, prepared, race, monkeypatch):
    committing = race.pause()
    monkeypatch.setattr(revisions, "commit_busy", committing.before(revisions.commit_busy))
    sender = race.run(send, prepared.id, scene.participants[0].id, answer_form(prepared))
    committing.wait_reached()

    def close(evaluation_id: int) -> None:
        services.set_state(db.session.get(Evaluation, evaluation_id), "close", None)
        db.session.commit()

    closer = race.run(close, prepared.id)
    race.wait_until_blocked(closer)
    committing.go()
    sender.succeeded()
    closer.succeeded()
    assert stored(prepared.id)[:2] == (1, 1)
    db.session.expire_all()
    assert db.session.get(Evaluation, prepared.id).state == EvaluationState.CLOSED
    late = race.run(send, prepared.id, scene.participants[1].id, answer_form(prepared))
    assert late.refusal() == (409, services.NOT_OPEN)
    assert stored(prepared.id)[:2] == (1, 1)
