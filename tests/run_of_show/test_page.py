"""A session's run-of-show over HTTP: who may open it, and what it shows of each live thing with its next action."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.polls.conftest import add_session
from workshop.agenda.models import AgendaSession
from workshop.breakouts import services as breakouts
from workshop.breakouts.models import BreakoutRound
from workshop.db import db
from workshop.demo import data as demo_data
from workshop.polls import services as polls
from workshop.qa import services as qa
from workshop.workshops.models import Role, Workshop


def run_of_show(session: AgendaSession, code: str) -> str:
    return f"/w/{code}/s/{session.id}/run-of-show"


def test_only_moderators_and_organizers_open_it(app, make, client):
    workshop = make.workshop()
    session = add_session(workshop)
    path = run_of_show(session, workshop.code)
    assert client.get(path).status_code == 302  # signed out: to the sign-in page
    make.sign_in(client, make.member(workshop, Role.PARTICIPANT))
    refused = client.get(path)
    assert refused.status_code == 403 and "does not allow this" in refused.get_data(as_text=True)
    for role in (Role.MODERATOR, Role.ORGANIZER):
        make.sign_in(client, make.member(workshop, role, password=None))
        assert client.get(path).status_code == 200
    other = make.workshop()
    assert client.get(run_of_show(add_session(other), workshop.code)).status_code == 404


def test_the_session_page_leads_moderators_to_it_in_one_click(app, make, client):
    workshop = make.workshop()
    session = add_session(workshop)
    page = f"/w/{workshop.code}/s/{session.id}"
    make.sign_in(client, make.member(workshop, Role.MODERATOR, password=None))
    assert f'href="{run_of_show(session, workshop.code)}"' in client.get(page).get_data(as_text=True)
    make.sign_in(client, make.member(workshop, Role.PARTICIPANT))
    assert "run-of-show" not in client.get(page).get_data(as_text=True)


def test_a_quiet_session_says_what_to_prepare(app, make, client):
    workshop = make.workshop()
    session = add_session(workshop)
    make.sign_in(client, make.member(workshop, Role.MODERATOR, password=None))
    body = client.get(run_of_show(session, workshop.code)).get_data(as_text=True)
    assert "No poll is prepared" in body and f'/s/{session.id}/polls"' in body
    assert "Nothing waits" in body
    assert "No breakout round is prepared" in body and f'/s/{session.id}/breakouts"' in body


def demo_running_session(app) -> tuple[Workshop, AgendaSession]:
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    workshop = db.session.scalar(select(Workshop).where(Workshop.code == demo_data.LIVE["code"]))
    session = db.session.scalar(select(AgendaSession).where(AgendaSession.workshop_id == workshop.id,
                                                            AgendaSession.title == demo_data.LIVE["running_session"]))
    return workshop, session


def test_the_demos_running_session_shows_each_live_thing_and_its_next_action(app, make, client):
    workshop, session = demo_running_session(app)
    make.sign_in(client, make.member(workshop, Role.MODERATOR, password=None))
    body = client.get(run_of_show(session, workshop.code)).get_data(as_text=True)
    open_poll, draft = polls.polls_of(session)
    # The open poll: the polls page's own card, with its live turnout and its Close button.
    assert f'id="poll-control-{open_poll.id}"' in body and f'id="poll-turnout-{open_poll.id}"' in body
    turnout = re.search(rf'id="poll-turnout-{open_poll.id}".*?<strong[^>]*>(\d+)</strong> voted', body, re.S)
    assert turnout and int(turnout[1]) == len(demo_data.LIVE_VOTES)
    assert f'/polls/{open_poll.id}/close"' in body and "close the poll when enough have voted" in body
    assert f'/polls/{draft.id}/open"' in body  # the draft, ready to open
    # Questions: the one awaiting moderation, the pinned one, and the way to the moderation page.
    waiting_email, waiting_text = demo_data.LIVE_QUESTIONS[-1]
    pinned_text = demo_data.LIVE_QUESTIONS[0][1]
    assert "Approve or dismiss the 1 question awaiting moderation." in body
    assert waiting_text in body and pinned_text in body
    assert f'href="/w/{workshop.code}/s/{session.id}/questions/moderate"' in body
    # The breakout round ready to open: one button.
    round_ = db.session.scalar(select(BreakoutRound).where(BreakoutRound.session_id == session.id))
    assert f'action="/w/{workshop.code}/s/{session.id}/breakouts/{round_.id}/open"' in body
    assert "Open the round when the plenary is ready to split." in body


def test_an_open_round_shows_its_timer_rooms_and_how_to_end_it(app, make, client):
    workshop, session = demo_running_session(app)
    round_ = db.session.scalar(select(BreakoutRound).where(BreakoutRound.session_id == session.id))
    breakouts.start_round(round_)
    db.session.commit()
    make.sign_in(client, make.member(workshop, Role.MODERATOR, password=None))
    body = client.get(run_of_show(session, workshop.code)).get_data(as_text=True)
    assert f'id="breakout-ends-{round_.id}"' in body and "data-breakout-ends=" in body  # counted down live
    assert f'id="breakout-desk-live-{round_.id}"' in body  # who is in which room, live from the desk
    assert f'/breakouts/{round_.id}/close"' in body and f'/breakouts/{round_.id}/extend"' in body
    assert "extend or close the round when the time is up" in body


def test_questions_are_shown_as_text(app, make, client):
    workshop = make.workshop()
    session = add_session(workshop)
    asker = make.member(workshop)
    qa.save_settings(session, anonymous_allowed=False, premoderation=True)
    qa.ask(session, asker, "<script>alert(1)</script> Is this safe?")
    db.session.commit()
    make.sign_in(client, make.member(workshop, Role.MODERATOR, password=None))
    body = client.get(run_of_show(session, workshop.code)).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Is this safe?" in body and "<script>alert(1)" not in body
