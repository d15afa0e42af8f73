"""Self-registration with the workshop's join code, and the join link's QR code."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.workshops.helpers import field_error, text
from workshop.accounts.models import Person
from workshop.db import db
from workshop.workshops.models import Membership, Role

NEUTRAL = "If this address is registered, the organizers can send you your link."
FORM = {"join_code": "ABCD2345", "name": "Sita Sharma", "email": "sita@example.org", "country": "Nepal",
        "organization": "PPMO", "timezone": "Asia/Kathmandu"}


@pytest.fixture
def open_workshop(make):
    return make.workshop(join_enabled=True, join_code="ABCD2345")


def people_count() -> int:
    return db.session.scalar(select(func.count(Person.id)))


def join(client, make, workshop, **change):
    return make.post(client, f"/join/{workshop.code}", {**FORM, **change})


def test_the_join_page_shows_the_form(client, open_workshop):
    response = client.get(f"/join/{open_workshop.code}")
    assert response.status_code == 200
    page = text(response)
    assert open_workshop.title in page and 'name="join_code"' in page


def test_the_key_in_the_link_fills_in_the_code(client, open_workshop):
    page = text(client.get(f"/join/{open_workshop.code}?key=ABCD2345"))
    assert 'value="ABCD2345"' in page


def test_the_right_code_registers_a_participant_and_signs_them_in(client, make, open_workshop):
    response = join(client, make, open_workshop, join_code=" abcd2345 ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/w/{open_workshop.code}/")
    sita = db.session.scalar(select(Person).where(Person.email == "sita@example.org"))
    assert (sita.name, sita.country, sita.organization, sita.timezone) == \
        ("Sita Sharma", "NP", "PPMO", "Asia/Kathmandu")
    member = db.session.scalar(select(Membership).where(Membership.person_id == sita.id))
    assert member.workshop_id == open_workshop.id and member.role == Role.PARTICIPANT
    assert client.get(f"/w/{open_workshop.code}/").status_code == 200


def test_a_wrong_code_is_403_and_creates_nobody(client, make, open_workshop):
    response = join(client, make, open_workshop, join_code="WRONG999")
    assert response.status_code == 403
    assert "That join code is not right." in field_error(text(response), "join_code")
    assert people_count() == 0
    assert client.get(f"/w/{open_workshop.code}/").status_code == 302


def test_the_declared_country_waits_for_the_organizers(client, make, open_workshop):
    join(client, make, open_workshop, country="Sri Lanka")
    member = db.session.scalar(select(Membership).join(Person).where(Person.email == "sita@example.org"))
    assert (member.country, member.country_confirmed_at, member.country_waiting) == ("LK", None, True)


def test_without_mail_an_existing_email_gets_a_neutral_answer_and_nobody_is_signed_in(client, make, open_workshop):
    someone = make.person("Kept Name", password="correct horse battery", country="IN")
    response = join(client, make, open_workshop, email=someone.email.upper(), name="Mallory", country="LK")
    assert response.status_code == 200
    assert NEUTRAL in text(response)
    assert "already" not in text(response)
    assert client.get(f"/w/{open_workshop.code}/").status_code == 302  # signed in as nobody
    db.session.refresh(someone)
    assert (someone.name, someone.country) == ("Kept Name", "IN")  # the account is not changed
    member = db.session.scalar(select(Membership).where(Membership.person_id == someone.id))
    # Added, so the organizers can send the link; the declared country gives nothing until they confirm it.
    assert (member.role, member.country, member.country_waiting) == (Role.PARTICIPANT, "LK", True)


def test_without_mail_an_existing_member_stays_as_they_were(client, make, open_workshop):
    moderator = make.member(open_workshop, Role.MODERATOR, country="IN", password=None)
    response = join(client, make, open_workshop, email=moderator.email, country="LK")
    assert response.status_code == 200 and NEUTRAL in text(response)
    member = db.session.scalar(select(Membership).where(Membership.person_id == moderator.id))
    assert (member.role, member.country, member.country_waiting) == (Role.MODERATOR, "IN", False)


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"country": "Atlantis"}, "country", "Unknown country 'Atlantis'"),
    ({"email": "not-an-email"}, "email", "Not a valid email address"),
    ({"name": ""}, "name", "This field is required."),
    ({"name": "N" * 201}, "name", "Field cannot be longer than 200 characters."),
])
def test_bad_details_are_shown_next_to_the_field(client, make, open_workshop, change, field, message):
    response = join(client, make, open_workshop, **change)
    assert response.status_code == 400
    assert message in field_error(text(response), field)
    assert people_count() == 0


def test_an_unknown_browser_timezone_does_not_block_joining(client, make, open_workshop):
    response = join(client, make, open_workshop, timezone="Mars/Base")
    assert response.status_code == 302
    assert db.session.scalar(select(Person.timezone).where(Person.email == "sita@example.org")) == "UTC"


def test_join_disabled_is_403(client, make):
    closed = make.workshop(join_enabled=False, join_code="ABCD2345")
    assert client.get(f"/join/{closed.code}").status_code == 403
    assert join(client, make, closed).status_code == 403
    assert people_count() == 0


def test_unknown_workshop_is_404(client, make):
    assert client.get("/join/NO-SUCH-WORKSHOP").status_code == 404


def test_join_without_csrf_token_is_400_and_creates_nobody(client, open_workshop):
    assert client.post(f"/join/{open_workshop.code}", data=FORM).status_code == 400
    assert people_count() == 0


def test_organizers_get_the_join_qr_code(client, make, open_workshop):
    make.sign_in(client, make.member(open_workshop, Role.ORGANIZER, password=None))
    response = client.get(f"/w/{open_workshop.code}/join-qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert b"<svg" in response.get_data()
    assert "<img" in text(client.get(f"/w/{open_workshop.code}/people"))


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.MODERATOR])
def test_others_do_not_get_the_join_qr_code(client, make, open_workshop, role):
    make.sign_in(client, make.member(open_workshop, role, password=None))
    assert client.get(f"/w/{open_workshop.code}/join-qr.svg").status_code == 403
