"""The moderators' side over HTTP: who may moderate, each action and refusal, settings, blocked words,
bans, the projector page, the CSV export, and a POST without the CSRF token changing nothing."""

from __future__ import annotations

import csv
import io

import pytest

from tests.polls.conftest import add_session
from tests.qa.conftest import HTMX, questions_revision, stored
from workshop.db import db
from workshop.errors import ValidationError
from workshop.qa import services
from workshop.qa.models import QuestionStatus
from workshop.workshops.models import Role


@pytest.fixture
def moderator(room, make, client):
    make.sign_in(client, room.moderator)
    return room.moderator


def act(make, client, room, question, action, **data):
    return make.post(client, f"{room.base}/{question.id}/{action}", data, headers=HTMX)


def test_staff_see_the_queue_and_the_projector(room, make, client):
    question = room.ask(room.participants[0], "<b>Bold?</b>")
    for role in (Role.MODERATOR, Role.ORGANIZER):
        make.sign_in(client, make.member(room.workshop, role, password=None))
        page = client.get(f"{room.base}/moderate")
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert f'id="queue-{room.session.id}"' in body and f'id="queue-question-{question.id}"' in body and "&lt;b&gt;Bold?&lt;/b&gt;" in body
        assert client.get(f"{room.base}/projector").status_code == 200


def test_the_session_page_has_the_ask_form_and_staff_links(room, make, client):
    make.sign_in(client, room.participants[0])
    body = client.get(f"/w/{room.workshop.code}/s/{room.session.id}").get_data(as_text=True)
    assert f'data-qa-ask="{room.session.id}"' in body and "Ask anonymously" not in body
    assert "questions/moderate" not in body
    room.settings(anonymous_allowed=True)
    make.sign_in(client, room.moderator)
    body = client.get(f"/w/{room.workshop.code}/s/{room.session.id}").get_data(as_text=True)
    assert "Ask anonymously" in body and "questions/moderate" in body and "questions/projector" in body


@pytest.mark.parametrize("action", ["approve", "dismiss", "answer", "pin", "unpin", "reply", "ban"])
def test_a_participant_may_not_moderate(room, make, client, action):
    question = room.ask(room.participants[0])
    make.sign_in(client, room.participants[1])
    before = questions_revision(room.session.id)
    assert act(make, client, room, question, action, reply="Hi").status_code == 403
    assert questions_revision(room.session.id) == before and not services.is_banned(room.workshop.id, room.participants[0].id)
    for page in ("moderate", "projector"):
        assert client.get(f"{room.base}/{page}").status_code == 403
    assert client.get(f"{room.base}.csv").status_code == 403


def test_a_non_member_gets_403_everywhere(room, make, client):
    question = room.ask(room.participants[0])
    make.sign_in(client, make.member(make.workshop(), Role.ORGANIZER, password=None))
    assert client.get(f"{room.base}/moderate").status_code == 403
    assert act(make, client, room, question, "approve").status_code == 403


def test_approve_pin_answer_and_reply(room, make, client, moderator):
    room.settings(premoderation=True)
    first = room.ask(room.participants[0], "First?")
    second = room.ask(room.participants[1], "Second?")
    assert stored(first.id).status == QuestionStatus.PENDING
    assert act(make, client, room, first, "pin").status_code == 409  # not approved yet
    response = act(make, client, room, first, "approve")
    assert response.status_code == 200 and f'id="queue-question-{first.id}"' in response.get_data(as_text=True)
    assert stored(first.id).status == QuestionStatus.APPROVED
    act(make, client, room, second, "approve")
    assert act(make, client, room, first, "pin").status_code == 200
    revision = questions_revision(room.session.id)
    assert act(make, client, room, second, "pin").status_code == 200
    assert stored(second.id).pinned and not stored(first.id).pinned  # one pinned per session
    assert questions_revision(room.session.id) > revision
    assert act(make, client, room, second, "reply", reply="  We will come back to this.  ").status_code == 200
    assert stored(second.id).reply == "We will come back to this."
    assert act(make, client, room, second, "reply", reply="r" * 301).status_code == 400
    assert act(make, client, room, second, "answer").status_code == 200
    answered = stored(second.id)
    assert answered.status == QuestionStatus.ANSWERED and answered.answered_at is not None and not answered.pinned
    assert act(make, client, room, second, "answer").status_code == 409
    assert act(make, client, room, first, "dismiss").status_code == 200
    assert stored(first.id).status == QuestionStatus.DISMISSED
    assert act(make, client, room, first, "dismiss").status_code == 409
    assert act(make, client, room, first, "approve").status_code == 200  # brought back
    assert act(make, client, room, first, "shout").status_code == 404


def test_a_question_of_another_session_is_404(room, make, client, moderator):
    other = add_session(room.workshop)
    question, _ = services.ask(other, room.participants[0], "Elsewhere?")
    db.session.commit()
    assert act(make, client, room, question, "approve").status_code == 404


def test_banning_the_asker_stops_them_and_can_be_lifted(room, make, client, moderator):
    room.settings(anonymous_allowed=True)
    question = room.ask(room.participants[0], "Abusive text", anonymous=True)
    response = act(make, client, room, question, "ban")
    assert response.status_code == 200 and "may not post" in response.get_data(as_text=True)
    assert act(make, client, room, question, "ban").status_code == 409
    with pytest.raises(ValidationError, match="stopped you from posting"):
        services.ask(room.session, room.participants[0], "Again?")
    db.session.rollback()
    page = client.get(f"{room.base}/moderate").get_data(as_text=True)
    assert "The asker of “Abusive text”" in page and room.participants[0].name not in page
    ban_id = services.bans_of(room.workshop.id)[0][0].id
    assert make.post(client, f"{room.base}/bans/{ban_id}/lift").status_code == 302
    assert not services.is_banned(room.workshop.id, room.participants[0].id)


def test_settings_and_blocked_words_are_saved(room, make, client, moderator):
    response = make.post(client, f"{room.base}/settings", {"anonymous_allowed": "y", "premoderation": "y"})
    assert response.status_code == 302
    settings = services.settings_of(room.session.id)
    assert settings.anonymous_allowed and settings.premoderation
    response = make.post(client, f"{room.base}/blocked-words", {"words": "Scam\n  bribe \n\nSCAM\n"})
    assert response.status_code == 302
    assert services.blocked_words(room.workshop.id) == ["bribe", "scam"]
    response = make.post(client, f"{room.base}/blocked-words", {"words": "w" * 61})
    assert response.status_code == 400 and "at most 60 characters" in response.get_data(as_text=True)
    assert services.blocked_words(room.workshop.id) == ["bribe", "scam"]


def test_posts_without_the_csrf_token_change_nothing(room, client, moderator):
    question = room.ask(room.participants[0])
    assert client.post(f"{room.base}/{question.id}/dismiss", headers=HTMX).status_code == 400
    assert client.post(f"{room.base}/settings", data={"premoderation": "y"}).status_code == 400
    assert client.post(f"{room.base}/blocked-words", data={"words": "x"}).status_code == 400
    assert stored(question.id).status == QuestionStatus.APPROVED
    assert not services.settings_of(room.session.id).premoderation
    assert services.blocked_words(room.workshop.id) == []


def test_the_csv_export_while_live_and_after(room, make, client, moderator):
    room.settings(anonymous_allowed=True)
    named = room.ask(room.participants[0], "=HYPERLINK(\"http://evil\")")
    anonymous = room.ask(room.participants[1], "Anonymous one?", anonymous=True)
    services.upvote(anonymous.id, room.participants[2], True)
    services.mark_answered(anonymous)
    db.session.commit()
    response = client.get(f"{room.base}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True)[1:])))
    assert rows[0] == ["question", "votes", "status", "asked (UTC)", "answered (UTC)", "asker", "reply"]
    assert rows[1][0] == "'=HYPERLINK(\"http://evil\")" and rows[1][5] == room.participants[0].name
    assert rows[1][4] == ""
    assert rows[2][:3] == ["Anonymous one?", "1", "answered"] and rows[2][4] != "" and rows[2][5] == ""
    assert room.participants[1].name not in response.get_data(as_text=True)
