"""Live polls in real browsers: the moderator opens a poll on the desk, two participants see it appear without
reload and vote (one by keyboard alone), and both and the projector show the new counts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.polls.conftest import OPTIONS, add_session
from workshop.db import db
from workshop.polls import services
from workshop.workshops.models import Role

pytestmark = pytest.mark.browser
MAX_TABS_TO_THE_POLL = 40


def focused(page) -> str:
    return page.evaluate("(document.activeElement.labels && document.activeElement.labels[0]"
                         " ? document.activeElement.labels[0].textContent : document.activeElement.textContent)"
                         ".trim()")


def tab_until(page, target: str) -> None:
    for _ in range(MAX_TABS_TO_THE_POLL):
        page.keyboard.press("Tab")
        if focused(page) == target:
            return
    raise AssertionError(f"Tab did not reach {target!r}; focus is on {focused(page)!r}")


def figures(page) -> list[str]:
    return page.locator(".poll .bar-figure").all_inner_texts()


@pytest.fixture
def scene(app, make):
    workshop = make.workshop()
    session = add_session(workshop)
    moderator = make.member(workshop, Role.MODERATOR, name="Mona Moderator", password=None)
    first = make.member(workshop, name="Farida First")
    second = make.member(workshop, name="Sanjay Second")
    poll = services.create_poll(session, {"kind": "single choice", "question": "Which method first?",
                                          "options": OPTIONS, "results_visible": "y", "allow_change": "y"})
    db.session.commit()
    return workshop, session, poll, moderator, first, second


def test_an_opened_poll_appears_and_votes_show_live_everywhere(scene, open_context, sign_in):
    workshop, session, poll, moderator, first, second = scene
    session_path = f"/w/{workshop.code}/s/{session.id}"

    def page_of(person, path):
        context = open_context()
        sign_in(context, person)
        page = context.new_page()
        page.goto(path)
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        return page

    desk = page_of(moderator, f"{session_path}/polls")
    projector = page_of(moderator, f"{session_path}/projector")
    participants = [page_of(first, session_path), page_of(second, session_path)]
    for page in participants:
        page.evaluate("window.notReloaded = true")
        expect(page.locator(".poll")).to_have_count(0)

    desk.locator(f"#poll-control-{poll.id}").get_by_role("button", name="Open", exact=True).click()
    expect(desk.locator(f"#poll-control-{poll.id} .badge")).to_have_text("Open")

    for page in participants + [projector]:
        expect(page.get_by_role("heading", name="Which method first?")).to_be_visible()
    expect(projector.get_by_role("button", name="Vote")).to_be_hidden()  # no controls on the projector
    expect(desk.get_by_role("button", name="Vote")).to_be_hidden()

    # The first participant votes with the mouse.
    one = participants[0]
    one.get_by_role("radio", name="Framework agreement").check()
    one.get_by_role("button", name="Vote").click()
    expect(one.locator(f"#poll-mine-{poll.id}")).to_have_text("Your answer: Framework agreement")

    # The second by keyboard alone: Tab to the first option, Space picks it, Tab to Vote, Enter sends.
    two = participants[1]
    tab_until(two, "Open tender")
    two.keyboard.press("Space")
    expect(two.get_by_role("radio", name="Open tender")).to_be_checked()
    two.keyboard.press("Tab")
    assert focused(two) == "Vote"
    two.keyboard.press("Enter")
    expect(two.locator(f"#poll-mine-{poll.id}")).to_have_text("Your answer: Open tender")

    expected = ["1 · 50.0%", "1 · 50.0%", "0 · 0.0%"]
    for page in participants + [projector]:
        expect(page.get_by_test_id("voters")).to_have_text("2")
        expect(page.locator(".poll .bar-figure")).to_have_text(expected)
        expect(page.locator(".poll meter").first).to_have_attribute("value", "50.0")
    expect(desk.get_by_test_id("staff-voters")).to_have_text("2")
    desk.reload()  # a desk opened while the poll is live shows the moderator's card, not a voting form
    expect(desk.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(desk.get_by_test_id("staff-voters")).to_have_text("2")
    expect(desk.get_by_role("button", name="Vote")).to_have_count(0)
    expect(desk.locator(f"#poll-control-{poll.id} .bar-figure")).to_have_text(expected)
    for page in participants:
        assert page.evaluate("window.notReloaded") is True, "the page was reloaded"
        assert page.context.console.errors == []
    assert projector.context.console.errors == [] and desk.context.console.errors == []
