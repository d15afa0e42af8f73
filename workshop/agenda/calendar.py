"""Calendar feeds (.ics, RFC 5545) of a workshop's sessions and of everything a person attends.

Pure functions over sessions: no routes, no queries. Times are written in
UTC (``...Z``), so no VTIMEZONE is needed and no viewer's zone leaks into
the feed; the host zone is named in ``X-WR-TIMEZONE`` for clients that show it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from icalendar import Calendar, Event

from workshop.accounts.models import Person
from workshop.agenda.models import AgendaSession
from workshop.db import utcnow
from workshop.workshops.models import Workshop

PRODID = "-//Workshop app//Agenda//EN"
# The right-hand side of every UID: with the session's random uid it is unique worldwide and never changes.
UID_DOMAIN = "workshop-app"

LinkFor = Callable[[AgendaSession], str]


def workshop_calendar(workshop: Workshop, sessions: Iterable[AgendaSession], link_for: LinkFor) -> bytes:
    """The .ics feed of one workshop's sessions; ``link_for`` gives a session's live page URL."""
    calendar = _calendar(workshop.title, workshop.timezone)
    stamp = utcnow()
    for session in sessions:
        calendar.add_component(session_event(session, link_for(session), stamp))
    return calendar.to_ical()


def personal_calendar(person: Person, entries: Iterable[tuple[Workshop, Iterable[AgendaSession]]],
                      link_for: LinkFor) -> bytes:
    """One feed with the sessions of every workshop the person belongs to: ``(workshop, sessions)`` pairs."""
    calendar = _calendar(f"Workshops of {person.name}", person.timezone)
    stamp = utcnow()
    for workshop, sessions in entries:
        for session in sessions:
            calendar.add_component(session_event(session, link_for(session), stamp, workshop_title=workshop.title))
    return calendar.to_ical()


def session_event(session: AgendaSession, live_url: str, stamp: datetime, *,
                  workshop_title: str | None = None) -> Event:
    event = Event()
    event.add("uid", f"{session.uid}@{UID_DOMAIN}")
    event.add("sequence", session.sequence)
    event.add("dtstamp", _utc(stamp))
    event.add("last-modified", _utc(session.updated_at))
    event.add("dtstart", _utc(session.starts_at))
    event.add("dtend", _utc(session.ends_at))
    event.add("summary", f"{session.title} ({workshop_title})" if workshop_title else session.title)
    event.add("description", _description(session, live_url))
    if session.video_url:
        event.add("location", session.video_url)
    event.add("url", live_url)
    event.add("categories", [session.kind.value])
    return event


def _calendar(name: str, zone: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone)
    return calendar


def _description(session: AgendaSession, live_url: str) -> str:
    parts = [session.description.strip()] if session.description.strip() else []
    if session.speaker_list:
        parts.append("Speakers: " + ", ".join(session.speaker_list))
    if session.resource_person_list:
        parts.append("Resource persons: " + ", ".join(session.resource_person_list))
    parts.append(f"Join: {live_url}")
    if session.video_url:
        parts.append(f"Video room: {session.video_url}")
    return "\n\n".join(parts)


def _utc(moment: datetime) -> datetime:
    # Stored instants are aware; naive ones (never expected) are taken as UTC rather than as local time.
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
