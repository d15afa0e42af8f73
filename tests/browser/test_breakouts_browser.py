"""Breakout rooms in real browsers: the moderator opens a round, two participants see their different rooms
appear without reload, one is moved (with the keyboard) and sees it live; in a room, two writers' notes
autosave, and the later one on an old revision is shown both texts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.breakouts.conftest import add_session
from workshop.breakouts import services
from workshop.db import db
from workshop.workshops.models import Role

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(app, make):
    workshop = make.workshop()
    session = add_session(workshop)
    moderator = make.member(workshop, Role.MODERATOR, name="Mona Moderator", password=None)
    first = make.member(workshop, name="Farida First", country="NP")
    second = make.member(workshop, name="Sanjay Second", country="LK")
    for n in range(4):
        make.member(workshop, name=f"Other {n}", country="IN")
    round_ = services.create_round(session, {"mode": "balanced random", "rooms_by": "count", "room_count": "2",
                                             "duration_minutes": "20", "notes_by_members": "y"})
    db.session.commit()
    services.generate_preview(round_)
    db.session.commit()
    services.update_room(round_.rooms[0], {"name": "Room 1", "topic": "Open contracting",
                                           "video_url": "https://meet.example.org/room-1"})
    services.update_room(round_.rooms[1], {"name": "Room 2", "topic": "Green procurement"})
    if services.room_of(round_.id, first.id) == services.room_of(round_.id, second.id):
        other = next(r for r in round_.rooms if r != services.room_of(round_.id, first.id))
        services.move_person(round_, second.id, other.id)
    db.session.commit()
    return workshop, session, round_, moderator, first, second


def test_opened_round_gives_each_their_room_and_a_move_shows_live(scene, live_page):
    workshop, session, round_, moderator, first, second = scene
    session_path = f"/w/{workshop.code}/s/{session.id}"
    rooms = {person.id: services.room_of(round_.id, person.id).label for person in (first, second)}
    desk = live_page(moderator, f"{session_path}/breakouts/{round_.id}")
    one = live_page(first, session_path)
    two = live_page(second, session_path)
    for page in (one, two):
        expect(page.get_by_test_id("breakout-announce")).to_have_count(0)

    desk.get_by_role("button", name="Open the round").click()
    expect(desk.get_by_test_id("round-state")).to_have_text("Open")

    expect(one.get_by_test_id("breakout-announce")).to_have_text(f"You are in {rooms[first.id]}.")
    expect(two.get_by_test_id("breakout-announce")).to_have_text(f"You are in {rooms[second.id]}.")
    assert rooms[first.id] != rooms[second.id]
    expect(one.locator(".breakout-ends")).to_have_text(re.compile(r"^(20:00|19:5\d)$"))
    if "Open contracting" in rooms[first.id]:
        expect(one.get_by_role("link", name="Join video")).to_have_attribute("href",
                                                                             "https://meet.example.org/room-1")

    # The moderator moves Farida to Sanjay's room with the keyboard: choose in the selects, Tab to Move, Enter.
    target = services.room_of(round_.id, second.id)
    desk.locator("#move-person").select_option(str(first.id))
    desk.locator("#move-room").select_option(str(target.id))
    desk.locator("#move-room").focus()
    desk.keyboard.press("Tab")
    assert desk.evaluate("document.activeElement.id") == "move-button"
    desk.keyboard.press("Enter")
    expect(desk.get_by_role("status").filter(has_text=f"Moved {first.name} to {target.name}.")).to_be_visible()

    expect(one.get_by_test_id("breakout-announce")).to_have_text(f"You are in {rooms[second.id]}.")
    expect(two.get_by_test_id("breakout-announce")).to_have_text(f"You are in {rooms[second.id]}.")

    # Farida goes to her room's page; the desk sees her there.
    one.get_by_role("link", name=f"Go to {target.name}: people and notes").click()
    expect(one.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(one.get_by_role("heading", name=target.name, level=1)).to_be_visible()
    expect(desk.get_by_test_id(f"present-{target.position + 1}")).to_have_text("1")

    desk.get_by_role("button", name="Close: everyone back to the plenary").click()
    expect(two.get_by_role("heading", name="Back in the plenary: notes from round 1")).to_be_visible()
    assert two.evaluate("window.notReloaded") is True, "the page was reloaded"
    for page in (desk, one, two):
        assert page.context.console.errors == []


def test_notes_autosave_and_a_stale_writer_sees_both_texts(scene, live_page):
    workshop, session, round_, moderator, first, second = scene
    services.start_round(round_)
    db.session.commit()
    room = services.room_of(round_.id, first.id)
    mate = next(p for p in services.members_by_room(round_)[room.id] if p.id != first.id)
    path = f"/w/{workshop.code}/s/{session.id}/breakouts/rooms/{room.id}"
    ana = live_page(first, path)
    bo = live_page(mate, path)
    notes = ana.get_by_role("textbox", name="What the room discussed and recommends")

    notes.fill("1. Publish every contract.")
    expect(ana.locator(".notes-status")).to_contain_text("Saved, revision 1.")
    # Bo had nothing unsaved: the new notes reach his editor.
    expect(bo.get_by_role("textbox", name="What the room discussed and recommends")).to_have_value(
        "1. Publish every contract.")

    # Ana writes on; Bo, offline from her save, still builds on revision 1 when she has saved revision 2.
    notes.fill("1. Publish every contract.\n2. Open data by default.")
    expect(ana.locator(".notes-status")).to_contain_text("Saved, revision 2.")
    bo_notes = bo.get_by_role("textbox", name="What the room discussed and recommends")
    # Revision 2 reaches Bo's editor first; only then is he made to miss it, or the update would undo that.
    expect(bo_notes).to_have_value("1. Publish every contract.\n2. Open data by default.")
    bo.evaluate("document.querySelector('[name=revision]').value = '1'")
    bo_notes.fill("1. Publish contracts within a week.")
    conflict = bo.locator(".notes-conflict")
    expect(conflict).to_contain_text("saved these notes (revision 2)")
    expect(conflict.locator("[data-their-text]")).to_have_text("1. Publish every contract.\n2. Open data by default.")
    expect(conflict).to_contain_text("1. Publish contracts within a week.")
    bo.get_by_role("button", name="Keep my text (replaces theirs)").click()
    expect(bo.locator(".notes-status")).to_contain_text("Saved, revision 3.")
    assert ana.context.console.errors == []
    # Chromium logs the refused save's status; that 409 is the point of the test.
    assert [e for e in bo.context.console.errors if "status of 409" not in e] == []
