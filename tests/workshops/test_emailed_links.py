"""Emailed links come from WORKSHOP_BASE_URL, never from the Host a request sent; WORKSHOP_TRUSTED_HOSTS
lets a deployment refuse foreign Host headers altogether."""

from __future__ import annotations

import email
import email.policy

import pytest
from sqlalchemy import select

from tests.workshops.conftest import BASE_URL, invite_links
from tests.workshops.helpers import text
from workshop import config
from workshop.accounts import services as accounts
from workshop.accounts.models import Invite
from workshop.db import db
from workshop.urls import BASE_URL_MISSING, BaseUrlMissing, email_url, external_url

ATTACKER = {"Host": "evil.example"}


@pytest.fixture
def invited(make, workshop):
    person = make.member(workshop, name="Sita Sharma")
    accounts.issue_invite(person, workshop)
    db.session.commit()
    return person


def send(client, make, workshop, **kwargs):
    return make.post(client, f"/w/{workshop.code}/invitations/send", **kwargs)


def test_an_email_link_needs_the_base_url_and_a_page_link_may_use_the_request_host(app):
    app.config.update(BASE_URL=None, SERVER_NAME=None)  # as a server is configured: the tests name "localhost"
    with app.test_request_context("/", headers=ATTACKER):
        for emailed in (lambda: email_url("accounts.login"), lambda: external_url("accounts.login", for_email=True)):
            with pytest.raises(BaseUrlMissing, match="Set WORKSHOP_BASE_URL"):
                emailed()
        assert external_url("accounts.login") == "http://evil.example/login"  # shown to who sent that Host
    app.config["BASE_URL"] = BASE_URL
    with app.test_request_context("/", headers=ATTACKER):
        assert (email_url("accounts.login") == external_url("accounts.login", for_email=True)
                == external_url("accounts.login") == f"{BASE_URL}/login")


def test_sending_invitations_without_a_base_url_is_400_and_sends_and_marks_nothing(
        app, client, make, workshop, organizer, invited, smtp_server):
    app.config["BASE_URL"] = None
    response = send(client, make, workshop)
    assert response.status_code == 400
    assert BASE_URL_MISSING in text(response)
    assert smtp_server.messages == []
    assert db.session.scalars(select(Invite).where(Invite.emailed_at.is_not(None))).all() == []


def test_an_invitation_sent_through_a_foreign_host_still_links_to_the_base_url(
        app, client, make, workshop, organizer, invited, smtp_server):
    app.config["SERVER_NAME"] = None  # as a server is configured: links would follow the request's host
    csrf = make.csrf_token(client, f"/w/{workshop.code}/people")
    foreign = app.test_client()  # the organizer's session, sent with another Host header
    foreign.set_cookie(app.config["SESSION_COOKIE_NAME"], client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value,
                       domain="evil.example")
    response = foreign.post(f"/w/{workshop.code}/invitations/send", data={"csrf_token": csrf}, headers=ATTACKER)
    assert response.status_code == 302
    [envelope] = smtp_server.messages
    body = email.message_from_bytes(envelope.content, policy=email.policy.default).get_body(("plain",)).get_content()
    [link] = invite_links(body)
    assert link.startswith(f"{BASE_URL}/invite/")
    assert "evil.example" not in body


def test_trusted_hosts_are_read_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKSHOP_TRUSTED_HOSTS", raising=False)
    assert config.settings_from_env(tmp_path)["TRUSTED_HOSTS"] is None
    monkeypatch.setenv("WORKSHOP_TRUSTED_HOSTS", " workshops.example.org, .example.net ,,")
    assert config.settings_from_env(tmp_path)["TRUSTED_HOSTS"] == ["workshops.example.org", ".example.net"]


def test_with_trusted_hosts_a_foreign_host_is_refused_with_a_plain_400(app, client):
    assert client.get("/login", headers=ATTACKER).status_code == 200  # unset: any host, as before
    app.config["TRUSTED_HOSTS"] = ["localhost", ".example.org"]
    refused = client.get("/login", headers=ATTACKER)
    assert refused.status_code == 400
    assert refused.get_data(as_text=True) == "This server does not answer to that host name."
    for host in ("localhost", "workshops.example.org", "workshops.example.org:8443"):
        assert client.get("/login", headers={"Host": host}).status_code == 200, host
