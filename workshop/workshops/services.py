"""Workshops, membership, participant import and self-registration: the rules, with no web code."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select

from workshop.accounts import services as accounts
from workshop.accounts.models import Invite, Person
from workshop.audit.services import record
from workshop.csvio import read_csv
from workshop.db import db, utcnow
from workshop.errors import Reason, ValidationError
from workshop.workshops.models import Membership, Modality, Origin, Role, Workshop
from workshop.workshops.permissions import MEMBER_REMOVED, membership_of

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$")
IMPORT_COLUMNS = ("name", "email", "country", "organization", "role", "local/overseas")
REQUIRED_COLUMNS = ("name", "email", "country")
FIELD_LIMITS = {"name": 200, "email": 254, "organization": 300}


def _parse_date(raw: str | date, field_name: str) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationError({field_name: f"{raw!r} is not a date (use YYYY-MM-DD)."}) from None


def clean_workshop_fields(data: dict) -> dict:
    """Validated workshop fields, or ValidationError naming every field that is wrong."""
    errors: dict[str, str] = {}
    cleaned: dict = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = "A title is required."
    elif len(title) > 200:
        errors["title"] = "The title is longer than 200 characters."
    cleaned["title"] = title
    code = (data.get("code") or "").strip()
    if not CODE_PATTERN.match(code):
        errors["code"] = "The code needs 2-40 letters, digits, dots, dashes or underscores (e.g. 23-IP-02-GE-WSP-A)."
    cleaned["code"] = code
    for name in ("starts_on", "ends_on"):
        try:
            cleaned[name] = _parse_date(data.get(name) or "", name)
        except ValidationError as error:
            errors.update(error.errors)
    if "starts_on" in cleaned and "ends_on" in cleaned and cleaned["ends_on"] < cleaned["starts_on"]:
        errors["ends_on"] = "The workshop cannot end before it starts."
    try:
        cleaned["timezone"] = accounts.check_timezone(data.get("timezone") or "")
    except ValidationError as error:
        errors.update(error.errors)
    try:
        cleaned["modality"] = Modality(data.get("modality") or "online")
    except ValueError:
        errors["modality"] = "Choose online, hybrid or in person."
    for name in ("objectives", "topics"):
        text = (data.get(name) or "").strip()
        if len(text) > 5000:
            errors[name] = "This is longer than 5,000 characters."
        cleaned[name] = text
    organizations = " ".join((data.get("implementing_organizations") or "").split())
    if len(organizations) > 500:
        errors["implementing_organizations"] = "This is longer than 500 characters."
    cleaned["implementing_organizations"] = organizations
    cleaned["join_enabled"] = bool(data.get("join_enabled"))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_code_free(code: str, workshop_id: int | None = None) -> None:
    taken = db.session.scalar(select(Workshop.id).where(func.lower(Workshop.code) == code.lower()))
    if taken is not None and taken != workshop_id:
        raise ValidationError({"code": f"Another workshop already uses the code {code}."}, status=409)


def create_workshop(creator: Person, data: dict) -> Workshop:
    fields = clean_workshop_fields(data)
    _check_code_free(fields["code"])
    workshop = Workshop(**fields)
    if workshop.join_enabled:
        workshop.join_code = new_join_code()
    db.session.add(workshop)
    db.session.add(Membership(workshop=workshop, person=creator, role=Role.ORGANIZER, origin=Origin.LOCAL,
                              country=creator.country, country_confirmed_at=utcnow() if creator.country else None))
    return workshop


def update_workshop(workshop: Workshop, data: dict) -> Workshop:
    fields = clean_workshop_fields(data)
    _check_code_free(fields["code"], workshop.id)
    for name, value in fields.items():
        setattr(workshop, name, value)
    if workshop.join_enabled and not workshop.join_code:
        workshop.join_code = new_join_code()
    return workshop


def new_join_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def workshops_of(person: Person, only: int | None = None) -> list[tuple[Workshop, Membership]]:
    """The person's workshops; ``only`` one of them for an invite link's session, which reaches no other."""
    query = select(Workshop, Membership).join(Membership).where(Membership.person_id == person.id)
    if only is not None:
        query = query.where(Workshop.id == only)
    rows = db.session.execute(query.order_by(Workshop.starts_on.desc()))
    return [(w, m) for w, m in rows]


def members(workshop: Workshop, query: str = "", role: Role | None = None) -> list[Membership]:
    statement = (select(Membership).join(Person).where(Membership.workshop_id == workshop.id)
                 .order_by(Membership.role, func.lower(Person.name)))
    if role is not None:
        statement = statement.where(Membership.role == role)
    words = query.strip().lower().split()
    for word in words[:5]:
        # autoescape: a typed "%" or "_" is a character to find, not a wildcard that matches everyone.
        statement = statement.where(or_(func.lower(Person.name).contains(word, autoescape=True),
                                        func.lower(Person.email).contains(word, autoescape=True),
                                        func.lower(Person.organization).contains(word, autoescape=True),
                                        func.lower(Membership.country) == word))
    return list(db.session.scalars(statement))


def add_member(workshop: Workshop, person: Person, role: Role, origin: Origin = Origin.OVERSEAS, *,
               country: str | None = None, confirmed: bool = True) -> Membership:
    """Add the person; ``country`` (default: their profile's) is the one that counts for the workshop's reports.

    ``confirmed=False`` (self-registration) leaves it waiting for an organizer: until then it gives no access
    to any country's report.
    """
    existing = membership_of(workshop.id, person)
    if existing is not None:
        raise ValidationError({"email": f"{person.email} is already in this workshop as {existing.role}."}, status=409)
    country = country or person.country
    membership = Membership(workshop=workshop, person=person, role=role, origin=origin, country=country,
                            country_confirmed_at=utcnow() if confirmed and country else None)
    db.session.add(membership)
    return membership


# Countries: a self-registrant's counts once an organizer confirms it ----------------------------------

MAX_COUNTRY_TEXT = 60


def confirm_country(workshop: Workshop, membership: Membership, actor: Person, country: str = "") -> bool:
    """Confirm the member's country, corrected to ``country`` if one is given; False if nothing changed.

    Raises ValidationError (400) for an unknown country or a member with none; nothing is written then.
    """
    text = (country or "").strip()
    if len(text) > MAX_COUNTRY_TEXT:
        raise ValidationError({"country": "Unknown country: use an ISO 3166 code such as NP or LK."})
    code = accounts.country_code(text) if text else membership.country
    if code is None:
        raise ValidationError({"country": "This person has no country yet: type it in before confirming."})
    before = membership.country
    if code == before and membership.country_confirmed_at is not None:
        return False
    membership.country = code
    membership.country_confirmed_at = utcnow()
    detail = accounts.country_name(code)
    if before and before != code:
        detail += f" (declared {accounts.country_name(before)})"
    record(workshop.id, actor, "country confirmed", subject=membership.person, detail=detail)
    return True


@dataclass
class StaffAdded:
    membership: Membership
    is_new: bool
    # A one-time password link for a brand-new account, to show once to the organizer when mail is not set up.
    password_token: str | None = None


def add_staff(workshop: Workshop, actor: Person, *, name: str, email: str, role: Role,
              mail_ready: bool) -> StaffAdded:
    """Add an organizer or moderator. Nobody gets a credential of an existing account: it gets a notice.

    A new account gets a one-time link to set its own password: emailed by the caller when ``mail_ready``,
    else returned to show once (the account is brand new and belongs to this workshop alone).
    """
    if role not in (Role.ORGANIZER, Role.MODERATOR):
        raise ValidationError({"role": "Staff are organizers or moderators."})
    person = accounts.find_person(accounts.normalize_email(email))
    is_new = person is None
    if is_new:
        person = accounts.create_person(email=email, name=name)
        db.session.flush()
    membership = add_member(workshop, person, role, Origin.LOCAL)
    if role == Role.ORGANIZER:
        person.can_create_workshops = True
    record(workshop.id, actor, "member added", subject=person, detail=f"as {role}")
    token = accounts.issue_password_link(person) if is_new and not mail_ready else None
    return StaffAdded(membership, is_new, token)


def remove_member(workshop: Workshop, actor: Person, person: Person) -> None:
    """End a person's membership; what they contributed (ballots, questions, notes, reports) stays."""
    membership = db.session.scalar(select(Membership).where(Membership.workshop_id == workshop.id,
                                                            Membership.person_id == person.id))
    if membership is None:
        raise ValidationError({"person": "That person is not in this workshop."}, status=404)
    if membership.role == Role.ORGANIZER and _organizer_count(workshop) <= 1:
        raise ValidationError({"person": "A workshop keeps at least one organizer: add another organizer first."},
                              status=409)
    accounts.revoke_invites(person.id, workshop.id, Reason.REMOVED)
    db.session.delete(membership)
    record(workshop.id, actor, MEMBER_REMOVED, subject=person, detail=f"was {membership.role}")


def _organizer_count(workshop: Workshop) -> int:
    return db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.workshop_id == workshop.id, Membership.role == Role.ORGANIZER))


def belongs_elsewhere(person: Person, workshop: Workshop) -> bool:
    return db.session.scalar(select(Membership.id).where(Membership.person_id == person.id,
                                                         Membership.workshop_id != workshop.id).limit(1)) is not None


def people_in_other_workshops(workshop: Workshop) -> set[int]:
    """Members of this workshop who also belong to another: only they can delete their account."""
    here = select(Membership.person_id).where(Membership.workshop_id == workshop.id)
    return set(db.session.scalars(select(Membership.person_id).where(
        Membership.person_id.in_(here), Membership.workshop_id != workshop.id).distinct()))


def delete_member_account(workshop: Workshop, actor: Person, person: Person) -> None:
    """An organizer deletes the account of a member who belongs to no other workshop."""
    if belongs_elsewhere(person, workshop):
        raise ValidationError({"person": "This person also uses the app outside this workshop, so only they can "
                                         "delete their account. You can remove them from this workshop."},
                              status=403)
    remove_member(workshop, actor, person)
    record(workshop.id, actor, "account deleted", subject=person, detail="by an organizer")
    accounts.delete_account(person)


# Participant import ----------------------------------------------------------

@dataclass
class ImportRow:
    line: int
    name: str
    email: str
    country: str
    organization: str
    role: Role
    origin: Origin


@dataclass
class ImportPreview:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def _parse_role(raw: str) -> Role:
    value = raw.strip().lower() or "participant"
    try:
        return Role(value)
    except ValueError:
        raise ValidationError({"role": f"Unknown role {raw!r} (organizer, moderator or participant)."}) from None


def _parse_origin(raw: str) -> Origin:
    value = raw.strip().lower() or "overseas"
    try:
        return Origin(value)
    except ValueError:
        raise ValidationError({"local/overseas": f"{raw!r} is neither local nor overseas."}) from None


def preview_import(workshop: Workshop, data: bytes) -> ImportPreview:
    """Check an uploaded participant CSV row by row; nothing is written."""
    header, raw_rows = read_csv(data)
    unknown = [name for name in header if name not in IMPORT_COLUMNS]
    if unknown:
        raise ValidationError({"file": f"Unknown column(s): {', '.join(unknown)}. "
                                       f"The columns are: {', '.join(IMPORT_COLUMNS)}."})
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ValidationError({"file": f"Missing column(s): {', '.join(missing)}."})
    if not raw_rows:
        raise ValidationError({"file": "The file has a header but no participants."})
    existing = set(db.session.scalars(
        select(Person.email).join(Membership).where(Membership.workshop_id == workshop.id)))
    preview = ImportPreview()
    seen: dict[str, int] = {}
    for raw in raw_rows:
        line = int(raw["_line"])
        try:
            row = _check_row(raw, line)
        except ValidationError as error:
            preview.errors.append((line, " ".join(error.errors.values())))
            continue
        if row.email in seen:
            preview.errors.append((line, f"Duplicate: {row.email} is also on line {seen[row.email]}."))
        elif row.email in existing:
            preview.errors.append((line, f"Duplicate: {row.email} is already in this workshop."))
        else:
            seen[row.email] = line
            preview.rows.append(row)
    return preview


def _check_row(raw: dict[str, str], line: int) -> ImportRow:
    for name, limit in FIELD_LIMITS.items():
        if len(raw.get(name, "")) > limit:
            raise ValidationError({name: f"The {name} is longer than {limit} characters."})
    name = raw.get("name", "")
    if not name:
        raise ValidationError({"name": "The name is missing."})
    if not raw.get("email"):
        raise ValidationError({"email": "The email is missing."})
    email = accounts.normalize_email(raw["email"])
    if not raw.get("country"):
        raise ValidationError({"country": "The country is missing."})
    return ImportRow(line=line, name=name, email=email, country=accounts.country_code(raw["country"]),
                     organization=raw.get("organization", ""), role=_parse_role(raw.get("role", "")),
                     origin=_parse_origin(raw.get("local/overseas", "")))


SELF_REGISTERED = "as participant, self-registered with the join code (country waiting for confirmation)"


def apply_import(workshop: Workshop, preview: ImportPreview, actor: Person) -> int:
    """Add the valid rows of a preview; people who already have an account keep it."""
    for row in preview.rows:
        person = accounts.find_person(row.email)
        if person is None:
            person = Person(email=row.email, name=row.name, country=row.country, organization=row.organization,
                            timezone="UTC")
            db.session.add(person)
        # The organizers' list is the confirmation: its country counts here, for an existing account too
        # (whose profile, and whatever it declared in other workshops, stays as it was).
        add_member(workshop, person, row.role, row.origin, country=row.country, confirmed=True)
        db.session.flush()
        record(workshop.id, actor, "member added", subject=person, detail=f"as {row.role}, by CSV import")
        if accounts.issue_invite(person, workshop) is not None:
            record(workshop.id, actor, "sign-in link issued", subject=person)
    return len(preview.rows)


# Self-registration with the workshop's join code -------------------------------

def _browser_timezone(name: str) -> str:
    """The zone the join page's script read from the browser, else UTC.

    It sits in a hidden field, so an error on it would be invisible and leave the person unable to join.
    """
    try:
        return accounts.check_timezone(name or "UTC")
    except ValidationError:
        return "UTC"


@dataclass
class Registration:
    """What a join form did. The visitor is told the same whether or not the email had an account."""

    person: Person
    email: str
    new_account: bool
    # The invite link to email (None: the person signs in with their password, or nothing is to be sent).
    invite: Invite | None = None
    already_member: bool = False


def _check_join_fields(name: str, country: str, organization: str) -> tuple[str, str, str]:
    """Every field is checked the same way whether or not the email has an account: errors reveal nothing."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A name is required."})
    if len(name) > 200:
        raise ValidationError({"name": "The name is longer than 200 characters."})
    organization = organization.strip()
    if len(organization) > 300:
        raise ValidationError({"organization": "The organization is longer than 300 characters."})
    return name, accounts.country_code(country), organization


def _link_to_email(person: Person, workshop: Workshop) -> Invite | None:
    """The invite link to email: the current one if it still works (re-registering must not end the sessions
    the person's link opened), else a new one; None for an account with a password, which signs in with it."""
    if person.password_hash is not None or person.deleted_at is not None:
        return None
    current = accounts.current_invite(person.id, workshop.id)
    if current is not None and current.expires_at > utcnow():
        return current
    return accounts.issue_invite(person, workshop)


def register_with_join_code(workshop: Workshop, *, join_code: str, name: str, email: str, country: str,
                            organization: str, timezone: str, by_email: bool) -> Registration:
    """Register a participant with the join code; their declared country waits for an organizer.

    An email that already has an account is never signed in here and its account is not changed: the holder
    is added as a participant (if not a member yet) and, ``by_email``, gets an email saying so and how to sign
    in. A new account gets an invite link by email when ``by_email``, else the caller signs it in at once.
    """
    if not workshop.join_enabled or not workshop.join_code:
        raise ValidationError({"join_code": "Self-registration is closed for this workshop."}, status=403)
    if not secrets.compare_digest(join_code.strip().upper(), workshop.join_code):
        raise ValidationError({"join_code": "That join code is not right."}, status=403)
    email = accounts.normalize_email(email)
    name, code, organization = _check_join_fields(name, country, organization)
    person = accounts.find_person(email)
    if person is None:
        person = accounts.create_person(email=email, name=name, country=code, organization=organization,
                                        timezone=_browser_timezone(timezone))
        add_member(workshop, person, Role.PARTICIPANT, Origin.OVERSEAS, country=code, confirmed=False)
        db.session.flush()
        record(workshop.id, person, "member added", subject=person, detail=SELF_REGISTERED)
        # Emailed, or used at once by the caller to sign in: a session that reaches this workshop alone.
        return Registration(person, email, True, accounts.issue_invite(person, workshop))
    if person.deleted_at is not None:
        return Registration(person, email, False)
    already = membership_of(workshop.id, person) is not None
    if not already:
        add_member(workshop, person, Role.PARTICIPANT, Origin.OVERSEAS, country=code, confirmed=False)
        record(workshop.id, None, "member added", subject=person, detail=SELF_REGISTERED)
    return Registration(person, email, False, _link_to_email(person, workshop) if by_email else None,
                        already_member=already)
