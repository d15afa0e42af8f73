"""Socket connection and disconnection: authentication, rooms and presence.

A connection says which workshop it is for (``auth={"workshop": code}``),
optionally which session's page (``"session": id``) and which breakout
room's page in it (``"breakout_room": id``); the Flask session says who it
is. Cross-origin connections are refused by Socket.IO's same-origin check
before this code runs.
"""

from flask import request
from flask_login import current_user
from flask_socketio import emit, join_room

from workshop.extensions import socketio
from workshop.live.broadcast import FRAGMENT_EVENT, session_hooks
from workshop.live.presence import broadcast_online, presence, render_online
from workshop.agenda.services import session_in
from workshop.breakouts.services import room_for_connection
from workshop.errors import ValidationError
from workshop.live.rooms import breakout_room, desk_room, organizers_room, person_room, session_room, workshop_room
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
    code = auth.get("workshop") if isinstance(auth, dict) else None
    if not isinstance(code, str) or not code:
        raise ConnectionRefusedError("Say which workshop this connection is for.")
    try:
        workshop, membership = authorize(code, Action.VIEW_WORKSHOP)
    except Refused as refused:
        raise ConnectionRefusedError(refused.message) from None
    staff = can(membership, Action.SEE_WHO_IS_ONLINE)
    join_room(workshop_room(workshop.id))
    join_room(person_room(current_user.id))
    if staff:
        join_room(desk_room(workshop.id))
    if can(membership, Action.MANAGE_REPORTS):
        join_room(organizers_room(workshop.id))
    session = None
    if auth.get("session") is not None:
        session = session_in(workshop, auth["session"]) if isinstance(auth["session"], int) else None
        if session is None:
            raise ConnectionRefusedError("There is no such session in this workshop.")
        join_room(session_room(session.id))
    place = None
    if auth.get("breakout_room") is not None:
        place = _breakout_place(session, membership, auth["breakout_room"])
    presence().arrive(request.sid, workshop.id, current_user.id, session.id if session else None, place)
    # The newcomer gets the current state now; everyone else at the next flush.
    emit(FRAGMENT_EVENT, render_online(workshop, with_names=staff))
    broadcast_online(workshop.id)
    if session is not None:
        for hook in session_hooks:
            hook.joined(session, membership)
            hook.presence_changed(session.id)


def _breakout_place(session, membership, room_id) -> str:
    """Join a breakout room's page: a room of the session's open round that is the person's own (staff: any)."""
    if session is None:
        raise ConnectionRefusedError("Say which session the breakout room belongs to.")
    try:
        room = room_for_connection(session, membership, current_user.id, room_id)
    except ValidationError as error:
        raise ConnectionRefusedError(" ".join(error.errors.values())) from None
    join_room(breakout_room(room.id))
    return breakout_room(room.id)  # the presence place has the socket room's name


def disconnect(reason=None):
    connection = presence().connection(request.sid)
    workshop_id = presence().leave(request.sid)
    if workshop_id is not None:
        broadcast_online(workshop_id)
    if connection is not None and connection.session_id is not None:
        for hook in session_hooks:
            hook.presence_changed(connection.session_id)
