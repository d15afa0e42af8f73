"""Breakout rounds: preparing them, splitting people into rooms, running them, and the rooms' notes. No web code.

The splitting itself is :mod:`workshop.breakouts.assignment` (pure functions); this module feeds it the
workshop's members and the round's rules, and stores what it returns. Every change of state is one
conditional UPDATE (``WHERE state = ...``), so two moderators pressing at once, or a timer and a
moderator, change it once. Each change raises the revision of the session's breakouts and announces what
it changed (``workshop/changes.py``) in its transaction; the caller commits, and only then is anyone told.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from workshop import action_limits
from workshop.accounts.models import Person
from workshop.agenda.models import AgendaSession
from workshop.agenda.services import check_https_url
from workshop.breakouts import assignment as core
from workshop.breakouts.models import (AssignmentMode, AssignmentSource, BreakoutAssignment, BreakoutChoice,
                                       BreakoutGroup, BreakoutGroupMember, BreakoutMessage, BreakoutRoom,
                                       BreakoutRound, GroupKind, HelpRequest, RoundState)
from workshop.changes import announce
from workshop.csvio import read_csv
from workshop.db import db, utcnow
from workshop.errors import ValidationError
from workshop.inputs import is_int
from workshop.live import revisions
from workshop.workshops.permissions import Action, can
from workshop.workshops.models import Membership, Role

MAX_ROOMS = 200
MAX_ROOM_SIZE = 100
MAX_MINUTES = 240
MAX_EXTEND_MINUTES = 60
MAX_NOTES = 20_000
MAX_MESSAGE = 500
MAX_HELP = 300
LIMITED_ROLES = ("moderator", "facilitator")  # roles the "at most one per room" rule may name
STAFF_ROLES = (Role.ORGANIZER, Role.MODERATOR)


def _int(raw, field: str, low: int, high: int, what: str) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValidationError({field: f"{what} must be a whole number."}) from None
    if not low <= value <= high:
        raise ValidationError({field: f"{what} must be from {low} to {high}."})
    return value


# Finding rounds and rooms ------------------------------------------------------------------------

def rounds_of(session: AgendaSession) -> list[BreakoutRound]:
    return list(db.session.scalars(select(BreakoutRound).where(BreakoutRound.session_id == session.id)
                                   .order_by(BreakoutRound.number)))


def round_in(session: AgendaSession, round_id: int) -> BreakoutRound | None:
    found = db.session.get(BreakoutRound, round_id)
    return found if found is not None and found.session_id == session.id else None


def room_in(round_: BreakoutRound, room_id) -> BreakoutRoom | None:
    if not is_int(room_id):
        return None
    found = db.session.get(BreakoutRoom, room_id)
    return found if found is not None and found.round_id == round_.id else None


def open_round(session_id: int) -> BreakoutRound | None:
    return db.session.scalar(select(BreakoutRound).where(BreakoutRound.session_id == session_id,
                                                         BreakoutRound.state == RoundState.OPEN))


def _current_round_statement():
    shown = or_(BreakoutRound.state.in_([RoundState.OPEN, RoundState.CLOSED]),
                and_(BreakoutRound.state == RoundState.DRAFT, BreakoutRound.choosing_open.is_(True)))
    rank = case((BreakoutRound.state == RoundState.OPEN, 0), (BreakoutRound.state == RoundState.DRAFT, 1), else_=2)
    latest_choosing = case((BreakoutRound.state == RoundState.DRAFT, BreakoutRound.number), else_=0)
    return (select(BreakoutRound).where(BreakoutRound.session_id == bindparam("session_id"), shown)
            .order_by(rank, latest_choosing.desc(), BreakoutRound.closed_at.desc(), BreakoutRound.id.desc()).limit(1))


# Built once: every arrival on a session page asks it, and building it costs more than running it.
_CURRENT_ROUND = _current_round_statement()


def current_round(session_id: int) -> BreakoutRound | None:
    """What the session page shows: the open round, else one whose rooms people are choosing (the latest), else
    the last closed. One query."""
    return db.session.scalar(_CURRENT_ROUND, {"session_id": session_id})


# What changed, as announced: a round (everyone's card, rooms, countdown, the desk), seats left while choosing,
# a room's notes, a message to every room, a call for help, one person's room.
ROUND_TOPIC = "breakout-round"
SEATS_TOPIC = "breakout-seats"
NOTES_TOPIC = "breakout-notes"
MESSAGE_TOPIC = "breakout-message"
HELP_TOPIC = "breakout-help"
PERSON_TOPIC = "breakout-person"  # one person got a room or was moved: their card, the rooms' people, the desk


def live_target(session_id: int) -> str:
    """One revision for the session's breakouts: a person's card moves from round to round."""
    return f"breakouts:session:{session_id}"


def session_version(session_id: int) -> int:
    """The revision of the session's breakouts, read before what it versions."""
    return revisions.current(live_target(session_id))


def changed(session_id: int, topic: str, *key) -> int:
    """Something of the session's breakouts changed in this transaction: raise its revision and announce it."""
    announce(topic, *key)
    return revisions.bump(live_target(session_id))


def room_of(round_id: int, person_id: int) -> BreakoutRoom | None:
    return db.session.scalar(select(BreakoutRoom)
                             .join(BreakoutAssignment, BreakoutAssignment.room_id == BreakoutRoom.id)
                             .where(BreakoutAssignment.round_id == round_id, BreakoutAssignment.person_id == person_id))


def members_by_room(round_: BreakoutRound) -> dict[int, list[Person]]:
    """The people assigned to each room of the round (every room present, perhaps empty), by name."""
    found: dict[int, list[Person]] = {room.id: [] for room in round_.rooms}
    rows = db.session.execute(select(BreakoutAssignment.room_id, Person).join(Person)
                              .where(BreakoutAssignment.round_id == round_.id).order_by(Person.name))
    for room_id, person in rows:
        found.setdefault(room_id, []).append(person)
    return found


def assigned_count(round_: BreakoutRound) -> int:
    return db.session.scalar(select(func.count()).select_from(BreakoutAssignment)
                             .where(BreakoutAssignment.round_id == round_.id))


def _bump(round_: BreakoutRound, topic: str = ROUND_TOPIC) -> None:
    changed(round_.session_id, topic, round_.session_id, round_.id)


def _require_state(round_: BreakoutRound, *states: RoundState, doing: str) -> None:
    if round_.state not in states:
        raise ValidationError({"round": f"{round_.title} is {round_.state.value}: it cannot {doing} now."}, status=409)


# Preparing a round -------------------------------------------------------------------------------

def clean_round_fields(data: dict) -> dict:
    """Validated round settings, or ValidationError naming the field that is wrong."""
    errors: dict[str, str] = {}
    cleaned: dict = {}
    try:
        cleaned["mode"] = AssignmentMode(data.get("mode") or AssignmentMode.DIVERSE.value)
    except ValueError:
        errors["mode"] = "Choose how people are split into rooms."
    rooms_by = data.get("rooms_by") or "count"
    try:
        count = _int(data.get("room_count"), "room_count", 1, MAX_ROOMS, "The number of rooms")
        size = _int(data.get("room_size"), "room_size", 2, MAX_ROOM_SIZE, "The room size")
        minutes = _int(data.get("duration_minutes"), "duration_minutes", 1, MAX_MINUTES, "The duration in minutes")
    except ValidationError as error:
        errors.update(error.errors)
        count = size = minutes = None
    if rooms_by not in ("count", "size"):
        errors["rooms_by"] = "Give a number of rooms or a room size."
    elif rooms_by == "count" and count is None and "room_count" not in errors:
        errors["room_count"] = "Give the number of rooms."
    elif rooms_by == "size" and size is None and "room_size" not in errors:
        errors["room_size"] = "Give the number of people per room."
    cleaned["room_count"] = count if rooms_by == "count" else None
    cleaned["room_size"] = size if rooms_by == "size" else None
    cleaned["duration_seconds"] = minutes * 60 if minutes else None
    roles = data.get("max_one_roles") or []
    roles = [roles] if isinstance(roles, str) else list(roles)
    if not set(roles) <= set(LIMITED_ROLES):
        errors["max_one_roles"] = f"At most one per room can be asked of: {', '.join(LIMITED_ROLES)}."
    cleaned["max_one_roles"] = ",".join(role for role in LIMITED_ROLES if role in roles)
    cleaned["spread_leads"] = bool(data.get("spread_leads"))
    cleaned["notes_by_members"] = bool(data.get("notes_by_members"))
    if errors:
        raise ValidationError(errors)
    return cleaned


def create_round(session: AgendaSession, data: dict) -> BreakoutRound:
    """A draft round with its rooms (for a room size, as many as the participants need today)."""
    fields = clean_round_fields(data)
    number = (db.session.scalar(select(func.max(BreakoutRound.number)).where(BreakoutRound.session_id == session.id))
              or 0) + 1
    round_ = BreakoutRound(workshop_id=session.workshop_id, session_id=session.id, number=number,
                           seed=random.randrange(1, 1_000_000), **fields)
    db.session.add(round_)
    db.session.flush()
    _ensure_rooms(round_, _room_count(round_, len(round_people(round_)[0])))
    _bump(round_)
    return round_


def update_round(round_: BreakoutRound, data: dict) -> BreakoutRound:
    _require_state(round_, RoundState.DRAFT, doing="be changed")
    fields = clean_round_fields(data)
    if fields["mode"] != AssignmentMode.SELF_SELECT:
        fields["choosing_open"] = False
    for name, value in fields.items():
        setattr(round_, name, value)
    _ensure_rooms(round_, _room_count(round_, len(round_people(round_)[0])))
    _bump(round_)
    return round_


def delete_round(round_: BreakoutRound) -> None:
    _require_state(round_, RoundState.DRAFT, doing="be deleted (an opened round is kept as history)")
    changed(round_.session_id, ROUND_TOPIC, round_.session_id, None)
    db.session.delete(round_)


def _room_count(round_: BreakoutRound, people: int) -> int:
    if round_.room_count:
        return round_.room_count
    return max(1, math.ceil(people / round_.room_size)) if round_.room_size else 1


def _ensure_rooms(round_: BreakoutRound, count: int) -> None:
    """Rooms 1..count, keeping the names and topics of those that exist; surplus rooms of a draft go."""
    rooms = list(round_.rooms)
    for position in range(len(rooms), count):
        round_.rooms.append(BreakoutRoom(position=position, name=f"Room {position + 1}"))
    for room in rooms[count:]:
        round_.rooms.remove(room)
    db.session.flush()


def update_room(room: BreakoutRoom, data: dict) -> BreakoutRoom:
    """Name, topic, video link, rapporteur and capacity of a room (while the round is a draft or open)."""
    round_ = room.round
    _require_state(round_, RoundState.DRAFT, RoundState.OPEN, doing="have its rooms changed")
    name = " ".join((data.get("name") or "").split())
    topic = " ".join((data.get("topic") or "").split())
    if not name:
        raise ValidationError({"name": "A room needs a name."})
    if len(name) > 100 or len(topic) > 200:
        raise ValidationError({"name": "A name has at most 100 characters and a topic at most 200."})
    same = next((r for r in round_.rooms if r.id != room.id and r.name.casefold() == name.casefold()), None)
    if same is not None:
        raise ValidationError({"name": f"Another room of this round is already called {same.name}."})
    video_url = check_https_url(data.get("video_url"), "video_url")
    capacity = _int(data.get("capacity"), "capacity", 1, 1000, "The capacity")
    rapporteur_id = _int(data.get("rapporteur_id"), "rapporteur_id", 1, 2**62, "The rapporteur")
    if rapporteur_id is not None and db.session.scalar(select(Membership.id).where(
            Membership.workshop_id == round_.workshop_id, Membership.person_id == rapporteur_id)) is None:
        raise ValidationError({"rapporteur_id": "The rapporteur must be a member of this workshop."})
    room.name, room.topic, room.video_url, room.capacity, room.rapporteur_id = name, topic, video_url, capacity, \
        rapporteur_id
    _bump(round_)
    return room


# Who takes part, and the rules --------------------------------------------------------------------

def _members(workshop_id: int) -> list[tuple[Person, Role, str | None]]:
    """Each member with their role and their country in this workshop (the membership's, as declared or imported)."""
    return list(db.session.execute(select(Person, Membership.role, Membership.country)
                                   .join(Membership, Membership.person_id == Person.id)
                                   .where(Membership.workshop_id == workshop_id).order_by(Person.id)))


def _countries(workshop_id: int, person_ids) -> dict[int, str]:
    """The membership country of each of these people in the workshop ("" for none, or no longer a member)."""
    ids = list(person_ids)
    if not ids:
        return {}
    found = dict(db.session.execute(select(Membership.person_id, Membership.country).where(
        Membership.workshop_id == workshop_id, Membership.person_id.in_(ids))).all())
    return {person_id: found.get(person_id) or "" for person_id in ids}


def participant_count(workshop_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.workshop_id == workshop_id, Membership.role == Role.PARTICIPANT))


def round_people(round_: BreakoutRound) -> tuple[list[core.Person], dict[int, Person]]:
    """Everyone the round splits: every participant, and staff named as facilitators.

    Facilitators who are moderators or organizers count as role "moderator", participants named as
    facilitators as "facilitator" (both spread out by the one-per-room rule); everyone else "participant".
    """
    facilitators = set().union(*(g.person_ids for g in round_.groups if g.kind == GroupKind.FACILITATORS))
    people, by_id = [], {}
    for person, role, country in _members(round_.workshop_id):
        staff = role in STAFF_ROLES
        if staff and person.id not in facilitators:
            continue
        core_role = ("moderator" if staff else "facilitator") if person.id in facilitators else "participant"
        people.append(core.Person(person.id, country or "", person.organization or "", core_role,
                                  person.name, person.email))
        by_id[person.id] = person
    return people, by_id


def constraints_of(round_: BreakoutRound) -> core.Constraints:
    groups = defaultdict(list)
    for group in round_.groups:
        groups[group.kind].append(group.person_ids)
    return core.Constraints(keep_apart=groups[GroupKind.KEEP_APART], keep_together=groups[GroupKind.KEEP_TOGETHER],
                            max_one_of_role=round_.max_one_role_set, one_facilitator_per_room=round_.spread_leads)


def group_lines(round_: BreakoutRound, kind: GroupKind) -> str:
    """The groups of a kind as the form shows them: one group per line, emails separated by commas."""
    lines = [", ".join(m.person.email for m in group.members) for group in round_.groups if group.kind == kind]
    return "\n".join(lines)


def save_rules(round_: BreakoutRound, data: dict) -> BreakoutRound:
    """Keep apart and keep together groups (one per line) and the facilitators, by email or exact name."""
    _require_state(round_, RoundState.DRAFT, doing="have its rules changed")
    lookup = _person_lookup(round_.workshop_id)
    parsed: list[tuple[GroupKind, list[int]]] = []
    errors: dict[str, str] = {}
    for kind, field in ((GroupKind.KEEP_APART, "keep_apart"), (GroupKind.KEEP_TOGETHER, "keep_together"),
                        (GroupKind.FACILITATORS, "facilitators")):
        lines = [line for line in (data.get(field) or "").splitlines() if line.strip()]
        if kind == GroupKind.FACILITATORS:
            lines = [",".join(lines)] if lines else []
        problems = []
        for number, line in enumerate(lines, start=1):
            ids, unknown = [], []
            for token in (t.strip() for t in line.replace(";", ",").split(",")):
                if not token:
                    continue
                found = lookup.get(token.casefold())
                (unknown.append(token) if found is None else ids.append(found))
            ids = list(dict.fromkeys(ids))
            if unknown:
                problems.append(f"line {number}: {', '.join(unknown)} "
                                f"{'is' if len(unknown) == 1 else 'are'} not in this workshop")
            elif kind != GroupKind.FACILITATORS and len(ids) < 2:
                problems.append(f"line {number}: a group needs at least two people")
            else:
                parsed.append((kind, ids))
        if problems:
            sentence = "; ".join(problems)
            errors[field] = sentence[:1].upper() + sentence[1:] + "."
    if errors:
        raise ValidationError(errors)
    round_.groups.clear()
    db.session.flush()
    for kind, ids in parsed:
        round_.groups.append(BreakoutGroup(kind=kind, members=[BreakoutGroupMember(person_id=i) for i in ids]))
    _bump(round_)
    db.session.flush()
    return round_


def _person_lookup(workshop_id: int) -> dict[str, int]:
    """Members by email and by name (names only where unique), both without case."""
    lookup: dict[str, int] = {}
    names: dict[str, list[int]] = defaultdict(list)
    for person, _, _ in _members(workshop_id):
        lookup[person.email.casefold()] = person.id
        names[person.name.casefold()].append(person.id)
    for name, ids in names.items():
        if len(ids) == 1:
            lookup.setdefault(name, ids[0])
    return lookup


# The preview: generating, importing, moving ---------------------------------------------------------

def history(round_: BreakoutRound) -> list[dict[int, int]]:
    """Earlier rounds of the session ({person: room}), for rotation and for counting repeated pairs."""
    earlier = select(BreakoutRound.id).where(BreakoutRound.session_id == round_.session_id,
                                             BreakoutRound.id != round_.id,
                                             BreakoutRound.state != RoundState.DRAFT)
    if round_.opened_at is not None:
        earlier = earlier.where(BreakoutRound.opened_at < round_.opened_at)
    rounds: dict[int, dict[int, int]] = defaultdict(dict)
    for round_id, person_id, room_id in db.session.execute(
            select(BreakoutAssignment.round_id, BreakoutAssignment.person_id, BreakoutAssignment.room_id)
            .where(BreakoutAssignment.round_id.in_(earlier))):
        rounds[round_id][person_id] = room_id
    return list(rounds.values())


def _core_rooms(round_: BreakoutRound) -> core.Rooms:
    return core.Rooms(count=len(round_.rooms), names=tuple(room.name for room in round_.rooms))


def _capacity(round_: BreakoutRound, room: BreakoutRoom, people: int) -> int:
    """Seats in a room: its own capacity, else the round's room size, else an even share."""
    return room.capacity or round_.room_size or max(1, math.ceil(people / max(1, len(round_.rooms))))


def generate_preview(round_: BreakoutRound, new_seed: bool = False) -> BreakoutRound:
    """Split everyone by the round's mode and store it as the preview (replacing any earlier one).

    Rules that cannot all be met raise ValidationError (422) naming them; nothing is written then.
    """
    _require_state(round_, RoundState.DRAFT, doing="be previewed")
    if round_.mode == AssignmentMode.CSV:
        raise ValidationError({"preview": "This round's rooms come from a CSV file: import one."}, status=409)
    people, _ = round_people(round_)
    if not people:
        raise ValidationError({"preview": "There is nobody to assign yet: the workshop has no participants."},
                              status=422)
    if new_seed:
        round_.seed = random.randrange(1, 1_000_000)
    _ensure_rooms(round_, _room_count(round_, len(people)))
    rooms = _core_rooms(round_)
    constraints = constraints_of(round_)
    source = AssignmentSource.GENERATED
    try:
        if round_.mode == AssignmentMode.BALANCED:
            split = core.balanced_random(people, rooms, round_.seed, constraints)
        elif round_.mode == AssignmentMode.DIVERSE:
            split = core.diverse(people, rooms, round_.seed, constraints)
        elif round_.mode == AssignmentMode.ROTATION:
            split = core.rotation(people, rooms, round_.seed, constraints, history(round_))
        else:
            split, source = _self_selected(round_, people), AssignmentSource.CHOSEN
    except core.Unsatisfiable as unsatisfiable:
        raise ValidationError({"constraints": "These rules cannot all be met, so nothing was assigned: "
                                              + " ".join(unsatisfiable.problems)}, status=422) from None
    _store(round_, split, source)
    return round_


def _self_selected(round_: BreakoutRound, people: list[core.Person]) -> core.Assignment:
    position = {room.id: room.position for room in round_.rooms}
    choices = list(db.session.execute(select(BreakoutChoice.person_id, BreakoutChoice.room_id)
                                      .where(BreakoutChoice.round_id == round_.id).order_by(BreakoutChoice.chosen_at,
                                                                                            BreakoutChoice.id)))
    capacities = [_capacity(round_, room, len(people)) for room in round_.rooms]
    return core.self_select(people, {pid: position[rid] for pid, rid in choices}, capacities,
                            order=[pid for pid, _ in choices], rooms=_core_rooms(round_))


def _store(round_: BreakoutRound, split: core.Assignment, source: AssignmentSource) -> None:
    room_ids = [room.id for room in round_.rooms]
    db.session.execute(delete(BreakoutAssignment).where(BreakoutAssignment.round_id == round_.id))
    now = utcnow()
    rows = [{"round_id": round_.id, "room_id": room_ids[index], "person_id": person_id, "source": source,
             "assigned_at": now} for index, members in enumerate(split.rooms) for person_id in members]
    if rows:
        db.session.execute(insert(BreakoutAssignment), rows)
    round_.preview_at = now
    _bump(round_)
    db.session.flush()


class CsvRejected(ValidationError):
    """A CSV of pre-assignments with rows that cannot be used; ``problems`` lists them by line."""

    def __init__(self, problems: list[str]):
        super().__init__({"file": f"Nothing was imported: {len(problems)} "
                                  f"{'row needs' if len(problems) == 1 else 'rows need'} fixing."}, status=422)
        self.problems = problems


def import_csv(round_: BreakoutRound, data: bytes) -> list[str]:
    """Pre-assignments from a CSV (email or id, and room number or name); returns notes on anyone not in the file.

    A file with any unusable row is refused whole (CsvRejected lists every such row); nothing is written.
    """
    _require_state(round_, RoundState.DRAFT, doing="take an import")
    read_csv(data)  # refuses empty, binary and non-UTF-8 files with a clear message
    people, _ = round_people(round_)
    if not people:
        raise ValidationError({"file": "There is nobody to assign yet: the workshop has no participants."}, status=422)
    _ensure_rooms(round_, len(round_.rooms) or _room_count(round_, len(people)))
    imported = core.from_csv(data.decode("utf-8-sig"), people, _core_rooms(round_))
    if imported.errors:
        raise CsvRejected(list(imported.errors))
    _store(round_, imported.assignment, AssignmentSource.IMPORTED)
    return list(imported.assignment.notes)


@dataclass(frozen=True)
class RoomView:
    room: BreakoutRoom
    members: list[Person]
    countries: int


@dataclass(frozen=True)
class Preview:
    rooms: list[RoomView]
    quality: core.Quality
    assigned: int
    people: int

    @property
    def sizes(self) -> str:
        sizes = self.quality.sizes
        return f"{min(sizes)}–{max(sizes)}" if sizes and min(sizes) != max(sizes) else str(sizes[0] if sizes else 0)


def preview(round_: BreakoutRound) -> Preview | None:
    """The stored assignment with its quality: sizes, countries per room, repeated pairs, rules broken."""
    members = members_by_room(round_)
    assigned = sum(len(m) for m in members.values())
    if not assigned:
        return None
    people, _ = round_people(round_)
    in_round = {p.id for p in people}
    # People assigned but no longer in the round (left the workshop, no longer a facilitator) still count here.
    others = [p for room_members in members.values() for p in room_members if p.id not in in_round]
    countries = _countries(round_.workshop_id, (p.id for p in others))
    people += [core.Person(p.id, countries[p.id], p.organization or "", name=p.name, email=p.email)
               for p in others]
    split = core.Assignment(tuple(tuple(p.id for p in members[room.id]) for room in round_.rooms))
    quality = core.quality(split, people, history(round_), constraints_of(round_))
    views = [RoomView(room, members[room.id], quality.countries[i]) for i, room in enumerate(round_.rooms)]
    return Preview(views, quality, assigned, len(in_round))


def move_person(round_: BreakoutRound, person_id, room_id) -> tuple[BreakoutAssignment, int]:
    """Put an assigned person in another room (before or during the round); returns the assignment and the old room."""
    _require_state(round_, RoundState.DRAFT, RoundState.OPEN, doing="have people moved")
    room = room_in(round_, room_id)
    if room is None:
        raise ValidationError({"room": "Choose one of this round's rooms."}, status=404)
    found = db.session.scalar(select(BreakoutAssignment).where(BreakoutAssignment.round_id == round_.id,
                                                               BreakoutAssignment.person_id == person_id)) \
        if is_int(person_id) else None
    if found is None:
        raise ValidationError({"person": "That person has no room in this round yet."}, status=404)
    old_room_id = found.room_id
    if old_room_id == room.id:
        raise ValidationError({"person": f"{found.person.name} is already in {room.name}."}, status=409)
    found.room_id = room.id
    found.source = AssignmentSource.MOVED
    found.assigned_at = utcnow()
    changed(round_.session_id, PERSON_TOPIC, round_.id, found.person_id, old_room_id)
    return found, old_room_id


# Self-select ------------------------------------------------------------------------------------------

def set_choosing(round_: BreakoutRound, open_: bool) -> BreakoutRound:
    """Open or close choosing: one conditional UPDATE of the round's row, which every choice locks FOR SHARE
    until it commits (see :func:`choose_room`), so closing waits for the choices in flight."""
    _require_state(round_, RoundState.DRAFT, doing="take choices")
    if round_.mode != AssignmentMode.SELF_SELECT:
        raise ValidationError({"round": "Only a self-select round lets participants choose."}, status=409)
    switched = db.session.execute(
        update(BreakoutRound).where(BreakoutRound.id == round_.id, BreakoutRound.state == RoundState.DRAFT,
                                    BreakoutRound.mode == AssignmentMode.SELF_SELECT)
        .values(choosing_open=open_).execution_options(synchronize_session=False))
    db.session.refresh(round_)
    if switched.rowcount != 1:  # opened or changed at the same moment: say what it is now
        _require_state(round_, RoundState.DRAFT, doing="take choices")
        raise ValidationError({"round": "Only a self-select round lets participants choose."}, status=409)
    _bump(round_)
    return round_


def seats_left(round_: BreakoutRound) -> dict[int, int]:
    people = len(round_people(round_)[0])
    return {room.id: max(0, _capacity(round_, room, people) - room.chosen) for room in round_.rooms}


def my_choice(round_: BreakoutRound, person_id: int) -> int | None:
    return db.session.scalar(select(BreakoutChoice.room_id).where(BreakoutChoice.round_id == round_.id,
                                                                  BreakoutChoice.person_id == person_id))


def choose_room(round_: BreakoutRound, person: Person, room_id) -> BreakoutRoom:
    """A participant picks a room while choosing is open, if it has a seat left (taken atomically in SQL)."""
    if round_.state != RoundState.DRAFT or not round_.choosing_open:
        raise ValidationError({"room": "Choosing rooms is closed."}, status=409)
    people, by_id = round_people(round_)
    if person.id not in by_id:
        raise ValidationError({"room": "Only participants of this workshop choose a breakout room."}, status=403)
    room = room_in(round_, room_id)
    if room is None:
        raise ValidationError({"room": "There is no such room in this round."}, status=404)
    earlier = db.session.scalar(select(BreakoutChoice).where(BreakoutChoice.round_id == round_.id,
                                                             BreakoutChoice.person_id == person.id))
    if earlier is not None and earlier.room_id == room.id:
        return room
    seat = db.session.execute(update(BreakoutRoom).where(
        BreakoutRoom.id == room.id, BreakoutRoom.chosen < _capacity(round_, room, len(people)))
        .values(chosen=BreakoutRoom.chosen + 1).execution_options(synchronize_session=False))
    if seat.rowcount != 1:
        raise ValidationError({"room": f"{room.name} is full; choose another room."}, status=409)
    if earlier is None:
        db.session.add(BreakoutChoice(round_id=round_.id, room_id=room.id, person_id=person.id))
    else:
        db.session.execute(update(BreakoutRoom).where(BreakoutRoom.id == earlier.room_id)
                           .values(chosen=BreakoutRoom.chosen - 1).execution_options(synchronize_session=False))
        earlier.room_id, earlier.chosen_at = room.id, utcnow()
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ValidationError({"room": "Your choice was already being saved; try again."}, status=409) from None
    # Closed is final: choosing is read again inside the choice's write transaction, under a lock that closing
    # choosing (and starting the round: both UPDATE the round's row) must wait for. On PostgreSQL FOR SHARE
    # waits for a close in progress and then reads the row it committed; once held, the close waits for this
    # commit (choices share it). On SQLite the choice's first write above took the database's write lock.
    state, still_open = db.session.execute(
        select(BreakoutRound.state, BreakoutRound.choosing_open).where(BreakoutRound.id == round_.id)
        .with_for_update(read=True)).one()
    if state != RoundState.DRAFT or not still_open:
        db.session.rollback()
        raise ValidationError({"room": "Choosing rooms has closed; your choice was not saved."}, status=409)
    _bump(round_, SEATS_TOPIC)  # the seats left, not everyone's card: a card would unmark each chooser's choice
    db.session.flush()
    db.session.expire(room)
    return room


# Running a round -------------------------------------------------------------------------------------

def start_round(round_: BreakoutRound) -> BreakoutRound:
    """Open a previewed draft: anyone not yet placed goes to the smallest fitting room; the countdown starts.

    Refused while another round of the session is open, without a preview, or while the preview breaks a rule.
    """
    _require_state(round_, RoundState.DRAFT, doing="be opened")
    people, _ = round_people(round_)
    # Someone who left the workshop (or is no longer a facilitator) since the preview no longer takes part.
    db.session.execute(delete(BreakoutAssignment).where(
        BreakoutAssignment.round_id == round_.id, BreakoutAssignment.person_id.not_in([p.id for p in people])))
    shown = preview(round_)
    if shown is None:
        raise ValidationError({"round": "Make a preview first: generate one, import a CSV or let people choose."},
                              status=409)
    split = core.Assignment(tuple(tuple(p.id for p in view.members) for view in shown.rooms))
    # Whoever is in no room yet is placed at opening, by the same rules as a late joiner.
    broken = [problem for problem in core.violations(split, people, constraints_of(round_))
              if not problem.endswith("is in no room.")]
    if broken:
        raise ValidationError({"constraints": "Nothing was opened; the preview breaks these rules: "
                                              + " ".join(broken)}, status=422)
    other = open_round(round_.session_id)
    if other is not None:
        raise ValidationError({"round": f"{other.title} is still open: close it first."}, status=409)
    now = utcnow()
    try:
        opened = db.session.execute(
            update(BreakoutRound).where(BreakoutRound.id == round_.id, BreakoutRound.state == RoundState.DRAFT)
            .values(state=RoundState.OPEN, opened_at=now, choosing_open=False,
                    ends_at=now + timedelta(seconds=round_.duration_seconds) if round_.duration_seconds else None)
            .execution_options(synchronize_session=False))
    except IntegrityError:  # the one-open-round index: another round opened at the same moment
        db.session.rollback()
        raise ValidationError({"round": "Another round of this session was opened at the same moment."},
                              status=409) from None
    if opened.rowcount != 1:
        raise ValidationError({"round": f"{round_.title} was opened already."}, status=409)
    _bump(round_)
    db.session.refresh(round_)
    _place_late(round_, [person.id for person in unplaced_participants(round_)])
    return round_


def unplaced_participants(round_: BreakoutRound) -> list[Person]:
    placed = select(BreakoutAssignment.person_id).where(BreakoutAssignment.round_id == round_.id)
    return list(db.session.scalars(select(Person).join(Membership, Membership.person_id == Person.id).where(
        Membership.workshop_id == round_.workshop_id, Membership.role == Role.PARTICIPANT,
        Person.id.not_in(placed)).order_by(Person.id)))


def place_late_joiner(round_: BreakoutRound, person_id: int) -> BreakoutAssignment | None:
    """A participant with no room in an open round gets the smallest fitting one; None if not theirs to get.

    The unique (round, person) constraint keeps it to one room if two of their tabs arrive at once.
    """
    if round_.state != RoundState.OPEN or db.session.scalar(select(BreakoutAssignment.id).where(
            BreakoutAssignment.round_id == round_.id, BreakoutAssignment.person_id == person_id)) is not None:
        return None  # the common case, on every arrival: answered without loading the round's people
    placed = _place_late(round_, [person_id])
    return placed[0] if placed else None


def _place_late(round_: BreakoutRound, person_ids: list[int]) -> list[BreakoutAssignment]:
    """Each participant in turn to the smallest fitting room, the rooms as the earlier ones left them."""
    people, _ = round_people(round_)
    everyone = {p.id: p for p in people}
    members = members_by_room(round_)
    rooms = [[everyone.get(p.id) or core.Person(p.id) for p in members[room.id]] for room in round_.rooms]
    capacities = [room.capacity or round_.room_size for room in round_.rooms]
    constraints = constraints_of(round_)
    placed = []
    for person_id in person_ids:
        person = everyone.get(person_id)
        if person is None or person.role != "participant":
            continue
        index, _ = core.late_joiner_room(person, rooms, constraints, capacities)
        rooms[index].append(person)
        placed.append(BreakoutAssignment(round_id=round_.id, room_id=round_.rooms[index].id, person_id=person_id,
                                         source=AssignmentSource.LATE))
    if placed:
        db.session.add_all(placed)
        db.session.flush()  # IntegrityError if another tab of theirs placed them first: the caller rolls back
        for assignment in placed:
            changed(round_.session_id, PERSON_TOPIC, round_.id, assignment.person_id, None)
    return placed


def extend_round(round_: BreakoutRound, minutes) -> BreakoutRound:
    """More time for an open round (a countdown starts now if it had none)."""
    minutes = _int(minutes, "minutes", 1, MAX_EXTEND_MINUTES, "The extra time in minutes")
    if minutes is None:
        raise ValidationError({"minutes": "Give the extra time in minutes."})
    _require_state(round_, RoundState.OPEN, doing="be extended")
    now = utcnow()
    base = round_.ends_at if round_.ends_at is not None and round_.ends_at > now else now
    extended = db.session.execute(
        update(BreakoutRound).where(BreakoutRound.id == round_.id, BreakoutRound.state == RoundState.OPEN)
        .values(ends_at=base + timedelta(minutes=minutes))
        .execution_options(synchronize_session=False))
    if extended.rowcount != 1:
        raise ValidationError({"round": f"{round_.title} has just ended."}, status=409)
    _bump(round_)
    db.session.refresh(round_)
    return round_


def close_round(round_: BreakoutRound) -> BreakoutRound:
    """Everyone back to the plenary; the round is kept, with its rooms, assignments and notes."""
    _require_state(round_, RoundState.OPEN, doing="be closed")
    closed = db.session.execute(
        update(BreakoutRound).where(BreakoutRound.id == round_.id, BreakoutRound.state == RoundState.OPEN)
        .values(state=RoundState.CLOSED, closed_at=utcnow())
        .execution_options(synchronize_session=False))
    if closed.rowcount != 1:
        raise ValidationError({"round": f"{round_.title} was closed already."}, status=409)
    _bump(round_)
    db.session.refresh(round_)
    return round_


def close_due_rounds(now: datetime | None = None) -> list[int]:
    """Close every open round whose countdown has run out, and commit; the ids this call closed (each once)."""
    now = now or utcnow()
    closed = db.session.execute(
        update(BreakoutRound).where(BreakoutRound.state == RoundState.OPEN, BreakoutRound.ends_at.is_not(None),
                                    BreakoutRound.ends_at <= now)
        .values(state=RoundState.CLOSED, closed_at=now)
        .returning(BreakoutRound.id, BreakoutRound.session_id).execution_options(synchronize_session=False)).all()
    for round_id, session_id in closed:
        changed(session_id, ROUND_TOPIC, session_id, round_id)
    db.session.commit()
    return [round_id for round_id, _ in closed]


def send_message(round_: BreakoutRound, sender: Person, text) -> BreakoutMessage:
    _require_state(round_, RoundState.OPEN, doing="take messages")
    text = " ".join((text or "").split()) if isinstance(text, str) else ""
    if not text:
        raise ValidationError({"text": "Write a message first."})
    if len(text) > MAX_MESSAGE:
        raise ValidationError({"text": f"A message has at most {MAX_MESSAGE} characters."})
    message = BreakoutMessage(round_id=round_.id, person_id=sender.id, text=text)
    db.session.add(message)
    db.session.flush()
    changed(round_.session_id, MESSAGE_TOPIC, message.id)
    return message


def messages_of(round_: BreakoutRound, limit: int = 20) -> list[BreakoutMessage]:
    return list(db.session.scalars(select(BreakoutMessage).where(BreakoutMessage.round_id == round_.id)
                                   .order_by(BreakoutMessage.id.desc()).limit(limit)))


def ask_for_help(room: BreakoutRoom, person: Person, message) -> tuple[HelpRequest, bool]:
    """Alert the moderators from a room; returns the request and whether it is new (one open request per room)."""
    _require_state(room.round, RoundState.OPEN, doing="take requests for help")
    if room_of(room.round_id, person.id) != room:
        raise ValidationError({"help": "Only people in this room can ask for help from it."}, status=403)
    message = " ".join((message or "").split()) if isinstance(message, str) else ""
    if len(message) > MAX_HELP:
        raise ValidationError({"help": f"Say it in at most {MAX_HELP} characters."})
    waiting = db.session.scalar(select(HelpRequest).where(HelpRequest.room_id == room.id,
                                                          HelpRequest.handled_at.is_(None)))
    if waiting is not None:
        return waiting, False
    action_limits.check("help request", person.id)  # only a new alert counts: one already waiting costs nothing
    request = HelpRequest(round_id=room.round_id, room_id=room.id, person_id=person.id, message=message)
    db.session.add(request)
    db.session.flush()
    changed(room.round.session_id, HELP_TOPIC, request.id)
    return request, True


def help_requests(round_: BreakoutRound) -> list[HelpRequest]:
    return list(db.session.scalars(select(HelpRequest).where(HelpRequest.round_id == round_.id)
                                   .order_by(HelpRequest.handled_at.is_not(None), HelpRequest.id.desc())))


def handle_help(round_: BreakoutRound, request_id: int) -> HelpRequest:
    found = db.session.get(HelpRequest, request_id)
    if found is None or found.round_id != round_.id:
        raise ValidationError({"help": "There is no such request for help in this round."}, status=404)
    if found.handled_at is None:
        found.handled_at = utcnow()
        changed(round_.session_id, HELP_TOPIC, found.id)
    return found


# Who may see and write what --------------------------------------------------------------------------

def is_staff(membership: Membership | None) -> bool:
    return can(membership, Action.MODERATE)


def may_enter(room: BreakoutRoom, membership: Membership | None, person_id: int) -> bool:
    """The room's page: its people once the round has opened, and the moderators always."""
    if is_staff(membership):
        return True
    return membership is not None and room.round.state != RoundState.DRAFT and \
        room_of(room.round_id, person_id) == room


def may_write_notes(room: BreakoutRoom, membership: Membership | None, person_id: int) -> bool:
    if is_staff(membership):
        return True
    if membership is None or room.round.state == RoundState.DRAFT:
        return False
    if room.rapporteur_id == person_id:
        return True
    return room.round.notes_by_members and room_of(room.round_id, person_id) == room


def room_for_connection(session: AgendaSession, membership: Membership, person_id: int, room_id) -> BreakoutRoom:
    """The room a socket may join: in the session's open round, and the person's own (staff: any)."""
    room = db.session.get(BreakoutRoom, room_id) if is_int(room_id) else None
    if room is None or room.round.session_id != session.id:
        raise ValidationError({"room": "There is no such breakout room in this session."}, status=404)
    if room.round.state != RoundState.OPEN:
        raise ValidationError({"room": "This breakout round is not running."}, status=409)
    if not is_staff(membership) and room_of(room.round_id, person_id) != room:
        raise ValidationError({"room": "You are not assigned to this breakout room."}, status=403)
    return room


# Notes ----------------------------------------------------------------------------------------------

class NotesConflict(ValidationError):
    """Someone saved the notes since this writer loaded them: both texts go back to the writer."""

    def __init__(self, room: BreakoutRoom, mine: str):
        saved_by = room.notes_saved_by.name if room.notes_saved_by else "someone"
        super().__init__({"notes": f"{saved_by} saved these notes (revision {room.notes_revision}) while you "
                                   "were writing. Nothing of yours was overwritten: compare both texts."}, status=409)
        self.room = room
        self.mine = mine


def save_notes(room: BreakoutRoom, membership: Membership | None, person: Person, text, base_revision) -> BreakoutRoom:
    """Store the notes if they were written on the latest revision; else NotesConflict (409) with both texts."""
    if not may_write_notes(room, membership, person.id):
        raise ValidationError({"notes": "Only the rapporteur (or the room's people, where allowed) writes these "
                                        "notes."}, status=403)
    if not isinstance(text, str):
        raise ValidationError({"notes": "The notes were not understood."})
    text = text.replace("\r\n", "\n")
    if len(text) > MAX_NOTES:
        raise ValidationError({"notes": f"Notes have at most {MAX_NOTES:,} characters."}, status=413)
    base = _int(base_revision, "revision", 0, 2**62, "The revision")
    if base is None:
        raise ValidationError({"notes": "Reload the page: the notes' revision is missing."})
    action_limits.check("note save", person.id)
    saved = db.session.execute(
        update(BreakoutRoom).where(BreakoutRoom.id == room.id, BreakoutRoom.notes_revision == base)
        .values(notes=text, notes_revision=BreakoutRoom.notes_revision + 1, notes_saved_at=utcnow(),
                notes_saved_by_id=person.id)
        .returning(BreakoutRoom.notes_revision).execution_options(synchronize_session=False)).scalar()
    if saved is not None:
        changed(room.round.session_id, NOTES_TOPIC, room.id)
    db.session.refresh(room)
    if saved is None:
        if room.notes == text:  # the same words reached the server twice (a retry): nothing to tell
            return room
        raise NotesConflict(room, text)
    return room


# Exports ----------------------------------------------------------------------------------------------

def notes_markdown(session: AgendaSession, round_: BreakoutRound) -> str:
    lines = [f"# {session.title}: breakout {round_.title.lower()} notes", ""]
    for room in round_.rooms:
        lines.append(f"## {room.label}")
        if room.rapporteur is not None:
            lines.append(f"Rapporteur: {room.rapporteur.name}")
        lines += ["", room.notes.strip() or "_No notes._", ""]
    return "\n".join(lines)


def notes_rows(round_: BreakoutRound) -> list[tuple]:
    return [(room.position + 1, room.name, room.topic, room.rapporteur.name if room.rapporteur else "",
             room.notes, room.notes_revision, room.notes_saved_at.isoformat() if room.notes_saved_at else "")
            for room in round_.rooms]


def assignment_rows(round_: BreakoutRound) -> list[tuple]:
    rows = db.session.execute(
        select(BreakoutRoom.position, BreakoutRoom.name, Person.name, Person.email, Membership.country,
               Person.organization, BreakoutAssignment.source, BreakoutAssignment.assigned_at)
        .join(BreakoutAssignment, BreakoutAssignment.room_id == BreakoutRoom.id)
        .join(Person, Person.id == BreakoutAssignment.person_id)
        .outerjoin(Membership, (Membership.person_id == Person.id) & (Membership.workshop_id == round_.workshop_id))
        .where(BreakoutAssignment.round_id == round_.id).order_by(BreakoutRoom.position, Person.name))
    return [(position + 1, room, name, email, country or "", organization, source.value, at.isoformat())
            for position, room, name, email, country, organization, source, at in rows]
