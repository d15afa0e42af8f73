"""Who a live connection is and what it may do, read once when it connects instead of at every event.

Without it each vote or upvote loads the person, their invite link and their
membership again: three queries of the five a vote needs besides its own
writes. Keeping them for the connection's life is safe because every
revocation ends the connection (``workshop/live/access.py``): signing out or
out everywhere, a new password, a withdrawn or replaced invite, a removed
member, a deleted account. Roles do not change in place (a member is removed
and added again). What ends by itself, an invite link's expiry, is compared at
each event: past it, the event loads everything as a page would and is refused.
And what a worker could miss (an order sent while the message queue was away)
is read again from the database at least every ``IDENTITY_SECONDS``.

The access rules themselves stay in :mod:`workshop.workshops.permissions`:
each event's check still asks them, with what was read at connection.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from sqlalchemy.orm import Session

from workshop.accounts.models import Invite, Person
from workshop.db import db, utcnow
from workshop.workshops.models import Membership, Workshop
from workshop.workshops.permissions import Action, Refused, authorize, remember_access

ENVIRON_KEY = "workshop.live.identity"
IDENTITY_SECONDS = 30.0


@dataclass(frozen=True)
class ConnectionIdentity:
    user_id: str  # Flask-Login's id in the connection's session: the person, their sign-in's version and invite
    person: Person  # detached copies, merged into each event's database session without a query
    workshop: Workshop
    membership: Membership
    invite_id: int | None
    invite_workshop_id: int | None
    invite_expires_at: datetime | None
    read_at: float = field(default_factory=time.monotonic)

    def holds(self) -> bool:
        return (session.get("_user_id") == self.user_id
                and time.monotonic() - self.read_at < IDENTITY_SECONDS
                and (self.invite_expires_at is None or self.invite_expires_at > utcnow()))


def remember(workshop: Workshop, membership: Membership) -> None:
    """At connection, once the access check passed: keep who this is for the connection's events."""
    person = current_user._get_current_object()
    invite_id = getattr(person, "signed_in_invite_id", None)
    invite = db.session.get(Invite, invite_id) if invite_id else None  # in the session already: no query
    request.environ[ENVIRON_KEY] = ConnectionIdentity(
        user_id=person.get_id(), person=_detached_copy(person), workshop=_detached_copy(workshop),
        membership=_detached_copy(membership), invite_id=invite_id,
        invite_workshop_id=invite.workshop_id if invite else None,
        invite_expires_at=invite.expires_at if invite else None)


def restore() -> None:
    """Before a socket event's handler: the person and their membership as read at connection, if still valid."""
    for earlier in ("_login_user", "remembered_access", "memberships"):  # an event starts from nothing read
        g.pop(earlier, None)
    identity: ConnectionIdentity | None = request.environ.get(ENVIRON_KEY)
    if identity is None:
        return
    if not identity.holds():
        _read_again(identity.workshop.id)
        return
    person = db.session.merge(identity.person, load=False)
    if identity.invite_id is not None:
        person.signed_in_invite_id = identity.invite_id
        person.signed_in_workshop_id = identity.invite_workshop_id
    g._login_user = person  # Flask-Login's own slot: current_user is this person without loading them
    remember_access(person, db.session.merge(identity.workshop, load=False),
                    db.session.merge(identity.membership, load=False))


def _read_again(workshop_id: int) -> None:
    """Load the person and their membership as any request does, and keep them again; if access has ended,
    keep nothing, and the event's own check refuses it with the reason."""
    del request.environ[ENVIRON_KEY]
    try:
        workshop, membership = authorize(workshop_id, Action.VIEW_WORKSHOP)
    except Refused:
        return
    remember(workshop, membership)


def _detached_copy(instance):
    """A copy of a loaded instance that no later commit of this session expires."""
    with Session() as scratch:
        copy = scratch.merge(instance, load=False)
        scratch.expunge(copy)
    return copy


class ConnectionSessionInterface(SecureCookieSessionInterface):
    """A socket event's request context takes the session its connection keeps (Flask-SocketIO's copy, made at
    the first event) instead of verifying and decoding the cookie again at every vote and upvote."""

    KEPT = "saved_session"  # where Flask-SocketIO keeps it in the connection's environ

    def open_session(self, app, request):
        kept = request.environ.get(self.KEPT)
        return kept if kept is not None else super().open_session(app, request)

