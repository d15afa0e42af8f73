"""Breakout rounds on the live pipe: each person's own room pushed to their pages of the session, the desk's
live view, countdowns.

The breakouts service announces what each change touched (a round, seats, a room's notes, a message, a call
for help, one late joiner); at the next flush the job for it renders from the database and emits. A
participant's card (``#breakout-mine``) says which room they are in; it is rendered once per room and sent to
each member's pages of that session (``person_session_room``), never to their pages of other sessions. What
is the same for everyone (the closed round's notes, the countdown, moderators' messages) goes once to the
session's room. Every fragment carries the revision of the session's breakouts (read before anything it
versions), so a card never goes back to an older state, across rounds too.
"""

from __future__ import annotations

import threading

from flask import current_app, has_request_context, render_template, request
from flask_login import current_user
from flask_socketio import emit
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workshop.accounts.models import Person
from workshop.breakouts import services
from workshop.breakouts.models import BreakoutMessage, BreakoutRoom, BreakoutRound, HelpRequest, RoundState
from workshop.db import db, utcnow
from workshop.errors import ValidationError
from workshop.extensions import socketio
from workshop.live.access import breakout_refusal
from workshop.live import revisions
from workshop.live.broadcast import FRAGMENT_EVENT, emit_fragment, on_change, session_hooks
from workshop.live.handlers import on_place
from workshop.live.presence import presence
from workshop.live.rooms import breakout_room, desk_room, person_session_room, session_room
from workshop.live.timers import on_deadline
from workshop.workshops.models import Membership, Role, Workshop


def place(room_id: int) -> str:
    """The presence place of a breakout room's page (named like its socket room)."""
    return breakout_room(room_id)


# Rendering ----------------------------------------------------------------------------------------

def _code(workshop_id: int) -> str:
    return db.session.scalar(select(Workshop.code).where(Workshop.id == workshop_id))


def card_context(round_: BreakoutRound | None, room: BreakoutRoom | None, *, version: int, staff: bool = False,
                 choice: int | None = None) -> dict:
    """What the card shows, as of ``version`` (the session's breakouts, read first)."""
    context = {"round": round_, "room": room, "staff": staff, "choice": choice, "oob": True,
               "version": version, "code": None, "messages": [], "seats": {}}
    if round_ is None:
        return context
    context["code"] = _code(round_.workshop_id)
    if round_.state == RoundState.OPEN:
        context["messages"] = services.messages_of(round_, limit=5)
    elif round_.state == RoundState.DRAFT:
        context["seats"] = services.seats_left(round_)
    return context


def render_card(round_: BreakoutRound | None, room: BreakoutRoom | None = None, *, version: int,
                staff: bool = False, choice: int | None = None) -> str:
    return render_template("breakouts/_mine.html",
                           **card_context(round_, room, version=version, staff=staff, choice=choice))


def card_for(session_id: int, person_id: int, membership: Membership) -> str:
    """The card as this person sees it now: their room, the staff's list of rooms, the chooser, or the notes."""
    version = services.session_version(session_id)
    return card_of(services.current_round(session_id), person_id, membership, version)


def card_of(round_: BreakoutRound | None, person_id: int, membership: Membership, version: int) -> str:
    """The card of the session's current round as this person sees it; ``version`` read before the round."""
    if round_ is None:
        return render_card(None, version=version)
    staff = services.is_staff(membership)
    if round_.state == RoundState.OPEN:
        return render_card(round_, services.room_of(round_.id, person_id), version=version, staff=staff)
    if round_.state == RoundState.DRAFT:
        return render_card(round_, version=version, choice=services.my_choice(round_, person_id), staff=staff)
    return render_card(round_, version=version, staff=staff)


def _send_cards(session_id: int, version: int) -> None:
    """Everyone's card: in an open round one per room, sent to each of its people's pages of the session (staff
    not in a room get the list of rooms); otherwise the same card for everyone on the session's pages."""
    current = services.current_round(session_id)
    if current is None or current.state != RoundState.OPEN:
        emit_fragment(render_card(current, version=version), session_room(session_id))
        return
    members = services.members_by_room(current)
    for room in current.rooms:
        if members[room.id]:
            html = render_card(current, room, version=version)
            for person in members[room.id]:
                emit_fragment(html, person_session_room(person.id, session_id))
    assigned = {person.id for people in members.values() for person in people}
    staff_card = None
    for person_id in db.session.scalars(select(Membership.person_id).where(
            Membership.workshop_id == current.workshop_id, Membership.role.in_(services.STAFF_ROLES))):
        if person_id not in assigned:
            staff_card = staff_card or render_card(current, version=version, staff=True)
            emit_fragment(staff_card, person_session_room(person_id, session_id))


def _send_rooms(round_: BreakoutRound, version: int) -> None:
    """Who is in each room, to the room's page."""
    members = services.members_by_room(round_)
    for room in round_.rooms:
        emit_fragment(render_template("breakouts/_room_people.html", room=room, round=round_, members=members[room.id],
                                      oob=True, version=version), breakout_room(room.id))


def _versioned(session_of) -> tuple[int, int] | None:
    """The session a changed thing belongs to (``session_of`` selects its id) and the revision of its breakouts,
    read before the thing itself; None if the thing is gone."""
    session_id = db.session.scalar(session_of)
    return None if session_id is None else (session_id, services.session_version(session_id))


def send_round(session_id: int, round_id: int | None) -> None:
    """A round changed (opened, closed, extended, rooms or people changed, choosing opened or closed)."""
    version = services.session_version(session_id)
    _send_cards(session_id, version)
    round_ = db.session.get(BreakoutRound, round_id) if round_id is not None else None
    if round_ is None:
        return
    emit_fragment(render_template("breakouts/_countdown.html", round=round_, oob=True, version=version),
                  session_room(session_id))
    if round_.state == RoundState.OPEN:
        _send_rooms(round_, version)
        _start_timer(round_)
    _send_desk(round_)


def send_person(round_id: int, person_id: int, old_room_id: int | None) -> None:
    """A person got a room (a late joiner) or was moved: their card on their pages of the session, and who is in
    the rooms they left and joined, to those rooms' pages, and the desk. Nobody else is sent anything."""
    if (read := _versioned(select(BreakoutRound.session_id).where(BreakoutRound.id == round_id))) is None:
        return
    session_id, version = read
    round_ = db.session.get(BreakoutRound, round_id)
    room = services.room_of(round_id, person_id)
    if round_.state != RoundState.OPEN or room is None:
        return
    emit_fragment(render_card(round_, room, version=version), person_session_room(person_id, session_id))
    members = services.members_by_room(round_)
    for changed_room in round_.rooms:
        if changed_room.id in (room.id, old_room_id):
            emit_fragment(render_template("breakouts/_room_people.html", room=changed_room, round=round_, oob=True,
                                          version=version, members=members[changed_room.id]),
                          breakout_room(changed_room.id))
    _send_desk(round_)


def send_seats(session_id: int, round_id: int) -> None:
    """Someone chose a room: seats left, to everyone choosing."""
    version = services.session_version(session_id)
    round_ = db.session.get(BreakoutRound, round_id)
    if round_ is not None and round_.state == RoundState.DRAFT and round_.choosing_open:
        emit_fragment(render_template("breakouts/_seats.html", round=round_, seats=services.seats_left(round_),
                                      oob=True, version=version), session_room(session_id))


def send_notes(room_id: int) -> None:
    """New notes: to the room's page (its writers and readers) and, once the round is over, to the plenary."""
    if (read := _versioned(select(BreakoutRound.session_id).join(BreakoutRoom)
                           .where(BreakoutRoom.id == room_id))) is None:
        return
    session_id, version = read
    room = db.session.get(BreakoutRoom, room_id)
    emit_fragment(render_template("breakouts/_notes_view.html", room=room, oob=True, version=version),
                  breakout_room(room.id))
    if room.round.state == RoundState.CLOSED:
        emit_fragment(render_template("breakouts/_plenary_notes.html", room=room, oob=True, version=version),
                      session_room(session_id))


def send_message(message_id: int) -> None:
    message = db.session.get(BreakoutMessage, message_id)
    if message is None:
        return
    round_ = db.session.get(BreakoutRound, message.round_id)
    emit_fragment(render_template("breakouts/_message.html", message=message, round=round_, append=True),
                  session_room(round_.session_id))


def send_help(help_id: int) -> None:
    """A call for help, or its handling, on every moderator's desk."""
    if (read := _versioned(select(BreakoutRound.session_id).join(HelpRequest)
                           .where(HelpRequest.id == help_id))) is None:
        return
    session_id, version = read
    help_request = db.session.get(HelpRequest, help_id)
    round_ = db.session.get(BreakoutRound, help_request.round_id)
    context = {"help": help_request, "round": round_, "code": _code(round_.workshop_id),
               "session": {"id": session_id}, "version": version}
    html = (render_template("breakouts/_help.html", append=True, **context)
            + render_template("breakouts/_help.html", oob=True, **context))
    emit_fragment(html, desk_room(round_.workshop_id))
    _send_desk(round_)


# The moderators' desk: assigned and present per room, coalesced ------------------------------------------

def desk_version(round_: BreakoutRound) -> int:
    """The desk counts assignments and people present: both revisions only grow, and so does their sum."""
    return services.session_version(round_.session_id) + presence().version(round_.workshop_id)


def desk_state(round_: BreakoutRound) -> dict:
    """Per room: who is assigned, who has its page open now (and whether they belong elsewhere)."""
    version = desk_version(round_)
    db.session.refresh(round_)
    members = services.members_by_room(round_)
    assigned_room = {p.id: room_id for room_id, people in members.items() for p in people}
    names = {p.id: p.name for people in members.values() for p in people}
    here = {room.id: presence().at_place(place(room.id)) for room in round_.rooms}
    visitors = set().union(*here.values()) - names.keys()  # moderators dropping in
    if visitors:
        names.update(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(visitors))).all())
    rooms = []
    for room in round_.rooms:
        assigned_ids = {p.id for p in members[room.id]}
        rooms.append({"room": room, "assigned": members[room.id],
                      "present": sorted((names.get(pid, "?"), assigned_room.get(pid)) for pid in here[room.id]),
                      "present_assigned": len(here[room.id] & assigned_ids)})
    return {"round": round_, "rooms": rooms, "version": version, "oob": True,
            "code": _code(round_.workshop_id), "assigned": sum(len(m) for m in members.values()),
            "room_names": {room.id: room.name for room in round_.rooms}}


def _send_desk(round_: BreakoutRound) -> None:
    if round_.state == RoundState.OPEN:
        emit_fragment(render_template("breakouts/_desk_live.html", **desk_state(round_)),
                      desk_room(round_.workshop_id))


def send_desk(round_id: int) -> None:
    round_ = db.session.get(BreakoutRound, round_id)
    if round_ is not None:
        _send_desk(round_)


# Countdown -----------------------------------------------------------------------------------------------

_timers: set[tuple[int, object]] = set()  # (round, end) pairs this process already waits for
_timers_lock = threading.Lock()


def _start_timer(round_: BreakoutRound) -> None:
    if round_.state != RoundState.OPEN or round_.ends_at is None:
        return
    with _timers_lock:
        if (round_.id, round_.ends_at) in _timers:
            return
        _timers.add((round_.id, round_.ends_at))
    socketio.start_background_task(_close_when_due, current_app._get_current_object(), round_.id, round_.ends_at)


def _close_when_due(app, round_id: int, ends_at) -> None:
    """Sleep until the round's end, then end whatever is due (an extended round is not: its own timer ends it)."""
    socketio.sleep(max(0.0, (ends_at - utcnow()).total_seconds()) + 0.05)
    with _timers_lock:
        _timers.discard((round_id, ends_at))
    with app.app_context():
        end_due_rounds()


def end_due_rounds() -> list[int]:
    """End every open round whose countdown has run out (each round once, announced by the service).

    Safe to call from any worker at any time (a per-worker sweep, or the timer started at opening):
    the closing UPDATE only matches rounds still open and due. Needs an app context.
    """
    if not has_request_context():
        with current_app.test_request_context("/"):
            return end_due_rounds()
    return services.close_due_rounds()


# On the session page -------------------------------------------------------------------------------------

class BreakoutsOnSessionPage:
    on_narrower_pages = True

    def live_target(self, session_id: int) -> str:
        return services.live_target(session_id)

    def joined(self, session, membership) -> None:
        """Place a participant who arrives while a round runs (announced to the desk), then send their card."""
        version = services.session_version(session.id)
        read = []  # the round, when this call reads it

        def card_without_round() -> str | None:
            read.append(services.current_round(session.id))
            return render_card(None, version=version) if read[0] is None else None

        # With no round in the session, everyone's card is the same (None otherwise): kept per revision.
        shared = revisions.kept_at("breakout_cards_without_round", session.id, version, card_without_round)
        if shared is not None:
            emit(FRAGMENT_EVENT, shared, to=request.sid)
            return
        round_ = read[0] if read else services.current_round(session.id)
        if round_.state == RoundState.OPEN and membership.role == Role.PARTICIPANT:
            try:
                placed = services.place_late_joiner(round_, current_user.id)
                db.session.commit()
            except IntegrityError:  # another tab of theirs placed them a moment ago
                db.session.rollback()
                placed = True
            if placed:
                emit(FRAGMENT_EVENT, card_for(session.id, current_user.id, membership), to=request.sid)
                return
        emit(FRAGMENT_EVENT, card_of(round_, current_user.id, membership, version), to=request.sid)

    def presence_changed(self, session_id: int) -> None:
        """Someone came or went (perhaps on a room's page): the desk's presence per room at the next flush."""
        round_id = db.session.scalar(select(BreakoutRound.id).where(BreakoutRound.session_id == session_id,
                                                                    BreakoutRound.state == RoundState.OPEN))
        if round_id is not None:
            send_desk(round_id)


def connection_room(session, membership, person_id: int, room_id) -> str:
    """A breakout room's page: a room of the session's open round that is the person's own (staff: any)."""
    try:
        room = services.room_for_connection(session, membership, person_id, room_id)
    except ValidationError as error:
        breakout_refusal(" ".join(error.errors.values())).refuse()
    return place(room.id)  # the presence place has the socket room's name


def register() -> None:
    on_change(services.ROUND_TOPIC, send_round)
    on_change(services.PERSON_TOPIC, send_person)
    on_change(services.SEATS_TOPIC, send_seats)
    on_change(services.NOTES_TOPIC, send_notes)
    on_change(services.MESSAGE_TOPIC, send_message)
    on_change(services.HELP_TOPIC, send_help)
    on_place("breakout_room", connection_room)
    on_deadline(end_due_rounds)
    if not any(isinstance(hook, BreakoutsOnSessionPage) for hook in session_hooks):
        session_hooks.append(BreakoutsOnSessionPage())
