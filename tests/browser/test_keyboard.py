"""Signing in with the keyboard alone: Tab reaches every control of the sign-in form and Enter submits it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from workshop.workshops.models import Role

pytestmark = pytest.mark.browser
MAX_TABS_TO_THE_FORM = 6  # skip link, site name, "Sign in" link, then the email field


def focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")


def tab_until(page, target: str, limit: int) -> int:
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if focused(page) == target:
            return presses
    raise AssertionError(f"{limit} presses of Tab did not reach {target!r}; focus is on {focused(page)!r}")


def test_an_organizer_signs_in_by_keyboard_only(make, open_context):
    workshop = make.workshop(title="Keyboard Workshop")
    organizer = make.member(workshop, Role.ORGANIZER, name="Kiri Keyboard")
    page = open_context().new_page()
    page.goto("/login")

    page.keyboard.press("Tab")
    assert focused(page) == "Skip to content", "the skip link must be the first stop"
    tab_until(page, "email", MAX_TABS_TO_THE_FORM)
    page.keyboard.type(organizer.email)
    page.keyboard.press("Tab")
    assert focused(page) == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert focused(page) == "Sign in"
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")

    page.wait_for_url(lambda url: not url.endswith("/login"))
    expect(page.get_by_role("navigation", name="Site")).to_contain_text("Kiri Keyboard")
    expect(page.get_by_role("link", name="Keyboard Workshop")).to_be_visible()
