"""An organizer uploads a real PDF by the file picker; a second organizer's dashboard shows it without reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.uploads import files
from workshop.db import db
from workshop.reports import services
from workshop.workshops.models import Role

pytestmark = pytest.mark.browser


@pytest.fixture
def reports_scene(app, make):
    workshop = make.workshop(title="Public Procurement Audit")
    first = make.member(workshop, Role.ORGANIZER, name="Olga Organizer", password=None)
    second = make.member(workshop, Role.ORGANIZER, name="Oscar Organizer", password=None)
    make.member(workshop, name="Anil Nepal", country="NP")
    make.member(workshop, name="Sita Lanka", country="LK")
    slots = services.create_slots(workshop, {**services.DEFAULT_SLOT, "max_mb": 5}, first,
                                  services.ZoneInfo(workshop.timezone), 25)
    db.session.commit()
    return workshop, first, second, {slot.country: slot for slot in slots}


def test_an_upload_shows_on_another_organizers_dashboard_live(reports_scene, open_context, sign_in, live_page,
                                                              tmp_path):
    workshop, first, second, slots = reports_scene
    dashboard = live_page(second, f"/w/{workshop.code}/reports")
    expect(dashboard.get_by_test_id("count-missing")).to_have_text("2")
    row = dashboard.locator(f"#report-row-{slots['NP'].id}")
    expect(row).to_have_attribute("data-state", "missing")

    uploader_context = open_context()
    sign_in(uploader_context, first)
    page = uploader_context.new_page()
    page.goto(f"/w/{workshop.code}/reports/{slots['NP'].id}")
    report = tmp_path / "Nepal country report.pdf"
    report.write_bytes(files.pdf("Nepal country report"))
    page.set_input_files("#report-file", str(report))
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("status").filter(has_text="as version 1").first.wait_for()
    expect(page.locator("#version-1")).to_contain_text("Nepal country report.pdf")

    expect(row).to_have_attribute("data-state", "submitted")
    expect(row).to_contain_text("Nepal country report.pdf")
    expect(dashboard.get_by_test_id("count-submitted")).to_have_text("1")
    expect(dashboard.get_by_test_id("count-missing")).to_have_text("1")
    assert dashboard.evaluate("window.notReloaded") is True, "the dashboard was reloaded"
    assert dashboard.context.console.errors == [] and uploader_context.console.errors == []


def test_a_file_over_the_slot_limit_is_refused_before_it_is_sent(reports_scene, open_context, sign_in, tmp_path):
    workshop, first, _, slots = reports_scene
    context = open_context()
    sign_in(context, first)
    page = context.new_page()
    page.goto(f"/w/{workshop.code}/reports/{slots['LK'].id}")
    big = tmp_path / "big.pdf"
    big.write_bytes(files.pdf(padding=6 * 1024 * 1024))
    page.set_input_files("#report-file", str(big))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".upload-message")).to_have_text("The file is larger than the limit of 5 MB. Nothing was saved.")
    expect(page.locator("#version-1")).to_have_count(0)


def test_a_dashboard_opened_before_the_slots_exist_shows_them_when_another_organizer_makes_them(
        app, make, open_context, sign_in, live_page):
    workshop = make.workshop(title="Public Procurement Audit")
    maker = make.member(workshop, Role.ORGANIZER, name="Olga Organizer", password=None)
    watcher = make.member(workshop, Role.ORGANIZER, name="Oscar Organizer", password=None)
    make.member(workshop, name="Anil Nepal", country="NP")
    make.member(workshop, name="Sita Lanka", country="LK")
    db.session.commit()
    dashboard = live_page(watcher, f"/w/{workshop.code}/reports")
    expect(dashboard.locator("#report-rows")).to_have_text("No slots yet.")
    expect(dashboard.locator("#slot-coverage")).to_contain_text("Slots will be made for 2 countries")

    maker_context = open_context()
    sign_in(maker_context, maker)
    page = maker_context.new_page()
    page.goto(f"/w/{workshop.code}/reports")
    page.get_by_role("button", name="Create slots").click()
    page.get_by_role("status").filter(has_text="Created 2 report slots").wait_for()

    rows = dashboard.locator("#report-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Sri Lanka")
    expect(rows.nth(1)).to_contain_text("Nepal")
    expect(dashboard.get_by_text("No slots yet.")).to_have_count(0)
    expect(dashboard.get_by_test_id("count-missing")).to_have_text("2")
    expect(dashboard.locator("#slot-coverage")).to_contain_text("Every participating country has a slot.")
    expect(dashboard.get_by_text("Slots will be made for")).to_have_count(0)
    expect(dashboard.get_by_role("button", name="Create slots")).to_be_disabled()
    assert dashboard.evaluate("window.notReloaded") is True, "the dashboard was reloaded"
    assert dashboard.context.console.errors == [] and maker_context.console.errors == []
