"""The one version scheme of everything a live page shows: a revision per target that only grows.

A target is a named piece of live state, such as the polls of one session
(``polls:session:7``). The service that changes it calls :func:`bump` in the
same transaction, so the revision and the change commit together: a fragment
rendered after reading revision R shows at least every change up to R, and
pages keep only a strictly newer revision of each element (an equal one means
the same content). A target's first revision is the clock in microseconds:
pages open across a restart, a restored backup or an upgrade still hold
versions from before, and the new ones must be above them. Presence is not in
the database: its store issues versions by the same rule (see presence.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy import BigInteger, String, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from flask import current_app, g

from workshop.changes import announce, announce_committed
from workshop.db import db


class LiveRevision(db.Model):
    __tablename__ = "live_revision"

    target: Mapped[str] = mapped_column(String(80), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)


def _clock() -> int:
    return time.time_ns() // 1000


@cache
def _raise_statement(dialect_name: str):
    """Built once per dialect: building an upsert costs more than running it (a third of a millisecond)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    insert = dialect.insert(LiveRevision).values(target=bindparam("target"), revision=bindparam("clock"))
    return insert.on_conflict_do_update(index_elements=[LiveRevision.target],
                                        set_={"revision": LiveRevision.revision + 1}).returning(LiveRevision.revision)


def _raise(connection, target: str) -> int:
    """Raise the target's revision and return it. Run on the connection: through the session, a prepared
    INSERT with parameters takes the ORM's bulk path, six times the cost."""
    return connection.execute(_raise_statement(connection.dialect.name),
                              {"target": target, "clock": _clock()}).scalar_one()


def bump(target: str) -> int:
    """Raise the target's revision in the current transaction, so it commits with the change, and return it."""
    g.get("revisions_read_ahead", {}).pop(target, None)
    return _raise(db.session.connection(), target)


def commit_busy(target: str, topic: str, *key: Hashable) -> int:
    """Commit the current transaction, a change of ``target`` made many times a second (a vote, an upvote), and
    announce it as ``(topic, *key)``; returns the revision that includes it.

    SQLite writes one transaction at a time anyway: the revision is raised in it, and one commit does both.
    PostgreSQL runs many at once: raised inside each, the target's row lock would last until each committed,
    and on a busy worker every voter would queue behind the slowest. There the revision is raised after the
    commit, in a statement of its own, and only then announced, so no broadcast can read the change without
    its revision. Either way the rule for readers holds: no revision exists before its change is committed.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        announce(topic, *key)
        revision = bump(target)
        db.session.commit()
        return revision
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        revision = _raise(connection, target)
    announce_committed(topic, *key)
    return revision


_CURRENT = select(LiveRevision.revision).where(LiveRevision.target == bindparam("target"))
_CURRENT_OF_SEVERAL = (select(LiveRevision.target, LiveRevision.revision)
                       .where(LiveRevision.target.in_(bindparam("targets", expanding=True))))


def current(target: str) -> int:
    """The target's revision now (0 if it never changed). Read it before what it versions."""
    read_ahead = g.get("revisions_read_ahead", {})
    if target in read_ahead:
        return read_ahead[target]
    return db.session.connection().execute(_CURRENT, {"target": target}).scalar() or 0


@contextmanager
def read_ahead(targets: list[str]) -> Iterator[None]:
    """Read several targets' revisions in one query, for code that reads each of them next (a newcomer's
    snapshot of every feature of a session page). Each is read before what it versions, as :func:`current`
    would; a target bumped meanwhile is read again."""
    found = dict(db.session.connection().execute(_CURRENT_OF_SEVERAL, {"targets": targets}).all())
    g.revisions_read_ahead = {target: found.get(target, 0) for target in targets}
    try:
        yield
    finally:
        del g.revisions_read_ahead


def kept_at(store: str, key: Hashable, version: int, make: Callable[[], object]):
    """``make()`` for ``key`` at ``version``, made once per version in this process and shared by every page that
    asks at the same one (a join storm asks a thousand times). Only the newest version is kept: a page that read an
    older one gets its own."""
    kept = current_app.extensions.setdefault(store, {})
    found = kept.get(key)
    if found is not None and found[0] == version:
        return found[1]
    value = make()
    if found is None or found[0] < version:
        kept[key] = (version, value)
    return value

