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
