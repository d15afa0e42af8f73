"""Closed is final (issue 13, point 3) for self-select: a room choice commits only while choosing is open.

Barrier tests on SQLite and PostgreSQL: the choice runs in a thread with its own connection and stops at a
chosen point while the moderator closes choosing (or starts the round); the choice is then refused, the
seats and choices stay what they were when choosing closed, and nothing of it is left half-written.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.barriers import race  # noqa: F401  (fixture)
from workshop.accounts.models import Person
from workshop.breakouts import services
from workshop.breakouts.models import BreakoutChoice, BreakoutRoom, BreakoutRound, RoundState
from workshop.db import db
from workshop.errors import ValidationError

HAS_CLOSED = "Choosing rooms has closed; your choice was not saved."


def choose(round_id: int, person_id: int, room_id: int) -> int:
    """A participant's choice as the route makes it (its own session, committed); the room's id."""
    room = services.choose_room(db.session.get(BreakoutRound, round_id), db.session.get(Person, person_id), room_id)
    db.session.commit()
    return room.id


def stop_choosing(round_id: int) -> tuple:
    """The moderator closes choosing as the route does; the choices read just after the commit."""
    services.set_choosing(db.session.get(BreakoutRound, round_id), False)
    db.session.commit()
    return choices(round_id)


def choices(round_id: int) -> tuple:
    """(who chose which room, each room's count of seats taken), as committed now."""
    db.session.commit()
    chosen = dict(db.session.execute(select(BreakoutChoice.person_id, BreakoutChoice.room_id)
                                     .where(BreakoutChoice.round_id == round_id)).all())
    seats = list(db.session.scalars(select(BreakoutRoom.chosen).where(BreakoutRoom.round_id == round_id)
                                    .order_by(BreakoutRoom.position)))
    db.session.commit()
    return chosen, seats


@pytest.fixture
def choosing(scene) -> BreakoutRound:
    """A self-select round of three rooms, choosing open, one participant already in the first room."""
    round_ = scene.round(preview=False, mode="self-select", room_count="3")
    services.set_choosing(round_, True)
    db.session.commit()
    choose(round_.id, scene.participants[5].id, round_.rooms[0].id)
    db.session.refresh(round_)
    return round_


def test_a_choice_checked_before_choosing_closes_is_refused(scene, choosing, race, monkeypatch):
    """The choice has passed its checks and not written yet; choosing closes; then the choice goes on."""
    checked = race.pause()
    monkeypatch.setattr(services, "room_in", checked.after(services.room_in))
    chooser = race.run(choose, choosing.id, scene.participants[0].id, choosing.rooms[1].id)
    checked.wait_reached()

    at_close = stop_choosing(choosing.id)
    checked.go()

    assert chooser.refusal() == (409, HAS_CLOSED)
    assert at_close == ({scene.participants[5].id: choosing.rooms[0].id}, [1, 0, 0])
    assert choices(choosing.id) == at_close


def test_a_choice_arriving_while_choosing_is_being_closed_waits_and_is_refused(scene, choosing, race):
    """The moderator's close has written (and holds the round's lock) but not committed; a choice arrives."""
    services.set_choosing(db.session.get(BreakoutRound, choosing.id), False)
    db.session.flush()
    chooser = race.run(choose, choosing.id, scene.participants[0].id, choosing.rooms[1].id)
    waited = race.wait_until_blocked(chooser)

    db.session.commit()
    at_close = choices(choosing.id)

    assert chooser.refusal() == (409, HAS_CLOSED)
    assert waited, "the choice did not wait for the close in progress"
    assert at_close == ({scene.participants[5].id: choosing.rooms[0].id}, [1, 0, 0])
    assert choices(choosing.id) == at_close


def test_changing_a_choice_as_choosing_closes_is_refused_and_the_first_choice_keeps_its_seat(
        scene, choosing, race, monkeypatch):
    """Moving to another room frees the old seat and takes a new one: refused, neither is done."""
    mover = scene.participants[5].id
    checked = race.pause()
    monkeypatch.setattr(services, "room_in", checked.after(services.room_in))
    chooser = race.run(choose, choosing.id, mover, choosing.rooms[2].id)
    checked.wait_reached()

    at_close = stop_choosing(choosing.id)
    checked.go()

    assert chooser.refusal() == (409, HAS_CLOSED)
    assert choices(choosing.id) == at_close == ({mover: choosing.rooms[0].id}, [1, 0, 0])


def test_a_choice_racing_the_start_of_the_round_is_refused(scene, choosing, race, monkeypatch):
    """Starting the round ends choosing too: the rooms are then the preview's, and a late choice is refused."""
    services.generate_preview(choosing)
    db.session.commit()
    checked = race.pause()
    monkeypatch.setattr(services, "room_in", checked.after(services.room_in))
    chooser = race.run(choose, choosing.id, scene.participants[0].id, choosing.rooms[1].id)
    checked.wait_reached()

    services.start_round(db.session.get(BreakoutRound, choosing.id))
    db.session.commit()
    at_start = choices(choosing.id)
    checked.go()

    assert chooser.refusal() == (409, HAS_CLOSED)
    assert choices(choosing.id) == at_start
    assert db.session.get(BreakoutRound, choosing.id).state == RoundState.OPEN


# The bad inputs of these paths keep their clear messages ------------------------------------------------------

def refused(action) -> tuple[int, str]:
    with pytest.raises(ValidationError) as caught:
        action()
    db.session.rollback()
    return caught.value.status, " ".join(caught.value.errors.values())


def test_bad_choices_and_switches_keep_their_messages_and_write_nothing(scene, choosing):
    person = scene.participants[0]
    before = choices(choosing.id)
    version = services.session_version(scene.session.id)

    def round_():
        return db.session.get(BreakoutRound, choosing.id)

    no_room = (404, "There is no such room in this round.")
    assert refused(lambda: services.choose_room(round_(), person, 999999)) == no_room
    assert refused(lambda: services.choose_room(round_(), person, True)) == no_room
    assert refused(lambda: services.choose_room(round_(), scene.moderator, choosing.rooms[0].id)) == (
        403, "Only participants of this workshop choose a breakout room.")
    assert choices(choosing.id) == before and services.session_version(scene.session.id) == version

    assert services.choose_room(round_(), scene.participants[5], choosing.rooms[0].id).id == choosing.rooms[0].id
    db.session.commit()  # the room already chosen: nothing changes
    assert choices(choosing.id) == before and services.session_version(scene.session.id) == version

    stop_choosing(choosing.id)
    assert round_().choosing_open is False and services.session_version(scene.session.id) > version
    assert refused(lambda: services.choose_room(round_(), person, choosing.rooms[1].id)) == (
        409, "Choosing rooms is closed.")
    other = scene.round(preview=False)
    assert refused(lambda: services.set_choosing(other, True)) == (
        409, "Only a self-select round lets participants choose.")
    assert choices(choosing.id) == before

    services.generate_preview(round_())
    services.start_round(round_())
    db.session.commit()
    assert refused(lambda: services.set_choosing(round_(), True)) == (
        409, f"{round_().title} is open: it cannot take choices now.")
    assert refused(lambda: services.choose_room(round_(), person, choosing.rooms[1].id)) == (
        409, "Choosing rooms is closed.")
    assert choices(choosing.id) == before
