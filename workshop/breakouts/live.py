"""Breakout rounds on the live pipe: each person's own room pushed to them, the desk's live view, countdowns.

A participant's card (``#breakout-mine``) says which room they are in; it is rendered once per room and
sent to each member's person room, so everyone gets their own room in one message. What is the same for
everyone (the closed round's notes, the countdown, moderators' messages) goes once to the session's room.
Every fragment carries the round's revision, which rises above every other round of the session, so a
card never goes back to an older state; notes carry their own revision.
"""

from __future__ import annotations

from flask import current_app, has_request_context, render_template, request
from flask_login import current_user
from flask_socketio import emit
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workshop.accounts.models import Person
from workshop.breakouts import services
from workshop.breakouts.models import BreakoutRoom, BreakoutRound, HelpRequest, RoundState
from workshop.db import db, utcnow
from workshop.extensions import socketio
from workshop.live.broadcast import FRAGMENT_EVENT, coalescer, emit_fragment, session_hooks
from workshop.live.presence import next_version, presence
from workshop.live.rooms import breakout_room, desk_room, person_room, session_room
from workshop.workshops.models import Membership, Role, Workshop


def place(room_id: int) -> str:
    """The presence place of a breakout room's page (named like its socket room)."""
    return breakout_room(room_id)


# Rendering ----------------------------------------------------------------------------------------

def _code(workshop_id: int) -> str:
    return db.session.scalar(select(Workshop.code).where(Workshop.id == workshop_id))


def card_context(round_: BreakoutRound | None, room: BreakoutRoom | None = None, *, staff: bool = False,
                 choice: int | None = None, version: int | None = None) -> dict:
    """What the card shows. Its version is the session's (not the round's): the card moves from one round
    to another, and back to an older round's notes when choosing in a newer one stops."""
    context = {"round": round_, "room": room, "staff": staff, "choice": choice, "oob": True,
               "version": version, "code": None, "messages": [], "seats": {}}
    if round_ is None:
        context["version"] = version or 0
        return context
    if version is None:
        context["version"] = services.session_version(round_.session_id)
    context["code"] = _code(round_.workshop_id)
    if round_.state == RoundState.OPEN:
        context["messages"] = services.messages_of(round_, limit=5)
    elif round_.state == RoundState.DRAFT:
        context["seats"] = services.seats_left(round_)
    return context


def render_card(round_: BreakoutRound | None, room: BreakoutRoom | None = None, *, staff: bool = False,
                choice: int | None = None, version: int | None = None) -> str:
    return render_template("breakouts/_mine.html",
                           **card_context(round_, room, staff=staff, choice=choice, version=version))


def card_for(session_id: int, person_id: int, membership: Membership) -> str:
    """The card as this person sees it now: their room, the staff's list of rooms, the chooser, or the notes."""
    round_ = services.current_round(session_id)
    if round_ is None:
        return render_card(None)
    staff = services.is_staff(membership)
    if round_.state == RoundState.OPEN:
        room = services.room_of(round_.id, person_id)
        return render_card(round_, room, staff=staff)
    if round_.state == RoundState.DRAFT:
        return render_card(round_, choice=services.my_choice(round_, person_id), staff=staff)
    return render_card(round_, staff=staff)


def send_everyone_their_room(round_: BreakoutRound) -> None:
    """The round opened (or changed for all): one card per room, sent to each of its people; staff get the list."""
    members = services.members_by_room(round_)
    version = services.session_version(round_.session_id)
    for room in round_.rooms:
        if not members[room.id]:
            continue
        html = render_card(round_, room, version=version)
        for person in members[room.id]:
            emit_fragment(html, person_room(person.id))
    assigned = {person.id for people in members.values() for person in people}
    staff_card = None
    for person_id in db.session.scalars(select(Membership.person_id).where(
            Membership.workshop_id == round_.workshop_id, Membership.role.in_(services.STAFF_ROLES))):
        if person_id not in assigned:
            staff_card = staff_card or render_card(round_, staff=True, version=version)
            emit_fragment(staff_card, person_room(person_id))


def send_room_card(round_: BreakoutRound, room: BreakoutRoom, person_ids) -> None:
    html = render_card(round_, room)
    for person_id in person_ids:
        emit_fragment(html, person_room(person_id))


def broadcast_opened(round_: BreakoutRound) -> None:
    send_everyone_their_room(round_)
    broadcast_desk(round_.id)
    _start_timer(round_)


def broadcast_closed(round_: BreakoutRound) -> None:
    """Everyone back to the plenary: the same card (every room's notes) for all, once to the session's room."""
    emit_fragment(render_card(round_), session_room(round_.session_id))
    broadcast_desk(round_.id)


def broadcast_countdown(round_: BreakoutRound) -> None:
    emit_fragment(render_template("breakouts/_countdown.html", round=round_, oob=True), session_room(round_.session_id))
    broadcast_desk(round_.id)
    _start_timer(round_)


def broadcast_message(message) -> None:
    round_ = db.session.get(BreakoutRound, message.round_id)
    emit_fragment(render_template("breakouts/_message.html", message=message, round=round_, append=True),
                  session_room(round_.session_id))


def broadcast_help(help_request: HelpRequest) -> None:
    round_ = db.session.get(BreakoutRound, help_request.round_id)
    session = {"id": round_.session_id}
    html = render_template("breakouts/_help.html", help=help_request, round=round_, code=_code(round_.workshop_id),
                           session=session, append=True)
    html += render_template("breakouts/_help.html", help=help_request, round=round_, code=_code(round_.workshop_id),
                            session=session, oob=True)
    emit_fragment(html, desk_room(round_.workshop_id))


def broadcast_notes(room: BreakoutRoom) -> None:
    """New notes: to the room's page (its writers and readers) and, once the round is over, to the plenary."""
    emit_fragment(render_template("breakouts/_notes_view.html", room=room, oob=True), breakout_room(room.id))
    if room.round.state == RoundState.CLOSED:
        emit_fragment(render_template("breakouts/_plenary_notes.html", room=room, oob=True),
                      session_room(room.round.session_id))


def broadcast_room_changed(round_: BreakoutRound, room: BreakoutRoom) -> None:
    """A room's name, topic, link or rapporteur changed while the round runs: its people's cards and its page."""
    members = services.members_by_room(round_)[room.id]
    send_room_card(round_, room, [p.id for p in members])
    emit_fragment(render_template("breakouts/_room_people.html", room=room, round=round_, members=members, oob=True),
                  breakout_room(room.id))
    broadcast_desk(round_.id)


def broadcast_moved(round_: BreakoutRound, person_id: int, old_room_id: int, new_room_id: int) -> None:
    """The moved person sees their new room at once; both rooms' pages show who is in them now."""
    members = services.members_by_room(round_)
    for room in round_.rooms:
        if room.id in (old_room_id, new_room_id):
            emit_fragment(render_template("breakouts/_room_people.html", room=room, round=round_,
                                          members=members[room.id], oob=True), breakout_room(room.id))
            if room.id == new_room_id:
                send_room_card(round_, room, [person_id])
    broadcast_desk(round_.id)


def broadcast_choosing(round_: BreakoutRound) -> None:
    """Choosing opened or closed: the session page shows the chooser (nobody's choice marked), or again
    whatever it showed before (a running round's rooms, or the last closed round's notes)."""
    current = services.current_round(round_.session_id)
    if current is not None and current.state == RoundState.OPEN:
        send_everyone_their_room(current)
    else:
        html = render_card(current, version=services.session_version(round_.session_id))
        emit_fragment(html, session_room(round_.session_id))


def broadcast_seats(round_id: int) -> None:
    """Someone chose a room: seats left, at the next flush, to everyone choosing."""

    def job():
        round_ = db.session.get(BreakoutRound, round_id)
        if round_ is not None and round_.state == RoundState.DRAFT and round_.choosing_open:
            emit_fragment(render_template("breakouts/_seats.html", round=round_, seats=services.seats_left(round_),
                                          oob=True), session_room(round_.session_id))

    coalescer().mark(("breakout-seats", round_id), job)


# The moderators' desk: assigned and present per room, coalesced ------------------------------------------

def desk_state(round_: BreakoutRound) -> dict:
    """Per room: who is assigned, who has its page open now (and whether they belong elsewhere)."""
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
    return {"round": round_, "rooms": rooms, "version": next_version(round_.revision), "oob": True,
            "code": _code(round_.workshop_id), "assigned": sum(len(m) for m in members.values()),
            "room_names": {room.id: room.name for room in round_.rooms}}


def _send_desk(round_: BreakoutRound) -> None:
    emit_fragment(render_template("breakouts/_desk_live.html", **desk_state(round_)), desk_room(round_.workshop_id))


def broadcast_desk(round_id: int) -> None:
    """Mark the desk's view of a round changed; the next flush renders it once for the moderators."""

    def job():
        round_ = db.session.get(BreakoutRound, round_id)
        if round_ is not None:
            _send_desk(round_)

    coalescer().mark(("breakout-desk", round_id), job)


# Countdown -----------------------------------------------------------------------------------------------

def _start_timer(round_: BreakoutRound) -> None:
    if round_.state == RoundState.OPEN and round_.ends_at is not None:
        socketio.start_background_task(_close_when_due, current_app._get_current_object(), round_.ends_at)


def _close_when_due(app, ends_at) -> None:
    """Sleep until the round's end, then end whatever is due (an extended round is not: its own timer ends it)."""
    socketio.sleep(max(0.0, (ends_at - utcnow()).total_seconds()) + 0.05)
    with app.app_context():
        end_due_rounds()


def end_due_rounds() -> list[int]:
    """End every open round whose countdown has run out and send everyone back; each round ends once.

    Safe to call from any worker at any time (a per-worker sweep, or the timer started at opening):
    the closing UPDATE only matches rounds still open and due. Needs an app context.
    """
    if not has_request_context():
        with current_app.test_request_context("/"):
            return end_due_rounds()
    ended = services.close_due_rounds()
    for round_id in ended:
        round_ = db.session.get(BreakoutRound, round_id)
        if round_ is not None:
            broadcast_closed(round_)
    return ended


# On the session page -------------------------------------------------------------------------------------

class BreakoutsOnSessionPage:
    def joined(self, session, membership) -> None:
        """Place a participant who arrives while a round runs, then send them their card."""
        round_ = services.open_round(session.id)
        if round_ is not None and membership.role == Role.PARTICIPANT:
            try:
                placed = services.place_late_joiner(round_, current_user.id)
                db.session.commit()
            except IntegrityError:  # another tab of theirs placed them a moment ago
                db.session.rollback()
                placed = None
            if placed is not None:
                db.session.refresh(round_)
                html = render_card(round_, db.session.get(BreakoutRoom, placed.room_id))
                emit_fragment(html, person_room(current_user.id))
                broadcast_desk(round_.id)
                return
        emit(FRAGMENT_EVENT, card_for(session.id, current_user.id, membership), to=request.sid)

    def presence_changed(self, session_id: int) -> None:
        """Someone came or went (perhaps on a room's page): the desk's presence per room at the next flush."""
        round_id = db.session.scalar(select(BreakoutRound.id).where(BreakoutRound.session_id == session_id,
                                                                    BreakoutRound.state == RoundState.OPEN))
        if round_id is not None:
            broadcast_desk(round_id)


def register() -> None:
    if not any(isinstance(hook, BreakoutsOnSessionPage) for hook in session_hooks):
        session_hooks.append(BreakoutsOnSessionPage())
