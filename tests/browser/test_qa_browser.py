"""Live Q&A in real browsers: one participant asks, another upvotes, the moderator approves and pins, and the
three browsers and the projector agree, without reloads, with the upvoter's focus kept and the script shown
as text."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.polls.conftest import add_session
from workshop.qa import services
from workshop.db import db
from workshop.workshops.models import Role

pytestmark = pytest.mark.browser

QUESTION = "Can <script>alert(1)</script> framework agreements <img src=x onerror=alert(1)> cap prices?"


def test_ask_upvote_approve_and_pin_agree_everywhere(make, open_context, sign_in):
    workshop = make.workshop()
    session = add_session(workshop)
    services.save_settings(session, anonymous_allowed=False, premoderation=True)
    db.session.commit()
    asker = make.member(workshop, name="Asha Asker")
    voter = make.member(workshop, name="Vikram Voter")
    moderator = make.member(workshop, Role.MODERATOR, name="Mona Moderator", password=None)
    session_path = f"/w/{workshop.code}/s/{session.id}"
    pages = {}
    for name, person, path in [("asker", asker, session_path), ("voter", voter, session_path),
                               ("moderator", moderator, f"{session_path}/questions/moderate")]:
        context = open_context()
        sign_in(context, person)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(path)
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        page.evaluate("window.notReloaded = true")
        pages[name] = page
    projector = pages["moderator"].context.new_page()
    projector.goto(f"{session_path}/questions/projector")
    expect(projector.locator("#live-status")).to_have_attribute("data-state", "live")

    asker_page = pages["asker"]
    asker_page.get_by_role("textbox", name="Your question").fill(QUESTION)
    asker_page.get_by_role("button", name="Ask").click()
    mine = asker_page.locator(".qa-list > li", has_text="framework agreements")
    expect(mine).to_contain_text("Awaiting moderation")
    expect(mine.locator(".question-text")).to_have_text(QUESTION)  # shown as text, never run
    expect(mine.get_by_role("button", name="Edit")).to_be_visible()

    card = pages["moderator"].locator(".qa-queue > li", has_text="framework agreements")
    expect(card).to_contain_text("Awaiting moderation")
    expect(pages["voter"].locator(".qa-list > li")).to_have_count(0)
    card.get_by_role("button", name="Approve").click()

    voter_item = pages["voter"].locator(".qa-list > li", has_text="framework agreements")
    expect(voter_item).to_be_visible()
    expect(pages["voter"].locator("#qa-announce")).to_contain_text("New question")
    expect(voter_item.get_by_role("button", name="Edit")).to_be_hidden()  # not theirs
    upvote = voter_item.locator("[data-upvote]")
    upvote.focus()
    upvote.click()
    expect(upvote).to_have_attribute("aria-pressed", "true")
    expect(voter_item.get_by_test_id("votes")).to_have_text("1")
    card.get_by_role("button", name="Pin").click()

    for page in (asker_page, pages["voter"], projector):
        item = page.locator(".qa-list > li", has_text="framework agreements")
        expect(item).to_have_attribute("data-pinned", "1")
        expect(item.get_by_test_id("votes")).to_have_text("1")
        expect(item).to_contain_text("Being answered now")
        expect(item.locator(".question-text")).to_have_text(QUESTION)
    expect(card).to_contain_text("Pinned")
    expect(card.get_by_test_id("votes")).to_have_text("1")
    # The live swaps replaced the voter's question twice; the focus stayed on its upvote button.
    assert pages["voter"].evaluate("document.activeElement && document.activeElement.dataset.upvote") is not None
    for page in pages.values():
        assert page.evaluate("window.notReloaded") is True
        assert page.evaluate("window.alerted === undefined")
    for page in [*pages.values(), projector]:
        assert page.context.console.errors == [], page.url
