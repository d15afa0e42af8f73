"""Breakout times: the desk's pages show them in the moderator's zone, labelled as the agenda labels them; what is
rendered once per room (the countdown's end, a call for help) travels in UTC, labelled UTC for a page without
scripts, and local-times.js shows it in each page's zone (tests/browser/test_local_times.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import render_template

from workshop.breakouts import services
from workshop.db import db

OPENED = datetime(2023, 7, 18, 3, 0, tzinfo=UTC)
KATHMANDU = '08:45 <small class="zone">Asia/Kathmandu, UTC+5:45</small>'


def test_the_desk_shows_when_rounds_opened_in_the_moderators_zone(client, make, scene):
    round_ = scene.round(open_it=True)
    round_.opened_at = OPENED
    db.session.commit()
    make.sign_in(client, scene.moderator)
    html = client.get(scene.path()).get_data(as_text=True)
    (row,) = re.findall(r"<tr>\s*<td><a [^>]*>Round.*?</tr>", html, re.S)
    assert f"2023-07-18 <time datetime=\"{OPENED.isoformat()}\">{KATHMANDU}</time>" in row
    assert "UTC<" not in row


def test_the_round_page_shows_opened_and_messages_in_the_moderators_zone(client, make, scene):
    round_ = scene.round(open_it=True)
    message = services.send_message(round_, scene.moderator, "Five minutes left.")
    round_.opened_at = message.sent_at = OPENED
    db.session.commit()
    make.sign_in(client, scene.moderator)
    html = client.get(scene.path(f"/{round_.id}")).get_data(as_text=True)
    assert "Opened 08:45 <small class=\"zone\">Asia/Kathmandu, UTC+5:45</small>" in html
    (sent,) = re.findall(r"<li>Five minutes left\. (.*?)</li>", html)
    assert KATHMANDU in sent


def test_a_rounds_end_and_a_call_for_help_travel_in_utc_for_every_page(app, make, scene):
    round_ = scene.round(open_it=True)
    round_.ends_at = datetime(2023, 7, 18, 3, 20, tzinfo=UTC)
    asker = scene.participants[0]
    help_request, _ = services.ask_for_help(services.room_of(round_.id, asker.id), asker, "We are stuck")
    help_request.asked_at = OPENED
    db.session.commit()
    with app.test_request_context():
        countdown = render_template("breakouts/_countdown.html", round=round_, oob=True, version=1)
        help_item = render_template("breakouts/_help.html", help=help_request, round=round_, code=scene.code,
                                    session=scene.session, append=False, oob=True, version=1)
    assert (f'<span class="breakout-ends" data-breakout-ends="{round_.ends_at.isoformat()}"></span> until '
            f'<time datetime="{round_.ends_at.isoformat()}" data-local-time>03:20 <small class="zone">UTC</small></time>'
            in countdown)
    assert (f'<time datetime="{OPENED.isoformat()}" data-local-time>03:00 <small class="zone">UTC</small></time>'
            in help_item)


def test_the_rooms_page_gives_the_time_script_the_viewers_zone(client, make, scene):
    round_ = scene.round(open_it=True)
    person = scene.participants[0]
    room = services.room_of(round_.id, person.id)
    make.sign_in(client, person)
    html = client.get(scene.path(f"/rooms/{room.id}")).get_data(as_text=True)
    assert re.search(r'<script src="[^"]*local-times[^"]*\.js" data-zone="Asia/Kathmandu"', html)
    assert 'data-local-time>' in html  # the countdown's end, shown by the script in that zone
