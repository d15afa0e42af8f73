"""Breakout rounds on the live socket: each person gets their own room when a round opens, a moved person
sees the move, a late joiner is placed on arrival, the countdown ends the round, closing sends everyone back,
and room pages (their own room only) show presence to the desk."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.breakouts.conftest import add_session
from workshop.breakouts import live, services
from workshop.breakouts.models import AssignmentSource, BreakoutAssignment, BreakoutRound, RoundState
from workshop.db import db, utcnow
from workshop.live.broadcast import coalescer

ANNOUNCE = re.compile(r"You are in <strong>([^<]+)</strong>")
ANNOUNCED_ROOM = "You are in <strong>{}</strong>"
CARD_VERSION = re.compile(r'<section id="breakout-mine"[^>]*data-version="(\d+)"')


@pytest.fixture
def join(scene, connect):
    """``join(person, room=None)``: a socket of that person on the session page (or on a breakout room's page)."""

    def open_page(person, room=None):
        auth = {"workshop": scene.code, "session": scene.session.id}
        if room is not None:
            auth["breakout_room"] = room
        db.session.commit()
        return connect(person, auth=auth)

    return open_page


def announced(socket) -> list[str]:
    return [name for fragment in socket.collect() for name in ANNOUNCE.findall(fragment)]


def wait_for_room(socket, name: str, timeout: float = 2.0) -> None:
    socket.wait_for(lambda s: announced(s)[-1:] == [name], timeout=timeout, what=f"the card for {name}")


def card_of(round_, person) -> str:
    return services.room_of(round_.id, person.id).label


def open_through_the_desk(scene, make, app, round_, action="open", data=None):
    client = app.test_client()
    make.sign_in(client, scene.moderator)
    response = make.post(client, scene.path(f"/{round_.id}/{action}"), data)
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    db.session.expire_all()
    return db.session.get(BreakoutRound, round_.id)


# Addressing ------------------------------------------------------------------------------------------------

def test_a_round_opening_in_one_session_leaves_the_persons_other_session_page_unchanged(scene, connect, make, app):
    """One person with session A and session B open in two tabs: a round opens in A, and B's page gets nothing
    of it, not even a card with a higher version that its page would keep."""
    person = scene.participants[0]
    other = add_session(scene.workshop)
    in_a = connect(person, auth={"workshop": scene.code, "session": scene.session.id})
    in_b = connect(person, auth={"workshop": scene.code, "session": other.id})
    in_b.wait_for(lambda s: any('id="breakout-mine"' in f for f in s.fragments), what="session B's own card")
    round_ = scene.round()
    open_through_the_desk(scene, make, app, round_)
    wait_for_room(in_a, card_of(round_, person))
    cards_in_b = [f for f in in_b.collect() if 'id="breakout-mine"' in f]
    assert len(cards_in_b) == 1 and "You are in" not in cards_in_b[0], "B shows only its own (empty) card"


# Opening --------------------------------------------------------------------------------------------------

def test_opening_sends_each_participant_their_own_room(scene, join, make, app):
    round_ = scene.round()
    for room in round_.rooms:
        services.update_room(room, {"name": room.name, "topic": f"Topic of {room.name}"})
    db.session.commit()
    people = [services.members_by_room(round_)[room.id][0] for room in round_.rooms]
    sockets = [join(person) for person in people]
    staff = join(scene.moderator)
    for socket in sockets + [staff]:
        assert socket.connected
        socket.collect()
    round_ = open_through_the_desk(scene, make, app, round_)
    for person, socket, room in zip(people, sockets, round_.rooms):
        wait_for_room(socket, f"{room.name}: Topic of {room.name}")
        assert announced(socket) == [f"{room.name}: Topic of {room.name}"], "only their own room"
    staff.wait_for(lambda s: any("is running in 3 rooms" in f for f in s.fragments), what="the staff card")
    assert not announced(staff)


def test_a_participant_who_reconnects_gets_their_room_again(scene, join):
    round_ = scene.round(open_it=True)
    person = scene.participants[0]
    socket = join(person)
    wait_for_room(socket, card_of(round_, person))
    socket.disconnect()
    again = join(person)
    wait_for_room(again, card_of(round_, person))


# Moves and late joiners ----------------------------------------------------------------------------------------

def test_a_moved_person_sees_their_new_room_live(scene, join, make, app):
    round_ = scene.round(open_it=True)
    person, bystander = scene.participants[0], scene.participants[1]
    socket, other = join(person), join(bystander)
    wait_for_room(socket, card_of(round_, person))
    wait_for_room(other, card_of(round_, bystander))
    # The opening's own broadcast may still be on its way to both (a flush after they joined): let it land.
    time.sleep(app.config["LIVE_FLUSH_SECONDS"] * 3)
    other_before = announced(other)
    target = next(room for room in round_.rooms if room != services.room_of(round_.id, person.id))
    client = app.test_client()
    make.sign_in(client, scene.moderator)
    moved = make.post(client, scene.path(f"/{round_.id}/move"),
                      {"person_id": str(person.id), "room_id": str(target.id)}, headers={"HX-Request": "true"})
    assert moved.status_code == 200
    wait_for_room(socket, target.label)
    versions = [int(v) for f in socket.fragments for v in CARD_VERSION.findall(f)]
    assert versions == sorted(versions) and versions[-1] > versions[0]
    assert announced(other) == other_before, "nobody else is told"


def test_an_arrival_after_a_round_opens_gets_a_room_not_the_card_kept_from_before(scene, join, make):
    """With no round everyone's card is the same and kept; opening a round raises the revision it is kept at."""
    early = join(make.member(scene.workshop, name="Early Eshan", country="IN"))
    assert any('state-none' in f for f in early.collect())
    round_ = scene.round(room_count="2", open_it=True)
    late = make.member(scene.workshop, name="Late Lata", country="IN")
    join(late).wait_for(lambda s: any('data-testid="breakout-announce"' in f for f in s.fragments),
                        what="the room they were placed in")
    assert db.session.query(BreakoutAssignment).filter_by(round_id=round_.id, person_id=late.id).count() == 1


def test_a_late_joiner_is_placed_in_the_smallest_room_on_arrival(scene, join, make):
    round_ = scene.round(room_count="3", open_it=True)
    smallest = round_.rooms[2]
    leaving = services.members_by_room(round_)[smallest.id][0]
    services.move_person(round_, leaving.id, round_.rooms[0].id)
    db.session.commit()
    desk = join(scene.moderator)
    late = make.member(scene.workshop, name="Late Lata", country="IN")
    socket = join(late)
    wait_for_room(socket, smallest.label)
    placed = db.session.query(BreakoutAssignment).filter_by(round_id=round_.id, person_id=late.id).one()
    assert placed.room_id == smallest.id and placed.source == AssignmentSource.LATE
    desk.wait_for(lambda s: any(f'id="breakout-desk-live-{round_.id}"' in f for f in s.fragments),
                  what="the desk's new counts")
    join(late)  # a second tab: still one room
    assert db.session.query(BreakoutAssignment).filter_by(round_id=round_.id, person_id=late.id).count() == 1


# Time --------------------------------------------------------------------------------------------------------

def test_the_countdown_ends_the_round_by_itself_and_everyone_is_sent_back(scene, join):
    round_ = scene.round()
    person = scene.participants[0]
    socket = join(person)
    services.start_round(round_)
    # Due in half a second rather than twenty minutes, in the same transaction: the timer sleeps until ends_at.
    db.session.execute(update(BreakoutRound).where(BreakoutRound.id == round_.id)
                       .values(ends_at=utcnow() + timedelta(seconds=0.5)))
    db.session.commit()
    db.session.refresh(round_)
    wait_for_room(socket, card_of(round_, person))
    socket.wait_for(lambda s: any("Back in the plenary" in f for f in s.fragments), timeout=4,
                    what="the round ended by its countdown")
    db.session.expire_all()
    assert db.session.get(BreakoutRound, round_.id).state == RoundState.CLOSED


def test_end_due_rounds_ends_each_due_round_once_and_tells_everyone(scene, join):
    round_ = scene.round(open_it=True)
    socket = join(scene.participants[0])
    assert live.end_due_rounds() == []
    db.session.execute(update(BreakoutRound).where(BreakoutRound.id == round_.id)
                       .values(ends_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert live.end_due_rounds() == [round_.id]
    assert live.end_due_rounds() == []
    socket.wait_for(lambda s: any("Back in the plenary" in f for f in s.fragments), what="the closed card")


def test_extending_sends_the_new_end_to_the_session(scene, join, make, app):
    round_ = scene.round(open_it=True)
    socket = join(scene.participants[0])
    socket.collect()
    extended = open_through_the_desk(scene, make, app, round_, "extend", {"minutes": "10"})
    socket.wait_for(lambda s: any(f'id="breakout-ends-{round_.id}"' in f and extended.ends_at.isoformat() in f
                                  for f in s.fragments), what="the new end time")


def test_closing_sends_everyone_back_to_the_plenary_with_every_rooms_notes(scene, join, make, app):
    round_ = scene.round(open_it=True)
    room = round_.rooms[0]
    sockets = [join(person) for person in scene.participants[:3]]
    for socket in sockets:
        socket.wait_for(lambda s: announced(s), what="a room")
    open_through_the_desk(scene, make, app, round_, "close")
    for socket in sockets:
        socket.wait_for(lambda s: any("Back in the plenary" in f and f'id="breakout-plenary-notes-{room.id}"' in f
                                      for f in s.fragments), what="the plenary card")
        versions = [int(v) for f in socket.fragments for v in CARD_VERSION.findall(f)]
        assert versions[-1] > versions[0], "the closed card is newer than the open one"


def test_a_message_reaches_every_room(scene, join, make, app):
    round_ = scene.round(open_it=True)
    socket = join(scene.participants[0])
    open_through_the_desk(scene, make, app, round_, "message", {"text": "Ten minutes <left>"})
    socket.wait_for(lambda s: any(f'data-append-to="breakout-messages-{round_.id}"' in f
                                  and "Ten minutes &lt;left&gt;" in f for f in s.fragments), what="the message")


# Room pages -----------------------------------------------------------------------------------------------------

def test_a_room_page_connects_only_to_ones_own_room_of_an_open_round(scene, join, connect):
    round_ = scene.round(open_it=True)
    room, other = round_.rooms[0], round_.rooms[1]
    member = services.members_by_room(round_)[room.id][0]
    assert join(member, room.id).connected
    assert not join(member, other.id).connected
    assert not join(member, "1").connected
    assert join(scene.moderator, other.id).connected, "moderators drop in anywhere"
    assert not connect(member, auth={"workshop": scene.code, "breakout_room": room.id}).connected, "no session"
    services.close_round(round_)
    db.session.commit()
    assert not join(member, room.id).connected, "the round is over"


def test_a_room_page_gets_its_card_and_not_the_session_pages_polls_and_questions(scene, join):
    round_ = scene.round(open_it=True)
    room = round_.rooms[0]
    member = services.members_by_room(round_)[room.id][0]
    room_page, session_page = join(member, room.id), join(member)
    assert ANNOUNCED_ROOM.format(room.label) in "".join(room_page.collect())
    on_room_page = "".join(room_page.fragments)
    assert 'id="session-polls"' not in on_room_page and 'id="questions-' not in on_room_page
    on_session_page = "".join(session_page.collect())
    assert 'id="session-polls"' in on_session_page and 'id="questions-' in on_session_page


def test_the_desk_sees_who_is_on_each_rooms_page(scene, join):
    round_ = scene.round(open_it=True)
    room = round_.rooms[0]
    member = services.members_by_room(round_)[room.id][0]
    desk = join(scene.moderator)
    page = join(member, room.id)
    desk.wait_for(lambda s: any(f'data-testid="present-1">1<' in f and member.name in f for f in s.fragments),
                  what="one person on room 1's page")
    page.disconnect()
    desk.wait_for(lambda s: [f for f in s.fragments if 'data-testid="present-1"' in f][-1].count(
        'data-testid="present-1">0<') == 1, what="nobody on room 1's page")


def test_help_alerts_the_desk_and_notes_reach_the_rooms_page(scene, join, make, app):
    round_ = scene.round(open_it=True)
    room = round_.rooms[0]
    writer, reader = services.members_by_room(round_)[room.id][:2]
    desk = join(scene.moderator)
    reading = join(reader, room.id)
    client = app.test_client()
    make.sign_in(client, writer)
    assert make.post(client, scene.path(f"/rooms/{room.id}/help"), {"message": "No video"}).status_code == 303
    desk.wait_for(lambda s: any('data-append-to="breakout-help-' in f and "No video" in f for f in s.fragments),
                  what="the help request")
    saved = make.post(client, scene.path(f"/rooms/{room.id}/notes"), {"notes": "Point one", "revision": "0"},
                      headers={"HX-Request": "true"})
    assert saved.status_code == 200
    reading.wait_for(lambda s: any(f'id="room-notes-view-{room.id}"' in f and "Point one" in f
                                   and 'data-notes-revision="1"' in f for f in s.fragments), what="the saved notes")


def test_a_choice_sends_only_the_seats_left_so_every_chooser_keeps_their_own_choice_marked(scene, join, make, app):
    choosing = scene.round(preview=False, mode="self-select")
    open_through_the_desk(scene, make, app, choosing, "choosing/open")
    watcher = join(scene.participants[0])
    watcher.wait_for(lambda s: any("Choose your breakout room" in f for f in s.fragments), what="the chooser")
    # The opening's own broadcast goes out now: flushed after the choice, it would be rendered at a newer revision.
    coalescer().flush()
    before_the_choice = services.session_version(scene.session.id)
    client = app.test_client()
    make.sign_in(client, scene.participants[1])
    room = choosing.rooms[0]
    chosen = make.post(client, scene.path(f"/{choosing.id}/choose"), {"room_id": str(room.id)},
                       headers={"HX-Request": "true"})
    assert chosen.status_code == 200
    seats = f'<span id="breakout-seats-{room.id}"'
    watcher.wait_for(lambda s: any(f.startswith(seats) for f in s.fragments), what="the seats left")
    coalescer().flush()
    # A card rendered after the choice would carry a newer version, and unmark the watcher's own choice.
    cards = [int(v) for f in watcher.collect() for v in CARD_VERSION.findall(f)]
    assert cards and max(cards) <= before_the_choice


def test_choosing_shows_the_rooms_to_everyone_and_stopping_brings_back_the_last_notes(scene, join, make, app):
    first = scene.round(open_it=True)
    services.close_round(first)
    db.session.commit()
    choosing = scene.round(preview=False, mode="self-select")
    socket = join(scene.participants[0])
    socket.wait_for(lambda s: any("Back in the plenary" in f for f in s.fragments), what="round 1's notes")
    open_through_the_desk(scene, make, app, choosing, "choosing/open")
    socket.wait_for(lambda s: any("Choose your breakout room" in f for f in s.fragments), what="the chooser")
    chooser = max(int(v) for f in socket.fragments if "Choose your breakout room" in f for v in CARD_VERSION.findall(f))
    open_through_the_desk(scene, make, app, choosing, "choosing/close")

    def cards(s) -> list[tuple[int, str]]:
        return [(int(CARD_VERSION.search(f).group(1)), f) for f in s.fragments if CARD_VERSION.search(f)]

    socket.wait_for(lambda s: cards(s)[-1][0] > chooser and "Back in the plenary" in cards(s)[-1][1],
                    what="round 1's notes again, newer than the chooser")
    versions = [version for version, _ in cards(socket)]
    assert versions == sorted(versions), "each no older than the last: none would be dropped"
