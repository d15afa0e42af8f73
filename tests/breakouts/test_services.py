"""Breakout services on both databases: preparing rounds, every assignment mode with the round's rules,
opening once, late joiners, moves, countdowns, notes with revisions, help, and the exports."""

from __future__ import annotations

from datetime import timedelta
from itertools import combinations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from workshop.breakouts import assignment as core
from workshop.breakouts import services
from workshop.breakouts.models import (AssignmentSource, BreakoutAssignment, BreakoutChoice, BreakoutRound,
                                       RoundState)
from workshop.db import db, utcnow
from workshop.errors import ValidationError
from workshop.workshops.models import Membership, Role


def refused(action, status: int) -> str:
    """Run ``action``; it must raise ValidationError with this status. Returns the message; rolls back."""
    with pytest.raises(ValidationError) as caught:
        action()
    db.session.rollback()
    assert caught.value.status == status, caught.value.errors
    return " ".join(caught.value.errors.values())


def rooms_of(round_) -> dict[int, int]:
    """{person id: room position} from the stored assignments."""
    db.session.expire_all()
    positions = {room.id: room.position for room in db.session.get(BreakoutRound, round_.id).rooms}
    rows = db.session.execute(select(BreakoutAssignment.person_id, BreakoutAssignment.room_id)
                              .where(BreakoutAssignment.round_id == round_.id))
    return {person_id: positions[room_id] for person_id, room_id in rows}


def assignment_count(round_) -> int:
    return db.session.scalar(select(func.count()).select_from(BreakoutAssignment)
                             .where(BreakoutAssignment.round_id == round_.id))


# Preparing ----------------------------------------------------------------------------------------------

def test_a_new_round_is_a_draft_with_its_rooms_numbered_in_the_session(scene):
    first = scene.round(preview=False)
    revision = services.session_version(scene.session.id)
    second = scene.round(preview=False, rooms_by="size", room_size="4", room_count="")
    assert (first.number, second.number) == (1, 2)
    assert first.state == RoundState.DRAFT and [r.name for r in first.rooms] == ["Room 1", "Room 2", "Room 3"]
    assert len(second.rooms) == 3, "12 participants in rooms of 4"
    assert services.session_version(scene.session.id) > revision


@pytest.mark.parametrize("fields, field", [
    ({"rooms_by": "count", "room_count": ""}, "room_count"),
    ({"room_count": "0"}, "room_count"),
    ({"room_count": "many"}, "room_count"),
    ({"rooms_by": "size", "room_size": "1"}, "room_size"),
    ({"duration_minutes": "999"}, "duration_minutes"),
    ({"mode": "alphabetical"}, "mode"),
    ({"max_one_roles": ["king"]}, "max_one_roles"),
])
def test_bad_round_settings_are_refused_by_field(scene, fields, field):
    data = {"mode": "diverse", "rooms_by": "count", "room_count": "3", **fields}
    with pytest.raises(ValidationError) as caught:
        services.create_round(scene.session, data)
    db.session.rollback()
    assert field in caught.value.errors
    assert db.session.scalar(select(func.count()).select_from(BreakoutRound)) == 0


def test_rooms_get_names_topics_links_rapporteurs_and_capacities(scene, make):
    round_ = scene.round()
    room = round_.rooms[0]
    services.update_room(room, {"name": "Open contracting", "topic": "Publishing contracts",
                                "video_url": "https://meet.example.org/oc",
                                "rapporteur_id": str(scene.participants[0].id), "capacity": "6"})
    db.session.commit()
    assert room.label == "Open contracting: Publishing contracts" and room.rapporteur == scene.participants[0]
    assert "https://" in refused(lambda: services.update_room(room, {"name": "X", "video_url": "javascript:alert(1)"}),
                                 400)
    assert "called Room 2" in refused(lambda: services.update_room(room, {"name": "room 2"}), 400)
    assert "needs a name" in refused(lambda: services.update_room(room, {"name": "  "}), 400)
    outsider = make.person()
    assert "member" in refused(lambda: services.update_room(room, {"name": "A", "rapporteur_id": str(outsider.id)}),
                               400)


# Generating previews ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["balanced random", "diverse", "rotation"])
def test_every_generated_mode_places_every_participant_once_in_balanced_rooms(scene, mode):
    round_ = scene.round(mode=mode, room_count="5")
    placed = rooms_of(round_)
    assert set(placed) == {p.id for p in scene.participants}, "participants only, each once; staff stay out"
    sizes = [list(placed.values()).count(room) for room in range(5)]
    assert max(sizes) - min(sizes) <= 1


def test_diverse_spreads_countries(scene):
    round_ = scene.round(mode="diverse", room_count="2")
    shown = services.preview(round_)
    assert shown.quality.countries == (6, 6), "six countries, two of each: each room gets all six"


def test_the_same_seed_gives_the_same_preview_and_a_new_seed_may_differ(scene):
    round_ = scene.round(mode="balanced random")
    before, seed = rooms_of(round_), round_.seed
    services.generate_preview(round_)
    db.session.commit()
    assert rooms_of(round_) == before
    seeds = set()
    for _ in range(3):
        services.generate_preview(round_, new_seed=True)
        db.session.commit()
        seeds.add(round_.seed)
    assert seeds - {seed}


def test_rotation_meets_no_more_earlier_partners_than_random_with_the_same_seed(scene):
    first = scene.round(mode="balanced random", room_count="3", open_it=True)
    services.close_round(first)
    db.session.commit()
    second = scene.round(mode="rotation", room_count="3")
    earlier = services.history(second)
    assert len(earlier) == 1
    people, _ = services.round_people(second)
    random_split = core.balanced_random(people, core.Rooms(count=3), second.seed, services.constraints_of(second))
    random_pairs = core.quality(random_split, people, earlier).repeated_pairs
    assert services.preview(second).quality.repeated_pairs <= random_pairs


def test_keep_apart_keep_together_and_facilitators_are_kept(scene, make):
    p = scene.participants
    extra_moderator = make.member(scene.workshop, Role.MODERATOR, name="Second Moderator")
    round_ = scene.round(preview=False, spread_leads="y")
    services.save_rules(round_, {"keep_apart": f"{p[0].email}, {p[1].email}, {p[2].name}",
                                 "keep_together": f"{p[3].email}, {p[4].email}",
                                 "facilitators": f"{scene.moderator.email}\n{extra_moderator.email}, {p[5].email}"})
    db.session.commit()
    services.generate_preview(round_)
    db.session.commit()
    placed = rooms_of(round_)
    assert len({placed[p[0].id], placed[p[1].id], placed[p[2].id]}) == 3
    assert placed[p[3].id] == placed[p[4].id]
    leads = [placed[scene.moderator.id], placed[extra_moderator.id], placed[p[5].id]]
    assert sorted(leads) == [0, 1, 2], "one facilitator per room"
    assert services.group_lines(round_, services.GroupKind.KEEP_TOGETHER) == f"{p[3].email}, {p[4].email}"


def test_rules_naming_unknown_people_are_refused_with_the_names(scene):
    round_ = scene.round(preview=False)
    message = refused(lambda: services.save_rules(round_, {"keep_apart": "nobody@example.org, Participant 01",
                                                           "keep_together": "Participant 02"}), 400)
    assert "nobody@example.org is not in this workshop" in message
    assert round_.groups == []


def test_unsatisfiable_rules_name_the_group_and_nothing_is_assigned_or_opened(scene):
    round_ = scene.round(preview=False, room_count="3")
    together = ", ".join(p.email for p in scene.participants[:6])
    services.save_rules(round_, {"keep_together": together})
    db.session.commit()
    message = refused(lambda: services.generate_preview(round_), 422)
    assert "Keep together group 1" in message and "Participant 00" in message and "at most 4" in message
    assert assignment_count(round_) == 0
    assert "preview first" in refused(lambda: services.start_round(round_), 409)
    assert db.session.get(BreakoutRound, round_.id).state == RoundState.DRAFT


def test_a_hand_move_that_breaks_a_rule_stops_the_round_from_opening(scene):
    p = scene.participants
    round_ = scene.round(preview=False)
    services.save_rules(round_, {"keep_apart": f"{p[0].email}, {p[1].email}"})
    services.generate_preview(round_)
    db.session.commit()
    placed = rooms_of(round_)
    services.move_person(round_, p[0].id, round_.rooms[placed[p[1].id]].id)
    db.session.commit()
    assert "Keep apart group 1" in refused(lambda: services.start_round(round_), 422)
    assert db.session.get(BreakoutRound, round_.id).state == RoundState.DRAFT


def test_nobody_to_assign_is_refused(app, make):
    from tests.breakouts.conftest import add_session

    workshop = make.workshop()
    session = add_session(workshop)
    round_ = services.create_round(session, {"mode": "diverse", "rooms_by": "count", "room_count": "2"})
    db.session.commit()
    assert "nobody to assign" in refused(lambda: services.generate_preview(round_), 422)


# Self-select ------------------------------------------------------------------------------------------------

def test_self_select_takes_seats_within_capacity_and_the_preview_follows_the_choices(scene):
    round_ = scene.round(preview=False, mode="self-select", room_count="3")
    for room in round_.rooms:
        services.update_room(room, {"name": room.name, "capacity": "4"})
    db.session.commit()
    first, second = round_.rooms[0], round_.rooms[1]
    assert "closed" in refused(lambda: services.choose_room(round_, scene.participants[0], first.id), 409)
    services.set_choosing(round_, True)
    db.session.commit()
    for person in scene.participants[:4]:
        services.choose_room(round_, person, first.id)
        db.session.commit()
    assert "full" in refused(lambda: services.choose_room(round_, scene.participants[4], first.id), 409)
    services.choose_room(round_, scene.participants[0], second.id)  # changing frees the seat
    db.session.commit()
    services.choose_room(round_, scene.participants[4], first.id)
    db.session.commit()
    db.session.refresh(first)
    assert first.chosen == 4 and services.seats_left(round_)[second.id] == 3
    assert "no such room" in refused(lambda: services.choose_room(round_, scene.participants[5], 999999), 404)
    assert "Only participants" in refused(lambda: services.choose_room(round_, scene.moderator, first.id), 403)
    services.generate_preview(round_)
    db.session.commit()
    placed = rooms_of(round_)
    assert placed[scene.participants[0].id] == 1 and placed[scene.participants[4].id] == 0
    assert len(placed) == 12 and max(list(placed.values()).count(r) for r in range(3)) <= 4
    assert db.session.scalar(select(BreakoutAssignment.source).where(BreakoutAssignment.round_id == round_.id)
                             .limit(1)) == AssignmentSource.CHOSEN


def test_choosing_is_only_for_self_select_rounds(scene):
    round_ = scene.round(preview=False)
    assert "self-select" in refused(lambda: services.set_choosing(round_, True), 409)


# CSV import ---------------------------------------------------------------------------------------------------

def test_a_csv_places_who_it_names_and_the_rest_go_to_the_smallest_rooms(scene):
    round_ = scene.round(preview=False, mode="csv import")
    p = scene.participants
    notes = services.import_csv(round_, f"email,room\n{p[0].email},2\n{p[1].email.upper()},Room 3\n".encode())
    db.session.commit()
    placed = rooms_of(round_)
    assert placed[p[0].id] == 1 and placed[p[1].id] == 2 and len(placed) == 12
    assert notes and "Not in the file" in notes[0]
    assert "import one" in refused(lambda: services.generate_preview(round_), 409)


@pytest.mark.parametrize("body, expected", [
    ("email,room\nghost@example.org,1\n", "Line 2: nobody with email ghost@example.org"),
    ("email,room\n{email},9\n", "there is no room '9'"),
    ("email,room\n{email},1\n{email},2\n", "already placed on line 2"),
    ("name,group\nA,1\n", "needs an 'email' or 'id' column"),
    ("email,room\n,1\n", "the email is empty"),
])
def test_a_csv_with_bad_rows_is_refused_whole_with_each_row_named(scene, body, expected):
    round_ = scene.round(preview=False, mode="csv import")
    good = f"{scene.participants[5].email},1\n"
    data = (body.format(email=scene.participants[0].email) + good).encode()
    with pytest.raises(services.CsvRejected) as caught:
        services.import_csv(round_, data)
    db.session.rollback()
    assert caught.value.status == 422
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
    assert assignment_count(round_) == 0


def test_a_file_that_is_not_csv_text_is_refused(scene):
    round_ = scene.round(preview=False, mode="csv import")
    assert "binary" in refused(lambda: services.import_csv(round_, b"\x00\x01PK"), 400)
    assert "empty" in refused(lambda: services.import_csv(round_, b""), 400)


# Opening, moving, late joiners, time, closing ---------------------------------------------------------------

def test_opening_is_atomic_and_happens_once(scene):
    round_ = scene.round()
    services.start_round(round_)
    db.session.commit()
    assert round_.state == RoundState.OPEN and round_.opened_at is not None
    assert round_.ends_at - round_.opened_at == timedelta(minutes=20)
    assert "open" in refused(lambda: services.start_round(round_), 409)


def test_a_second_round_cannot_open_while_one_runs_not_even_by_racing_the_check(scene):
    first = scene.round(open_it=True)
    second = scene.round()
    assert "Round 1 is still open" in refused(lambda: services.start_round(second), 409)
    with pytest.raises(IntegrityError):  # the database itself keeps it to one open round per session
        db.session.execute(update(BreakoutRound).where(BreakoutRound.id == second.id).values(state=RoundState.OPEN))
        db.session.flush()
    db.session.rollback()
    services.close_round(first)
    db.session.commit()
    services.start_round(second)
    db.session.commit()
    assert second.state == RoundState.OPEN


def test_one_room_per_person_per_round_is_a_database_rule(scene):
    round_ = scene.round()
    person = scene.participants[0]
    with pytest.raises(IntegrityError):
        db.session.add(BreakoutAssignment(round_id=round_.id, room_id=round_.rooms[0].id, person_id=person.id))
        db.session.flush()
    db.session.rollback()


def test_people_who_joined_after_the_preview_are_placed_when_the_round_opens(scene, make):
    round_ = scene.round()
    newcomer = make.member(scene.workshop, name="Newcomer", country="FJ")
    services.start_round(round_)
    db.session.commit()
    placed = rooms_of(round_)
    assert newcomer.id in placed
    source = db.session.scalar(select(BreakoutAssignment.source).where(BreakoutAssignment.person_id == newcomer.id))
    assert source == AssignmentSource.LATE


def test_a_late_joiner_goes_to_the_smallest_room_that_keeps_the_rules(scene, make):
    round_ = scene.round(room_count="3", open_it=True)
    p = scene.participants
    # Make room 1 the smallest, then forbid it with a keep apart group.
    placed = rooms_of(round_)
    in_room_1 = [pid for pid, room in placed.items() if room == 0]
    services.move_person(round_, in_room_1[0], round_.rooms[1].id)
    db.session.commit()
    late = make.member(scene.workshop, name="Late Lata", country="IN")
    # The rules of an open round are fixed: this one is written straight to the database.
    group = services.BreakoutGroup(kind=services.GroupKind.KEEP_APART,
                                   members=[services.BreakoutGroupMember(person_id=late.id),
                                            services.BreakoutGroupMember(person_id=in_room_1[1])])
    round_.groups.append(group)
    db.session.commit()
    placed_late = services.place_late_joiner(round_, late.id)
    db.session.commit()
    assert placed_late.source == AssignmentSource.LATE
    assert placed_late.room_id == round_.rooms[2].id, "room 1 is smallest but holds someone to keep apart"
    assert services.place_late_joiner(round_, late.id) is None, "placed once"
    assert services.place_late_joiner(round_, scene.moderator.id) is None, "staff are not placed"
    assert p[0].id in rooms_of(round_)


def test_moves_before_and_during_the_round_and_their_refusals(scene):
    round_ = scene.round()
    person = scene.participants[0]
    target = next(room for room in round_.rooms if room.position != rooms_of(round_)[person.id])
    services.move_person(round_, person.id, target.id)
    db.session.commit()
    assert rooms_of(round_)[person.id] == target.position
    assert "already in" in refused(lambda: services.move_person(round_, person.id, target.id), 409)
    assert "no room in this round" in refused(lambda: services.move_person(round_, scene.moderator.id, target.id), 404)
    assert "rooms" in refused(lambda: services.move_person(round_, person.id, 999999), 404)
    services.start_round(round_)
    db.session.commit()
    back = round_.rooms[(target.position + 1) % 3]
    revision = services.session_version(round_.session_id)
    moved, old = services.move_person(round_, person.id, back.id)
    db.session.commit()
    assert old == target.id and moved.source == AssignmentSource.MOVED
    assert services.session_version(round_.session_id) > revision
    services.close_round(round_)
    db.session.commit()
    assert "closed" in refused(lambda: services.move_person(round_, person.id, target.id), 409)


def test_extending_moves_the_end_and_a_closed_round_cannot_be_extended(scene):
    round_ = scene.round(open_it=True)
    ends = round_.ends_at
    services.extend_round(round_, "5")
    db.session.commit()
    assert round_.ends_at == ends + timedelta(minutes=5)
    assert "minutes" in refused(lambda: services.extend_round(round_, "0"), 400)
    services.close_round(round_)
    db.session.commit()
    assert "closed" in refused(lambda: services.extend_round(round_, "5"), 409)


def test_a_round_without_a_countdown_gets_one_when_extended(scene):
    round_ = scene.round(open_it=True, duration_minutes="")
    assert round_.ends_at is None
    services.extend_round(round_, "10")
    db.session.commit()
    assert timedelta(minutes=9) < round_.ends_at - utcnow() <= timedelta(minutes=10)


def test_due_rounds_are_closed_once_and_only_when_due(scene):
    round_ = scene.round(open_it=True)
    assert services.close_due_rounds() == []
    db.session.execute(update(BreakoutRound).where(BreakoutRound.id == round_.id)
                       .values(ends_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert services.close_due_rounds() == [round_.id]
    assert services.close_due_rounds() == []
    db.session.expire_all()
    closed = db.session.get(BreakoutRound, round_.id)
    assert closed.state == RoundState.CLOSED and closed.closed_at is not None


def test_closing_keeps_the_round_as_history_and_happens_once(scene):
    round_ = scene.round(open_it=True)
    services.close_round(round_)
    db.session.commit()
    assert round_.state == RoundState.CLOSED and assignment_count(round_) == 12
    assert "closed" in refused(lambda: services.close_round(round_), 409)
    assert "opened round is kept" in refused(lambda: services.delete_round(round_), 409)


def test_one_revision_rises_with_every_change_to_any_round_of_a_session(scene):
    first = scene.round(open_it=True)
    second = scene.round()
    seen = [services.session_version(scene.session.id)]
    services.close_round(first)
    db.session.commit()
    seen.append(services.session_version(scene.session.id))
    services.start_round(second)
    db.session.commit()
    seen.append(services.session_version(scene.session.id))
    assert seen == sorted(set(seen))


def test_current_round_is_the_open_one_else_the_one_choosing_else_the_last_closed(scene):
    assert services.current_round(scene.session.id) is None
    first = scene.round(open_it=True)
    assert services.current_round(scene.session.id) == first
    services.close_round(first)
    choosing = scene.round(preview=False, mode="self-select")
    db.session.commit()
    assert services.current_round(scene.session.id) == first
    services.set_choosing(choosing, True)
    db.session.commit()
    assert services.current_round(scene.session.id) == choosing


# Messages and help --------------------------------------------------------------------------------------------

def test_messages_only_while_open_and_not_empty(scene):
    round_ = scene.round()
    assert "draft" in refused(lambda: services.send_message(round_, scene.moderator, "Hello"), 409)
    services.start_round(round_)
    db.session.commit()
    assert "Write" in refused(lambda: services.send_message(round_, scene.moderator, "   "), 400)
    assert "500" in refused(lambda: services.send_message(round_, scene.moderator, "x" * 501), 400)
    services.send_message(round_, scene.moderator, "  Five   minutes left ")
    db.session.commit()
    assert [m.text for m in services.messages_of(round_)] == ["Five minutes left"]


def test_help_comes_from_a_room_member_once_until_handled(scene):
    round_ = scene.round(open_it=True)
    room = round_.rooms[0]
    member = services.members_by_room(round_)[room.id][0]
    outsider = services.members_by_room(round_)[round_.rooms[1].id][0]
    first, new = services.ask_for_help(room, member, "We lost the video link")
    db.session.commit()
    again, new_again = services.ask_for_help(room, member, "")
    assert new and not new_again and again.id == first.id
    assert "Only people in this room" in refused(lambda: services.ask_for_help(room, outsider, ""), 403)
    services.handle_help(round_, first.id)
    db.session.commit()
    _, new = services.ask_for_help(room, member, "Again")
    assert new
    assert "no such request" in refused(lambda: services.handle_help(scene.round(preview=False), first.id), 404)


# Notes ------------------------------------------------------------------------------------------------------

def membership(scene, person):
    return db.session.scalar(select(Membership).where(Membership.workshop_id == scene.workshop.id,
                                                      Membership.person_id == person.id))


def test_notes_rise_by_one_revision_per_save_and_a_stale_save_gets_both_texts(scene):
    round_ = scene.round(open_it=True)
    room = round_.rooms[0]
    ana, bo = services.members_by_room(round_)[room.id][:2]
    services.save_notes(room, membership(scene, ana), ana, "Three recommendations", 0)
    db.session.commit()
    assert (room.notes, room.notes_revision, room.notes_saved_by) == ("Three recommendations", 1, ana)
    with pytest.raises(services.NotesConflict) as caught:
        services.save_notes(room, membership(scene, bo), bo, "Bo's version", 0)
    db.session.rollback()
    conflict = caught.value
    assert conflict.status == 409 and conflict.mine == "Bo's version"
    assert conflict.room.notes == "Three recommendations" and conflict.room.notes_revision == 1
    assert ana.name in conflict.errors["notes"]
    db.session.expire_all()
    assert db.session.get(type(room), room.id).notes == "Three recommendations", "nothing overwritten"
    services.save_notes(room, membership(scene, bo), bo, "Bo's version, merged", 1)
    db.session.commit()
    assert room.notes_revision == 2
    services.save_notes(room, membership(scene, bo), bo, "Bo's version, merged", 1)  # the same save again
    assert room.notes_revision == 2


def test_only_the_rapporteur_writes_when_members_may_not(scene):
    round_ = scene.round(notes_by_members="", open_it=True)
    room = round_.rooms[0]
    rapporteur, other = services.members_by_room(round_)[room.id][:2]
    services.update_room(room, {"name": room.name, "rapporteur_id": str(rapporteur.id)})
    db.session.commit()
    assert "rapporteur" in refused(lambda: services.save_notes(room, membership(scene, other), other, "x", 0), 403)
    services.save_notes(room, membership(scene, rapporteur), rapporteur, "Ours", 0)
    services.save_notes(room, membership(scene, scene.moderator), scene.moderator, "Edited by staff", 1)
    db.session.commit()
    assert room.notes == "Edited by staff"


def test_people_of_other_rooms_may_not_write_and_drafts_have_no_notes(scene):
    round_ = scene.round(open_it=True)
    room, other_room = round_.rooms[0], round_.rooms[1]
    outsider = services.members_by_room(round_)[other_room.id][0]
    assert refused(lambda: services.save_notes(room, membership(scene, outsider), outsider, "x", 0), 403)
    draft = scene.round()
    member = services.members_by_room(draft)[draft.rooms[0].id][0]
    assert refused(lambda: services.save_notes(draft.rooms[0], membership(scene, member), member, "x", 0), 403)
    assert "20,000" in refused(lambda: services.save_notes(
        room, membership(scene, scene.moderator), scene.moderator, "x" * 20_001, 0), 413)
    assert "revision" in refused(lambda: services.save_notes(
        room, membership(scene, scene.moderator), scene.moderator, "x", "old"), 400)


def test_notes_can_be_finished_after_the_round_closes(scene):
    round_ = scene.round(open_it=True)
    services.close_round(round_)
    db.session.commit()
    room = round_.rooms[0]
    member = services.members_by_room(round_)[room.id][0]
    services.save_notes(room, membership(scene, member), member, "Finished after the bell", 0)
    db.session.commit()
    assert room.notes_revision == 1


# Who may enter, and socket rooms ------------------------------------------------------------------------

def test_a_room_page_is_for_its_people_once_opened_and_for_staff(scene):
    round_ = scene.round()
    room, other = round_.rooms[0], round_.rooms[1]
    member = services.members_by_room(round_)[room.id][0]
    assert not services.may_enter(room, membership(scene, member), member.id), "not before it opens"
    assert services.may_enter(room, membership(scene, scene.moderator), scene.moderator.id)
    services.start_round(round_)
    db.session.commit()
    assert services.may_enter(room, membership(scene, member), member.id)
    assert not services.may_enter(other, membership(scene, member), member.id)
    assert services.room_for_connection(scene.session, membership(scene, member), member.id, room.id) == room
    assert "not assigned" in refused(lambda: services.room_for_connection(
        scene.session, membership(scene, member), member.id, other.id), 403)
    assert refused(lambda: services.room_for_connection(scene.session, membership(scene, member), member.id,
                                                        "1"), 404)


# Exports ------------------------------------------------------------------------------------------------------

def test_exports_list_every_room_and_every_assignment(scene):
    round_ = scene.round(open_it=True)
    room = round_.rooms[0]
    services.update_room(room, {"name": "Open contracting", "topic": "Data", "rapporteur_id": str(
        services.members_by_room(round_)[room.id][0].id)})
    services.save_notes(room, membership(scene, scene.moderator), scene.moderator, "=SUM(A1) and more", 0)
    db.session.commit()
    markdown = services.notes_markdown(scene.session, round_)
    assert "## Open contracting: Data" in markdown and "=SUM(A1) and more" in markdown and "_No notes._" in markdown
    rows = services.notes_rows(round_)
    assert [r[1] for r in rows] == ["Open contracting", "Room 2", "Room 3"] and rows[0][5] == 1
    assignments = services.assignment_rows(round_)
    assert len(assignments) == 12 and {r[6] for r in assignments} == {"generated"}
    assert sorted(r[3] for r in assignments) == sorted(p.email for p in scene.participants)


def test_self_select_choices_are_unique_per_person(scene):
    round_ = scene.round(preview=False, mode="self-select")
    person = scene.participants[0]
    with pytest.raises(IntegrityError):
        db.session.add_all([BreakoutChoice(round_id=round_.id, room_id=round_.rooms[0].id, person_id=person.id),
                            BreakoutChoice(round_id=round_.id, room_id=round_.rooms[1].id, person_id=person.id)])
        db.session.flush()
    db.session.rollback()


def test_pairs_within_rooms_of_the_preview_are_counted_as_met_in_the_next_round(scene):
    first = scene.round(mode="balanced random", open_it=True)
    services.close_round(first)
    db.session.commit()
    second = scene.round(mode="balanced random", preview=False)
    services.generate_preview(second)
    db.session.commit()
    placed_first, placed_second = rooms_of(first), rooms_of(second)
    expected = sum(1 for a, b in combinations(placed_second, 2)
                   if placed_second[a] == placed_second[b] and placed_first[a] == placed_first[b])
    assert services.preview(second).quality.repeated_pairs == expected
