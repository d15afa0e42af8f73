"""The agenda in a real browser: a participant in Kathmandu takes the browser's zone, an organizer edits in
place with htmx, and now/next moves on at a session boundary without a reload."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from workshop.accounts.models import Person
from workshop.agenda import services
from workshop.agenda.models import AgendaSession, SessionKind
from workshop.db import db, utcnow
from workshop.workshops.models import Role

pytestmark = pytest.mark.browser

COLOMBO = ZoneInfo("Asia/Colombo")
# Chromium answers with the older alias Asia/Katmandu; the page suggests and saves the current name.
KATHMANDU = "Asia/Kathmandu"


def add(workshop, title: str, starts: datetime, ends: datetime) -> AgendaSession:
    session = AgendaSession(workshop_id=workshop.id, kind=SessionKind.PLENARY, title=title, starts_at=starts,
                            ends_at=ends)
    db.session.add(session)
    services.agenda_changed(workshop)
    db.session.commit()
    return session


def mark_page(page) -> None:
    """A marker that only survives if the page is never reloaded."""
    page.evaluate("window.notReloaded = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.notReloaded") is True, "the page was reloaded"
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_a_participant_in_kathmandu_takes_the_browser_zone(make, open_context, sign_in):
    workshop = make.workshop()
    first = add(workshop, "Opening session", datetime(2023, 7, 18, 11, 30, tzinfo=COLOMBO),
        datetime(2023, 7, 18, 12, 0, tzinfo=COLOMBO))
    late = add(workshop, "Evening social", datetime(2023, 7, 18, 23, 0, tzinfo=COLOMBO),
               datetime(2023, 7, 18, 23, 50, tzinfo=COLOMBO))
    participant = make.member(workshop, timezone="UTC")
    context = open_context(timezone_id="Asia/Kathmandu", locale="en-GB")
    sign_in(context, participant)
    page = context.new_page()
    page.goto(f"/w/{workshop.code}/agenda")

    suggestion = page.locator("[data-timezone-suggestion]")
    expect(suggestion).to_be_visible()
    expect(suggestion.locator("[data-browser-zone]")).to_have_text(KATHMANDU)
    expect(page.locator(f"#session-{first.id}-2023-07-18").get_by_test_id("viewer-time")).to_contain_text("06:00")  # UTC
    page.get_by_role("button", name="Use it").click()

    expect(page.get_by_text(f"Times are now shown in {KATHMANDU}.")).to_be_visible()
    expect(page.locator("[data-timezone-suggestion]")).to_be_hidden()  # now the same as the browser's
    opening = page.locator(".session", has_text="Opening session")
    expect(opening.get_by_test_id("viewer-time")).to_contain_text("11:45–12:15")
    expect(opening.get_by_test_id("viewer-time")).to_contain_text("UTC+5:45")
    expect(opening.locator(".host-time")).to_contain_text("Host: 11:30–12:00")
    headings = page.locator(".agenda-day h2")
    expect(headings).to_have_count(2)
    expect(headings.nth(0)).to_contain_text("Tuesday, 18 July 2023")
    expect(headings.nth(1)).to_contain_text("Wednesday, 19 July 2023")
    expect(page.locator(f"#session-{late.id}-2023-07-18")).to_contain_text("23:15")
    expect(page.locator(f"#session-{late.id}-2023-07-19")).to_contain_text("00:05")
    db.session.expire_all()
    assert db.session.get(Person, participant.id).timezone == KATHMANDU
    assert context.console.errors == []


def test_an_organizer_edits_the_agenda_in_place(make, open_context, sign_in):
    workshop = make.workshop()
    organizer = make.member(workshop, Role.ORGANIZER, password=None, timezone="Asia/Colombo")
    context = open_context(timezone_id="Asia/Colombo", locale="en-GB")
    sign_in(context, organizer)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/w/{workshop.code}/agenda")
    mark_page(page)

    page.get_by_role("button", name="Add a session").click()
    editor = page.locator("form.session-form")
    editor.get_by_label("Title").fill("Opening session")
    editor.get_by_label("Starts").fill("2023-07-18T11:30")
    editor.get_by_label("Ends").fill("2023-07-18T12:00")
    editor.get_by_label("Video room link").fill("https://meet.example.org/apo")
    editor.get_by_role("button", name="Add session").click()
    expect(page.get_by_role("status").filter(has_text="Added “Opening session”.")).to_be_visible()
    expect(page.locator(".session", has_text="Opening session")).to_contain_text("11:30–12:00")
    expect(page.locator("form.session-form")).to_have_count(0)

    page.get_by_role("button", name="Add a session").click()
    editor = page.locator("form.session-form")
    editor.get_by_label("Title").fill("Backwards")
    editor.get_by_label("Starts").fill("2023-07-18T14:00")
    editor.get_by_label("Ends").fill("2023-07-18T13:00")
    editor.get_by_role("button", name="Add session").click()
    expect(page.locator("form.session-form .field-error")).to_have_text("The session must end after it starts.")
    expect(page.locator("form.session-form").get_by_label("Title")).to_have_value("Backwards")
    page.locator("form.session-form").get_by_role("button", name="Cancel").click()
    expect(page.locator("form.session-form")).to_have_count(0)

    page.get_by_role("button", name="Edit Opening session").click()
    editor = page.locator("form.session-form")
    expect(editor.get_by_label("Starts")).to_have_value("2023-07-18T11:30")
    editor.get_by_label("Title").fill("Opening plenary")
    editor.get_by_role("button", name="Save").click()
    expect(page.locator(".session", has_text="Opening plenary")).to_be_visible()

    page.get_by_role("button", name="Delete Opening plenary").click()
    expect(page.get_by_text("No sessions yet.")).to_be_visible()
    assert_not_reloaded(page)
    assert db.session.query(AgendaSession).count() == 0
    # Chromium logs the 400 of the refused form itself; that one is the point of the step.
    assert [error for error in context.console.errors if "status of 400" not in error] == []


def test_now_and_next_moves_on_at_the_boundary(make, open_context, sign_in):
    today = utcnow().date()
    workshop = make.workshop(starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1))
    boundary = utcnow().replace(microsecond=0) + timedelta(seconds=4)
    add(workshop, "Closing remarks", boundary - timedelta(minutes=30), boundary)
    add(workshop, "Farewell social", boundary, boundary + timedelta(hours=1))
    participant = make.member(workshop)
    context = open_context(timezone_id="Asia/Kathmandu", locale="en-GB")
    sign_in(context, participant)
    page = context.new_page()
    page.goto(f"/w/{workshop.code}/")
    mark_page(page)

    expect(page.get_by_test_id("now-session")).to_contain_text("Closing remarks")
    expect(page.get_by_test_id("next-session")).to_contain_text("Farewell social")
    expect(page.get_by_test_id("now-session").locator("[data-countdown-to]")).to_contain_text("ends in")

    expect(page.get_by_test_id("now-session")).to_contain_text("Farewell social", timeout=10_000)
    expect(page.get_by_test_id("next-session")).to_have_count(0)
    assert_not_reloaded(page)
    assert context.console.errors == []
