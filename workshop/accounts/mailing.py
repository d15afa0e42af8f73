"""Emails about a person's own account: password links and notices, always to the person's own address."""

from __future__ import annotations

from flask import current_app

from workshop.accounts import services
from workshop.db import db
from workshop.errors import ValidationError
from workshop.mail import compose, send_all
from workshop.urls import email_url


def password_link_text(person, link: str, *, new_account: bool) -> str:
    minutes = current_app.config["PASSWORD_LINK_MINUTES"]
    opening = ("An account has been made for you" if new_account
               else "Someone (hopefully you) asked to set a new password for your account")
    return (
        f"Dear {person.name},\n\n"
        f"{opening} on the workshop site, for {person.email}.\n\n"
        f"Set your password here (the link works once, for {minutes} minutes):\n{link}\n\n"
        "Setting it signs your account out everywhere else. If you did not ask for this, ignore this message:\n"
        "your password stays as it was.\n"
    )


def send_password_link(person, *, new_account: bool = False) -> None:
    """Issue a one-time link and email it to the person; commits the link only if the mail went out."""
    token = services.issue_password_link(person)
    link = email_url("accounts.password_link", token=token)
    send_all([compose(to=person.email, subject="Set your password",
                      body=password_link_text(person, link, new_account=new_account))])
    db.session.commit()


def send_password_link_if_registered(raw_email: str) -> None:
    """For "Forgot password": a link if the address has an account, nothing (and no sign of it) otherwise."""
    try:
        person = services.find_person(services.normalize_email(raw_email))
    except ValidationError:  # a malformed address is answered like an unknown one
        person = None
    if person is None or person.deleted_at is not None:
        return
    try:
        send_password_link(person)
    except Exception as error:  # noqa: BLE001 - the answer must not differ; the operator sees the log
        db.session.rollback()
        current_app.logger.warning("sending a password link failed: %s", error)


def send_added_notice(person, workshop, role) -> None:
    """A notice, never a credential: an existing account was added to a workshop."""
    login = email_url("accounts.login")
    body = (f"Dear {person.name},\n\n"
            f"You have been added to {workshop.title} ({workshop.code}) as {role}.\n\n"
            f"Sign in as usual at {login}. If you have no password yet, use \u201cForgot password\u201d there:\n"
            "a link to set one is sent to this address.\n")
    send_all([compose(to=person.email, subject=f"You have been added to {workshop.title}", body=body)])
