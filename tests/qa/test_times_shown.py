"""Question times: a question is rendered once for a whole session, so its times travel in UTC, labelled UTC for a
page without scripts, and local-times.js shows them in each page's zone; each page tells it the viewer's zone and
language (tests/browser/test_local_times.py watches it do so)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from workshop.db import db
from workshop.qa import live, services

ASKED = datetime(2023, 7, 18, 3, 0, tzinfo=UTC)
ANSWERED = datetime(2023, 7, 18, 3, 25, tzinfo=UTC)


def utc_time(moment: datetime, shown: str) -> str:
    return f'<time datetime="{moment.isoformat()}" data-local-time>{shown} <small class="zone">UTC</small></time>'


def answered_question(room):
    question = room.ask(room.participants[0])
    services.mark_answered(question)
    question.asked_at, question.answered_at = ASKED, ANSWERED
    db.session.commit()
    return question


def test_a_question_carries_its_times_in_utc_for_every_page(app, room):
    question = answered_question(room)
    with app.test_request_context():
        in_list = live.render_question(question, 1)
        on_desk = live.render_queue_card(question, 1)
    assert "answered" in in_list.lower() and in_list.count(utc_time(ANSWERED, "03:25")) == 2
    assert on_desk.count("asked " + utc_time(ASKED, "03:00")) == 2
    assert on_desk.count("answered " + utc_time(ANSWERED, "03:25")) == 2
    assert "Asia/Kathmandu" not in in_list + on_desk  # rendered once: no viewer's zone in it


def test_question_pages_give_the_time_script_the_viewers_zone_and_language(client, make, room):
    answered_question(room)
    room.moderator.timezone = "Asia/Kathmandu"
    db.session.commit()
    make.sign_in(client, room.moderator)
    for path in (f"/w/{room.workshop.code}/s/{room.session.id}", f"{room.base}/moderate", f"{room.base}/projector"):
        html = client.get(path, headers={"Accept-Language": "fr-CH, en;q=0.5"}).get_data(as_text=True)
        script = re.search(r'<script src="[^"]*local-times[^"]*\.js"([^>]*)>', html)
        assert script, path
        assert 'data-zone="Asia/Kathmandu"' in script.group(1) and 'data-locale="fr-CH"' in script.group(1), path
