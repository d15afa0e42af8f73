"""People, passwords and invite links: the rules, with no web code."""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pycountry
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from workshop.accounts.models import Invite, Person
from workshop.db import db, utcnow
from workshop.errors import ValidationError

MIN_PASSWORD_LENGTH = 10
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


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


@cache
def _known_timezones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def check_timezone(name: str) -> str:
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"timezone": f"Unknown timezone {name!r}: use an IANA name such as Asia/Colombo."}) from None
    if name not in _known_timezones():
        raise ValidationError({"timezone": f"Unknown timezone {name!r}: use an IANA name such as Asia/Colombo."})
    return name


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
    person.password_hash = generate_password_hash(password)


def authenticate(email: str, password: str) -> Person | None:
    try:
        person = find_person(normalize_email(email))
    except ValidationError:
        person = None
    if person is None or person.password_hash is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return person if check_password_hash(person.password_hash, password) else None


def reset_password(person: Person) -> str:
    """Give the person a new random password, end their sessions, and return it to show once."""
    password = "-".join(secrets.token_urlsafe(4) for _ in range(3))
    set_password(person, password)
    person.session_version = (person.session_version or 1) + 1
    return password


def load_signed_in(user_id: str) -> Person | None:
    """Flask-Login's loader: the id carries the session version so a reset ends old sessions."""
    person_id, _, version = user_id.partition(".")
    if not person_id.isdigit() or not version.isdigit():
        return None
    person = db.session.get(Person, int(person_id))
    if person is None or person.session_version != int(version):
        return None
    return person


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


def issue_invite(person: Person, workshop) -> Invite:
    """A new invite for the person, revoking any earlier one for the same workshop."""
    now = utcnow()
    for old in db.session.scalars(select(Invite).where(
            Invite.person_id == person.id, Invite.workshop_id == workshop.id, Invite.revoked_at.is_(None))):
        old.revoked_at = now
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
