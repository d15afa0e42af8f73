"""Zones and times in a real Chromium. Chromium reports old zone names (ICU keeps them): the join page sends, and
the agenda suggests and saves, the current ones. Times in live fragments, rendered once for a whole room in UTC,
show in the page's zone (the viewer's saved zone, not the browser's) as they arrive: a question asked while the
moderator's page is open, a breakout round's end when it opens and when it is extended."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.breakouts.conftest import add_session as add_breakout_session
from tests.polls.conftest import add_session
from workshop.accounts.models import Person
from workshop.breakouts import services as breakouts
from workshop.breakouts.models import BreakoutRound
from workshop.db import db
from workshop.qa.models import Question
from workshop.workshops.models import Role

pytestmark = pytest.mark.browser

BROWSER_NAMES = {"Asia/Katmandu": "Asia/Kathmandu", "Asia/Calcutta": "Asia/Kolkata",
                 "Asia/Saigon": "Asia/Ho_Chi_Minh", "Asia/Rangoon": "Asia/Yangon", "Europe/Kiev": "Europe/Kyiv"}
KATHMANDU = ZoneInfo("Asia/Kathmandu")


@pytest.mark.parametrize(("reported", "current"), BROWSER_NAMES.items())
def test_the_browsers_old_zone_name_is_sent_suggested_and_saved_by_its_current_name(
        make, open_context, sign_in, reported, current):
    workshop = make.workshop(join_enabled=True, join_code="ABCD2345")
    person = make.member(workshop, timezone="UTC")
    context = open_context(timezone_id=reported, locale="en-GB")
    page = context.new_page()
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == reported  # what the issue saw
    page.goto(f"/join/{workshop.code}")
    expect(page.locator("input[name=timezone]")).to_have_value(current)

    sign_in(context, person)
    page.goto(f"/w/{workshop.code}/agenda")
    suggestion = page.locator("[data-timezone-suggestion]")
    expect(suggestion.locator("[data-browser-zone]")).to_have_text(current)
    page.get_by_role("button", name="Use it").click()
    expect(page.get_by_text(f"Times are now shown in {current}.")).to_be_visible()
    expect(suggestion).to_be_hidden()  # the saved zone is now the browser's, by either name
    db.session.expire_all()
    assert db.session.get(Person, person.id).timezone == current
    assert context.console.errors == []


def elsewhere(live_page, person, path):
    """The browser's own zone is another: the page shows its viewer's saved zone (Asia/Kathmandu)."""
    return live_page(person, path, timezone_id="America/New_York", locale="en-GB")


def in_kathmandu(moment: datetime) -> re.Pattern:
    return re.compile(rf"^{moment.astimezone(KATHMANDU):%H:%M} Asia/Kathmandu, UTC\+5:45$")


def test_a_question_asked_while_the_desk_is_open_shows_in_the_moderators_zone(make, live_page):
    workshop = make.workshop()
    session = add_session(workshop)
    asker = make.member(workshop, name="Asha Asker", timezone="Asia/Colombo")
    moderator = make.member(workshop, Role.MODERATOR, name="Mona Moderator", password=None)
    session_path = f"/w/{workshop.code}/s/{session.id}"
    desk = elsewhere(live_page, moderator, f"{session_path}/questions/moderate")
    asking = elsewhere(live_page, asker, session_path)

    asking.get_by_role("textbox", name="Your question").fill("Who audits framework agreements?")
    asking.get_by_role("button", name="Ask").click()
    card = desk.locator(".qa-queue > li", has_text="framework agreements")
    expect(card).to_be_visible()
    asked_at = db.session.scalar(select(Question.asked_at).where(Question.session_id == session.id))
    expect(card.locator("time")).to_have_text(in_kathmandu(asked_at))

    card.get_by_role("button", name="Mark answered").click()
    expect(card).to_contain_text("Answered")
    db.session.expire_all()
    answered_at = db.session.scalar(select(Question.answered_at).where(Question.session_id == session.id))
    expect(card.locator("time").nth(1)).to_have_text(in_kathmandu(answered_at))
    # The asker's page, in Colombo, shows the answer's time in hers.
    item = asking.locator(".qa-list > li", has_text="framework agreements")
    expect(item.locator("time")).to_have_text(
        re.compile(rf"^{answered_at.astimezone(ZoneInfo('Asia/Colombo')):%H:%M} Asia/Colombo, UTC\+5:30$"))
    for page in (desk, asking):
        assert page.evaluate("window.notReloaded") is True
        assert page.context.console.errors == []


def test_a_breakout_rounds_end_shows_in_the_participants_zone_as_it_opens_and_is_extended(make, live_page):
    workshop = make.workshop()
    session = add_breakout_session(workshop)
    moderator = make.member(workshop, Role.MODERATOR, name="Mona Moderator", password=None)
    participant = make.member(workshop, name="Farida First")
    for n in range(3):
        make.member(workshop, name=f"Other {n}")
    round_ = breakouts.create_round(session, {"mode": "balanced random", "rooms_by": "count", "room_count": "2",
                                              "duration_minutes": "20"})
    db.session.commit()
    breakouts.generate_preview(round_)
    db.session.commit()
    session_path = f"/w/{workshop.code}/s/{session.id}"
    desk = elsewhere(live_page, moderator, f"{session_path}/breakouts/{round_.id}")
    mine = elsewhere(live_page, participant, session_path)

    desk.get_by_role("button", name="Open the round").click()
    expect(desk.get_by_test_id("round-state")).to_have_text("Open")
    ends = mine.locator(".breakout-time-left time")
    db.session.expire_all()
    expect(ends).to_have_text(in_kathmandu(db.session.get(BreakoutRound, round_.id).ends_at))
    expect(mine.locator(".breakout-ends")).to_have_text(re.compile(r"^(20:00|19:5\d)$"))
    expect(desk.locator(".breakout-time-left time")).to_have_text(
        in_kathmandu(db.session.get(BreakoutRound, round_.id).ends_at))

    desk.get_by_label("Extend by (minutes)").fill("15")
    desk.get_by_role("button", name="Extend").click()
    expect(mine.locator(".breakout-ends")).to_have_text(re.compile(r"^(35:00|34:5\d)$"))
    db.session.expire_all()
    expect(ends).to_have_text(in_kathmandu(db.session.get(BreakoutRound, round_.id).ends_at))
    assert mine.evaluate("window.notReloaded") is True
    assert mine.context.console.errors == [] and desk.context.console.errors == []
