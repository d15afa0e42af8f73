"""People, passwords and invite links: the rules, with no web code."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

import pycountry
from email_validator import EmailNotValidError, validate_email
from flask import current_app, g
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from workshop import zone_names
from workshop.accounts.models import Invite, PasswordLink, Person
from workshop.db import db, utcnow
from workshop.changes import ACCESS_ENDED, announce
from workshop.errors import Reason, ValidationError

MIN_PASSWORD_LENGTH = 10


@cache
def _dummy_hash(method: str) -> str:
    """Checked against when the email is unknown, so a wrong email takes as long as a wrong password."""
    return generate_password_hash("not a real password", method=method)


def normalize_email(raw: str) -> str:
    """The email in canonical form, or ValidationError with a reason a person can act on."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValidationError({"email": f"Not a valid email address: {error}"}) from None


def country_code(raw: str) -> str:
    """ISO 3166-1 alpha-2 code for a code or a country name ("NP", "npl", "Nepal")."""
    text = raw.strip()
    found = None
    if len(text) == 2:
        found = pycountry.countries.get(alpha_2=text.upper())
    elif len(text) == 3:
        found = pycountry.countries.get(alpha_3=text.upper())
    if found is None and text:
        try:
            found = pycountry.countries.lookup(text)
        except LookupError:
            found = None
    if found is None:
        raise ValidationError({"country": f"Unknown country {text!r}: use an ISO 3166 code such as NP or LK."})
    return found.alpha_2


def country_name(code: str | None) -> str:
    if not code:
        return ""
    found = pycountry.countries.get(alpha_2=code)
    return getattr(found, "common_name", None) or found.name if found else code


def check_timezone(name: str) -> str:
    """The current IANA name of a zone typed in a form, sent by a browser or imported (``Asia/Katmandu`` is saved
    as ``Asia/Kathmandu``); a name the tz database does not know is refused."""
    name = name.strip()
    if not zone_names.is_known(name):
        raise ValidationError({"timezone": f"Unknown timezone {name!r}: use an IANA name such as Asia/Colombo."})
    return zone_names.current_name(name)


def find_person(email: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.email == email))


def create_person(*, email: str, name: str, country: str | None = None, organization: str = "",
                  timezone: str = "UTC") -> Person:
    email = normalize_email(email)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A name is required."})
    if len(name) > 200:
        raise ValidationError({"name": "The name is longer than 200 characters."})
    if len(organization) > 300:
        raise ValidationError({"organization": "The organization is longer than 300 characters."})
    if find_person(email) is not None:
        raise ValidationError({"email": f"{email} already has an account."}, status=409)
    person = Person(email=email, name=name, country=country_code(country) if country else None,
                    organization=organization.strip(), timezone=check_timezone(timezone))
    db.session.add(person)
    return person


def set_password(person: Person, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError({"password": f"The password needs at least {MIN_PASSWORD_LENGTH} characters."})
    person.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def authenticate(email: str, password: str) -> Person | None:
    try:
        person = find_person(normalize_email(email))
    except ValidationError:
        person = None
    if person is None or person.password_hash is None or person.deleted_at is not None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    return person if check_password_hash(person.password_hash, password) else None


def end_every_session(person: Person) -> None:
    """Every session and remember cookie of the account stops working at its next request, and its open
    pages are told and disconnected once this commits."""
    person.session_version = (person.session_version or 1) + 1
    announce(ACCESS_ENDED, person.id, None, Reason.SIGNED_OUT)


def change_password(person: Person, current: str, new: str) -> None:
    if person.password_hash is None or not check_password_hash(person.password_hash, current):
        raise ValidationError({"current_password": "That is not your current password."})
    set_password(person, new)
    _revoke_invites_of(person)
    end_every_session(person)


# Built once: every request of a signed-in person runs it, and building it costs as much as running it.
_SIGNED_IN = (select(Person, Invite).outerjoin(Invite, Invite.id == bindparam("invite_id"))
              .where(Person.id == bindparam("person_id")))


def load_signed_in(user_id: str) -> Person | None:
    """Flask-Login's loader for the session and the remember cookie.

    The id is ``person.version`` for a password sign-in and ``person.version.iINVITE`` for an invite
    link's: a raised version (password changed, signed out everywhere) or an invite that has ended
    signs the session out. Why is kept in ``g`` so refusals can say it.
    """
    parts = user_id.split(".")
    if len(parts) not in (2, 3) or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    invite_id = None
    if len(parts) == 3:
        if not parts[2].startswith("i") or not parts[2][1:].isdigit():
            return None
        invite_id = int(parts[2][1:])
    # One round trip for both (no invite: none joins): every request of a signed-in person starts here.
    found = db.session.execute(_SIGNED_IN, {"person_id": int(parts[0]), "invite_id": invite_id}).first()
    person, invite = found if found is not None else (None, None)
    if person is None or person.deleted_at is not None or person.session_version != int(parts[1]):
        g.signed_out_reason = Reason.SIGNED_OUT
        return None
    if invite_id is not None:
        problem = _invite_session_problem(invite, person)
        if problem is not None:
            g.signed_out_reason = problem
            return None
        person.signed_in_invite_id = invite.id
        person.signed_in_workshop_id = invite.workshop_id
    return person


def _invite_session_problem(invite: Invite | None, person: Person) -> Reason | None:
    if invite is None or invite.person_id != person.id or invite.revoked_at is not None:
        return Reason.INVITE_REVOKED
    if invite.expires_at <= utcnow():
        return Reason.INVITE_EXPIRED
    if person.password_hash is not None:
        return Reason.SIGNED_OUT  # the person has set a password since: they sign in with it
    return None


def signed_out_reason() -> Reason:
    """Why this request is not signed in: its session ended (and how), or it never had one."""
    return g.get("signed_out_reason", Reason.SIGNED_OUT)


def invite_workshop_id(person) -> int | None:
    """The one workshop an invite link's session reaches; None for a password sign-in."""
    return getattr(person, "signed_in_workshop_id", None)


# One-time password links ------------------------------------------------------

class LinkProblem(Exception):
    """Why a password link cannot be used (410: used, expired or unknown)."""

    status = 410

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_password_link(person: Person) -> str:
    """A new one-time link token to set the person's password; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(PasswordLink(person=person, token_hash=_hash_token(token), created_at=now,
                                expires_at=now + timedelta(minutes=current_app.config["PASSWORD_LINK_MINUTES"])))
    return token


def password_link(token: str) -> PasswordLink:
    """The unused, unexpired link behind a token, or LinkProblem."""
    link = db.session.scalar(select(PasswordLink).where(PasswordLink.token_hash == _hash_token(token[:200])))
    if link is None or link.used_at is not None or link.person.deleted_at is not None:
        raise LinkProblem("This link has already been used or is not valid. Ask for a new one with "
                          "\u201cForgot password\u201d on the sign-in page.")
    if link.expires_at <= utcnow():
        raise LinkProblem("This link has expired (links work for one hour). Ask for a new one with "
                          "\u201cForgot password\u201d on the sign-in page.")
    return link


def use_password_link(token: str, password: str) -> Person:
    """Set the password through a link, once: the link is spent in the same statement that checks it."""
    link = password_link(token)
    set_password(link.person, password)
    spent = db.session.execute(update(PasswordLink).where(PasswordLink.id == link.id, PasswordLink.used_at.is_(None))
                               .values(used_at=utcnow()))
    if spent.rowcount != 1:
        raise LinkProblem("This link has just been used. Ask for a new one with \u201cForgot password\u201d.")
    person = link.person
    _revoke_invites_of(person)
    end_every_session(person)
    return person


def _revoke_invites_of(person: Person) -> None:
    """An account with a password signs in with it: its invite links stop working."""
    now = utcnow()
    db.session.execute(update(Invite).where(Invite.person_id == person.id, Invite.revoked_at.is_(None))
                       .values(revoked_at=now))


def operator_reset(email: str, password: str) -> Person:
    """The command-line reset: a new password, every session ended."""
    person = find_person(normalize_email(email))
    if person is None or person.deleted_at is not None:
        raise ValidationError({"email": f"No account uses {email}."}, status=404)
    set_password(person, password)
    _revoke_invites_of(person)
    end_every_session(person)
    return person


# Deleting an account ------------------------------------------------------------

FORMER_PARTICIPANT = "Former participant"


def delete_account(person: Person) -> list[int]:
    """Empty the account and end its sessions; returns the ids of the workshops it belonged to.

    The row stays so that ballots stay counted and questions and notes keep an author, shown as
    "Former participant"; everything that identifies the person is removed.
    """
    workshop_ids = [membership.workshop_id for membership in person.memberships]
    person.memberships.clear()
    db.session.execute(Invite.__table__.delete().where(Invite.person_id == person.id))
    db.session.execute(PasswordLink.__table__.delete().where(PasswordLink.person_id == person.id))
    person.name = FORMER_PARTICIPANT
    person.email = f"deleted-{person.id}@deleted.invalid"
    person.country = None
    person.organization = ""
    person.password_hash = None
    person.calendar_token = None
    person.can_create_workshops = False
    person.deleted_at = utcnow()
    end_every_session(person)
    return workshop_ids


# Invite links ---------------------------------------------------------------

class InviteProblem(Exception):
    """Why an invite link cannot be used: ``status`` 400 (tampered), 410 (expired or revoked)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _invite_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="invite-link")


def invite_token(invite: Invite) -> str:
    return _invite_signer().dumps(invite.id)


def issue_invite(person: Person, workshop) -> Invite | None:
    """A new invite for the person, revoking any earlier one for the same workshop.

    None for an account with a password: an invite link never signs one in.
    """
    if person.password_hash is not None:
        return None
    now = utcnow()
    for old in db.session.scalars(select(Invite).where(
            Invite.person_id == person.id, Invite.workshop_id == workshop.id, Invite.revoked_at.is_(None))):
        old.revoked_at = now
        announce(ACCESS_ENDED, person.id, workshop.id, Reason.INVITE_REVOKED)
    invite = Invite(person=person, workshop=workshop, created_at=now,
                    expires_at=now + timedelta(days=current_app.config["INVITE_DAYS"]))
    db.session.add(invite)
    return invite


def current_invite(person_id: int, workshop_id: int) -> Invite | None:
    return db.session.scalar(
        select(Invite).where(Invite.person_id == person_id, Invite.workshop_id == workshop_id,
                             Invite.revoked_at.is_(None)).order_by(Invite.id.desc()).limit(1))


def revoke_invite(invite: Invite) -> None:
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()


def revoke_invites(person_id: int, workshop_id: int, reason: Reason = Reason.INVITE_REVOKED) -> None:
    """The person's invite links to the workshop stop working; their open pages there are told why and
    disconnected once this commits."""
    db.session.execute(update(Invite).where(Invite.person_id == person_id, Invite.workshop_id == workshop_id,
                                            Invite.revoked_at.is_(None)).values(revoked_at=utcnow()))
    announce(ACCESS_ENDED, person_id, workshop_id, reason)


def sign_in_with_invite(invite: Invite) -> tuple[Person, timedelta]:
    """The person an invite link signs in, scoped to its workshop, and how long to remember it."""
    person = invite.person
    if person.password_hash is not None:
        raise InviteProblem(409, "This account signs in with its password, not with an invite link. "
                                 "Sign in with your email and password.")
    now = utcnow()
    invite.last_used_at = now
    person.signed_in_invite_id = invite.id
    person.signed_in_workshop_id = invite.workshop_id
    remember = min(timedelta(days=current_app.config["INVITE_SESSION_DAYS"]), invite.expires_at - now)
    return person, remember


def resolve_invite(token: str) -> Invite:
    """The invite behind a link, or InviteProblem saying why it cannot be used."""
    try:
        invite_id = _invite_signer().loads(token)
    except BadSignature:
        raise InviteProblem(400, "This invite link is not valid. Check that it was copied whole.") from None
    invite = db.session.get(Invite, invite_id) if isinstance(invite_id, int) else None
    if invite is None:
        raise InviteProblem(400, "This invite link is not valid. Check that it was copied whole.")
    if invite.revoked_at is not None:
        raise InviteProblem(410, "This invite link has been replaced or withdrawn. Ask the organizers for a new one.")
    if invite.expires_at <= utcnow():
        raise InviteProblem(410, "This invite link has expired. Ask the organizers for a new one.")
    return invite
