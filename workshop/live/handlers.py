"""Socket connection and disconnection: authentication, rooms and presence.

A connection says which workshop it is for (``auth={"workshop": code}``),
optionally which session's page (``"session": id``) and which breakout
room's page in it (``"breakout_room": id``); the Flask session says who it
is. Cross-origin connections are refused by Socket.IO's same-origin check
before this code runs.

Every check comes before anything is joined or recorded: a refused
connection is in no room and never counted online.
"""

import time

from flask import request
from flask_login import current_user
from flask_socketio import emit

from workshop.extensions import socketio
from workshop.live.access import BAD_REQUEST, NO_SESSION, breakout_refusal, gate, refusal
from workshop.live.broadcast import FRAGMENT_EVENT, session_hooks
from workshop.live.presence import broadcast_online, presence, render_online
from workshop.agenda.services import session_in
from workshop.breakouts.services import room_for_connection
from workshop.errors import ValidationError
from workshop.live.rooms import (access_room, breakout_room, desk_room, organizers_room, person_room, session_room,
                                 workshop_room)
from workshop.permissions import Action, Refused, authorize, can


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
    staff = can(membership, Action.SEE_WHO_IS_ONLINE)
    rooms = [workshop_room(workshop.id), person_room(current_user.id), access_room(workshop.id, current_user.id)]
    if staff:
        rooms.append(desk_room(workshop.id))
    if can(membership, Action.MANAGE_REPORTS):
        rooms.append(organizers_room(workshop.id))
    session = None
    if auth.get("session") is not None:
        session = session_in(workshop, auth["session"]) if _is_id(auth["session"]) else None
        if session is None:
            refusal(NO_SESSION).refuse()
        rooms.append(session_room(session.id))
    place = None
    if auth.get("breakout_room") is not None:
        place = _breakout_place(session, membership, auth["breakout_room"])
        rooms.append(place)
    gate().admit(request.sid, rooms, checked_at)
    presence().arrive(request.sid, workshop.id, current_user.id, session.id if session else None, place)
    try:
        # The newcomer gets the current state now; everyone else at the next flush.
        emit(FRAGMENT_EVENT, render_online(workshop, with_names=staff))
        broadcast_online(workshop.id)
        if session is not None:
            for hook in session_hooks:
                hook.joined(session, membership)
            for hook in session_hooks:
                hook.presence_changed(session.id)
    except Exception:
        # Not accepted after all (say the database went away, and the page is told to try again): not online.
        presence().leave(request.sid)
        raise


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _breakout_place(session, membership, room_id) -> str:
    """A breakout room's page: a room of the session's open round that is the person's own (staff: any)."""
    if session is None:
        refusal(BAD_REQUEST).refuse()
    try:
        room = room_for_connection(session, membership, current_user.id, room_id)
    except ValidationError as error:
        breakout_refusal(" ".join(error.errors.values())).refuse()
    return breakout_room(room.id)  # the presence place has the socket room's name


def disconnect(reason=None):
    connection = presence().connection(request.sid)
    workshop_id = presence().leave(request.sid)
    if workshop_id is not None:
        broadcast_online(workshop_id)
    if connection is not None and connection.session_id is not None:
        for hook in session_hooks:
            hook.presence_changed(connection.session_id)
