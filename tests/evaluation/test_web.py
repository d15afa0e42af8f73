"""The pages: answering (once, over-long comments, HTML as text), preparing, results, CSV, summary, access."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.evaluation.conftest import answer_form, release_all
from workshop.db import db
from workshop.evaluation import services
from workshop.evaluation.models import EvaluationAnswer, EvaluationResponse, EvaluationState
from workshop.workshops.models import Role


def test_an_organizer_prepares_edits_and_opens_it(scene, client, make):
    make.sign_in(client, scene.organizer)
    page = client.get(scene.path("/manage")).get_data(as_text=True)
    assert "To what extent was this objective achieved: Discuss innovative procurement" in page
    assert make.post(client, scene.path("/prepare")).status_code == 302
    evaluation = scene.evaluation()
    first = evaluation.questions[0]
    assert make.post(client, scene.path(f"/questions/{first.id}"), {"text": "Reworded"}).status_code == 302
    assert make.post(client, scene.path("/questions"), {"kind": "text", "text": ""}).status_code == 400
    assert make.post(client, scene.path("/questions"), {"kind": "text", "text": "Platform?"}).status_code == 302
    assert make.post(client, scene.path(f"/questions/{first.id}/remove")).status_code == 302
    assert make.post(client, scene.path("/state/open")).status_code == 302
    assert make.post(client, scene.path("/state/open")).status_code == 409
    evaluation = scene.evaluation()
    assert evaluation.state == EvaluationState.OPEN
    assert evaluation.questions[-1].text == "Platform?" and "Reworded" not in [q.text for q in evaluation.questions]
    assert f"/w/{scene.code}/evaluation/manage" in client.get(f"/w/{scene.code}/").get_data(as_text=True)


def test_a_participant_answers_once_and_is_thanked(scene, prepared, client, make):
    person = scene.participants[0]
    make.sign_in(client, person)
    home = client.get(f"/w/{scene.code}/").get_data(as_text=True)
    assert "Evaluate the workshop" in home
    page = client.get(scene.path()).get_data(as_text=True)
    assert "<legend>To what extent was this objective achieved: Discuss innovative procurement</legend>" in page
    assert 'data-draft-key="evaluation:' in page
    form = answer_form(prepared)
    response = make.post(client, scene.path(), form, csrf_path=scene.path())
    assert response.status_code == 302
    thanks = client.get(scene.path()).get_data(as_text=True)
    assert "Thank you" in thanks and "data-draft-clear" in thanks and "cannot be shown back" in thanks
    # The second tab's send, with the form it still shows:
    again = make.post(client, scene.path(), form, csrf_path=f"/w/{scene.code}/")
    assert again.status_code == 409
    assert services.ANSWERED_ALREADY in again.get_data(as_text=True)
    release_all(scene)
    assert db.session.query(EvaluationResponse).count() == 1
    assert "Your evaluation (sent)" in client.get(f"/w/{scene.code}/").get_data(as_text=True)


def test_an_over_long_comment_is_refused_with_its_reason_and_nothing_is_stored(scene, prepared, client, make):
    comment = next(q for q in prepared.questions if q.kind.value == "text")
    make.sign_in(client, scene.participants[0])
    form = {**answer_form(prepared), f"q{comment.id}": "word " * 1000}
    response = make.post(client, scene.path(), form, csrf_path=scene.path())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"the limit is {services.MAX_COMMENT}" in page and 'aria-invalid="true"' in page
    assert "word word" in page  # what was written is given back
    assert db.session.query(EvaluationResponse).count() == 0


def test_html_in_comments_is_shown_as_text(scene, prepared, client, make):
    make.sign_in(client, scene.participants[0])
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert make.post(client, scene.path(), answer_form(prepared, comment=script),
                     csrf_path=scene.path()).status_code == 302
    release_all(scene)
    make.sign_in(client, scene.organizer)
    for path in ("/results", "/summary"):
        page = client.get(scene.path(path)).get_data(as_text=True)
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
        assert "<script>alert" not in page


def test_results_show_charts_with_their_numbers_and_the_rate(scene, prepared, client, make):
    for person in scene.participants[:3]:
        services.respond(scene.evaluation(), person, scene.membership(person), answer_form(prepared, rating=5))
    make.sign_in(client, scene.organizer)
    waiting = client.get(scene.path("/results")).get_data(as_text=True)
    assert "3 anonymous responses are waiting" in waiting and "mean 5.0" not in waiting
    release_all(scene)
    page = client.get(scene.path("/results")).get_data(as_text=True)
    assert '<strong data-testid="responded">3</strong> of 11 participants' in page
    assert 'role="img"' in page and "5 (Fully) 3." in page  # the chart's accessible name has the numbers
    assert "mean 5.0 out of 5" in page
    # Each section's means side by side, named in full.
    assert ("The sessions, mean ratings out of 5: How would you rate the session “Opening plenary”? 5.0; "
            "How would you rate the session “Country reports”? 5.0.") in page
    scripts = re.findall(r'<script src="/static/([^"]+)"', page)
    # No chart library: the app's own scripts and the vendored htmx and socket.io only.
    assert {name.split(".")[0] for name in scripts if name.startswith("vendor/")} <= {"vendor/htmx", "vendor/socket"}
    # No group under five: with three answers from Nepal, no country is shown.
    assert "Nepal</th>" not in page


def test_csv_export(scene, prepared, client, make):
    person = scene.participants[0]
    services.respond(prepared, person, scene.membership(person), answer_form(prepared, comment="=1+1"))
    release_all(scene)
    make.sign_in(client, scene.organizer)
    response = client.get(scene.path("/responses.csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0].startswith("Q1: To what extent")
    assert "Participant 1" not in response.get_data(as_text=True)
    assert "'=1+1" in rows[1]


@pytest.mark.parametrize("role", ["participant", "moderator"])
def test_results_are_for_organizers_only(scene, prepared, client, make, role):
    make.sign_in(client, scene.participants[0] if role == "participant" else scene.moderator)
    for path in ("/results", "/summary", "/responses.csv", "/manage"):
        assert client.get(scene.path(path)).status_code == 403


def test_staff_cannot_answer(scene, prepared, client, make):
    make.sign_in(client, scene.organizer)
    assert make.post(client, scene.path(), answer_form(prepared)).status_code == 403
    assert "Only participants can send it" in client.get(scene.path()).get_data(as_text=True)


def test_a_draft_is_not_shown_to_participants(scene, client, make):
    services.prepare(scene.workshop, scene.organizer)
    db.session.commit()
    make.sign_in(client, scene.participants[0])
    assert client.get(scene.path()).status_code == 404
    assert "Evaluate the workshop" not in client.get(f"/w/{scene.code}/").get_data(as_text=True)


def test_an_organizer_of_another_workshop_is_refused_everywhere(scene, prepared, client, make, app):
    other = make.workshop()
    outsider = make.member(other, Role.ORGANIZER, password=None)
    services.prepare(other, outsider)
    db.session.commit()
    make.sign_in(client, outsider)
    question = prepared.questions[0].id
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("evaluation.")]
    assert len(rules) == 12
    for rule in rules:
        path = rule.rule.replace("<code>", scene.code).replace("<switch>", "open").replace("<int:item_id>",
                                                                                            str(question))
        for method in rule.methods & {"GET", "POST"}:
            response = client.get(path) if method == "GET" else make.post(client, path, csrf_path=f"/w/{other.code}/")
            assert response.status_code == 403, (method, path)
        # Their own workshop's code with this workshop's question: nothing found.
        if "item_id" in rule.rule:
            own = rule.rule.replace("<code>", other.code).replace("<int:item_id>", str(question))
            assert make.post(client, own, csrf_path=f"/w/{other.code}/").status_code == 404, own
    assert scene.evaluation().questions[0].id == question


def test_control_characters_are_refused_with_a_reason_and_line_breaks_kept(scene, prepared, client, make):
    comment = next(q for q in prepared.questions if q.kind.value == "text")
    make.sign_in(client, scene.participants[0])
    form = {**answer_form(prepared), f"q{comment.id}": "a\x00b"}
    response = make.post(client, scene.path(), form, csrf_path=scene.path())
    assert response.status_code == 400 and "control characters" in response.get_data(as_text=True)
    assert db.session.query(EvaluationResponse).count() == 0
    form[f"q{comment.id}"] = "Two lines:\r\nfirst\tand second"
    assert make.post(client, scene.path(), form, csrf_path=scene.path()).status_code == 302
    release_all(scene)
    assert db.session.query(EvaluationAnswer.text).filter_by(question_id=comment.id).scalar() == \
        "Two lines:\r\nfirst\tand second"


def test_a_question_with_control_characters_is_refused(scene, client, make):
    services.prepare(scene.workshop, scene.organizer)
    db.session.commit()
    first = scene.evaluation().questions[0]
    make.sign_in(client, scene.organizer)
    for path, form in ((f"/questions/{first.id}", {"text": "a\x00b"}),
                       ("/questions", {"kind": "text", "text": "a\x00b"})):
        response = make.post(client, scene.path(path), form)
        assert response.status_code == 400, path
        assert "control characters" in response.get_data(as_text=True)
    assert "\x00" not in " ".join(q.text for q in scene.evaluation().questions)


def test_the_printable_summary_shows_the_country_breakdown_open(scene, prepared, client, make):
    for person in scene.participants:
        services.respond(scene.evaluation(), person, scene.membership(person), answer_form(prepared))
    release_all(scene)
    make.sign_in(client, scene.organizer)
    results = client.get(scene.path("/results")).get_data(as_text=True)
    summary = client.get(scene.path("/summary")).get_data(as_text=True)
    assert '<details class="country-breakdown">' in results  # folded on screen
    assert '<details class="country-breakdown" open>' in summary and "Nepal</th>" in summary
    assert '<details class="country-breakdown">' not in summary


def test_sending_to_a_draft_is_refused_as_not_open(scene, client, make):
    evaluation = services.prepare(scene.workshop, scene.organizer)
    db.session.commit()
    make.sign_in(client, scene.participants[0])
    response = make.post(client, scene.path(), answer_form(evaluation), csrf_path=f"/w/{scene.code}/")
    assert response.status_code == 409 and services.NOT_OPEN in response.get_data(as_text=True)
    assert services.response_count(scene.evaluation()) == 0


def test_a_send_without_its_csrf_token_is_refused_by_the_app(scene, prepared, client, make):
    make.sign_in(client, scene.participants[0])
    response = client.post(scene.path(), data=answer_form(prepared))
    assert response.status_code == 400 and "Reload the page" in response.get_data(as_text=True)
    assert services.response_count(scene.evaluation()) == 0
