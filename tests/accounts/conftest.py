"""Fixtures for the sign-in tests: reading rows back, judging sign-in, and invite links."""

from __future__ import annotations

import pytest

from workshop.accounts import services as accounts
from workshop.db import db


def reread(instance):
    """The row as now committed: requests write through their own database session."""
    db.session.rollback()
    return db.session.get(type(instance), instance.id)


def is_signed_in(client, person=None) -> bool:
    """Whether the client's session is signed in (as ``person``, when given), judged by the workshop list."""
    response = client.get("/")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
        return False
    assert response.status_code == 200
    return person is None or person.name in response.get_data(as_text=True)


@pytest.fixture
def invite_link(app):
    """Issue a committed invite for a person in a workshop; returns (invite, token)."""

    def issue(person, workshop):
        invite = accounts.issue_invite(person, workshop)
        db.session.commit()
        return invite, accounts.invite_token(invite)

    return issue


@pytest.fixture
def mailbox(app):
    """A real SMTP server on a free local port, and the base URL that emailed links are built from."""
    from aiosmtpd.controller import Controller

    from tests.workshops.conftest import Inbox, free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, BASE_URL="https://workshops.example.org")
    yield inbox
    controller.stop()
