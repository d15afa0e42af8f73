"""Fixtures for the organizer pages: a signed-in organizer and a real local SMTP server."""

from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller

from workshop.workshops.models import Role

BASE_URL = "https://workshops.example.org"


@pytest.fixture
def workshop(make):
    return make.workshop()


@pytest.fixture
def organizer(client, make, workshop):
    """An organizer of ``workshop``, signed in on ``client``."""
    # No password: the session is set directly, and hashing one costs a tenth of a second per test.
    someone = make.member(workshop, Role.ORGANIZER, creator=True, password=None)
    make.sign_in(client, someone)
    return someone


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"

    def bodies(self) -> list[str]:
        return [envelope.content.decode("utf-8", "replace") for envelope in self.messages]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on a free local port, configured in the app, with the base URL emailed links need."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, BASE_URL=BASE_URL)
    yield inbox
    controller.stop()


def path_of(link: str) -> str:
    """The path of an absolute link, for the test client."""
    return urlsplit(link).path


def invite_links(html_or_text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+/invite/[A-Za-z0-9._-]+", html_or_text)
