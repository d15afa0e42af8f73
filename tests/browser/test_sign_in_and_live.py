"""A participant enters with their invite link; the online count and names change live in open pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from workshop.workshops.models import Role

pytestmark = pytest.mark.browser


def count_of(page):
    return page.get_by_test_id("online-count")


def test_a_participant_enters_with_the_invite_link(make, open_context, invite_path):
    workshop = make.workshop(title="Public Procurement Audit")
    participant = make.member(workshop, name="Anil Participant")
    context = open_context()
    page = context.new_page()

    page.goto(invite_path(participant, workshop))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Anil Participant")
    page.get_by_role("button", name="Enter the workshop").click()

    page.wait_for_url(f"**/w/{workshop.code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Public Procurement Audit")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(count_of(page)).to_have_text("1")
    assert context.console.errors == [], "errors in the browser console"


def test_the_online_count_and_names_change_without_reload(make, open_context, enter_with_invite):
    workshop = make.workshop()
    first = make.member(workshop, name="Farida First")
    second = make.member(workshop, name="Sanjay Second")
    # Imported with the organizer role, so no password yet: an invite link signs in only such accounts.
    organizer = make.member(workshop, Role.ORGANIZER, name="Olga Organizer", password=None)

    first_page = enter_with_invite(open_context(), first, workshop)
    expect(count_of(first_page)).to_have_text("1")
    first_page.evaluate("window.notReloaded = true")

    second_context = open_context()
    second_page = enter_with_invite(second_context, second, workshop)
    expect(count_of(second_page)).to_have_text("2")
    expect(count_of(first_page)).to_have_text("2")
    expect(first_page.get_by_text("2 people online")).to_be_visible()

    second_context.close()
    expect(count_of(first_page)).to_have_text("1")
    expect(first_page.get_by_text("1 person online")).to_be_visible()
    assert first_page.evaluate("window.notReloaded") is True, "the page was reloaded"
    expect(first_page.get_by_test_id("online-names")).to_have_count(0)

    organizer_page = enter_with_invite(open_context(), organizer, workshop)
    names = organizer_page.get_by_test_id("online-names").locator("li")
    expect(names).to_have_count(2)
    expect(names.nth(0)).to_contain_text("Farida First")
    expect(names.nth(1)).to_contain_text("Olga Organizer")

    enter_with_invite(open_context(), second, workshop)
    expect(names).to_have_count(3)
    expect(names.nth(2)).to_contain_text("Sanjay Second")
    expect(count_of(first_page)).to_have_text("3")
    expect(first_page.get_by_test_id("online-names")).to_have_count(0)
    expect(first_page.get_by_text("Sanjay Second")).to_have_count(0)
