"""Emailing personal invite links."""

from __future__ import annotations

from sqlalchemy import select

from workshop.accounts.models import Invite
from workshop.accounts.services import invite_token
from workshop.db import db, utcnow
from workshop.mail import compose, send_all
from workshop.urls import email_url
from workshop.workshops.models import Workshop


def invitation_text(invite: Invite, link: str) -> str:
    workshop = invite.workshop
    return (
        f"Dear {invite.person.name},\n\n"
        f"You are registered for {workshop.title} ({workshop.code}), "
        f"{workshop.starts_on:%d %B %Y} to {workshop.ends_on:%d %B %Y}.\n\n"
        f"Your personal link to the workshop (no password needed; please do not share it):\n{link}\n\n"
        f"The link works until {invite.expires_at:%d %B %Y}. The agenda is shown in your own timezone.\n\n"
        "The organizers\n"
    )


def invite_link(invite: Invite) -> str:
    return email_url("accounts.invite", token=invite_token(invite))


def send_pending(workshop: Workshop) -> int:
    """Email every current invite of the workshop not emailed yet; marks them sent only if all went out.

    Links are made from BASE_URL (urls.BaseUrlMissing without it), never from a request's Host.
    """
    pending = list(db.session.scalars(select(Invite).where(
        Invite.workshop_id == workshop.id, Invite.revoked_at.is_(None), Invite.emailed_at.is_(None),
        Invite.expires_at > utcnow())))
    messages = [compose(to=invite.person.email, subject=f"Your link to {workshop.title}",
                        body=invitation_text(invite, invite_link(invite))) for invite in pending]
    if messages:
        send_all(messages)
    now = utcnow()
    for invite in pending:
        invite.emailed_at = now
    return len(pending)


# Self-registration: the visitor may not be the address's holder, so the answer goes to the address ---------

def join_text(registration, workshop: Workshop, *, link: str | None, sign_in: str) -> str:
    """What a join form's email says: registered (or already registered), and how to sign in."""
    person = registration.person
    dates = f"{workshop.starts_on:%d %B %Y} to {workshop.ends_on:%d %B %Y}"
    if registration.already_member:
        opening = f"You are already registered for {workshop.title} ({workshop.code}), {dates}."
    else:
        opening = (f"You are now registered as a participant of {workshop.title} ({workshop.code}), {dates}, "
                   "with the workshop's join code.")
    if link is not None:
        how = f"Your personal link to the workshop (no password needed; please do not share it):\n{link}"
    else:
        how = f"Sign in with your email address and your password at:\n{sign_in}"
    return (
        f"Dear {person.name},\n\n{opening}\n\n{how}\n\n"
        "The organizers confirm each self-registered participant's country before its report pages open to them.\n"
        "If you did not register, you can ignore this message or tell the organizers.\n\n"
        "The organizers\n"
    )


def send_join_mail(registration, workshop: Workshop) -> bool:
    """Email the registered address how to sign in; False if there is nothing to send (a deleted account).

    Raises OSError or smtplib.SMTPException if the mail server refuses, urls.BaseUrlMissing without a base URL
    (links are never made from a request's Host); marks an emailed link as sent.
    """
    person = registration.person
    if person.deleted_at is not None:
        return False
    invite = registration.invite
    if invite is None and person.password_hash is None:
        return False
    link = invite_link(invite) if invite is not None else None
    subject = f"Your link to {workshop.title}" if link else f"You are registered for {workshop.title}"
    send_all([compose(to=person.email, subject=subject,
                      body=join_text(registration, workshop, link=link, sign_in=email_url("accounts.login")))])
    if invite is not None:
        invite.emailed_at = utcnow()
    return True
