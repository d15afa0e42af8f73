"""The live demo as `make run` prints it, in real browsers: a participant's link opens the live copy, whose home
shows a session running now with its countdown; its open poll takes their vote; and the moderator's run-of-show,
one click from the session page, shows that vote arrive, is usable by keyboard alone, passes axe and fits 390 px."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages import PHONE_WIDTH, blocking_violations, describe
from workshop.demo import data as demo_data

pytestmark = pytest.mark.browser
MAX_TABS_TO_CLOSE = 30


@pytest.fixture
def printed(app, live_server, monkeypatch):
    """What `make run` prints for the demo, with links to the test's server."""
    monkeypatch.setenv("WORKSHOP_PORT", str(urlsplit(live_server).port))
    result = app.test_cli_runner().invoke(args=["demo", "--if-needed"])
    assert result.exit_code == 0, result.output
    return result.output


def focused(page) -> str:
    return page.evaluate("document.activeElement.textContent.trim()")


def test_make_runs_sign_ins_lead_to_a_session_running_now(printed, open_context):
    participant_link = re.search(r"Participant .*? \(NP\): (http\S+)", printed)[1]
    email, password = re.search(r"Moderator: (\S+) / (\S+)", printed).groups()
    running = demo_data.LIVE["running_session"]

    # The participant from Nepal follows their printed link into the live copy.
    participant = open_context(timezone_id="Asia/Kathmandu").new_page()
    participant.goto(participant_link)
    participant.get_by_role("button", name="Enter the workshop").click()
    participant.wait_for_url(f"**/w/{demo_data.LIVE['code']}/")
    now = participant.get_by_test_id("now-session")
    expect(now.get_by_role("heading", name=running)).to_be_visible()
    expect(now.locator("[data-countdown-to]")).to_have_text(re.compile(r"^ends in \d+ min$"))
    expect(participant.get_by_test_id("next-session").locator("[data-countdown-to]")).to_have_text(
        re.compile(r"^starts in \d+ min$"))  # within the hour
    now.get_by_text("Join", exact=True).click()  # a link, whatever role it is given
    expect(participant.locator("#live-status")).to_have_attribute("data-state", "live")
    poll = participant.locator(".poll").filter(has_text=demo_data.LIVE_POLL["question"])
    expect(poll).to_be_visible()

    # The moderator signs in with the printed password and goes from the session page to the run-of-show.
    moderator = open_context().new_page()
    moderator.goto("/login")
    moderator.get_by_label("Email").fill(email)
    moderator.get_by_label("Password").fill(password)
    moderator.get_by_role("button", name="Sign in").click()
    moderator.wait_for_url("**/")
    moderator.goto(urlsplit(participant.url).path)
    moderator.get_by_text("Run of show", exact=True).click()
    moderator.wait_for_url("**/run-of-show")
    expect(moderator.locator("#live-status")).to_have_attribute("data-state", "live")
    turnout = moderator.get_by_test_id("staff-voters").first
    expect(turnout).to_have_text(str(len(demo_data.LIVE_VOTES)))

    # The participant votes; the run-of-show shows the vote without a reload.
    moderator.evaluate("window.notReloaded = true")
    poll.get_by_role("radio", name="Challenge prize").check()
    poll.get_by_role("button", name="Vote").click()
    expect(poll.locator("[id^=poll-mine-]")).to_have_text("Your answer: Challenge prize")
    expect(turnout).to_have_text(str(len(demo_data.LIVE_VOTES) + 1))
    assert moderator.evaluate("window.notReloaded") is True

    # Keyboard alone: Tab reaches the poll's Close, Enter closes it.
    for _ in range(MAX_TABS_TO_CLOSE):
        moderator.keyboard.press("Tab")
        if focused(moderator) == "Close":
            break
    else:
        raise AssertionError(f"Tab did not reach Close; focus is on {focused(moderator)!r}")
    moderator.keyboard.press("Enter")
    expect(moderator.locator(".poll-control .badge").first).to_have_text("Closed")
    assert participant.context.console.errors == [] and moderator.context.console.errors == []


def test_the_run_of_show_passes_axe_and_fits_a_phone(printed, open_context):
    email, password = re.search(r"Moderator: (\S+) / (\S+)", printed).groups()
    run_of_show = re.search(r"Run of show of the running session: (\S+)", printed)[1]
    page = open_context(bypass_csp=True).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    page.goto(run_of_show)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    violations = blocking_violations(page)
    assert not violations, describe(violations)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
