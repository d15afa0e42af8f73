"""Every page of the app (tests/browser/pages.py): no serious or critical axe-core violation, no sideways
scrolling at 390 px phone width, and under the app's real CSP no error in the browser console.

axe is injected into a context that bypasses the CSP, so the app's own policy stays strict; the console
is checked in a context that enforces it, where a blocked script or style shows up as an error.
"""

from __future__ import annotations

import json

import pytest

from tests.browser.pages import AXE, PAGES
from workshop.accounts import services as accounts
from workshop.db import db
from workshop.workshops.models import Role

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390
BLOCKING = {"serious", "critical"}


@pytest.fixture
def scene(make, invite_path):
    """A workshop open for self-registration, with an organizer and a participant, and how to fill paths."""
    workshop = make.workshop(join_enabled=True, join_code="JOIN-2023")
    organizer = make.member(workshop, Role.ORGANIZER, creator=True, password=None)  # signed in by cookie
    participant = make.member(workshop)
    password_link = f"/password/{accounts.issue_password_link(organizer)}"
    db.session.commit()
    values = {"code": workshop.code, "join_code": workshop.join_code, "invite": invite_path(participant, workshop),
              "password_link": password_link}
    return workshop, {"organizer": organizer, "participant": participant}, values


def blocking_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("axe.run({resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    return json.dumps([{"id": v["id"], "impact": v["impact"], "help": v["help"],
                        "nodes": [n["target"] for n in v["nodes"]][:5]} for v in violations], indent=1)


def open_page(entry, scene, context, sign_in):
    _, people, values = scene
    if entry.role != "anonymous":
        sign_in(context, people[entry.role])
    page = context.new_page()
    response = page.goto(entry.path.format(**values))
    assert response.status == entry.status, f"{entry.name}: {entry.path} answered {response.status}"
    if entry.then:
        entry.then(page)
    return page


@pytest.mark.parametrize("entry", PAGES, ids=[entry.name for entry in PAGES])
def test_page(entry, scene, open_context, sign_in):
    # Under the app's real CSP: a blocked script or style, or a failing script, is a console error.
    strict = open_context()
    open_page(entry, scene, strict, sign_in)
    # Chromium reports an error status of the page itself as a console error; that one is the point of the page.
    expected = f"status of {entry.status} " if entry.status >= 400 else None
    errors = [error for error in strict.console.errors if not (expected and expected in error)]
    assert errors == [], f"console errors on {entry.name}"

    page = open_page(entry, scene, open_context(bypass_csp=True), sign_in)
    violations = blocking_violations(page)
    assert not violations, f"axe on {entry.name} ({page.url}):\n{describe(violations)}"

    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH, f"{entry.name} scrolls sideways at {PHONE_WIDTH} px: {scroll_width} px wide"
