"""Old zone names (ICU's, as Chromium reports them, or saved before) become current IANA names on every way in:
the timezone form, the join page's browser zone, a workshop's host zone, and the names offered."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from sqlalchemy import select

from tests.workshops.helpers import field_error, text
from workshop.accounts.models import Person
from workshop.db import db
from workshop.workshops.models import Role, Workshop
from workshop.zone_names import aliases, current_name, offered_names

# What Chromium reports in these places (ICU keeps the old names), and what the tz database calls them today.
BROWSER_NAMES = {"Asia/Katmandu": "Asia/Kathmandu", "Asia/Calcutta": "Asia/Kolkata",
                 "Asia/Saigon": "Asia/Ho_Chi_Minh", "Asia/Rangoon": "Asia/Yangon", "Europe/Kiev": "Europe/Kyiv"}
OLD_NAMES = pytest.mark.parametrize(("old", "current"), BROWSER_NAMES.items())


@pytest.fixture
def workshop(make):
    return make.workshop()


@OLD_NAMES
def test_an_old_name_becomes_the_current_one(old, current):
    assert current_name(old) == current
    assert current_name(current) == current


@pytest.mark.parametrize("name", ["Asia/Phnom_Penh", "Asia/Vientiane", "Asia/Kuala_Lumpur", "Atlantic/Reykjavik"])
def test_a_countrys_own_zone_keeps_its_name(name):
    # The tz database links these to a neighbour with the same clocks since 1970 (Asia/Bangkok, Asia/Singapore,
    # Africa/Abidjan): the officials of Cambodia, Laos, Malaysia and Iceland keep their own city.
    assert current_name(name) == name


def test_utc_stays_utc_and_its_other_spellings_become_utc():
    assert [current_name(name) for name in ("UTC", "Etc/UTC", "Etc/Universal", "Zulu")] == ["UTC"] * 4


def test_only_current_names_are_offered():
    offered = set(offered_names())
    assert set(BROWSER_NAMES.values()) | {"UTC", "Asia/Colombo", "Asia/Phnom_Penh"} <= offered
    assert not offered & set(BROWSER_NAMES)
    assert not offered & set(aliases())


def test_the_timezone_field_offers_no_old_name(client, make, workshop):
    make.sign_in(client, make.member(workshop))
    names = re.findall(r'<option value="([^"]+)">', client.get("/timezones").get_data(as_text=True))
    assert "Asia/Kathmandu" in names and "Asia/Katmandu" not in names
    assert names == list(offered_names())


# The timezone form --------------------------------------------------------------------------------------

@OLD_NAMES
def test_an_old_name_chosen_in_the_form_is_saved_and_shown_by_its_current_name(client, make, workshop, old, current):
    person = make.member(workshop, timezone="UTC")
    make.sign_in(client, person)
    answer = make.post(client, "/me/timezone", {"timezone": f" {old} ", "next": f"/w/{workshop.code}/agenda"})
    assert answer.status_code == 302
    db.session.refresh(person)
    assert (person.timezone, person.timezone_chosen) == (current, True)
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"Times are now shown in {current}." in page
    assert f"Your timezone: {current}." in page


@OLD_NAMES
def test_a_host_zone_typed_by_its_old_name_is_saved_by_its_current_name(client, make, workshop, old, current):
    organizer = make.member(workshop, Role.ORGANIZER)
    make.sign_in(client, organizer)
    fields = {"title": workshop.title, "code": workshop.code, "starts_on": "2023-07-18", "ends_on": "2023-07-20",
              "timezone": old, "modality": "online", "objectives": "", "topics": ""}
    answer = make.post(client, f"/w/{workshop.code}/edit", fields)
    assert answer.status_code == 302, field_error(text(answer), "timezone")
    assert db.session.get(Workshop, workshop.id).timezone == current


# The browser's zone: what the join page's script sends, and what the agenda's script is told -------------

@OLD_NAMES
def test_an_old_name_from_the_browser_on_joining_is_saved_by_its_current_name(client, make, old, current):
    workshop = make.workshop(join_enabled=True, join_code="ABCD2345")
    answer = make.post(client, f"/join/{workshop.code}", {
        "join_code": "ABCD2345", "name": "Sita Sharma", "email": "sita@example.org", "country": "Nepal",
        "organization": "PPMO", "timezone": old})
    assert answer.status_code == 302
    assert db.session.scalar(select(Person.timezone).where(Person.email == "sita@example.org")) == current


def timezone_script_aliases(html: str) -> dict[str, str]:
    (found,) = re.findall(r"<script src=\"[^\"]*timezone[^\"]*\.js\" data-zone-aliases='([^']*)'", html)
    return json.loads(unescape(found))


@pytest.mark.parametrize("path", ["/w/{code}/agenda", "/join/{code}"])
def test_the_pages_that_read_the_browsers_zone_give_its_script_the_current_names(client, make, path):
    workshop = make.workshop(join_enabled=True, join_code="ABCD2345")
    make.sign_in(client, make.member(workshop))
    given = timezone_script_aliases(client.get(path.format(code=workshop.code)).get_data(as_text=True))
    assert {old: given[old] for old in BROWSER_NAMES} == BROWSER_NAMES
    assert given == aliases()
