"""The live status says what a person would (live, reconnecting, offline), never a transport's error text, from
going offline and back, and from a connection dropped as a server restart drops it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.polls.conftest import add_session
from workshop.db import db
from workshop.workshops.models import Role

pytestmark = pytest.mark.browser

OFFLINE = "You are offline; this page will catch up when you are back."
OFFLINE_RELOAD = "You are offline; when you are back, reload this page to see what changed meanwhile."
RECONNECTING = "Reconnecting…"
LIVE_AGAIN = "Live again. Changes made while this page was not connected show when you reload it. Reload this page"
# What socket.io-client's errors say ("websocket error", "xhr poll error", "timeout", "transport close").
TRANSPORT_WORDS = re.compile(r"error|websocket|xhr|poll|timeout|transport|engine", re.IGNORECASE)
RECONNECT_WAIT_MS = 12_000  # live.js waits at most about 5 s between tries; the rest is margin

# Every text the status shows from now on, in order.
RECORD_STATUS = """() => {
  const status = document.getElementById("live-status");
  window.statusTexts = [];
  new MutationObserver(() => window.statusTexts.push(status.textContent.trim()))
    .observe(status, {childList: true, subtree: true, characterData: true});
}"""


def shown(page) -> list[str]:
    return page.evaluate("window.statusTexts")


@pytest.fixture
def session_page(make, live_page):
    workshop = make.workshop()
    session = add_session(workshop)
    participant = make.member(workshop, name="Anil Participant", password=None)
    db.session.commit()
    page = live_page(participant, f"/w/{workshop.code}/s/{session.id}")
    expect(page.locator("#live-status")).to_have_text("Live")
    page.evaluate(RECORD_STATUS)
    return page.context, page


def test_an_offline_page_says_so_in_plain_words_and_comes_back_live(session_page):
    context, page = session_page
    status = page.locator("#live-status")
    context.set_offline(True)
    expect(status).to_have_text(OFFLINE)
    expect(status).to_have_attribute("data-state", "offline")
    page.wait_for_timeout(3000)  # several tries to reconnect fail meanwhile, each with a transport's error
    expect(status).to_have_text(OFFLINE)

    context.set_offline(False)
    expect(status).to_have_text("Live", timeout=RECONNECT_WAIT_MS)
    texts = shown(page)
    assert set(texts) <= {OFFLINE, RECONNECTING, "Live"}, texts
    assert not [text for text in texts if TRANSPORT_WORDS.search(text)], texts
    assert not [error for error in context.console.errors if "uncaught" in error]


def test_a_dropped_connection_reads_reconnecting_then_live(session_page):
    """A server that restarts closes its sockets as a network failure does (workshop/ops/lifecycle.py)."""
    _, page = session_page
    page.evaluate("window.workshopSocket.io.engine.close()")
    expect(page.locator("#live-status")).to_have_text("Live", timeout=RECONNECT_WAIT_MS)
    assert shown(page)[0] == RECONNECTING and shown(page)[-1] == "Live"
    assert set(shown(page)) == {RECONNECTING, "Live"}


def test_a_dashboard_that_was_offline_offers_a_reload(make, open_context, sign_in):
    """The reports dashboard gets no fresh state when it reconnects: what changed meanwhile shows on a reload."""
    workshop = make.workshop()
    organizer = make.member(workshop, Role.ORGANIZER, password=None)
    db.session.commit()
    context = open_context()
    sign_in(context, organizer)
    page = context.new_page()
    page.goto(f"/w/{workshop.code}/reports")
    status = page.locator("#live-status")
    expect(status).to_have_text("Live")
    page.evaluate(RECORD_STATUS)
    context.set_offline(True)
    expect(status).to_have_text(OFFLINE_RELOAD)
    context.set_offline(False)
    expect(status).to_have_text(LIVE_AGAIN, timeout=RECONNECT_WAIT_MS)
    expect(status.get_by_role("link", name="Reload this page")).to_have_attribute("href", page.url)
    assert not [text for text in shown(page) if TRANSPORT_WORDS.search(text)], shown(page)
