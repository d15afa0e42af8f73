"""An organizer withdraws a participant's invite link while the participant has the session page open: the
participant's page says so, in words, within 5 seconds, and stops trying to connect."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages import blocking_violations, describe
from tests.polls.conftest import add_session
from workshop.errors import Reason
from workshop.live.access import REFUSALS
from workshop.workshops.models import Role

pytestmark = pytest.mark.browser

BUDGET_SECONDS = 5.0  # the promise
WAIT_MS = 10_000  # how long the test looks, so that a slow machine fails on the budget, not on a timeout


def test_withdrawing_the_link_tells_the_open_session_page_within_5_seconds(make, open_context, enter_with_invite,
                                                                          sign_in):
    workshop = make.workshop()
    session = add_session(workshop)
    organizer = make.member(workshop, Role.ORGANIZER, name="Olga Organizer", password=None)
    participant = make.member(workshop, name="Anil Participant")

    # axe looks at the page as the participant is left with it: outside the app's CSP, as in test_pages.
    participant_page = enter_with_invite(open_context(bypass_csp=True), participant, workshop)
    sockets = []
    participant_page.on("websocket", lambda socket: sockets.append(socket))
    participant_page.goto(f"/w/{workshop.code}/s/{session.id}")
    status = participant_page.locator("#live-status")
    expect(status).to_have_attribute("data-state", "live")

    organizer_context = open_context()
    sign_in(organizer_context, organizer)
    people = organizer_context.new_page()
    people.goto(f"/w/{workshop.code}/people")
    row = people.get_by_role("row").filter(has_text="Anil Participant")
    started = time.monotonic()
    row.get_by_role("button", name="Revoke link").click()

    words = REFUSALS[Reason.INVITE_REVOKED].message
    expect(status).to_have_text(words, timeout=WAIT_MS)
    took = time.monotonic() - started
    assert took < BUDGET_SECONDS, f"the page said so after {took:.1f} s"
    assert "withdrawn by the organizers" in words and "Ask them for a new link" in words
    expect(status).to_have_attribute("data-state", "ended")
    expect(status).to_have_attribute("role", "alert")  # read out by screen readers as it appears

    # No reconnecting: a refusal that retrying cannot change is final (socket.io-client, live.js).
    opened = len(sockets)
    participant_page.wait_for_timeout(3000)
    assert len(sockets) == opened, "the page kept trying to connect"
    expect(status).to_have_text(words)
    violations = blocking_violations(participant_page)
    assert not violations, describe(violations)
    assert organizer_context.console.errors == []
