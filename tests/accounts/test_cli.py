"""``flask create-organizer``: the first organizer, and clear refusals that create nothing."""

import pytest
from sqlalchemy import func, select

from tests.accounts.conftest import is_signed_in
from workshop.accounts.models import Person
from workshop.db import db

GOOD_PASSWORD = "a long enough passphrase"


def _people() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Person))


def _create(app, email="first.organizer@example.org", name="First Organizer", password=GOOD_PASSWORD):
    return app.test_cli_runner().invoke(
        args=["create-organizer", "--email", email, "--name", name, "--password", password])


def test_creates_an_organizer_who_can_sign_in_and_create_workshops(app, client, make):
    result = _create(app)
    assert result.exit_code == 0, result.output
    assert "Organizer first.organizer@example.org created" in result.output
    response = make.post(client, "/login", {"email": "first.organizer@example.org", "password": GOOD_PASSWORD})
    assert response.status_code == 302
    assert is_signed_in(client)
    assert client.get("/workshops/new").status_code == 200


def test_prompts_for_what_is_not_given(app):
    result = app.test_cli_runner().invoke(
        args=["create-organizer"], input=f"prompted@example.org\nPrompted Person\n{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert _people() == 1


@pytest.mark.parametrize("email, name, password, message", [
    ("short@example.org", "Short Password", "too short", "at least 10 characters"),
    ("not-an-email", "Bad Email", GOOD_PASSWORD, "Not a valid email address"),
    ("no.name@example.org", "   ", GOOD_PASSWORD, "A name is required"),
])
def test_bad_input_is_a_clear_error_and_creates_nothing(app, email, name, password, message):
    result = _create(app, email=email, name=name, password=password)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert _people() == 0


@pytest.mark.parametrize("again", ["first.organizer@example.org", "First.Organizer@EXAMPLE.org"])
def test_duplicate_email_is_a_clear_error_and_keeps_the_first_account(app, client, make, again):
    assert _create(app).exit_code == 0
    result = _create(app, email=again, name="Impostor", password="another long passphrase")
    assert result.exit_code != 0
    assert "already has an account" in result.output
    assert _people() == 1
    assert make.post(client, "/login", {"email": again, "password": GOOD_PASSWORD}).status_code == 302
