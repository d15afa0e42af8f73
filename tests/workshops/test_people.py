"""The people page: search, invite links, CSV export, staff and password links (more in tests/accounts/test_trust.py)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from tests.workshops.conftest import invite_links, path_of
from tests.workshops.helpers import text
from workshop.accounts import services as accounts
from workshop.accounts.models import Person
from workshop.db import db
from workshop.workshops.models import Membership, Role


def link_of(client, workshop, person) -> str | None:
    page = client.get(f"/w/{workshop.code}/people").get_data(as_text=True)
    match = re.search(rf'<input[^>]*value="([^"]+)" id="link-{person.id}"', page)
    return match.group(1) if match else None


@pytest.fixture
def crowd(make, workshop):
    return {
        "sita": make.member(workshop, name="Sita Sharma", country="NP"),
        "nimal": make.member(workshop, name="Nimal Perera", country="LK"),
        "minjun": make.member(workshop, name="김민준", country="KR"),
    }


def names_in(response) -> set[str]:
    page = text(response)
    return {name for name in ("Sita Sharma", "Nimal Perera", "김민준") if name in page}


# Search -----------------------------------------------------------------------------

def test_search_filters_by_name_email_organization_and_country(client, make, workshop, organizer, crowd):
    nimal = crowd["nimal"]
    nimal.organization = "National Productivity Secretariat"
    db.session.commit()
    people = f"/w/{workshop.code}/people"
    assert names_in(client.get(people)) == {"Sita Sharma", "Nimal Perera", "김민준"}
    assert names_in(client.get(people, query_string={"q": "sharma"})) == {"Sita Sharma"}
    assert names_in(client.get(people, query_string={"q": "민준"})) == {"김민준"}
    assert names_in(client.get(people, query_string={"q": nimal.email.upper()})) == {"Nimal Perera"}
    assert names_in(client.get(people, query_string={"q": "productivity"})) == {"Nimal Perera"}
    assert names_in(client.get(people, query_string={"q": "lk"})) == {"Nimal Perera"}
    assert names_in(client.get(people, query_string={"q": "nobody-like-this"})) == set()
    assert names_in(client.get(people, query_string={"q": "%"})) == set()
    assert names_in(client.get(people, query_string={"q": "_"})) == set()


def test_search_with_htmx_returns_only_the_table(client, workshop, organizer, crowd):
    response = client.get(f"/w/{workshop.code}/people", query_string={"q": "sita"},
                          headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = text(response)
    assert page.lstrip().startswith('<div id="people-table"')
    assert "<html" not in page and "Import participants" not in page
    assert names_in(response) == {"Sita Sharma"}
    assert "1 person" in page


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.PARTICIPANT])
def test_only_organizers_see_the_people_page(client, make, workshop, role):
    make.sign_in(client, make.member(workshop, role))
    assert client.get(f"/w/{workshop.code}/people").status_code == 403
    assert client.get(f"/w/{workshop.code}/invites.csv").status_code == 403


# Invite links ----------------------------------------------------------------------------

def test_reissue_gives_a_new_link_and_the_old_one_stops_working(client, make, workshop, organizer, crowd):
    sita = crowd["sita"]
    accounts.issue_invite(sita, workshop)
    db.session.commit()
    old = link_of(client, workshop, sita)
    assert client.get(path_of(old)).status_code == 200
    response = make.post(client, f"/w/{workshop.code}/people/{sita.id}/invite")
    assert response.status_code == 302
    new = link_of(client, workshop, sita)
    assert new and new != old
    assert client.get(path_of(old)).status_code == 410
    visitor = client.application.test_client()
    assert visitor.get(path_of(new)).status_code == 200
    assert make.post(visitor, path_of(new), {}).headers["Location"].endswith(f"/w/{workshop.code}/")


def test_issue_a_first_link_for_someone_without_one(client, make, workshop, organizer, crowd):
    assert link_of(client, workshop, crowd["nimal"]) is None
    make.post(client, f"/w/{workshop.code}/people/{crowd['nimal'].id}/invite")
    assert client.get(path_of(link_of(client, workshop, crowd["nimal"]))).status_code == 200


def test_revoke_makes_the_link_stop_working(client, make, workshop, organizer, crowd):
    sita = crowd["sita"]
    accounts.issue_invite(sita, workshop)
    db.session.commit()
    link = link_of(client, workshop, sita)
    response = make.post(client, f"/w/{workshop.code}/people/{sita.id}/invite/revoke")
    assert response.status_code == 302
    assert client.get(path_of(link)).status_code == 410
    assert link_of(client, workshop, sita) is None


def test_invite_actions_without_csrf_token_change_nothing(client, make, workshop, organizer, crowd):
    sita = crowd["sita"]
    accounts.issue_invite(sita, workshop)
    db.session.commit()
    link = link_of(client, workshop, sita)
    assert client.post(f"/w/{workshop.code}/people/{sita.id}/invite").status_code == 400
    assert client.post(f"/w/{workshop.code}/people/{sita.id}/invite/revoke").status_code == 400
    assert link_of(client, workshop, sita) == link
    assert client.get(path_of(link)).status_code == 200


def test_invite_actions_for_someone_outside_the_workshop_are_404(client, make, workshop, organizer):
    stranger = make.person()
    assert make.post(client, f"/w/{workshop.code}/people/{stranger.id}/invite").status_code == 404
    assert accounts.current_invite(stranger.id, workshop.id) is None


# CSV export --------------------------------------------------------------------------------

def export_rows(client, workshop) -> list[dict[str, str]]:
    response = client.get(f"/w/{workshop.code}/invites.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def test_export_lists_every_member_with_their_working_link(client, make, workshop, organizer, crowd):
    for person in crowd.values():
        accounts.issue_invite(person, workshop)
    db.session.commit()
    rows = export_rows(client, workshop)
    assert {row["email"] for row in rows} == {organizer.email} | {p.email for p in crowd.values()}
    visitor = client.application.test_client()
    for person in crowd.values():
        row = next(r for r in rows if r["email"] == person.email)
        assert row["name"] == person.name and row["role"] == "participant"
        assert row["invite link"] and row["expires"]
        assert visitor.get(path_of(row["invite link"])).status_code == 200


def test_export_neutralizes_formulas(client, make, workshop, organizer):
    formulas = ['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)"]
    people = [make.member(workshop, name=name, password=None) for name in formulas]
    people[0].organization = "=cmd|' /C calc'!A0"
    db.session.commit()
    rows = {row["email"]: row for row in export_rows(client, workshop)}
    for person, name in zip(people, formulas):
        assert rows[person.email]["name"] == "'" + name
    assert rows[people[0].email]["organization"] == "'=cmd|' /C calc'!A0"


# Staff and passwords -----------------------------------------------------------------------


def sign_in_status(app, email: str, password: str, make) -> int:
    browser = app.test_client()
    return make.post(browser, "/login", {"email": email, "password": password}).status_code




def test_new_organizer_may_create_workshops(client, make, workshop, organizer):
    make.post(client, f"/w/{workshop.code}/people/staff",
              {"name": "Ama Owusu", "email": "ama@example.org", "role": "organizer"})
    ama = db.session.scalar(select(Person).where(Person.email == "ama@example.org"))
    assert ama.can_create_workshops


def test_staff_who_already_has_a_password_keeps_it(app, client, make, workshop, organizer):
    other = make.workshop()
    moderator = make.member(other, Role.MODERATOR)
    response = make.post(client, f"/w/{workshop.code}/people/staff",
                         {"name": "x", "email": moderator.email, "role": "moderator"}, follow_redirects=True)
    assert "They sign in with their own account" in text(response)
    assert sign_in_status(app, moderator.email, make.PASSWORD, make) == 302


@pytest.mark.parametrize(("data", "status"), [
    ({"name": "", "email": "kenji@example.org", "role": "moderator"}, 400),
    ({"name": "Kenji", "email": "not-an-email", "role": "moderator"}, 400),
    ({"name": "Kenji", "email": "kenji@example.org", "role": "participant"}, 400),
])
def test_bad_staff_input_is_refused_and_adds_nobody(client, make, workshop, organizer, data, status):
    before = db.session.scalar(select(func.count(Person.id)))
    assert make.post(client, f"/w/{workshop.code}/people/staff", data).status_code == status
    assert db.session.scalar(select(func.count(Person.id))) == before


def test_adding_someone_already_in_the_workshop_is_409(client, make, workshop, organizer, crowd):
    response = make.post(client, f"/w/{workshop.code}/people/staff",
                         {"name": "Sita", "email": crowd["sita"].email, "role": "moderator"})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.scalar(select(Membership.role).where(Membership.person_id == crowd["sita"].id)) == \
        Role.PARTICIPANT


def test_add_staff_without_csrf_token_adds_nobody(client, workshop, organizer):
    response = client.post(f"/w/{workshop.code}/people/staff",
                           data={"name": "Kenji", "email": "kenji@example.org", "role": "moderator"})
    assert response.status_code == 400
    assert db.session.scalar(select(Person).where(Person.email == "kenji@example.org")) is None










def test_invite_links_in_the_page_are_absolute(client, workshop, organizer, crowd):
    accounts.issue_invite(crowd["sita"], workshop)
    db.session.commit()
    assert len(invite_links(text(client.get(f"/w/{workshop.code}/people")))) == 1


def test_password_link_without_csrf_token_sends_nothing(app, client, make, workshop, organizer, smtp_server):
    app.config["BASE_URL"] = "https://workshops.example.org"
    moderator = make.member(workshop, Role.MODERATOR)
    assert client.post(f"/w/{workshop.code}/people/{moderator.id}/password-link").status_code == 400
    assert smtp_server.messages == []
    assert sign_in_status(app, moderator.email, make.PASSWORD, make) == 302
