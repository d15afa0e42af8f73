"""Creating and editing a workshop through the organizer's form."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.workshops.helpers import field_error, field_value, text
from workshop.db import db
from workshop.workshops.models import Membership, Modality, Role, Workshop

GOOD = {
    "title": "Workshop on Innovative Public Procurement",
    "code": "23-IP-02-GE-WSP-A",
    "starts_on": "2023-07-18",
    "ends_on": "2023-07-20",
    "timezone": "Asia/Colombo",
    "modality": "online",
    "objectives": "Discuss innovative procurement\nExamine new approaches",
    "topics": "New approaches",
}


def workshop_count() -> int:
    return db.session.scalar(select(func.count(Workshop.id)))


@pytest.fixture
def creator(client, make):
    someone = make.person(creator=True)
    make.sign_in(client, someone)
    return someone


def test_create_makes_the_workshop_with_the_creator_as_organizer(client, make, creator):
    response = make.post(client, "/workshops/new", GOOD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/w/23-IP-02-GE-WSP-A/")
    workshop = db.session.scalar(select(Workshop).where(Workshop.code == "23-IP-02-GE-WSP-A"))
    assert workshop.title == GOOD["title"]
    assert (workshop.starts_on, workshop.ends_on) == (date(2023, 7, 18), date(2023, 7, 20))
    assert workshop.timezone == "Asia/Colombo" and workshop.modality == Modality.ONLINE
    assert workshop.objective_list == ["Discuss innovative procurement", "Examine new approaches"]
    assert workshop.join_enabled is False and workshop.join_code is None
    members = db.session.scalars(select(Membership).where(Membership.workshop_id == workshop.id)).all()
    assert [(m.person_id, m.role) for m in members] == [(creator.id, Role.ORGANIZER)]
    home = client.get("/w/23-IP-02-GE-WSP-A/")
    assert home.status_code == 200 and "Workshop 23-IP-02-GE-WSP-A created." in text(home)


def test_create_with_join_enabled_gets_a_join_code(client, make, creator):
    make.post(client, "/workshops/new", {**GOOD, "join_enabled": "y"})
    workshop = db.session.scalar(select(Workshop))
    assert workshop.join_enabled and len(workshop.join_code) == 8


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"title": ""}, "title", "This field is required."),
    ({"title": "   "}, "title", "This field is required."),
    ({"title": "T" * 201}, "title", "Field cannot be longer than 200 characters."),
    ({"code": "bad code!"}, "code", "The code needs 2-40 letters, digits"),
    ({"code": "a/b"}, "code", "The code needs 2-40 letters, digits"),
    ({"ends_on": "2023-07-17"}, "ends_on", "The workshop cannot end before it starts."),
    ({"starts_on": "18/07/2023"}, "starts_on", "Not a valid date value."),
    ({"timezone": "Mars/Base"}, "timezone", "Unknown timezone 'Mars/Base'"),
    ({"modality": "telepathy"}, "modality", "Not a valid choice."),
])
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_created(client, make, creator, change, field, message):
    response = make.post(client, "/workshops/new", {**GOOD, **change})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in (field_error(page, field) or "")
    assert workshop_count() == 0
    # What the person typed is still in the form.
    assert field_value(page, "title") == change.get("title", GOOD["title"])


def test_a_taken_code_is_409_whatever_its_case(client, make, creator):
    make.workshop(code="23-IP-02-GE-WSP-A")
    response = make.post(client, "/workshops/new", {**GOOD, "code": "23-ip-02-ge-wsp-a"})
    assert response.status_code == 409
    assert "Another workshop already uses the code" in field_error(response.get_data(as_text=True), "code")
    assert workshop_count() == 1


def test_create_without_csrf_token_is_400_and_creates_nothing(client, creator):
    response = client.post("/workshops/new", data=GOOD)
    assert response.status_code == 400
    assert workshop_count() == 0


def test_a_person_who_may_not_create_workshops_gets_403(client, make):
    make.sign_in(client, make.person(creator=False))
    assert client.get("/workshops/new").status_code == 403
    assert make.post(client, "/workshops/new", GOOD).status_code == 403
    assert workshop_count() == 0


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/workshops/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# Edit -----------------------------------------------------------------------------

def test_organizer_edits_the_workshop(client, make, workshop, organizer):
    page = client.get(f"/w/{workshop.code}/edit")
    assert page.status_code == 200 and field_value(page.get_data(as_text=True), "title") == workshop.title
    response = make.post(client, f"/w/{workshop.code}/edit",
                         {**GOOD, "code": workshop.code, "title": "Renamed", "modality": "hybrid", "join_enabled": "y"})
    assert response.status_code == 302
    db.session.refresh(workshop)
    assert workshop.title == "Renamed" and workshop.modality == Modality.HYBRID
    assert workshop.join_enabled and workshop.join_code


def test_edit_error_keeps_what_was_typed_and_changes_nothing(client, make, workshop, organizer):
    before = workshop.title
    response = make.post(client, f"/w/{workshop.code}/edit",
                         {**GOOD, "code": workshop.code, "title": "My new title", "timezone": "Mars/Base"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Unknown timezone" in field_error(page, "timezone")
    assert field_value(page, "title") == "My new title"
    assert field_value(page, "timezone") == "Mars/Base"
    db.session.expire_all()
    assert db.session.get(Workshop, workshop.id).title == before


def test_edit_to_another_workshops_code_is_409(client, make, workshop, organizer):
    other = make.workshop()
    response = make.post(client, f"/w/{workshop.code}/edit", {**GOOD, "code": other.code.lower()})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Workshop, workshop.id).code != other.code.lower()


def test_edit_without_csrf_token_changes_nothing(client, workshop, organizer):
    response = client.post(f"/w/{workshop.code}/edit", data={**GOOD, "code": workshop.code, "title": "Changed"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Workshop, workshop.id).title != "Changed"


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.PARTICIPANT])
def test_only_organizers_edit(client, make, workshop, role):
    make.sign_in(client, make.member(workshop, role))
    assert client.get(f"/w/{workshop.code}/edit").status_code == 403
    response = make.post(client, f"/w/{workshop.code}/edit", {**GOOD, "code": workshop.code, "title": "Changed"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Workshop, workshop.id).title != "Changed"
