"""Who is online in a workshop now, counted per person however many tabs they have open.

Each socket connection is one entry. Two stores answer the same questions:

- ``Presence`` keeps the entries of this process: the embedded default, one process.
- ``RedisPresence`` keeps them in Redis, where every worker sees them. Each entry
  has an expiry that its worker's heartbeat renews, so the people of a worker
  that died drop out on their own, and every worker's sweep removes what
  expired and has the new count broadcast.

The version of an answer only grows (across workers and restarts too), so a
late broadcast never rolls a page back to an older count.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from flask import current_app, render_template
from sqlalchemy import select

from workshop.accounts.models import Person
from workshop.db import db
from workshop.live.broadcast import coalescer, emit_fragment, presence_changed_in, presence_spacing
from workshop.live.rooms import desk_room, workshop_room
from workshop.workshops.models import Membership, Workshop

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Connection:
    workshop_id: int
    person_id: int
    session_id: int | None = None
    place: str | None = None  # a page narrower than the session, such as one breakout room


@dataclass
class Expired:
    """What a sweep removed: the workshops and sessions whose online lists changed."""

    workshops: set[int] = field(default_factory=set)
    sessions: set[int] = field(default_factory=set)


def next_version(previous: int) -> int:
    """A version above ``previous`` and above any given out before a restart.

    Counting from the clock (in microseconds, exact in a JavaScript number) rather
    than from zero: after the server restarts, open pages reconnect still showing
    the old run's versions, and would drop every fragment of a count restarted at 1.
    """
    return max(previous + 1, time.time_ns() // 1000)


class Presence:
    """This process's connections: right for one process, wrong for several (use ``RedisPresence`` there).

    Who is online where is counted as connections come and go (people with several tabs once), so that a
    question costs the same with a thousand connections as with ten.
    """

    shared = False

    def __init__(self):
        self._lock = threading.Lock()
        self._connections: dict[str, Connection] = {}
        self._versions: dict[int, int] = {}
        self._tabs: dict[tuple, Counter] = defaultdict(Counter)  # ("workshop" | "session" | "place", id) -> person -> tabs

    def arrive(self, sid: str, workshop_id: int, person_id: int, session_id: int | None = None,
               place: str | None = None) -> None:
        with self._lock:
            if (earlier := self._connections.get(sid)) is not None:
                self._count(earlier, -1)
            connection = self._connections[sid] = Connection(workshop_id, person_id, session_id, place)
            self._count(connection, +1)
            self._versions[workshop_id] = next_version(self._versions.get(workshop_id, 0))

    def leave(self, sid: str) -> int | None:
        """Forget a connection; returns its workshop id, or None if it was not known."""
        with self._lock:
            connection = self._connections.pop(sid, None)
            if connection is None:
                return None
            self._count(connection, -1)
            self._versions[connection.workshop_id] = next_version(self._versions[connection.workshop_id])
            return connection.workshop_id

    def _count(self, connection: Connection, change: int) -> None:
        for where in (("workshop", connection.workshop_id), ("session", connection.session_id),
                      ("place", connection.place)):
            if where[1] is None:
                continue
            tabs = self._tabs[where]
            tabs[connection.person_id] += change
            if tabs[connection.person_id] <= 0:
                del tabs[connection.person_id]
                if not tabs:
                    del self._tabs[where]

    def _people(self, where: tuple) -> set[int]:
        tabs = self._tabs.get(where)
        return set(tabs) if tabs else set()

    def connection(self, sid: str) -> Connection | None:
        with self._lock:
            return self._connections.get(sid)

    def local_sids(self) -> list[str]:
        """The connections this process recorded."""
        with self._lock:
            return list(self._connections)

    def in_session(self, session_id: int) -> int:
        """How many people have the session's live page open now."""
        with self._lock:
            return len(self._tabs.get(("session", session_id), ()))

    def at_place(self, place: str) -> set[int]:
        """The people who have a given page (say, one breakout room's) open now."""
        with self._lock:
            return self._people(("place", place))

    def version(self, workshop_id: int) -> int:
        """The version of the workshop's presence: read it before what it versions."""
        with self._lock:
            return self._versions.get(workshop_id, 0)

    def online(self, workshop_id: int) -> tuple[set[int], int]:
        """The people online in a workshop and the version of that answer."""
        with self._lock:
            return self._people(("workshop", workshop_id)), self._versions.get(workshop_id, 0)


# Versions come from the Redis server's clock (one clock for every worker), in microseconds like
# next_version, and never below the last one plus one. Bumped in the same atomic step as the change.
_BUMP = """
local function bump(key, ttl)
  local clock = redis.call('TIME')
  local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
  local version = math.max((tonumber(redis.call('GET', key)) or 0) + 1, now)
  redis.call('SET', key, string.format('%.0f', version), 'EX', ttl)
  return version
end
"""

# KEYS: version key. ARGV: version ttl.
BUMP_VERSION = _BUMP + "return bump(KEYS[1], ARGV[1])"

# KEYS: a connections key, the index of connections keys, and for a workshop's key its version key.
# ARGV: now, version ttl. Removes the expired entries; bumps the version if any went; forgets an
# emptied key in the index. One script, so an arrival between the count and the forgetting is not lost.
SWEEP_KEY = _BUMP + """
local removed = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
if removed > 0 and KEYS[3] then bump(KEYS[3], ARGV[2]) end
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], KEYS[1]) end
return removed
"""

VERSION_TTL_SECONDS = 7 * 24 * 3600  # versions are clock-based: one forgotten after a quiet week is still exceeded


class RedisPresence:
    """Connections of every worker, in Redis.

    Each connection is a member ``"<person>:<sid>"`` of sorted sets (one for its
    workshop, one for its session, one for its place) scored by the time it
    expires; reads take only the members not yet expired. This worker remembers
    its own connections, renews them with :meth:`heartbeat` (and so puts them
    back after Redis lost them in a restart) and removes expired ones of any
    worker with :meth:`sweep`.

    If Redis does not answer, changes are kept here and written by the next
    heartbeat, and reads answer with this worker's connections at version 0
    (which any later fragment replaces).
    """

    shared = True

    def __init__(self, url: str, prefix: str, expiry_seconds: float):
        import redis  # installed with the production extra, where a Redis is configured

        self.redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2, health_check_interval=30)
        self._redis_errors = redis.RedisError
        self.prefix = prefix
        self.expiry_seconds = expiry_seconds
        self._lock = threading.Lock()
        self._local: dict[str, Connection] = {}
        self._bump = self.redis.register_script(BUMP_VERSION)
        self._sweep_key = self.redis.register_script(SWEEP_KEY)
        self._redis_failing = False

    # Keys ------------------------------------------------------------------------------------------

    def _workshop_key(self, workshop_id: int) -> str:
        return f"{self.prefix}workshop:{workshop_id}"

    def _session_key(self, session_id: int) -> str:
        return f"{self.prefix}session:{session_id}"

    def _place_key(self, place: str) -> str:
        return f"{self.prefix}place:{place}"

    def _version_key(self, workshop_id: int) -> str:
        return f"{self.prefix}version:{workshop_id}"

    @property
    def _index_key(self) -> str:
        """The set of connections keys that may hold entries: what a sweep looks at."""
        return f"{self.prefix}keys"

    def _keys_of(self, connection: Connection) -> list[str]:
        keys = [self._workshop_key(connection.workshop_id)]
        if connection.session_id is not None:
            keys.append(self._session_key(connection.session_id))
        if connection.place is not None:
            keys.append(self._place_key(connection.place))
        return keys

    @property
    def _key_ttl(self) -> int:
        """Whole keys outlive their entries a little, and vanish when every worker is gone."""
        return int(self.expiry_seconds * 2) + 1

    # Changes ---------------------------------------------------------------------------------------

    def arrive(self, sid: str, workshop_id: int, person_id: int, session_id: int | None = None,
               place: str | None = None) -> None:
        connection = Connection(workshop_id, person_id, session_id, place)
        with self._lock:
            self._local[sid] = connection
        pipe = self.redis.pipeline(transaction=True)
        self._write(pipe, sid, connection, time.time() + self.expiry_seconds)
        self._bump(keys=[self._version_key(workshop_id)], args=[VERSION_TTL_SECONDS], client=pipe)
        self._execute(pipe, "arrival")

    def leave(self, sid: str) -> int | None:
        """Forget a connection; returns its workshop id, or None if it was not known."""
        with self._lock:
            connection = self._local.pop(sid, None)
        if connection is None:
            return None
        pipe = self.redis.pipeline(transaction=True)
        member = f"{connection.person_id}:{sid}"
        for key in self._keys_of(connection):
            pipe.zrem(key, member)
        self._bump(keys=[self._version_key(connection.workshop_id)], args=[VERSION_TTL_SECONDS], client=pipe)
        self._execute(pipe, "departure")  # if Redis missed it, the entry expires: it is no longer renewed
        return connection.workshop_id

    def heartbeat(self) -> None:
        """Renew this worker's connections (and write back any Redis lost or missed)."""
        with self._lock:
            connections = list(self._local.items())
        expires = time.time() + self.expiry_seconds
        pipe = self.redis.pipeline(transaction=False)
        for sid, connection in connections:
            self._write(pipe, sid, connection, expires)
        if connections:
            pipe.execute()

    def sweep(self) -> Expired:
        """Remove entries of any worker that expired (their worker stopped renewing them)."""
        keys = [key.decode() for key in self.redis.smembers(self._index_key)]
        if not keys:
            return Expired()
        now = time.time()
        pipe = self.redis.pipeline(transaction=False)
        workshop_prefix, session_prefix = self._workshop_key(0)[:-1], self._session_key(0)[:-1]
        for key in keys:
            sweep_keys = [key, self._index_key]
            if key.startswith(workshop_prefix):
                sweep_keys.append(self._version_key(int(key.removeprefix(workshop_prefix))))
            self._sweep_key(keys=sweep_keys, args=[now, VERSION_TTL_SECONDS], client=pipe)
        expired = Expired()
        for key, removed in zip(keys, pipe.execute()):
            if removed and key.startswith(workshop_prefix):
                expired.workshops.add(int(key.removeprefix(workshop_prefix)))
            elif removed and key.startswith(session_prefix):
                expired.sessions.add(int(key.removeprefix(session_prefix)))
        return expired

    def _write(self, pipe, sid: str, connection: Connection, expires: float) -> None:
        keys = self._keys_of(connection)
        member = f"{connection.person_id}:{sid}"
        for key in keys:
            pipe.zadd(key, {member: expires})
            pipe.expire(key, self._key_ttl)
        pipe.sadd(self._index_key, *keys)
        pipe.expire(self._index_key, self._key_ttl)

    def _execute(self, pipe, what: str) -> None:
        try:
            pipe.execute()
        except self._redis_errors as error:
            self._note_failure(f"presence {what} not written, the next heartbeat retries", error)
        else:
            self._note_success()

    # Reads -----------------------------------------------------------------------------------------

    def connection(self, sid: str) -> Connection | None:
        with self._lock:
            return self._local.get(sid)

    def local_sids(self) -> list[str]:
        """The connections this worker recorded (and renews)."""
        with self._lock:
            return list(self._local)

    def online(self, workshop_id: int) -> tuple[set[int], int]:
        """The people online in a workshop and the version of that answer (read together)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrangebyscore(self._workshop_key(workshop_id), time.time(), "+inf")
        pipe.get(self._version_key(workshop_id))
        try:
            members, version = pipe.execute()
        except self._redis_errors as error:
            self._note_failure("presence read from this worker only", error)
            return self._local_people(lambda c: c.workshop_id == workshop_id), 0
        self._note_success()
        return _people(members), int(version or 0)

    def version(self, workshop_id: int) -> int:
        """The version of the workshop's presence (0 while Redis is away): read it before what it versions."""
        try:
            version = self.redis.get(self._version_key(workshop_id))
        except self._redis_errors as error:
            self._note_failure("presence version", error)
            return 0
        self._note_success()
        return int(version or 0)

    def in_session(self, session_id: int) -> int:
        """How many people have the session's live page open now, on any worker."""
        return len(self._current(self._session_key(session_id), lambda c: c.session_id == session_id))

    def at_place(self, place: str) -> set[int]:
        """The people who have a given page (say, one breakout room's) open now, on any worker."""
        return self._current(self._place_key(place), lambda c: c.place == place)

    def _current(self, key: str, local_match) -> set[int]:
        try:
            members = self.redis.zrangebyscore(key, time.time(), "+inf")
        except self._redis_errors as error:
            self._note_failure("presence read from this worker only", error)
            return self._local_people(local_match)
        self._note_success()
        return _people(members)

    def _local_people(self, match) -> set[int]:
        with self._lock:
            return {c.person_id for c in self._local.values() if match(c)}

    def _note_failure(self, what: str, error: Exception) -> None:
        if not self._redis_failing:  # once per outage, not once per call
            log.warning("Redis is not answering (%s): %s", what, error)
        self._redis_failing = True

    def _note_success(self) -> None:
        if self._redis_failing:
            log.info("Redis answers again: presence is shared between workers again")
        self._redis_failing = False


def _people(members) -> set[int]:
    return {int(member.split(b":", 1)[0]) for member in members}


def make_presence(config) -> Presence | RedisPresence:
    if config.get("PRESENCE_URL"):
        return RedisPresence(config["PRESENCE_URL"], config["PRESENCE_PREFIX"], config["PRESENCE_EXPIRY_SECONDS"])
    return Presence()


def presence() -> Presence | RedisPresence:
    return current_app.extensions["presence"]


def online_state(workshop, with_names: bool) -> dict:
    people, version = presence().online(workshop.id)
    names = []
    if with_names and people:
        # The country each person has in this workshop (their membership's), not their profile's.
        names = list(db.session.execute(
            select(Person.name, Membership.country)
            .outerjoin(Membership, (Membership.person_id == Person.id) & (Membership.workshop_id == workshop.id))
            .where(Person.id.in_(people)).order_by(Person.name)))
    return {"workshop": workshop, "count": len(people), "names": names, "version": version}


def render_online(workshop, with_names: bool) -> str:
    """The online count, and for staff the names too, as out-of-band fragments."""
    state = online_state(workshop, with_names)
    html = render_template("live/_online_count.html", oob=True, **state)
    if with_names:
        html += render_template("live/_online_names.html", oob=True, **state)
    return html


def broadcast_online(workshop_id: int) -> None:
    """Mark the workshop's online list changed: at a flush soon, one render to everyone, one with names to staff."""

    def job():
        workshop = db.session.get(Workshop, workshop_id)
        if workshop is not None:
            state = online_state(workshop, with_names=True)
            emit_fragment(render_template("live/_online_count.html", oob=True, **state), workshop_room(workshop_id))
            emit_fragment(render_template("live/_online_names.html", oob=True, **state), desk_room(workshop_id))

    coalescer().mark(("online", workshop_id), job, whole_state=True,
                     spacing=presence_spacing(workshop_room(workshop_id)))


def renew_presence() -> None:
    """The heartbeat: this worker's connections stay online for another expiry period."""
    presence().heartbeat()


def sweep_expired_presence() -> None:
    """Drop the people of a worker that stopped renewing them (it died), and tell everyone."""
    expired = presence().sweep()
    for workshop_id in expired.workshops:
        broadcast_online(workshop_id)
    for session_id in expired.sessions:
        presence_changed_in(session_id)
