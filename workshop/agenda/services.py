"""The agenda's rules: validating sessions, ordering, overlaps, now and next. No web code."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workshop.accounts import services as accounts
from workshop.accounts.models import Person
from workshop.agenda.models import AgendaSession, Material, SessionKind
from workshop.agenda.timezones import local_midnight
from workshop.db import db, utcnow
from workshop.errors import ValidationError
from workshop.uploads.models import StoredFile
from workshop.workshops.models import Membership, Role, Workshop

MAX_TEXT = 5000


def check_https_url(raw: str | None, field: str) -> str | None:
    """A stripped https URL, None for blank, or ValidationError (javascript:, http:, relative...)."""
    url = (raw or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname or any(c.isspace() for c in url):
        raise ValidationError({field: "Give a full https:// address (for example https://zoom.us/j/123)."})
    if len(url) > 500:
        raise ValidationError({field: "The address is longer than 500 characters."})
    return url


def parse_local(raw: str | datetime | None, zone: ZoneInfo, field: str) -> datetime:
    """A datetime typed in the workshop's host zone (``2023-07-18T09:00``) as an aware datetime."""
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=zone)
    try:
        value = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        raise ValidationError({field: "Give a date and time, for example 2023-07-18 09:00."}) from None
    return value if value.tzinfo else value.replace(tzinfo=zone)


def _lines(raw: str | None, field: str) -> str:
    text = "\n".join(line.strip() for line in (raw or "").splitlines() if line.strip())
    if len(text) > MAX_TEXT:
        raise ValidationError({field: f"This is longer than {MAX_TEXT:,} characters."})
    return text


def workshop_bounds(workshop: Workshop) -> tuple[datetime, datetime]:
    """The instants the workshop's first day starts and its last day ends, in its host zone."""
    zone = ZoneInfo(workshop.timezone)
    return local_midnight(workshop.starts_on, zone), local_midnight(workshop.ends_on + timedelta(days=1), zone)


def staff_of(workshop: Workshop) -> list[Person]:
    return list(db.session.scalars(
        select(Person).join(Membership).where(Membership.workshop_id == workshop.id,
                                              Membership.role.in_([Role.ORGANIZER, Role.MODERATOR]))
        .order_by(Person.name)))


def clean_session_fields(workshop: Workshop, data: dict) -> dict:
    """Validated session fields, or ValidationError naming every field that is wrong."""
    errors: dict[str, str] = {}
    cleaned: dict = {}

    def attempt(name, check):
        try:
            cleaned[name] = check()
        except ValidationError as error:
            errors.update(error.errors)

    try:
        cleaned["kind"] = SessionKind(data.get("kind") or "")
    except ValueError:
        errors["kind"] = "Choose a kind of session."
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = "A title is required."
    elif len(title) > 200:
        errors["title"] = "The title is longer than 200 characters."
    cleaned["title"] = title
    description = (data.get("description") or "").strip()
    if len(description) > MAX_TEXT:
        errors["description"] = f"The description is longer than {MAX_TEXT:,} characters."
    cleaned["description"] = description
    zone = ZoneInfo(workshop.timezone)
    attempt("starts_at", lambda: parse_local(data.get("starts_at"), zone, "starts_at"))
    attempt("ends_at", lambda: parse_local(data.get("ends_at"), zone, "ends_at"))
    if "starts_at" in cleaned and "ends_at" in cleaned:
        _check_times(workshop, cleaned["starts_at"], cleaned["ends_at"], errors)
    attempt("video_url", lambda: check_https_url(data.get("video_url"), "video_url"))
    attempt("speakers", lambda: _lines(data.get("speakers"), "speakers"))
    attempt("resource_persons", lambda: _lines(data.get("resource_persons"), "resource_persons"))
    attempt("moderators", lambda: _moderators(workshop, data.get("moderators") or []))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_times(workshop: Workshop, starts_at: datetime, ends_at: datetime, errors: dict[str, str]) -> None:
    if ends_at <= starts_at:
        errors["ends_at"] = "The session must end after it starts."
        return
    first, last = workshop_bounds(workshop)
    if starts_at < first or ends_at > last:
        errors["starts_at"] = (f"The session must fall within the workshop, {workshop.starts_on:%d %b %Y} to "
                               f"{workshop.ends_on:%d %b %Y} ({workshop.timezone} time).")


def _moderators(workshop: Workshop, ids) -> list[Person]:
    wanted = {int(i) for i in ids if str(i).isdigit()}
    staff = [person for person in staff_of(workshop) if person.id in wanted]
    if len(staff) != len(wanted) or len(wanted) != len(list(ids)):
        raise ValidationError({"moderators": "Session moderators must be organizers or moderators of this workshop."})
    return staff


def create_session(workshop: Workshop, data: dict) -> AgendaSession:
    fields = clean_session_fields(workshop, data)
    session = AgendaSession(workshop_id=workshop.id, **fields)
    db.session.add(session)
    agenda_changed(workshop)
    return session


def update_session(session: AgendaSession, workshop: Workshop, data: dict) -> AgendaSession:
    fields = clean_session_fields(workshop, data)
    for name, value in fields.items():
        setattr(session, name, value)
    touch(session)
    return session


def agenda_changed(workshop: Workshop) -> None:
    """Raise the workshop's agenda version (atomically, in SQL): cached renderings of the old one go stale."""
    workshop.agenda_version = Workshop.agenda_version + 1


def touch(session: AgendaSession) -> None:
    """Record a change: calendar clients see a higher SEQUENCE and replace their copy."""
    session.sequence += 1
    session.updated_at = utcnow()
    agenda_changed(session.workshop)


def delete_session(session: AgendaSession) -> None:
    agenda_changed(session.workshop)
    db.session.delete(session)


def sessions_of(workshop: Workshop) -> list[AgendaSession]:
    return list(db.session.scalars(
        select(AgendaSession).where(AgendaSession.workshop_id == workshop.id)
        .options(selectinload(AgendaSession.moderators),
                 selectinload(AgendaSession.materials).selectinload(Material.stored_file))
        .order_by(AgendaSession.starts_at, AgendaSession.ends_at, AgendaSession.id)))


def unfinished_sessions(workshop: Workshop, moment: datetime) -> list[AgendaSession]:
    """Sessions running or still to come: all that "now and next" needs, without their details."""
    return list(db.session.scalars(
        select(AgendaSession).where(AgendaSession.workshop_id == workshop.id, AgendaSession.ends_at > moment)
        .order_by(AgendaSession.starts_at)))


def has_sessions(workshop: Workshop) -> bool:
    return db.session.scalar(select(AgendaSession.id).where(AgendaSession.workshop_id == workshop.id).limit(1)) \
        is not None


def session_in(workshop: Workshop, session_id: int) -> AgendaSession | None:
    session = db.session.get(AgendaSession, session_id)
    return session if session is not None and session.workshop_id == workshop.id else None


def session_or_404(workshop: Workshop, session_id: int) -> AgendaSession:
    """For routes: the workshop's session, or a 404 page saying there is none."""
    session = session_in(workshop, session_id)
    if session is None:
        abort(404, "There is no such session in this workshop.")
    return session


def move_session(workshop: Workshop, session: AgendaSession, direction: str) -> AgendaSession:
    """Swap a session with its neighbour in time: the earlier slot's start is kept, each keeps its length."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move a session up or down."})
    ordered = sessions_of(workshop)
    index = ordered.index(session)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(ordered):
        raise ValidationError({"direction": f"This is already the {'first' if direction == 'up' else 'last'} session."},
                              status=409)
    first, second = sorted((session, ordered[other_index]), key=lambda s: s.starts_at)
    start = first.starts_at
    gap = second.starts_at - first.ends_at
    second_length, first_length = second.ends_at - second.starts_at, first.ends_at - first.starts_at
    second.starts_at, second.ends_at = start, start + second_length
    first.starts_at = second.ends_at + max(gap, timedelta(0))
    first.ends_at = first.starts_at + first_length
    touch(first)
    touch(second)
    return session


def overlapping_ids(sessions: list[AgendaSession]) -> set[int]:
    """Sessions that overlap another one (allowed, but the organizer should know)."""
    ordered = sorted(sessions, key=lambda s: s.starts_at)
    flagged: set[int] = set()
    for i, session in enumerate(ordered):
        for later in ordered[i + 1:]:
            if later.starts_at >= session.ends_at:
                break
            flagged.update((session.id, later.id))
    return flagged


@dataclass(frozen=True)
class NowNext:
    now: list[AgendaSession]
    next: AgendaSession | None
    refresh_at: datetime | None  # the next moment the answer changes


def now_and_next(sessions: list[AgendaSession], moment: datetime) -> NowNext:
    running = [s for s in sessions if s.starts_at <= moment < s.ends_at]
    upcoming = [s for s in sessions if s.starts_at > moment]
    following = min(upcoming, key=lambda s: s.starts_at) if upcoming else None
    boundaries = [s.ends_at for s in running] + ([following.starts_at] if following else [])
    return NowNext(running, following, min(boundaries) if boundaries else None)


def add_link(session: AgendaSession, title: str, url: str) -> Material:
    title = title.strip()
    if not title or len(title) > 200:
        raise ValidationError({"title": "Give the material a title of at most 200 characters."})
    checked = check_https_url(url, "url")
    if checked is None:
        raise ValidationError({"url": "Give a full https:// address."})
    # Appended to the collection, not built with session=...: a backref alone no longer adds it (SQLAlchemy 2).
    material = Material(title=title, url=checked)
    session.materials.append(material)
    touch(session)
    return material


def add_file(session: AgendaSession, title: str, stored: StoredFile) -> Material:
    title = title.strip() or stored.original_name
    material = Material(title=title[:200], stored_file=stored)
    session.materials.append(material)
    touch(session)
    return material


def remove_material(session: AgendaSession, material_id: int) -> None:
    material = next((m for m in session.materials if m.id == material_id), None)
    if material is None:
        raise ValidationError({"material": "That material is not part of this session."}, status=404)
    session.materials.remove(material)
    touch(session)


def set_timezone(person: Person, name: str) -> None:
    person.timezone = accounts.check_timezone(name)
    person.timezone_chosen = True


def calendar_token(person: Person, *, renew: bool = False) -> str:
    """The secret of the person's calendar feed URL; ``renew`` revokes the old URL."""
    if renew or person.calendar_token is None:
        person.calendar_token = secrets.token_urlsafe(24)
    return person.calendar_token
