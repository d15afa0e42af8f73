"""Emailing invite links through a real SMTP server on localhost."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests.workshops.conftest import Inbox, free_port, invite_links, path_of
from tests.workshops.helpers import text
from workshop.accounts import services as accounts
from workshop.accounts.models import Invite
from workshop.db import db
from workshop.workshops.models import Role


@pytest.fixture
def invited(make, workshop):
    """Three participants with a link, one whose link was withdrawn and one who never had one."""
    people = [make.member(workshop, name=name) for name in ("Sita Sharma", "Nguyễn Thị Hương", "김민준")]
    for person in people:
        accounts.issue_invite(person, workshop)
    withdrawn = make.member(workshop, name="Withdrawn Person")
    accounts.revoke_invite(accounts.issue_invite(withdrawn, workshop))
    make.member(workshop, name="Never Invited")
    db.session.commit()
    return people


def received(inbox: Inbox) -> dict[str, str]:
    """Recipient -> plain text body of every message the server got."""
    out = {}
    for envelope in inbox.messages:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert len(envelope.rcpt_tos) == 1
        out[envelope.rcpt_tos[0]] = message.get_body(("plain",)).get_content()
    return out


def send(client, make, workshop, **kwargs):
    return make.post(client, f"/w/{workshop.code}/invitations/send", **kwargs)


def test_each_invited_participant_gets_one_email_with_their_own_working_link(
        app, client, make, workshop, organizer, invited, smtp_server):
    response = send(client, make, workshop, follow_redirects=True)
    assert response.status_code == 200
    assert "Sent 3 invitation(s)." in text(response)
    mail = received(smtp_server)
    assert set(mail) == {person.email for person in invited}
    visitor = app.test_client()
    for person in invited:
        body = mail[person.email]
        assert f"Dear {person.name}," in body and workshop.title in body
        [link] = invite_links(body)
        invite = accounts.current_invite(person.id, workshop.id)
        assert path_of(link) == f"/invite/{accounts.invite_token(invite)}"
        assert visitor.get(path_of(link)).status_code == 200
        assert invite.emailed_at is not None
    assert "emailed" in text(client.get(f"/w/{workshop.code}/people"))


def test_a_second_send_sends_nothing_more(client, make, workshop, organizer, invited, smtp_server):
    send(client, make, workshop)
    assert len(smtp_server.messages) == 3
    response = send(client, make, workshop, follow_redirects=True)
    assert "Everyone with a link has already been emailed." in text(response)
    assert len(smtp_server.messages) == 3


def test_a_reissued_link_is_emailed_again(client, make, workshop, organizer, invited, smtp_server):
    send(client, make, workshop)
    make.post(client, f"/w/{workshop.code}/people/{invited[0].id}/invite")
    send(client, make, workshop)
    assert len(smtp_server.messages) == 4
    assert smtp_server.messages[-1].rcpt_tos == [invited[0].email]


def test_without_smtp_configured_it_is_400_with_a_clear_message(app, client, make, workshop, organizer, invited):
    app.config["SMTP_HOST"] = None
    response = send(client, make, workshop)
    assert response.status_code == 400
    assert "Email is not set up" in text(response)
    assert "Email is not set up" in text(client.get(f"/w/{workshop.code}/people"))


def test_with_the_mail_server_down_it_is_502_and_nothing_is_marked_sent(app, client, make, workshop, organizer,
                                                                        invited):
    stopped = Controller(Inbox(), hostname="127.0.0.1", port=free_port())
    stopped.start()
    stopped.stop()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=stopped.port, BASE_URL="https://workshops.example.org")
    response = send(client, make, workshop)
    assert response.status_code == 502
    assert "The mail server did not accept the invitations" in text(response)
    assert "Nothing was marked as sent." in text(response)
    assert db.session.scalars(select(Invite).where(Invite.emailed_at.is_not(None))).all() == []


def test_send_without_csrf_token_sends_nothing(client, workshop, organizer, invited, smtp_server):
    assert client.post(f"/w/{workshop.code}/invitations/send").status_code == 400
    assert smtp_server.messages == []


def test_moderators_may_not_send(client, make, workshop, invited, smtp_server):
    make.sign_in(client, make.member(workshop, Role.MODERATOR, password=None))
    assert send(client, make, workshop).status_code == 403
    assert smtp_server.messages == []
