"""Who is online in a workshop now, counted per person however many tabs they have open.

This process's view: each socket connection is one entry. The version only
grows, so a late broadcast never rolls a page back to an older count.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from flask import current_app, render_template
from sqlalchemy import select

from workshop.accounts.models import Person
from workshop.db import db
from workshop.live.broadcast import coalescer, emit_fragment
from workshop.live.rooms import desk_room, workshop_room
from workshop.workshops.models import Workshop


@dataclass(frozen=True)
class Connection:
    workshop_id: int
    person_id: int
    session_id: int | None = None
    place: str | None = None  # a page narrower than the session, such as one breakout room


def next_version(previous: int) -> int:
    """A version above ``previous`` and above any given out before a restart.

    Counting from the clock (in microseconds, exact in a JavaScript number) rather
    than from zero: after the server restarts, open pages reconnect still showing
    the old run's versions, and would drop every fragment of a count restarted at 1.
    """
    return max(previous + 1, time.time_ns() // 1000)


class Presence:
    def __init__(self):
        self._lock = threading.Lock()
        self._connections: dict[str, Connection] = {}
        self._versions: dict[int, int] = {}

    def arrive(self, sid: str, workshop_id: int, person_id: int, session_id: int | None = None,
               place: str | None = None) -> None:
        with self._lock:
            self._connections[sid] = Connection(workshop_id, person_id, session_id, place)
            self._versions[workshop_id] = next_version(self._versions.get(workshop_id, 0))

    def leave(self, sid: str) -> int | None:
        """Forget a connection; returns its workshop id, or None if it was not known."""
        with self._lock:
            connection = self._connections.pop(sid, None)
            if connection is None:
                return None
            self._versions[connection.workshop_id] = next_version(self._versions[connection.workshop_id])
            return connection.workshop_id

    def connection(self, sid: str) -> Connection | None:
        with self._lock:
            return self._connections.get(sid)

    def in_session(self, session_id: int) -> int:
        """How many people have the session's live page open now."""
        with self._lock:
            return len({c.person_id for c in self._connections.values() if c.session_id == session_id})

    def at_place(self, place: str) -> set[int]:
        """The people who have a given page (say, one breakout room's) open now."""
        with self._lock:
            return {c.person_id for c in self._connections.values() if c.place == place}

    def online(self, workshop_id: int) -> tuple[set[int], int]:
        """The people online in a workshop and the version of that answer."""
        with self._lock:
            people = {c.person_id for c in self._connections.values() if c.workshop_id == workshop_id}
            return people, self._versions.get(workshop_id, 0)


def presence() -> Presence:
    return current_app.extensions["presence"]


def online_state(workshop, with_names: bool) -> dict:
    people, version = presence().online(workshop.id)
    names = []
    if with_names and people:
        names = list(db.session.execute(
            select(Person.name, Person.country).where(Person.id.in_(people)).order_by(Person.name)))
    return {"workshop": workshop, "count": len(people), "names": names, "version": version}


def render_online(workshop, with_names: bool) -> str:
    """The online count, and for staff the names too, as out-of-band fragments."""
    state = online_state(workshop, with_names)
    html = render_template("live/_online_count.html", oob=True, **state)
    if with_names:
        html += render_template("live/_online_names.html", oob=True, **state)
    return html


def broadcast_online(workshop_id: int) -> None:
    """Mark the workshop's online list changed: at the next flush, one render to everyone, one with names to staff."""

    def job():
        workshop = db.session.get(Workshop, workshop_id)
        if workshop is not None:
            state = online_state(workshop, with_names=True)
            emit_fragment(render_template("live/_online_count.html", oob=True, **state), workshop_room(workshop_id))
            emit_fragment(render_template("live/_online_names.html", oob=True, **state), desk_room(workshop_id))

    coalescer().mark(("online", workshop_id), job)
