"""The template, editing rules, answering once, anonymity, results and the small-group rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from tests.evaluation.conftest import answer_form, release_all
from workshop.db import db
from workshop.errors import ValidationError
from workshop.evaluation import services
from workshop.evaluation.models import (EvaluationAnswer, EvaluationRespondent, EvaluationResponse, EvaluationState,
                                        Section)
from workshop.evaluation.services import shown_groups
from workshop.workshops.models import Role


def respond(scene, evaluation, person, form):
    services.respond(evaluation, person, scene.membership(person), form)


def test_the_template_follows_objectives_sessions_and_speakers(scene):
    questions = services.template_questions(scene.workshop)
    by_section = {section: [q.text for q in questions if q.section == section] for section in Section}
    assert by_section[Section.OBJECTIVE] == [
        "To what extent was this objective achieved: Discuss innovative procurement",
        "To what extent was this objective achieved: Examine new approaches"]
    # The coffee break is not rated.
    assert by_section[Section.SESSION] == ["How would you rate the session “Opening plenary”?",
                                           "How would you rate the session “Country reports”?"]
    assert by_section[Section.SPEAKER] == ["How would you rate Dr. Ada Lim in “Opening plenary”?",
                                           "How would you rate Mr. Ben Roy in “Opening plenary”?"]
    assert len(by_section[Section.OVERALL]) == 3 and len(by_section[Section.COMMENTS]) == 3
    assert [q.position for q in questions] == list(range(1, len(questions) + 1))


def test_one_evaluation_per_workshop(scene, prepared):
    with pytest.raises(ValidationError) as refused:
        services.prepare(scene.workshop, scene.organizer)
    assert refused.value.status == 409


def test_questions_and_anonymity_change_only_in_a_draft(scene):
    evaluation = services.prepare(scene.workshop, scene.organizer)
    first = evaluation.questions[0]
    services.reword_question(first, "  Was the   first objective met? ", scene.organizer)
    services.add_question(evaluation, "text", "Anything about the platform?", scene.organizer)
    services.remove_question(evaluation.questions[1], scene.organizer)
    services.update_settings(evaluation, False, False, scene.organizer)
    services.update_settings(evaluation, True, False, scene.organizer)
    db.session.commit()
    assert first.text == "Was the first objective met?"
    assert evaluation.questions[-1].text == "Anything about the platform?"
    services.set_state(evaluation, "open", scene.organizer)
    db.session.commit()
    # Open with no answer yet: a participant may already have the page saying "anonymous" in front of them.
    evaluation = scene.evaluation()
    for change in (lambda: services.reword_question(evaluation.questions[0], "Other", scene.organizer),
                   lambda: services.add_question(evaluation, "rating", "New?", scene.organizer),
                   lambda: services.remove_question(evaluation.questions[0], scene.organizer),
                   lambda: services.update_settings(evaluation, False, False, scene.organizer)):
        with pytest.raises(ValidationError) as refused:
            change()
        db.session.rollback()
        assert refused.value.status == 409 and "can no longer change" in refused.value.errors["evaluation"]
    assert scene.evaluation().anonymous and services.response_count(scene.evaluation()) == 0
    # Opening and closing stay possible, and closed is not a draft again.
    services.set_state(scene.evaluation(), "close", scene.organizer)
    db.session.commit()
    assert scene.evaluation().state == EvaluationState.CLOSED
    with pytest.raises(ValidationError):
        services.update_settings(scene.evaluation(), False, False, scene.organizer)
    db.session.rollback()
    services.set_state(scene.evaluation(), "open", scene.organizer)
    db.session.commit()
    assert scene.evaluation().state == EvaluationState.OPEN


def test_an_anonymous_response_carries_no_person_and_no_time(scene, prepared):
    person = scene.participants[0]
    respond(scene, prepared, person, answer_form(prepared))
    release_all(scene)
    response = db.session.scalar(select(EvaluationResponse))
    assert (response.person_id, response.submitted_at, response.country) == (None, None, "NP")
    # The respondent row holds the two keys and nothing else to join on.
    assert [c.name for c in inspect(EvaluationRespondent).columns] == ["evaluation_id", "person_id"]
    assert db.session.scalar(select(EvaluationRespondent.person_id)) == person.id
    assert not response.id.isdigit()
    assert services.own_answers(prepared, person) is None


def test_a_named_response_is_the_persons_own(scene, named):
    prepared = named
    person = scene.participants[0]
    respond(scene, prepared, person, answer_form(prepared, rating=2))
    mine = services.own_answers(scene.evaluation(), person)
    assert {answer.rating for answer in mine.values()} == {2, None}
    assert services.own_answers(scene.evaluation(), scene.participants[1]) == {}


def test_a_second_send_is_refused(scene, prepared):
    person = scene.participants[0]
    respond(scene, prepared, person, answer_form(prepared, rating=5))
    with pytest.raises(ValidationError) as refused:
        respond(scene, scene.evaluation(), person, answer_form(prepared, rating=1))
    assert (refused.value.status, refused.value.errors["evaluation"]) == (409, services.ANSWERED_ALREADY)
    release_all(scene)
    assert db.session.query(EvaluationResponse).count() == 1
    assert {a.rating for a in db.session.scalars(select(EvaluationAnswer))} == {5, None}


def test_the_database_keeps_one_respondent_row_per_person(scene, prepared):
    row = {"evaluation_id": prepared.id, "person_id": scene.participants[0].id}
    db.session.execute(insert(EvaluationRespondent).values(row))
    with pytest.raises(IntegrityError):
        db.session.execute(insert(EvaluationRespondent).values(row))
    db.session.rollback()


def test_answers_are_checked(scene, prepared):
    rating = next(q for q in prepared.questions if q.kind.value == "rating")
    comment = next(q for q in prepared.questions if q.kind.value == "text")
    too_long = "x" * (services.MAX_COMMENT + 1)
    with pytest.raises(ValidationError) as refused:
        respond(scene, prepared, scene.participants[0], {f"q{rating.id}": "9", f"q{comment.id}": too_long})
    assert "from 1 to 5" in refused.value.errors[f"q{rating.id}"]
    assert f"limit is {services.MAX_COMMENT}" in refused.value.errors[f"q{comment.id}"]
    with pytest.raises(ValidationError):
        respond(scene, prepared, scene.participants[0], {})
    db.session.rollback()
    assert db.session.query(EvaluationRespondent).count() == 0


def test_no_answer_is_taken_unless_open(scene):
    evaluation = services.prepare(scene.workshop, scene.organizer)
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        respond(scene, evaluation, scene.participants[0], answer_form(evaluation))
    assert refused.value.status == 409
    assert db.session.query(EvaluationRespondent).count() == 0


def test_the_database_refuses_a_rating_out_of_range(scene, prepared):
    db.session.add(EvaluationResponse(evaluation_id=prepared.id, answers=[
        EvaluationAnswer(question_id=prepared.questions[0].id, rating=6)]))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_it_opens_when_the_last_session_has_ended(scene):
    evaluation = services.prepare(scene.workshop, scene.organizer)
    services.update_settings(evaluation, True, True, scene.organizer)
    db.session.commit()
    # The demo's sessions ended in 2023: due now. A second sweep (another worker) finds nothing to open.
    assert services.open_due_evaluations() == [evaluation.id]
    assert services.open_due_evaluations() == []
    assert scene.evaluation().state == EvaluationState.OPEN


def test_it_does_not_open_before_the_last_session_ends(scene, make):
    later = make.workshop()
    from tests.evaluation.conftest import add_session
    from workshop.agenda.models import SessionKind
    add_session(later, "Tomorrow", SessionKind.PLENARY, datetime.now(UTC) + timedelta(days=1))
    db.session.commit()
    evaluation = services.prepare(later, scene.organizer)
    services.update_settings(evaluation, True, True, scene.organizer)
    db.session.commit()
    assert services.open_due_evaluations() == []


def test_results_are_counted_and_small_countries_are_not_shown(scene, prepared):
    # Six from Nepal, four from Sri Lanka, one from Fiji answer.
    for n, person in enumerate(scene.participants):
        respond(scene, scene.evaluation(), person, answer_form(prepared, rating=1 + n % 5, comment=f"<b>n{n}</b>"))
    assert services.release_waiting_responses() == 11
    evaluation = scene.evaluation()
    found = {result.question.id: result for result in services.results(evaluation)}
    first = found[evaluation.questions[0].id]
    assert first.counts == [3, 2, 2, 2, 2] and first.answers == 11
    # Fiji (1) is under five; hiding it alone would let 11 - 6 - 4 reveal it: Sri Lanka (4) is under five too,
    # and hidden together they are five. Nepal (6) is shown.
    assert [(row.country, row.answers) for row in first.countries] == [("NP", 6)]
    assert first.hidden_answers == 5
    comments = found[next(q.id for q in evaluation.questions if q.kind.value == "text")].comments
    assert sorted(comments) == sorted(f"<b>n{n}</b>" for n in range(11))


@pytest.mark.parametrize("sizes, shown", [
    ({"NP": 6, "LK": 5}, {"NP", "LK"}),
    ({"NP": 6, "LK": 5, "FJ": 1}, {"NP"}),           # one hidden alone would be derivable: hide the smallest too
    ({"NP": 9, "LK": 2, "FJ": 1}, set()),             # hidden 3 < 5: then NP alone, derivable from the total
    ({"NP": 9, "IN": 7, "LK": 2, "FJ": 1}, {"NP"}),   # hidden 3 < 5: IN joins them (10)
    ({"NP": 4}, set()),
    ({"NP": 8, "LK": 6, "FJ": 4, "IN": 3}, {"NP", "LK"}),  # two hidden, 7 together
    ({}, set()),
])
def test_shown_groups(sizes, shown):
    assert shown_groups(sizes) == shown


def test_the_anonymous_export_has_no_person_and_no_country(scene, prepared):
    respond(scene, prepared, scene.participants[0], answer_form(prepared))
    release_all(scene)
    header, rows = services.export_rows(scene.evaluation())
    assert all(name.startswith("Q") for name in header)
    assert len(rows) == 1 and "Participant 1" not in rows[0] and "Nepal" not in rows[0]


def test_the_named_export_says_who(scene, named):
    prepared = named
    respond(scene, prepared, scene.participants[0], answer_form(prepared))
    header, rows = services.export_rows(scene.evaluation())
    assert header[:3] == ["name", "country", "sent (UTC)"]
    assert rows[0][:2] == ["Participant 1", "Nepal"]


def test_sqlite_keeps_no_insertion_counter_for_respondents_responses_or_answers(scene, prepared):
    """SQLite's rowid counts insertions: the n-th respondent would be the n-th response."""
    for person in scene.participants[:2]:
        respond(scene, prepared, person, answer_form(prepared))
    for table in ("evaluation_respondent", "evaluation_response", "evaluation_answer"):
        if db.session.get_bind().dialect.name == "sqlite":
            with pytest.raises(OperationalError):
                db.session.execute(text(f"SELECT rowid FROM {table}"))
            db.session.rollback()


def _xmins(table: str) -> list[str]:
    return list(db.session.scalars(text(f"SELECT xmin::text FROM {table}")))


def test_anonymous_responses_wait_and_move_in_shuffled_batches_of_five_or_at_the_close(scene, prepared):
    postgres = db.session.get_bind().dialect.name == "postgresql"
    for person in scene.participants[:4]:
        respond(scene, scene.evaluation(), person, answer_form(prepared))
    assert services.release_waiting_responses() == 0  # four could be told apart by when they moved
    assert db.session.query(EvaluationResponse).count() == 0 and services.waiting_count(prepared) == 4
    respond(scene, scene.evaluation(), scene.participants[4], answer_form(prepared))
    assert services.release_waiting_responses() == 5
    assert db.session.query(EvaluationResponse).count() == 5 and services.waiting_count(prepared) == 0
    if postgres:  # written in one transaction of their own, none in a respondent's
        moved = _xmins("evaluation_response")
        assert len(set(moved)) == 1 and not set(moved) & set(_xmins("evaluation_respondent"))
    respond(scene, scene.evaluation(), scene.participants[5], answer_form(prepared))
    assert services.release_waiting_responses() == 0
    services.set_state(scene.evaluation(), "close", scene.organizer)  # the rest move with the close
    db.session.commit()
    assert db.session.query(EvaluationResponse).count() == 6 and services.waiting_count(prepared) == 0
    assert services.rate(scene.workshop, scene.evaluation()).responded == 6


def test_the_rate_counts_only_respondents_who_are_participants_now(scene, prepared):
    for person in scene.participants[:2]:
        respond(scene, prepared, person, answer_form(prepared))
    db.session.delete(scene.membership(scene.participants[0]))  # left the workshop after answering
    scene.membership(scene.participants[1]).role = Role.MODERATOR  # became staff
    db.session.commit()
    found = services.rate(scene.workshop, scene.evaluation())
    assert (found.responded, found.participants) == (0, 9)
    assert services.response_count(scene.evaluation()) == 2  # still answered once, each


def test_respondents_without_a_confirmed_country_are_a_group_not_stated(scene, prepared, make):
    unconfirmed = [make.joined(scene.workshop, name=f"Newcomer {n}") for n in range(5)]
    db.session.commit()
    for person in scene.participants + unconfirmed:
        respond(scene, scene.evaluation(), person, answer_form(prepared))
    release_all(scene)
    first = services.results(scene.evaluation())[0]
    # Nepal 6 and not stated 5 are shown; Sri Lanka 4 and Fiji 1 are hidden together (5 answers).
    assert [(row.name, row.answers) for row in first.countries] == [("Nepal", 6), ("Not stated", 5)]
    assert first.hidden_answers == 5
