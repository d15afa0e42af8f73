"""Socket connection and disconnection: authentication, rooms and presence.

A connection says which workshop it is for (``auth={"workshop": code}``),
optionally which session's page (``"session": id``) and which narrower
page in it, under a key a feature registered (:func:`on_place`; breakouts
register ``"breakout_room": id``); the Flask session says who it is. Cross-origin connections are refused by Socket.IO's same-origin check
before this code runs.

Every check comes before anything is joined or recorded: a refused
connection is in no room and never counted online.
"""

import time
from collections.abc import Callable

from flask import request
from flask_login import current_user
from flask_socketio import emit

from workshop.extensions import socketio
from workshop.agenda.services import session_in
from workshop.inputs import is_int
from workshop.live import identity, revisions
from workshop.live.access import BAD_REQUEST, NAMESPACE, NO_SESSION, gate, refusal
from workshop.live.broadcast import FRAGMENT_EVENT, presence_changed_in, session_hooks
from workshop.live.presence import Connection, broadcast_online, presence, render_online
from workshop.live.rooms import (access_room, desk_room, organizers_room, person_room, person_session_room,
                                 session_room, workshop_room)
from workshop.workshops.permissions import Action, Refused, authorize, can

# auth key -> resolve(session, membership, person_id, value): the socket room of that page, or a refusal raised.
PlaceResolver = Callable[[object, object, int, object], str]
places: dict[str, PlaceResolver] = {}


# A feature told of each accepted connection (with the auth it gave) and each forgotten one: attendance. They run
# inside the connect and disconnect handlers, so they must be cheap (no database work: buffer it).
ArrivalListener = Callable[[str, Connection, dict], None]
DepartureListener = Callable[[str, Connection], None]
arrival_listeners: list[ArrivalListener] = []
departure_listeners: list[DepartureListener] = []


def on_connection(arrived: ArrivalListener, left: DepartureListener) -> None:
    """Register a feature's listeners for connections accepted (``arrived(sid, connection, auth)``) and forgotten
    (``left(sid, connection)``), each once."""
    if arrived not in arrival_listeners:
        arrival_listeners.append(arrived)
        departure_listeners.append(left)


def on_place(key: str, resolve: PlaceResolver) -> None:
    """A feature's page narrower than a session (a breakout room's): its connections name it under ``key``."""
    places[key] = resolve


def on_event(name: str, handler: Callable) -> None:
    """A feature's socket event: its handler runs as the person the connection was accepted for
    (:mod:`workshop.live.identity`), and its access check asks the rules with what was read then."""

    def as_connected(*args):
        identity.restore()
        return handler(*args)

    socketio.on_event(name, as_connected)


def register() -> None:
    """Bind the handlers to the Socket.IO server of the app being built.

    A ``@socketio.on`` decorator binds to whichever server exists when the module
    is first imported, so a second app made in the same process (each test makes
    one) would accept every connection unchecked: bind them for each app instead.
    """
    socketio.on_event("connect", connect)
    socketio.on_event("disconnect", disconnect)


def connect(auth=None):
    """Check everything first; only an accepted connection joins rooms and counts as online.

    A refusal carries its reason to the page (see ``workshop/live/access.py``).
    """
    checked_at = time.monotonic()  # before anything is read: see AccessGate.admit
    code = auth.get("workshop") if isinstance(auth, dict) else None
    if not isinstance(code, str) or not code:
        refusal(BAD_REQUEST).refuse()
    try:
        workshop, membership = authorize(code, Action.VIEW_WORKSHOP)
    except Refused as refused:
        refusal(refused.reason).refuse()
    identity.remember(workshop, membership)
    staff = can(membership, Action.SEE_WHO_IS_ONLINE)
    rooms = [workshop_room(workshop.id), person_room(current_user.id), access_room(workshop.id, current_user.id)]
    if staff:
        rooms.append(desk_room(workshop.id))
    if can(membership, Action.MANAGE_REPORTS):
        rooms.append(organizers_room(workshop.id))
    session = None
    if auth.get("session") is not None:
        session = session_in(workshop, auth["session"]) if is_int(auth["session"]) else None
        if session is None:
            refusal(NO_SESSION).refuse()
        rooms += [session_room(session.id), person_session_room(current_user.id, session.id)]
    place = _place(auth, session, membership)
    if place is not None:
        rooms.append(place)
    gate().admit(request.sid, rooms, checked_at)
    presence().arrive(request.sid, workshop.id, current_user.id, session.id if session else None, place)
    try:
        # The newcomer gets the current state now; everyone else at the next flush.
        emit(FRAGMENT_EVENT, render_online(workshop, with_names=staff))
        broadcast_online(workshop.id)
        if session is not None:
            hooks = [hook for hook in session_hooks if place is None or hook.on_narrower_pages]
            with revisions.read_ahead([hook.live_target(session.id) for hook in hooks]):
                for hook in hooks:
                    hook.joined(session, membership)
            presence_changed_in(session.id)
    except Exception:
        # Not accepted after all (say the database went away, and the page is told to try again): not online.
        presence().leave(request.sid)
        raise
    if not _socket_open(request.sid):
        # The page went while this ran: python-socketio runs no disconnect handler for a connection still
        # being accepted, so it would stay online. Refused, it is also forgotten by the socket manager.
        _forget(request.sid)
        return False
    accepted = Connection(workshop.id, current_user.id, session.id if session else None, place)
    for arrived in arrival_listeners:
        arrived(request.sid, accepted, auth)
    return None


def _place(auth: dict, session, membership) -> str | None:
    """The narrower page this connection is for, if it names one: it must be in the session it names."""
    named = [(key, auth[key]) for key in places if auth.get(key) is not None]
    if not named:
        return None
    if session is None or len(named) > 1:
        refusal(BAD_REQUEST).refuse()
    key, value = named[0]
    return places[key](session, membership, current_user.id, value)


def disconnect(reason=None):
    _forget(request.sid)


def drop_lost_connections() -> None:
    """Forget connections whose socket is gone but that are still recorded online.

    The end of :func:`connect` catches a page that went while it ran, except in the moment between its
    check and python-socketio marking the connection accepted; this sweep catches that one (run by every
    served worker, see ``workshop/live/timers.py``). A connection still being accepted is left to its handler.
    """
    manager = socketio.server.manager
    for sid in presence().local_sids():
        if manager.is_pre_connected(sid, NAMESPACE) or _socket_open(sid):
            continue
        if manager.is_connected(sid, NAMESPACE):
            manager.disconnect(sid, NAMESPACE, ignore_queue=True)
        _forget(sid)


def _socket_open(sid: str) -> bool:
    """Whether the page's socket is still there: python-socketio forgets its request as the socket closes."""
    return socketio.server.get_environ(sid, NAMESPACE) is not None


def _forget(sid: str) -> None:
    """The connection is no longer online: its workshop's and session's online lists are sent again."""
    connection = presence().connection(sid)
    workshop_id = presence().leave(sid)
    if connection is not None:
        for left in departure_listeners:
            left(sid, connection)
    if workshop_id is not None:
        broadcast_online(workshop_id)
    if connection is not None and connection.session_id is not None:
        presence_changed_in(connection.session_id)
