"""The join form with mail set up: one answer whether or not the email has an account, the difference goes to
the address (a real SMTP server on localhost), and nobody is signed in by the form."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from tests.workshops.conftest import Inbox, free_port, invite_links, path_of
from tests.workshops.helpers import text
from workshop.accounts import services as accounts
from workshop.accounts.models import Invite, Person
from workshop.db import db
from workshop.workshops.models import Membership, Role

FORM = {"join_code": "ABCD2345", "name": "Sita Sharma", "country": "Nepal", "organization": "PPMO",
        "timezone": "Asia/Kathmandu"}
BASE = "https://workshops.example.org"


@pytest.fixture
def open_workshop(make):
    return make.workshop(join_enabled=True, join_code="ABCD2345")


@pytest.fixture
def mail(app, smtp_server):
    app.config["BASE_URL"] = BASE
    return smtp_server


def join(client, make, workshop, address: str, **change):
    return make.post(client, f"/join/{workshop.code}", {**FORM, "email": address, **change})


def answer(response, address: str) -> str:
    """The page without what necessarily differs between two answers: the address typed in, the CSRF token."""
    page = text(response).replace(address, "<email>")
    return "\n".join(line for line in page.splitlines() if "csrf" not in line.lower())


def mails(inbox: Inbox) -> list[tuple[str, str, str]]:
    out = []
    for envelope in inbox.messages:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        out.append((envelope.rcpt_tos[0], message["Subject"], message.get_body(("plain",)).get_content()))
    return out


def signed_in(client, workshop) -> bool:
    return client.get(f"/w/{workshop.code}/").status_code == 200


def test_a_new_and_an_existing_email_get_the_same_answer(app, make, open_workshop, mail):
    existing = make.person("Kept Name", password="correct horse battery", country="IN")
    new_visitor, other_visitor = app.test_client(), app.test_client()
    fresh = join(new_visitor, make, open_workshop, "new@example.org")
    known = join(other_visitor, make, open_workshop, existing.email)
    assert fresh.status_code == known.status_code == 200
    assert answer(fresh, "new@example.org") == answer(known, existing.email)
    assert f"Thank you. We have emailed your personal link to {existing.email}." in text(known)
    assert not signed_in(new_visitor, open_workshop) and not signed_in(other_visitor, open_workshop)
    assert [to for to, _, _ in mails(mail)] == ["new@example.org", existing.email]


def test_a_new_account_gets_an_invite_link_by_email_that_signs_it_in(app, make, open_workshop, mail):
    response = join(app.test_client(), make, open_workshop, "new@example.org")
    assert response.status_code == 200
    [(to, subject, body)] = mails(mail)
    assert to == "new@example.org" and open_workshop.title in subject
    [link] = invite_links(body)
    assert link.startswith(BASE + "/invite/")  # from the configured base URL, never the request's Host
    person = accounts.find_person("new@example.org")
    invite = accounts.current_invite(person.id, open_workshop.id)
    assert path_of(link) == f"/invite/{accounts.invite_token(invite)}" and invite.emailed_at is not None
    member = db.session.scalar(select(Membership).where(Membership.person_id == person.id))
    assert (member.role, member.country, member.country_waiting) == (Role.PARTICIPANT, "NP", True)
    visitor = app.test_client()
    assert visitor.get(path_of(link)).status_code == 200
    make.post(visitor, path_of(link))  # the invite page's "Continue" button
    assert signed_in(visitor, open_workshop)


def test_an_existing_account_with_a_password_is_told_to_sign_in_with_it(app, client, make, open_workshop, mail):
    existing = make.person("Kept Name", password="correct horse battery", country="IN")
    join(client, make, open_workshop, existing.email.upper(), name="Mallory", country="LK")
    [(to, _, body)] = mails(mail)
    assert to == existing.email
    assert "Dear Kept Name," in body and "registered as a participant" in body
    assert f"{BASE}/login" in body and "password" in body and invite_links(body) == []
    assert db.session.scalar(select(func.count(Invite.id))) == 0  # no link: it would not sign this account in
    db.session.refresh(existing)
    assert (existing.name, existing.country) == ("Kept Name", "IN")
    member = db.session.scalar(select(Membership).where(Membership.person_id == existing.id))
    assert (member.role, member.country, member.country_waiting) == (Role.PARTICIPANT, "LK", True)
    assert not signed_in(client, open_workshop)


def test_an_existing_account_without_a_password_gets_a_new_link_by_email(app, client, make, open_workshop, mail):
    elsewhere = make.workshop()
    existing = make.member(elsewhere, name="Participant Elsewhere")
    join(client, make, open_workshop, existing.email)
    [(to, _, body)] = mails(mail)
    [link] = invite_links(body)
    invite = accounts.current_invite(existing.id, open_workshop.id)
    assert to == existing.email and path_of(link) == f"/invite/{accounts.invite_token(invite)}"
    assert not signed_in(client, open_workshop)


def test_registering_again_sends_the_current_link_without_ending_it(app, client, make, open_workshop, mail):
    member = make.member(open_workshop, name="Already Here")
    invite = accounts.issue_invite(member, open_workshop)
    db.session.commit()
    response = join(client, make, open_workshop, member.email)
    assert f"We have emailed your personal link to {member.email}" in text(response)
    [(_, _, body)] = mails(mail)
    assert "already registered" in body
    assert invite_links(body) == [f"{BASE}/invite/{accounts.invite_token(invite)}"]
    db.session.refresh(invite)
    assert invite.revoked_at is None
    assert db.session.scalar(select(func.count(Membership.id))) == 1


def test_with_the_mail_server_down_it_is_502_and_a_retry_sends_it(app, client, make, open_workshop, smtp_server):
    app.config["BASE_URL"] = BASE
    port = app.config["SMTP_PORT"]
    stopped = Controller(Inbox(), hostname="127.0.0.1", port=free_port())
    stopped.start()
    stopped.stop()
    app.config["SMTP_PORT"] = stopped.port
    response = join(client, make, open_workshop, "new@example.org")
    assert response.status_code == 502
    assert "We could not send the email just now" in text(response)
    app.config["SMTP_PORT"] = port
    response = join(client, make, open_workshop, "new@example.org")
    assert response.status_code == 200
    [(to, _, body)] = mails(smtp_server)
    assert to == "new@example.org" and len(invite_links(body)) == 1
    assert db.session.scalar(select(func.count(Person.id))) == 1
