"""A participant answers the evaluation on a phone with the keyboard alone, leaving and coming back half-way (the
answers wait in the browser), while the organizer's results page shows the response rate change without reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_print import printed_pages

from workshop.db import db
from workshop.evaluation import services
from workshop.workshops.models import Role

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def evaluation_scene(app, make):
    workshop = make.workshop(title="Public Procurement Innovation", objectives="Discuss innovation\nShare practice")
    organizer = make.member(workshop, Role.ORGANIZER, name="Olga Organizer", password=None)
    participant = make.member(workshop, name="Anil Nepal", country="NP")
    make.member(workshop, name="Sita Lanka", country="LK")
    evaluation = services.prepare(workshop, organizer)
    db.session.commit()
    services.set_state(evaluation, "open", organizer)
    db.session.commit()
    return workshop, organizer, participant


def tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until the focus is on an element matching ``selector``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_participant_answers_on_a_phone_while_the_rate_changes_live(evaluation_scene, open_context, sign_in,
                                                                      live_page):
    workshop, organizer, participant = evaluation_scene
    results = live_page(organizer, f"/w/{workshop.code}/evaluation/results")
    expect(results.get_by_test_id("responded")).to_have_text("0")

    context = open_context(**PHONE)
    sign_in(context, participant)
    phone = context.new_page()
    phone.goto(f"/w/{workshop.code}/")
    phone.get_by_role("link", name="Evaluate the workshop").click()
    phone.wait_for_url("**/evaluation")

    # The first objective's group: Tab reaches its checked radio ("No answer"), an arrow key moves to "5 · Fully".
    tab_to(phone, "input[type=radio]")
    phone.keyboard.press("ArrowUp")
    first = phone.get_by_role("group", name="To what extent was this objective achieved: Discuss innovation")
    expect(first.get_by_role("radio", name="5 · Fully")).to_be_checked()
    tab_to(phone, "textarea")
    phone.keyboard.type("The <em>site visits</em>")

    # Away and back: the unsent answers are still there.
    phone.reload()
    expect(first.get_by_role("radio", name="5 · Fully")).to_be_checked()
    expect(phone.get_by_role("textbox").first).to_have_value("The <em>site visits</em>")
    expect(phone.locator("#draft-status")).to_contain_text("restored")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    phone.get_by_role("textbox").first.focus()
    tab_to(phone, "button[type=submit]", limit=80)
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    assert phone.evaluate("Object.keys(localStorage).filter(key => key.startsWith('evaluation:')).length") == 0

    expect(results.get_by_test_id("responded")).to_have_text("1")
    expect(results.get_by_test_id("rate-percent")).to_have_text("50")
    assert results.evaluate("window.notReloaded") is True

    # An anonymous answer waits for four more (or the close) before it is counted in the charts.
    results.reload()
    expect(results.get_by_test_id("waiting")).to_contain_text("1 anonymous response is waiting")
    db.session.expire_all()
    services.set_state(services.evaluation_of(workshop), "close", organizer)
    db.session.commit()
    # Closed, the organizer's reload shows the answer in the charts, the comment as text.
    results.reload()
    chart = results.get_by_role("img", name="To what extent was this objective achieved: Discuss innovation: "
                                              "1 (Not at all) 0; 2 (Slightly) 0; 3 (Partly) 0; 4 (Mostly) 0; "
                                              "5 (Fully) 1.")
    expect(chart).to_be_visible()
    expect(results.locator(".evaluation-comments li").first).to_have_text("The <em>site visits</em>")


def test_the_printed_summary_has_the_charts_and_their_numbers_and_no_controls(evaluation_scene, open_context,
                                                                              sign_in, tmp_path):
    workshop, organizer, participant = evaluation_scene
    evaluation = services.evaluation_of(workshop)
    membership = next(m for m in workshop.memberships if m.person_id == participant.id)
    comment = next(q for q in evaluation.questions if q.kind.value == "text")
    form = {f"q{q.id}": "4" for q in evaluation.questions if q.kind.value == "rating"}
    services.respond(evaluation, participant, membership, {**form, f"q{comment.id}": "More time for <b>questions</b>"})
    services.set_state(evaluation, "close", organizer)  # which adds the anonymous response waiting
    db.session.commit()

    context = open_context(locale="en-GB")
    sign_in(context, organizer)
    page = context.new_page()
    page.goto(f"/w/{workshop.code}/evaluation/summary")
    text = " ".join(" ".join(printed_pages(page, tmp_path / "summary.pdf")).split())  # lines wrap in columns
    assert "Evaluation summary" in text and "1 of 2 participants responded (50%)" in text
    assert "To what extent was this objective achieved: Discuss innovation" in text
    assert "4 · Mostly" in text and "mean 4.0 out of 5" in text  # the charts' labels and numbers are text
    assert "More time for <b>questions</b>" in text
    for control in ("Print", "Back to the results", "Sign out"):
        assert control not in text
