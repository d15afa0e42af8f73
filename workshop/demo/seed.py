"""Creating the demo workshop from ``data.py``."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo
from dataclasses import dataclass

from sqlalchemy import select

from workshop.accounts import services as accounts
from workshop.accounts.models import Invite, Person
from workshop.agenda.models import AgendaSession, SessionKind
from workshop.attendance.demo import seed_attendance
from workshop.certificates import services as certificates
from workshop.db import db, utcnow
from workshop.demo import data
from workshop.workshops.models import Membership, Modality, Origin, Role, Workshop


@dataclass
class DemoAccounts:
    workshop: Workshop
    organizer: Person
    organizer_password: str
    moderator: Person
    moderator_password: str
    invites: list[Invite]


def database_is_empty() -> bool:
    return db.session.scalar(select(Workshop.id).limit(1)) is None and \
        db.session.scalar(select(Person.id).limit(1)) is None


def _staff(entry: dict, role: Role, workshop: Workshop) -> tuple[Person, str]:
    person = accounts.create_person(email=entry["email"], name=entry["name"], country=entry["country"],
                                    organization=entry["organization"], timezone=entry["timezone"])
    password = secrets.token_urlsafe(9)
    accounts.set_password(person, password)
    person.can_create_workshops = role == Role.ORGANIZER
    db.session.add(Membership(workshop=workshop, person=person, role=role, origin=Origin.LOCAL,
                              country=person.country, country_confirmed_at=utcnow()))
    return person, password


def programme_time(day: int, clock: str) -> datetime:
    """When a moment of the programme (day 1-3, "HH:MM" in the host zone) was in July 2023."""
    date = data.WORKSHOP["starts_on"] + timedelta(days=day - 1)
    return datetime.combine(date, time.fromisoformat(clock), tzinfo=ZoneInfo(data.WORKSHOP["timezone"]))


def seed_agenda(workshop: Workshop, moderator: Person, shift: timedelta = timedelta()) -> None:
    """The programme as it was, or moved by ``shift`` (the live copy)."""
    for day, start, end, kind, title, description, speakers, has_video in data.AGENDA:
        session = AgendaSession(
            workshop_id=workshop.id, kind=SessionKind(kind), title=title, description=description,
            starts_at=programme_time(day, start) + shift, ends_at=programme_time(day, end) + shift,
            speakers="\n".join(speakers),
            video_url=f"https://meet.example.org/apo-{workshop.code.lower()}-day{day}" if has_video else None)
        if kind != "break":
            session.moderators.append(moderator)
        db.session.add(session)


def _first_breakout_session(workshop: Workshop) -> AgendaSession:
    db.session.flush()
    return db.session.scalar(select(AgendaSession).where(AgendaSession.workshop_id == workshop.id,
                                                         AgendaSession.kind == SessionKind.BREAKOUT)
                             .order_by(AgendaSession.starts_at).limit(1))


def seed_breakout_round(session: AgendaSession) -> None:
    """A draft round: rooms with topics, split for diversity, ready to open."""
    from workshop.breakouts import services as breakouts

    db.session.flush()
    round_ = breakouts.create_round(session, {"mode": "diverse", "rooms_by": "count",
                                              "room_count": str(len(data.BREAKOUT_ROOMS)), "duration_minutes": "30",
                                              "notes_by_members": "y"})
    round_.seed = 2023  # the same preview every time the demo is made
    for room, (name, topic) in zip(round_.rooms, data.BREAKOUT_ROOMS):
        breakouts.update_room(room, {"name": name, "topic": topic})
    breakouts.generate_preview(round_)


def seed_demo() -> DemoAccounts:
    """Create the demo workshop with its organizer, moderator and 50 participants (the caller commits)."""
    spec = data.WORKSHOP
    workshop = Workshop(title=spec["title"], code=spec["code"], starts_on=spec["starts_on"], ends_on=spec["ends_on"],
                        timezone=spec["timezone"], modality=Modality(spec["modality"]),
                        objectives="\n".join(spec["objectives"]), topics="\n".join(spec["topics"]),
                        implementing_organizations=spec["organization"], join_enabled=False)
    db.session.add(workshop)
    organizer, organizer_password = _staff(data.ORGANIZER, Role.ORGANIZER, workshop)
    moderator, moderator_password = _staff(data.MODERATOR, Role.MODERATOR, workshop)
    invites = []
    for entry in data.PARTICIPANTS:
        person = accounts.create_person(email=entry["email"], name=entry["name"], country=entry["country"],
                                        organization=entry["organization"], timezone=entry["timezone"])
        # Nominated by the secretariat, as an import: the country is confirmed.
        db.session.add(Membership(workshop=workshop, person=person, role=Role.PARTICIPANT,
                                  origin=Origin(entry["origin"]), country=person.country,
                                  country_confirmed_at=utcnow()))
        invites.append(accounts.issue_invite(person, workshop))
    db.session.flush()
    seed_agenda(workshop, moderator)
    seed_breakout_round(_first_breakout_session(workshop))
    seed_attendance(workshop, organizer)
    db.session.flush()
    certificates.apply_rule(workshop, certificates.parse_rule(*data.CERTIFICATE_RULE), organizer)
    return DemoAccounts(workshop, organizer, organizer_password, moderator, moderator_password, invites)
