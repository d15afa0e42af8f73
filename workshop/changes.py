"""Changes to live state, announced by the service that makes them and delivered once they are committed.

A service calls :func:`announce` in the transaction that changes something a
live page shows (a ballot, a question, a room, a member's access). Nothing is
sent then: the announcement waits on the database session and reaches the
listeners (the live core) only after that transaction commits, and is dropped
if it rolls back. So no caller has to remember to broadcast after its commit,
a refused action never announces, and a route never waits on the message
queue. This module imports no feature and no part of the live core: every
package may announce.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

from workshop.db import db

log = logging.getLogger(__name__)

PENDING = "announced"

# The live core's own topic: a person's access ended (key: person id, workshop id or None for all, reason).
ACCESS_ENDED = "access-ended"


@dataclass(frozen=True)
class Change:
    topic: str
    key: tuple[Hashable, ...]


Listener = Callable[[list[Change]], None]
_listeners: list[Listener] = []


def announce(topic: str, *key: Hashable) -> None:
    """Say that the target ``(topic, *key)`` changed in the current transaction."""
    pending = db.session.info.setdefault(PENDING, [])
    change = Change(topic, key)
    if change not in pending:
        pending.append(change)


def announce_committed(topic: str, *key: Hashable) -> None:
    """Say that ``(topic, *key)`` changed in a transaction that has already committed (deliver it now)."""
    _tell([Change(topic, key)])


def subscribe(listener: Listener) -> None:
    """Hear every committed change (the live core subscribes once per process)."""
    if listener not in _listeners:
        _listeners.append(listener)


@event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    changes = session.info.pop(PENDING, None)
    if changes:
        _tell(changes)


def _tell(changes: list[Change]) -> None:
    for listener in _listeners:
        try:
            listener(changes)
        except Exception:  # noqa: BLE001 - the change is committed: a listener's failure must not undo the answer
            log.exception("delivering %d committed changes failed", len(changes))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
