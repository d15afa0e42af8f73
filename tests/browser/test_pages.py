"""Every page of the app (tests/browser/pages.py): no serious or critical axe-core violation in the light and the
dark scheme, no sideways scrolling at 390 px phone width, and under the app's real CSP no error in the browser
console.

axe is injected into a context that bypasses the CSP, so the app's own policy stays strict; the console
is checked in a context that enforces it, where a blocked script or style shows up as an error.

Every page is seen by someone far from the workshop's host zone (Asia/Colombo): the agenda then shows each
session's host time as well, and sessions cross the viewer's midnight. The browser is in the person's zone.
Both schemes cost one more axe run per page, not another visit: the page opens in one scheme (light and
dark alternately, so each comes first for half the pages) and axe runs again after switching to the other.
"""

from __future__ import annotations

import json

import pytest

from datetime import UTC, datetime, timedelta

from tests.browser.pages import AXE, PAGES
from workshop.accounts import services as accounts
from workshop.agenda.models import AgendaSession, SessionKind
from workshop.db import db
from workshop.evaluation import services as evaluation
from workshop.workshops.models import Role

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390
BLOCKING = {"serious", "critical"}
SCHEMES = ("light", "dark")
# Each role's own zone and its browser's, none the host's (Asia/Colombo, UTC+5:30): Chatham is UTC+12:45 in July.
VIEWER_ZONES = {"organizer": "Pacific/Chatham", "participant": "Asia/Kathmandu", "anonymous": "Pacific/Fiji"}
# Pico eases colors in over a moment after the scheme changes: axe must see them as they end, not halfway. (A
# transition that a live update cancels ends too; endless animations are not transitions.)
SETTLED = """Promise.all(document.getAnimations().filter(animation => animation instanceof CSSTransition)
                        .map(transition => transition.finished.catch(() => null)))"""
# Drawn apart from the talks on the agenda: a break, and a social evening that crosses midnight in Chatham.
OTHER_KINDS = [(SessionKind.BREAK, "Coffee break", datetime(2023, 7, 18, 5, 0, tzinfo=UTC), 30),
               (SessionKind.SOCIAL, "Welcome dinner", datetime(2023, 7, 18, 10, 45, tzinfo=UTC), 105)]


@pytest.fixture
def scene(make, invite_path):
    """A workshop open for self-registration, with an organizer and a participant far from its host zone, a break
    and a social evening on its agenda, its evaluation open, and how to fill paths."""
    workshop = make.workshop(join_enabled=True, join_code="JOIN-2023")
    organizer = make.member(workshop, Role.ORGANIZER, creator=True, password=None,  # signed in by cookie
                            timezone=VIEWER_ZONES["organizer"])
    participant = make.member(workshop, timezone=VIEWER_ZONES["participant"])
    db.session.add_all(AgendaSession(workshop_id=workshop.id, kind=kind, title=title, starts_at=starts,
                                     ends_at=starts + timedelta(minutes=minutes))
                       for kind, title, starts, minutes in OTHER_KINDS)
    password_link = f"/password/{accounts.issue_password_link(organizer)}"
    db.session.commit()
    evaluation.set_state(evaluation.prepare(workshop, organizer), "open", organizer)  # participants answer it
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
                        "nodes": [(n["target"], n["failureSummary"]) for n in v["nodes"]][:5]} for v in violations],
                      indent=1)


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


@pytest.mark.parametrize("entry, first_scheme", [(entry, SCHEMES[index % 2]) for index, entry in enumerate(PAGES)],
                         ids=[entry.name for entry in PAGES])
def test_page(entry, first_scheme, scene, open_context, sign_in):
    browser = {"timezone_id": VIEWER_ZONES[entry.role], "color_scheme": first_scheme}
    # Under the app's real CSP: a blocked script or style, or a failing script, is a console error.
    strict = open_context(**browser)
    open_page(entry, scene, strict, sign_in)
    # Chromium reports an error status of the page itself as a console error; that one is the point of the page.
    expected = f"status of {entry.status} " if entry.status >= 400 else None
    errors = [error for error in strict.console.errors if not (expected and expected in error)]
    assert errors == [], f"console errors on {entry.name}"

    page = open_page(entry, scene, open_context(bypass_csp=True, **browser), sign_in)
    for scheme in sorted(SCHEMES, key=lambda s: s != first_scheme):
        page.emulate_media(color_scheme=scheme)
        page.evaluate(SETTLED)
        violations = blocking_violations(page)
        assert not violations, f"axe on {entry.name} ({page.url}), {scheme} scheme:\n{describe(violations)}"

    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH, f"{entry.name} scrolls sideways at {PHONE_WIDTH} px: {scroll_width} px wide"
