"""Playwright (sync API) driving Debian's Chromium against the real gevent server."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from tests.conftest import unavailable
from tests.live.server import invite_path, live_server  # noqa: F401  (fixtures)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TIMEOUT_MS = 5000


@pytest.fixture(scope="session")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class ConsoleLog:
    """Console errors and uncaught exceptions of every page of one browser context."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("console", lambda message: message.type == "error" and self.errors.append(
            f"{page.url}: {message.text}"))
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: uncaught {error}"))


@pytest.fixture
def open_context(app, chromium, live_server):
    """``open_context(**options)``: a fresh browser context on the server; its ``console`` collects errors."""
    opened = []

    def new(**options):
        context = chromium.new_context(base_url=live_server, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.console = ConsoleLog()
        context.on("page", context.console.watch)
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()


@pytest.fixture
def enter_with_invite(invite_path):
    """``enter_with_invite(context, person, workshop)``: open the invite link, press the button, return the page."""

    def enter(context, person, workshop):
        page = context.new_page()
        page.goto(invite_path(person, workshop))
        page.get_by_role("button", name="Enter the workshop").click()
        page.wait_for_url(f"**/w/{workshop.code}/")
        return page

    return enter


@pytest.fixture
def sign_in(app, live_server):
    """``sign_in(context, person)``: a session cookie made in-process, as the server would set it on sign-in.

    Faster than the invite page; the real sign-in paths have tests of their own.
    """

    def add_session_cookie(context, person):
        session = {"_user_id": person.get_id(), "_fresh": True}
        value = app.session_interface.get_signing_serializer(app).dumps(session)
        context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": live_server}])

    return add_session_cookie


@pytest.fixture
def live_page(open_context, sign_in):
    """``live_page(person, path, **context_options)``: the person's page at ``path``, once it is live, marked so that
    a test can tell it was never reloaded (``window.notReloaded``)."""
    from playwright.sync_api import expect

    def open_live(person, path, **context_options):
        context = open_context(**context_options)
        sign_in(context, person)
        page = context.new_page()
        page.goto(path)
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        page.evaluate("window.notReloaded = true")
        return page

    return open_live
