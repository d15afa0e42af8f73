"""Why a page may not be live, in words its reader can act on; and ending a person's live access at once.

A refused connection and an ended one tell the page the same thing: the
participant's words, the reason (a :class:`~workshop.errors.Reason` value,
or one of the connection's own below), whether trying again can help, and
what the page offers to do ("sign in" or "reload"). ``live.js`` shows it.

Services call :func:`end_live_access` after they commit a revocation. Each
worker hands the order to its :class:`AccessGate`, which tells the person's
open pages why and disconnects them. With the Redis message queue the order
travels as an emit of :data:`ACCESS_ENDED_EVENT` that every worker (this one
included) runs through its gate instead of sending as it is
(``RedisQueue.worker_events``); with one process the gate runs it directly.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import NoReturn

from flask import current_app
from flask_socketio import ConnectionRefusedError as SocketRefused

from workshop.live.queue import QueueUnavailable, RedisQueue
from workshop.live.rooms import access_room, person_room
from workshop.errors import Reason

log = logging.getLogger(__name__)

ACCESS_ENDED_EVENT = "access_ended"
NAMESPACE = "/"

# Orders are remembered this long, for connections checked before one and admitted after it (see admit).
ORDER_MEMORY_SECONDS = 60.0
# How often a connection still in its connect handler is looked at again, to end it once it is connected.
PENDING_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Refusal:
    reason: str
    message: str
    action: str | None = None  # what the page offers: "sign in", "reload", or nothing
    retry: bool = False  # whether connecting again later can succeed without the person doing anything

    def data(self) -> dict:
        return {"reason": self.reason, "retry": self.retry, "action": self.action}

    def event(self) -> dict:
        """The payload of ACCESS_ENDED_EVENT: what a refused connection carries, message included."""
        return {**self.data(), "message": self.message}

    def refuse(self) -> NoReturn:
        """Refuse the connection being made; socket.io-client gets ``err.message`` and ``err.data``."""
        raise SocketRefused(self.message, self.data())


# The connection's own reasons, beyond who the person is.
BAD_REQUEST = "bad request"  # the page's connection did not say what it is for, or not in a form understood
NO_SESSION = "no session"
BREAKOUT_ROOM = "breakout room"

NO_LONGER = "so this page no longer updates."
REFUSALS: dict[str, Refusal] = {r.reason: r for r in (
    Refusal(Reason.SIGNED_OUT, f"You were signed out, {NO_LONGER} Sign in again.", "sign in"),
    Refusal(Reason.INVITE_REVOKED, f"Your invite link was withdrawn by the organizers, {NO_LONGER} "
                                   "Ask them for a new link."),
    Refusal(Reason.INVITE_EXPIRED, f"Your invite link has expired, {NO_LONGER} Ask the organizers for a new link."),
    Refusal(Reason.OTHER_WORKSHOP, "You entered with the invite link of another workshop, and it opens only that "
                                   "workshop, so this page does not update. Open this workshop's own link, "
                                   "or sign in with your password.", "sign in"),
    Refusal(Reason.REMOVED, f"The organizers removed you from this workshop, {NO_LONGER} "
                            "If you think this is a mistake, write to them."),
    Refusal(Reason.NOT_MEMBER, "You are not a member of this workshop, so this page does not update. "
                               "Use the invite link the organizers sent you, or ask them to add you."),
    Refusal(Reason.NO_WORKSHOP, "This workshop does not exist (any more), so this page does not update. "
                                "Reload the page to see where to go.", "reload"),
    Refusal(Reason.ROLE, "Your role in this workshop does not include this page, so it does not update. "
                         "Ask the organizers if you need it."),
    Refusal(BAD_REQUEST, "This page's live connection was not understood, so the page does not update. "
                         "Reload the page.", "reload"),
    Refusal(NO_SESSION, "This session is no longer on the workshop's agenda, so this page does not update. "
                        "Reload the page to see the agenda.", "reload"),
)}


def refusal(reason: str) -> Refusal:
    return REFUSALS[reason]


def breakout_refusal(problem: str) -> Refusal:
    """A breakout room's page the person may not be on now (the round ended, they were moved): the page says so."""
    return Refusal(BREAKOUT_ROOM, f"{problem} This page no longer updates: reload it to see where you are now.",
                   "reload")


class AccessGate:
    """This worker's end of ending access: connections join their rooms here, and orders end them here.

    An order names a room (one person in one workshop, or one person everywhere).
    Its connections are told why and disconnected. One still in its connect
    handler cannot be disconnected yet: it is ended as soon as it is connected.
    And a connection whose access was checked before the revocation committed
    but that joins its rooms after the order arrived is refused when it joins:
    the order is remembered for a while, and a connection whose check began
    before the order arrived here may have read the state before the commit.
    """

    def __init__(self, server):
        self.server = server
        self._lock = threading.Lock()
        self._orders: dict[str, tuple[float, dict]] = {}  # room -> (when the order arrived here, its payload)

    def admit(self, sid: str, rooms: list[str], checked_at: float) -> None:
        """Join the rooms, or refuse the connection if an order for one of them arrived since ``checked_at``."""
        with self._lock:
            self._forget_old_orders()
            for room in rooms:
                order = self._orders.get(room)
                if order is not None and order[0] >= checked_at:
                    payload = order[1]
                    raise SocketRefused(payload["message"], {k: v for k, v in payload.items() if k != "message"})
            for room in rooms:
                self.server.enter_room(sid, room, namespace=NAMESPACE)

    def end_everywhere(self, room: str, payload: dict) -> None:
        manager = self.server.manager
        if not isinstance(manager, RedisQueue):
            self.end_here(room, payload)
            return
        try:
            # Runs end_here on this worker, then publishes to the others (RedisQueue.worker_events).
            self.server.emit(ACCESS_ENDED_EVENT, payload, to=room)
        except QueueUnavailable as error:
            # The other workers' pages are not lost: when the queue answers again, every worker tells its
            # pages to resync, and their reconnection is refused by the check that now fails.
            log.warning("access of %s ended on this worker only, the message queue is away: %s", room, error)

    def end_here(self, room: str, payload: dict) -> None:
        """End the connections of ``room`` that this worker holds."""
        with self._lock:
            self._orders[room] = (time.monotonic(), payload)
            sids = [sid for sid, _ in self.server.manager.get_participants(NAMESPACE, room)]
        for sid in sids:
            if self.server.manager.is_connected(sid, NAMESPACE):
                self._end(sid, payload)
            elif self.server.manager.is_pre_connected(sid, NAMESPACE):
                self.server.start_background_task(self._end_once_connected, sid, payload)

    def _end(self, sid: str, payload: dict) -> None:
        # The reason first, on the same socket: the page shows it before it sees the disconnection.
        self.server.emit(ACCESS_ENDED_EVENT, payload, to=sid, namespace=NAMESPACE, ignore_queue=True)
        self.server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)

    def _end_once_connected(self, sid: str, payload: dict) -> None:
        manager = self.server.manager
        while manager.is_pre_connected(sid, NAMESPACE):
            self.server.sleep(PENDING_POLL_SECONDS)
        if manager.is_connected(sid, NAMESPACE):
            self._end(sid, payload)

    def _forget_old_orders(self) -> None:
        cutoff = time.monotonic() - ORDER_MEMORY_SECONDS
        for room in [room for room, (arrived, _) in self._orders.items() if arrived < cutoff]:
            del self._orders[room]


def init_gate(app, server) -> AccessGate:
    gate = AccessGate(server)
    app.extensions["live_access"] = gate
    if isinstance(server.manager, RedisQueue):
        server.manager.worker_events[ACCESS_ENDED_EVENT] = gate.end_here
    return gate


def gate() -> AccessGate:
    return current_app.extensions["live_access"]


def end_live_access(person_id: int, workshop_id: int | None = None, reason: Reason = Reason.SIGNED_OUT) -> None:
    """After a revocation is committed: the person's open pages (in that workshop, or in all with None) are told why
    and disconnected, on every worker, within moments.

    Call it after the commit: a page that reconnects at once must find the access gone.
    """
    room = person_room(person_id) if workshop_id is None else access_room(workshop_id, person_id)
    gate().end_everywhere(room, refusal(reason).event())
