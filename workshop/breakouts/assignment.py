"""Splitting people into breakout rooms: pure functions, deterministic for a given seed.

Every mode returns an :class:`Assignment` that places each person exactly once. The generated modes
(:func:`balanced_random`, :func:`diverse`, :func:`rotation`) keep room sizes within one of each other
and keep every constraint; constraints that cannot all be met raise :class:`Unsatisfiable`, naming
the constraints and the people, before anyone is assigned. The modes driven by people
(:func:`move`, :func:`self_select`, :func:`from_csv`) keep what was asked for and say what it costs
in :func:`quality`.
"""

from __future__ import annotations

import csv
import heapq
import io
import math
import random
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

LEAD_ROLES = frozenset({"moderator", "facilitator"})
CSV_PERSON_COLUMNS = ("email", "id")
CSV_ROOM_COLUMN = "room"
# Each person tries this many swap partners per pass: enough to find improvements, few enough for 1,000 people.
SWAP_SAMPLE = 40
MAX_PASSES = 12
# Backtracking stops after this many placements beyond one per unit; the greedy first path almost always succeeds.
SEARCH_BUDGET = 20_000


@dataclass(frozen=True)
class Person:
    id: Hashable
    country: str = ""
    organization: str = ""
    role: str = "participant"
    name: str = ""
    email: str = ""

    @property
    def label(self) -> str:
        return self.name or f"#{self.id}"


@dataclass(frozen=True)
class Rooms:
    """How many rooms: a count, or a room size the count follows from (with both, the size caps each room)."""

    count: int | None = None
    size: int | None = None
    names: tuple[str, ...] = ()

    def __post_init__(self):
        if self.count is not None and self.count < 1:
            raise ValueError("There must be at least one room.")
        if self.size is not None and self.size < 1:
            raise ValueError("A room must hold at least one person.")
        object.__setattr__(self, "names", tuple(self.names))

    def count_for(self, people: int) -> int:
        if self.count is not None:
            return self.count
        if self.size is not None:
            return max(1, math.ceil(people / self.size))
        if self.names:
            return len(self.names)
        raise ValueError("Give a number of rooms or a room size.")

    def name(self, room: int) -> str:
        return self.names[room] if room < len(self.names) else f"Room {room + 1}"


@dataclass(frozen=True)
class Constraints:
    """Groups are sets of person ids; ids of people not in the round are ignored (the rule cannot break)."""

    keep_apart: tuple[frozenset, ...] = ()
    keep_together: tuple[frozenset, ...] = ()
    max_one_of_role: frozenset[str] = frozenset()
    # Moderators and facilitators spread out: one in every room when there are enough, never two in a room otherwise.
    one_facilitator_per_room: bool = False

    def __post_init__(self):
        object.__setattr__(self, "keep_apart", tuple(frozenset(group) for group in self.keep_apart))
        object.__setattr__(self, "keep_together", tuple(frozenset(group) for group in self.keep_together))
        object.__setattr__(self, "max_one_of_role", frozenset(self.max_one_of_role))


@dataclass(frozen=True)
class Assignment:
    """People per room (room 0 first), and notes on anyone not placed where they asked to be."""

    rooms: tuple[tuple[Hashable, ...], ...]
    notes: tuple[str, ...] = ()

    def room_of(self) -> dict[Hashable, int]:
        return {person: room for room, members in enumerate(self.rooms) for person in members}

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(len(members) for members in self.rooms)


@dataclass(frozen=True)
class Quality:
    sizes: tuple[int, ...]
    countries: tuple[int, ...]  # distinct countries in each room
    organizations: tuple[int, ...]  # distinct organizations in each room
    repeated_pairs: int  # pairs sharing a room now who already shared one in an earlier round
    notes: tuple[str, ...] = ()

    @property
    def size_spread(self) -> int:
        return max(self.sizes) - min(self.sizes) if self.sizes else 0


@dataclass(frozen=True)
class CsvImport:
    assignment: Assignment
    errors: tuple[str, ...]


class Unsatisfiable(ValueError):
    """Constraints that cannot all be met; ``problems`` has one sentence per broken rule, naming the people."""

    def __init__(self, problems: Sequence[str]):
        super().__init__(" ".join(problems))
        self.problems = tuple(problems)


# The generated modes ------------------------------------------------------------------------------

def balanced_random(people: Sequence[Person], rooms: Rooms, seed, constraints: Constraints | None = None
                    ) -> Assignment:
    """A random split with room sizes differing by at most one."""
    problem = _Problem(people, rooms, constraints)
    return problem.assignment(_balanced_placement(problem, seed))


def diverse(people: Sequence[Person], rooms: Rooms, seed, constraints: Constraints | None = None) -> Assignment:
    """Spread countries (then organizations) over the rooms: never fewer distinct ones than balanced_random."""
    problem = _Problem(people, rooms, constraints)
    spread = _Search(problem, _diverse_placement(problem, seed), partners=None)
    spread.improve(_rng(seed, "diverse search"))
    baseline = _balanced_placement(problem, seed)
    if _Search(problem, baseline, partners=None).spread() > spread.spread():
        # Rare: the greedy start was unlucky. Improving the random split keeps the promise above.
        spread = _Search(problem, baseline, partners=None)
        spread.improve(_rng(seed, "diverse search"))
    return problem.assignment(spread.room_of)


def rotation(people: Sequence[Person], rooms: Rooms, seed, constraints: Constraints | None = None,
             history: Iterable = ()) -> Assignment:
    """New partners for a later round: balanced_random for the same seed, then swaps that cut repeated pairs.

    Swaps that leave the repeated pairs unchanged are taken when they spread countries or organizations,
    so the result never has more repeated pairs than balanced_random for the same seed.
    """
    problem = _Problem(people, rooms, constraints)
    search = _Search(problem, _balanced_placement(problem, seed), partners=_earlier_partners(problem, history))
    search.improve(_rng(seed, "rotation search"))
    return problem.assignment(search.room_of)


# The modes driven by people -----------------------------------------------------------------------

def move(assignment: Assignment, person_id, room: int) -> Assignment:
    """The assignment with one person in another room; sizes may then differ (quality reports it)."""
    if not 0 <= room < len(assignment.rooms):
        raise ValueError(f"There is no room {room + 1}; rooms are 1 to {len(assignment.rooms)}.")
    if person_id not in assignment.room_of():
        raise ValueError(f"Person {person_id} is not in this assignment.")
    rooms = [[member for member in members if member != person_id] for members in assignment.rooms]
    rooms[room].append(person_id)
    return Assignment(tuple(tuple(members) for members in rooms), assignment.notes)


def self_select(people: Sequence[Person], choices: Mapping, capacities: Sequence[int],
                order: Sequence | None = None, rooms: Rooms | None = None) -> Assignment:
    """Each person in the room they chose (0-based), first come first served in ``order`` while it has space.

    Anyone whose room is full, or who chose none, goes to the smallest room with space; the notes say so.
    """
    rooms = rooms or Rooms(count=len(capacities))
    total = sum(capacities)
    if len(people) > total:
        raise Unsatisfiable([f"{len(people)} people do not fit in rooms that hold {total} in all "
                             f"({', '.join(f'{rooms.name(r)}: {c}' for r, c in enumerate(capacities))})."])
    by_id = {person.id: person for person in people}
    queue = [by_id[pid] for pid in dict.fromkeys(order or ()) if pid in by_id]
    queued = {person.id for person in queue}
    queue += [person for person in people if person.id not in queued]
    members: list[list] = [[] for _ in capacities]
    overflow = []
    for person in queue:
        choice = choices.get(person.id)
        if isinstance(choice, int) and 0 <= choice < len(capacities) and len(members[choice]) < capacities[choice]:
            members[choice].append(person.id)
        else:
            overflow.append((person, choice))
    notes = []
    for person, choice in overflow:
        room = min((r for r in range(len(capacities)) if len(members[r]) < capacities[r]),
                   key=lambda r: (len(members[r]), r))
        members[room].append(person.id)
        if choice is None:
            why = "chose no room"
        elif isinstance(choice, int) and 0 <= choice < len(capacities):
            why = f"chose {rooms.name(choice)}, which was full"
        else:
            why = f"chose a room that does not exist ({choice!r})"
        notes.append(f"{person.label} {why}; placed in {rooms.name(room)}.")
    return Assignment(tuple(tuple(room) for room in members), tuple(notes))


def from_csv(text: str, people: Sequence[Person], rooms: Rooms) -> CsvImport:
    """Pre-assignments from a CSV (an ``email`` or ``id`` column and a ``room`` column, number or name).

    Rows that cannot be used are listed in ``errors`` with their line; people the file does not place
    go to the smallest rooms, and a note names them.
    """
    count = rooms.count_for(len(people))
    members: list[list] = [[] for _ in range(count)]
    errors: list[str] = []
    header, rows = _csv_rows(text.lstrip("\ufeff"))
    key = next((column for column in CSV_PERSON_COLUMNS if column in header), None)
    if key is None or CSV_ROOM_COLUMN not in header:
        errors.append("Line 1: the file needs an 'email' or 'id' column and a 'room' column "
                      f"(it has: {', '.join(header) or 'no columns'}).")
        rows = []
    lookup = ({person.email.strip().casefold(): person for person in people if person.email} if key == "email"
              else {str(person.id): person for person in people})
    room_numbers = {rooms.name(r).casefold(): r for r in range(count)}
    listed: dict[Hashable, int] = {}
    for line, row in rows:
        who, where = row.get(key, ""), row.get(CSV_ROOM_COLUMN, "")
        person = lookup.get(who.casefold() if key == "email" else who)
        room = _csv_room(where, count, room_numbers)
        if not who:
            errors.append(f"Line {line}: the {key} is empty.")
        elif person is None:
            errors.append(f"Line {line}: nobody with {key} {who} is in this round.")
        elif person.id in listed:
            errors.append(f"Line {line}: {who} is already placed on line {listed[person.id]}; this line is ignored.")
        elif room is None:
            errors.append(f"Line {line}: there is no room {where!r} (give 1 to {count} or a room's name).")
        else:
            listed[person.id] = line
            members[room].append(person.id)
    unplaced = [person for person in people if person.id not in listed]
    for person in unplaced:
        members[min(range(count), key=lambda r: (len(members[r]), r))].append(person.id)
    notes = (_not_in_file_note(unplaced),) if unplaced else ()
    return CsvImport(Assignment(tuple(tuple(room) for room in members), notes), tuple(errors))


def late_joiner_room(person: Person, rooms: Sequence[Sequence[Person]], constraints: Constraints | None = None,
                     capacities: Sequence[int | None] = ()) -> tuple[int, str | None]:
    """The room for someone who arrives once a round runs: the smallest that fits, and a note if none did.

    A room fits if it has a seat (``capacities``, None for no limit) and keeps every rule: nobody the
    person must stay apart from, no second holder of a role limited to one per room. Someone kept
    together with a person already placed goes to that room if it fits; a moderator or facilitator goes
    to a room without one, when rooms are to have one each. With no fitting room, the smallest room with
    a seat (or the smallest room) takes them, and the note names the person and the room.
    """
    if not rooms:
        raise ValueError("There are no rooms to place anyone in.")
    constraints = constraints or Constraints()
    limits = list(capacities) + [None] * (len(rooms) - len(capacities))
    apart = [group for group in constraints.keep_apart if person.id in group]
    together = [group for group in constraints.keep_together if person.id in group]

    def has_seat(room: int) -> bool:
        return limits[room] is None or len(rooms[room]) < limits[room]

    def keeps_rules(room: int) -> bool:
        others = [p for p in rooms[room] if p.id != person.id]
        if any(p.id in group for group in apart for p in others):
            return False
        return not (person.role in constraints.max_one_of_role and any(p.role == person.role for p in others))

    def rank(room: int):
        mates = sum(1 for p in rooms[room] if any(p.id in group for group in together))
        leads = sum(1 for p in rooms[room] if p.role in LEAD_ROLES)
        lead_rank = leads if constraints.one_facilitator_per_room and person.role in LEAD_ROLES else 0
        return -mates, lead_rank, len(rooms[room]), room

    fitting = [room for room in range(len(rooms)) if has_seat(room) and keeps_rules(room)]
    if fitting:
        return min(fitting, key=rank), None
    with_seat = [room for room in range(len(rooms)) if has_seat(room)] or list(range(len(rooms)))
    room = min(with_seat, key=lambda r: (len(rooms[r]), r))
    return room, f"No room kept every rule for {person.label}; placed in room {room + 1}, the smallest."


# Judging an assignment ----------------------------------------------------------------------------

def quality(assignment: Assignment, people: Sequence[Person], history: Iterable = (),
            constraints: Constraints | None = None) -> Quality:
    """Room sizes, distinct countries and organizations per room, repeated pairs, and what needs a look."""
    by_id = {person.id: person for person in people}
    countries = tuple(len({by_id[p].country for p in members if p in by_id and by_id[p].country})
                      for members in assignment.rooms)
    organizations = tuple(len({by_id[p].organization for p in members if p in by_id and by_id[p].organization})
                          for members in assignment.rooms)
    met = _met_pairs(history)
    repeated = sum(1 for members in assignment.rooms for i, a in enumerate(members) for b in members[i + 1:]
                   if frozenset((a, b)) in met)
    notes = list(assignment.notes)
    sizes = assignment.sizes
    if sizes and max(sizes) - min(sizes) > 1:
        notes.append(f"Room sizes differ by {max(sizes) - min(sizes)} "
                     f"(from {min(sizes)} to {max(sizes)} people).")
    if constraints is not None:
        notes += violations(assignment, people, constraints)
    return Quality(sizes, countries, organizations, repeated, tuple(notes))


def violations(assignment: Assignment, people: Sequence[Person], constraints: Constraints) -> list[str]:
    """One sentence per rule the assignment breaks (an empty list when it keeps them all)."""
    by_id = {person.id: person for person in people}
    placed = Counter(p for members in assignment.rooms for p in members)
    room_of = assignment.room_of()
    found = [f"{by_id[p].label if p in by_id else p} is placed {n} times." for p, n in placed.items() if n > 1]
    found += [f"{p} is not in this round." for p in placed if p not in by_id]
    found += [f"{person.label} is in no room." for person in people if person.id not in placed]
    for number, group in enumerate(constraints.keep_apart, start=1):
        present = [p for p in group if p in room_of]
        by_room = Counter(room_of[p] for p in present)
        if any(n > 1 for n in by_room.values()):
            found.append(f"Keep apart group {number} ({_labels(by_id, present)}) shares a room.")
    for number, group in enumerate(constraints.keep_together, start=1):
        present = [p for p in group if p in room_of]
        if len({room_of[p] for p in present}) > 1:
            found.append(f"Keep together group {number} ({_labels(by_id, present)}) is split.")
    for room, members in enumerate(assignment.rooms):
        roles = Counter(by_id[p].role for p in members if p in by_id)
        found += [f"Room {room + 1} has {roles[role]} people with role {role} (at most one of them per room)."
                  for role in sorted(constraints.max_one_of_role) if roles[role] > 1]
    if constraints.one_facilitator_per_room:
        leads = [sum(1 for p in members if p in by_id and by_id[p].role in LEAD_ROLES)
                 for members in assignment.rooms]
        enough = sum(leads) >= len(leads)
        found += [f"Room {room + 1} has {'no' if enough else n} moderators or facilitators "
                  f"(one per room where there are enough)."
                  for room, n in enumerate(leads) if (n == 0 if enough else n > 1)]
    return found


# The problem every generated mode solves ----------------------------------------------------------

class _Problem:
    """People as indices, their keep-together units, and the size bounds every generated room keeps."""

    def __init__(self, people: Sequence[Person], rooms: Rooms, constraints: Constraints | None):
        self.people = list(people)
        ids = [person.id for person in self.people]
        if len(set(ids)) != len(ids):
            raise ValueError("Each person may be listed only once.")
        self.index = {pid: i for i, pid in enumerate(ids)}
        constraints = constraints or Constraints()
        n = len(self.people)
        self.count = rooms.count_for(n)
        self.lo, self.extra = divmod(n, self.count)
        self.hi = self.lo + (self.extra > 0)
        self.lead = [constraints.one_facilitator_per_room and p.role in LEAD_ROLES for p in self.people]
        self.leads_total = sum(self.lead)
        self.limited = [p.role if p.role in constraints.max_one_of_role else None for p in self.people]
        self.apart_groups = [sorted(self.index[p] for p in group if p in self.index)
                             for group in constraints.keep_apart]
        self.apart_of: list[list[int]] = [[] for _ in range(n)]
        for g, members in enumerate(self.apart_groups):
            if len(members) > 1:
                for i in members:
                    self.apart_of[i].append(g)
        self.units, self.unit_groups = self._units(constraints.keep_together)
        self.unit_of = [0] * n
        for u, members in enumerate(self.units):
            for i in members:
                self.unit_of[i] = u
        self.unit_apart = [[g for i in members for g in self.apart_of[i]] for members in self.units]
        self.unit_roles = [[self.limited[i] for i in members if self.limited[i]] for members in self.units]
        self.unit_leads = [sum(self.lead[i] for i in members) for members in self.units]
        self.lead_units = sum(1 for n_leads in self.unit_leads if n_leads)
        # Swaps keep per-room role counts, so only people of the same constrained role trade places.
        self.role_class = [p.role if self.limited[i] or self.lead[i] else "" for i, p in enumerate(self.people)]
        problems = self._problems(rooms, constraints)
        if problems:
            raise Unsatisfiable(problems)

    def _units(self, keep_together) -> tuple[list[list[int]], list[list[int]]]:
        """People bound together (overlapping groups merge) and the group numbers behind each unit."""
        parent = list(range(len(self.people)))

        def root(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for group in keep_together:
            members = [self.index[p] for p in group if p in self.index]
            for i in members[1:]:
                parent[root(i)] = root(members[0])
        by_root: dict[int, list[int]] = {}
        for i in range(len(self.people)):
            by_root.setdefault(root(i), []).append(i)
        units = list(by_root.values())
        unit_by_root = {root(members[0]): u for u, members in enumerate(units)}
        groups: list[list[int]] = [[] for _ in units]
        for number, group in enumerate(keep_together, start=1):
            members = [self.index[p] for p in group if p in self.index]
            if members:
                groups[unit_by_root[root(members[0])]].append(number)
        return units, groups

    def _problems(self, rooms: Rooms, constraints: Constraints) -> list[str]:
        n, count = len(self.people), self.count
        problems = []
        if rooms.size is not None and n > count * rooms.size:
            problems.append(f"{n} people do not fit in {count} rooms of at most {rooms.size}.")
        for u, members in enumerate(self.units):
            if len(members) > self.hi:
                problems.append(f"{self.together_name(u)} ({self.labels(members)}) has {len(members)} people "
                                f"but rooms hold at most {self.hi}.")
        for g, members in enumerate(self.apart_groups):
            if len(members) > count:
                problems.append(f"Keep apart group {g + 1} ({self.labels(members)}) has {len(members)} people "
                                f"but there are only {count} rooms.")
            for u in sorted({self.unit_of[i] for i in members}):
                bound = [i for i in members if self.unit_of[i] == u]
                if len(bound) > 1:
                    problems.append(f"Keep apart group {g + 1} and {self.together_name(u).lower()} "
                                    f"both hold {self.labels(bound)}.")
        for role in sorted(constraints.max_one_of_role):
            holders = [i for i in range(n) if self.limited[i] == role]
            if len(holders) > count:
                problems.append(f"At most one {role} per room: there are {len(holders)} "
                                f"({self.labels(holders)}) for {count} rooms.")
            for u, roles in enumerate(self.unit_roles):
                if roles.count(role) > 1:
                    problems.append(f"At most one {role} per room, but {self.together_name(u).lower()} holds "
                                    f"{self.labels([i for i in self.units[u] if self.limited[i] == role])}.")
        if constraints.one_facilitator_per_room:
            problems += self._lead_problems()
        return problems

    def _lead_problems(self) -> list[str]:
        leads = [i for i in range(len(self.people)) if self.lead[i]]
        if self.leads_total <= self.count:
            return [f"One moderator or facilitator per room, but {self.together_name(u).lower()} holds "
                    f"{self.labels([i for i in self.units[u] if self.lead[i]])}."
                    for u, n_leads in enumerate(self.unit_leads) if n_leads > 1]
        if self.lead_units < self.count:
            return [f"One moderator or facilitator per room: keep together groups bind the {len(leads)} of them "
                    f"({self.labels(leads)}) into {self.lead_units} groups for {self.count} rooms."]
        return []

    def together_name(self, u: int) -> str:
        numbers = self.unit_groups[u]
        if not numbers:
            return "Person"
        if len(numbers) == 1:
            return f"Keep together group {numbers[0]}"
        return f"Keep together groups {', '.join(map(str, numbers[:-1]))} and {numbers[-1]} (they overlap)"

    def labels(self, indices: Iterable[int]) -> str:
        return ", ".join(self.people[i].label for i in indices)

    def assignment(self, room_of: Sequence[int]) -> Assignment:
        members: list[list] = [[] for _ in range(self.count)]
        for i, room in enumerate(room_of):
            members[room].append(self.people[i].id)
        return Assignment(tuple(tuple(room) for room in members))


class _Rooms:
    """Running totals per room while units are placed, with the reason a unit cannot go to a room."""

    def __init__(self, problem: _Problem):
        self.problem = problem
        count = problem.count
        self.size = [0] * count
        self.apart = [Counter() for _ in range(count)]
        self.roles = [Counter() for _ in range(count)]
        self.leads = [0] * count
        self.countries = [Counter() for _ in range(count)]
        self.organizations = [Counter() for _ in range(count)]
        self.above_lo = 0  # rooms holding hi people: at most problem.extra of them, so every room gets lo

    def blocker(self, u: int, room: int) -> str | None:
        problem = self.problem
        size = self.size[room] + len(problem.units[u])
        if size > problem.hi or (size > problem.lo >= self.size[room] and self.above_lo >= problem.extra):
            return f"rooms of {problem.lo} to {problem.hi} people" if problem.extra else \
                f"rooms of {problem.lo} people"
        for g in problem.unit_apart[u]:
            if self.apart[room][g]:
                return f"keep apart group {g + 1}"
        for role in problem.unit_roles[u]:
            if self.roles[room][role]:
                return f"at most one {role} per room"
        if problem.unit_leads[u] and self.leads[room] and problem.leads_total <= problem.count:
            return "one moderator or facilitator per room"
        return None

    def add(self, u: int, room: int, sign: int = 1) -> None:
        problem = self.problem
        before = self.size[room]
        self.size[room] += sign * len(problem.units[u])
        self.above_lo += (self.size[room] > problem.lo) - (before > problem.lo)
        for g in problem.unit_apart[u]:
            self.apart[room][g] += sign
        for role in problem.unit_roles[u]:
            self.roles[room][role] += sign
        self.leads[room] += sign * problem.unit_leads[u]
        for i in problem.units[u]:
            person = problem.people[i]
            self.countries[room][person.country] += sign
            self.organizations[room][person.organization] += sign

    def has_seat(self, room: int) -> bool:
        size, problem = self.size[room], self.problem
        return size < problem.lo or (size == problem.lo < problem.hi and self.above_lo < problem.extra)

    def remove(self, u: int, room: int) -> None:
        self.add(u, room, -1)

    def rooms_without_lead(self) -> int:
        return sum(1 for n in self.leads if not n)


def _place(problem: _Problem, bound: list[int], free: list[int], key, fill) -> list[int]:
    """A room for every person: bound units by the greedy choice first, backtracking when one fits nowhere;
    then ``fill(state, free)`` deals the free singles, who always fit (the room bounds leave one seat each).

    ``key(state, u, room)`` ranks the rooms for a bound unit. Raises Unsatisfiable naming the unit that
    could not be placed and what blocked it.
    """
    state = _Rooms(problem)
    need_leads_everywhere = problem.leads_total > problem.count
    lead_units_left = problem.lead_units
    candidates: list[list[int] | None] = [None] * len(bound)
    tried = [0] * len(bound)
    unit_room = [0] * len(problem.units)
    placements, budget = 0, len(bound) + SEARCH_BUDGET
    deepest, why_stuck = -1, ""
    position = 0
    while position < len(bound):
        u = bound[position]
        if candidates[position] is None:
            rooms = [room for room in range(problem.count) if state.blocker(u, room) is None]
            candidates[position] = sorted(rooms, key=lambda room: key(state, u, room))
            tried[position] = 0
        else:  # back from a dead end: take the unit out of the room it was tried in
            state.remove(u, unit_room[u])
            lead_units_left += bool(problem.unit_leads[u])
        placed = pruned = False
        while tried[position] < len(candidates[position]) and not placed:
            room = candidates[position][tried[position]]
            tried[position] += 1
            state.add(u, room)
            lead_units_left -= bool(problem.unit_leads[u])
            placements += 1
            if need_leads_everywhere and state.rooms_without_lead() > lead_units_left:
                state.remove(u, room)
                lead_units_left += bool(problem.unit_leads[u])
                pruned = True
            else:
                unit_room[u], placed = room, True
        if placed:
            position += 1
            continue
        if position >= deepest:
            deepest, why_stuck = position, _why_stuck(problem, state, u, pruned)
        candidates[position] = None
        position -= 1
        if position < 0:
            raise Unsatisfiable([f"No way to place everyone; stuck at {why_stuck} (these rules cannot all be met)."])
        if placements > budget:
            raise Unsatisfiable([f"Could not find rooms for everyone in reasonable time; "
                                 f"hardest to place: {why_stuck}."])
    for u, room in zip(free, fill(state, free)):
        unit_room[u] = room
    room_of = [0] * len(problem.people)
    for u, members in enumerate(problem.units):
        for i in members:
            room_of[i] = unit_room[u]
    return room_of


def _why_stuck(problem: _Problem, state: _Rooms, u: int, lead_rule_blocked: bool) -> str:
    """Who could not be placed and the rules in the way, e.g. "Ana, Bo (keep together group 1): keep apart group 2"."""
    reasons = [reason for room in range(problem.count) if (reason := state.blocker(u, room))]
    if lead_rule_blocked:
        reasons.append("one moderator or facilitator per room")
    who = problem.labels(problem.units[u])
    if problem.unit_groups[u]:
        who += f" ({problem.together_name(u).lower()})"
    return f"{who}: {', '.join(sorted(set(reasons))) or 'room sizes'}"


def _rng(seed, purpose: str) -> random.Random:
    # A string seed is hashed the same way on every run, unlike hash() of a tuple.
    return random.Random(f"{seed!r}/{purpose}")


def _constrained_first(problem: _Problem, rng: random.Random) -> tuple[list[int], list[int]]:
    """Units with a lead, a rule or several people (hardest first), and the free singles."""
    shuffle = {u: rng.random() for u in range(len(problem.units))}
    bound, free = [], []
    for u, members in enumerate(problem.units):
        rules = len(problem.unit_apart[u]) + len(problem.unit_roles[u])
        (bound if problem.unit_leads[u] or rules or len(members) > 1 else free).append(u)
    bound.sort(key=lambda u: (not problem.unit_leads[u], -len(problem.units[u]),
                              -len(problem.unit_apart[u]) - len(problem.unit_roles[u]), shuffle[u]))
    free.sort(key=shuffle.__getitem__)
    return bound, free


def _balanced_placement(problem: _Problem, seed) -> list[int]:
    rng = _rng(seed, "balanced")
    bound, free = _constrained_first(problem, rng)
    room_rank = list(range(problem.count))
    rng.shuffle(room_rank)

    def key(state: _Rooms, u: int, room: int):
        return (state.leads[room] if problem.unit_leads[u] else 0, state.size[room], room_rank[room])

    def deal(state: _Rooms, free: list[int]) -> list[int]:
        """Each single (in random order) to the smallest room: a heap of (size, rank, room)."""
        heap = [(state.size[room], room_rank[room], room) for room in range(problem.count)]
        heapq.heapify(heap)
        rooms = []
        for u in free:
            while not state.has_seat(heap[0][2]):
                heapq.heappop(heap)  # a full room never opens again
            size, rank, room = heap[0]
            state.add(u, room)
            heapq.heapreplace(heap, (size + 1, rank, room))
            rooms.append(room)
        return rooms

    return _place(problem, bound, free, key, deal)


def _diverse_placement(problem: _Problem, seed) -> list[int]:
    """Hardest units first, then singles country by country (largest first), each to the room that lacks
    their country, then their organization, then is smallest: dealing them this way spreads each country."""
    bound, free = _constrained_first(problem, _rng(seed, "diverse"))
    country_size = Counter(problem.people[problem.units[u][0]].country for u in free)
    position = {u: p for p, u in enumerate(free)}

    def rank(u):
        person = problem.people[problem.units[u][0]]
        return -country_size[person.country], person.country, person.organization, position[u]

    def key(state: _Rooms, u: int, room: int):
        members = [problem.people[i] for i in problem.units[u]]
        return (state.leads[room] if problem.unit_leads[u] else 0,
                sum(1 for p in members if p.country and state.countries[room][p.country]),
                sum(1 for p in members if p.organization and state.organizations[room][p.organization]),
                state.size[room], room)

    def deal(state: _Rooms, free: list[int]) -> list[int]:
        rooms = []
        for u in free:
            person = problem.people[problem.units[u][0]]
            best, best_score = None, None
            for room in range(problem.count):
                if not state.has_seat(room):
                    continue
                score = (bool(person.country) and state.countries[room][person.country] > 0,
                         bool(person.organization) and state.organizations[room][person.organization] > 0,
                         state.size[room])
                if best is None or score < best_score:
                    best, best_score = room, score
            state.add(u, best)
            rooms.append(best)
        return rooms

    return _place(problem, bound, sorted(free, key=rank), key, deal)


# Improving by swaps -------------------------------------------------------------------------------

# One score, compared as one integer: repeated pairs first, then countries, then organizations.
# A swap changes distinct organizations by at most 4, and countries*10 + organizations by at most 44.
REPEAT_WEIGHT, COUNTRY_WEIGHT, ORGANIZATION_WEIGHT = 100, 10, 1


class _Search:
    """Swaps of two people between rooms, taken only when they improve the score (never worsen it)."""

    def __init__(self, problem: _Problem, room_of: list[int], partners: list[set[int]] | None):
        self.problem = problem
        self.room_of = list(room_of)
        self.partners = partners
        count = problem.count
        self.countries = [Counter() for _ in range(count)]
        self.organizations = [Counter() for _ in range(count)]
        self.apart = [Counter() for _ in range(count)]
        self.met = [[0] * count for _ in problem.people] if partners else None
        for i, room in enumerate(self.room_of):
            self._count(i, room, 1)
        # People bound to others stay where placement put them; everyone else may trade places.
        self.movable = [i for i in range(len(problem.people)) if len(problem.units[problem.unit_of[i]]) == 1]

    def _count(self, i: int, room: int, sign: int) -> None:
        person = self.problem.people[i]
        self.countries[room][person.country] += sign
        self.organizations[room][person.organization] += sign
        for g in self.problem.apart_of[i]:
            self.apart[room][g] += sign
        if self.met is not None:
            for partner in self.partners[i]:
                self.met[partner][room] += sign

    def spread(self) -> tuple[int, int]:
        return (sum(1 for room in self.countries for country, n in room.items() if n and country),
                sum(1 for room in self.organizations for org, n in room.items() if n and org))

    def improve(self, rng: random.Random) -> None:
        people = self.problem.people
        order = list(self.movable)
        for _ in range(MAX_PASSES):
            rng.shuffle(order)
            improved = False
            for a in order:
                room = self.room_of[a]
                person = people[a]
                crowded = (self.countries[room][person.country] > 1 and person.country) or \
                    (self.organizations[room][person.organization] > 1 and person.organization)
                if not crowded and not (self.met is not None and self.met[a][room]):
                    continue
                candidates = order if len(order) <= SWAP_SAMPLE else rng.sample(order, SWAP_SAMPLE)
                best, best_gain = None, 0
                for b in candidates:
                    gain = self._gain(a, b)
                    if gain > best_gain:
                        best, best_gain = b, gain
                if best is not None:
                    self._swap(a, best)
                    improved = True
            if not improved:
                return

    def _gain(self, a: int, b: int) -> int:
        """How much swapping a and b improves the score; 0 when the swap is not allowed."""
        room_a, room_b = self.room_of[a], self.room_of[b]
        problem = self.problem
        if room_a == room_b or problem.role_class[a] != problem.role_class[b]:
            return 0
        if self._blocked(a, b, room_b) or self._blocked(b, a, room_a):
            return 0
        pa, pb = problem.people[a], problem.people[b]
        gain = COUNTRY_WEIGHT * _spread_gain(self.countries[room_a], self.countries[room_b], pa.country, pb.country)
        gain += ORGANIZATION_WEIGHT * _spread_gain(self.organizations[room_a], self.organizations[room_b],
                                                   pa.organization, pb.organization)
        if self.met is not None:
            met_each_other = b in self.partners[a]
            before = self.met[a][room_a] + self.met[b][room_b]
            after = self.met[a][room_b] + self.met[b][room_a] - 2 * met_each_other
            gain += REPEAT_WEIGHT * (before - after)
        return gain

    def _blocked(self, person: int, leaving: int, room: int) -> bool:
        """Would ``person`` share ``room`` with someone they must stay apart from, once ``leaving`` left it?"""
        apart_of = self.problem.apart_of
        return any(self.apart[room][g] - (g in apart_of[leaving]) for g in apart_of[person])

    def _swap(self, a: int, b: int) -> None:
        room_a, room_b = self.room_of[a], self.room_of[b]
        self._count(a, room_a, -1)
        self._count(b, room_b, -1)
        self._count(a, room_b, 1)
        self._count(b, room_a, 1)
        self.room_of[a], self.room_of[b] = room_b, room_a


def _spread_gain(in_a: Counter, in_b: Counter, value_a: str, value_b: str) -> int:
    """Change in distinct values over rooms A and B when a (value_a, in A) and b (value_b, in B) swap."""
    if value_a == value_b:
        return 0
    gain = 0
    if value_a:
        gain += (in_b[value_a] == 0) - (in_a[value_a] == 1)
    if value_b:
        gain += (in_a[value_b] == 0) - (in_b[value_b] == 1)
    return gain


# History and CSV helpers ----------------------------------------------------------------------------

def _rounds(history: Iterable) -> list[list[list]]:
    """Earlier rounds as lists of rooms of person ids, from Assignments, {person: room} or lists of rooms."""
    rounds = []
    for earlier in history:
        if isinstance(earlier, Assignment):
            rounds.append([list(members) for members in earlier.rooms])
        elif isinstance(earlier, Mapping):
            by_room: dict = {}
            for person, room in earlier.items():
                by_room.setdefault(room, []).append(person)
            rounds.append(list(by_room.values()))
        else:
            rounds.append([list(members) for members in earlier])
    return rounds


def _met_pairs(history: Iterable) -> set[frozenset]:
    return {frozenset((a, b)) for rooms in _rounds(history) for members in rooms
            for i, a in enumerate(members) for b in members[i + 1:] if a != b}


def _earlier_partners(problem: _Problem, history: Iterable) -> list[set[int]]:
    partners: list[set[int]] = [set() for _ in problem.people]
    for rooms in _rounds(history):
        for members in rooms:
            present = [problem.index[p] for p in members if p in problem.index]
            for i in present:
                partners[i].update(j for j in present if j != i)
    return partners


def _csv_rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    lines = csv.reader(io.StringIO(text), dialect)
    header = [cell.strip().lower() for cell in next(lines, [])]
    rows = [(lines.line_num, {name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(header)})
            for cells in lines if any(cell.strip() for cell in cells)]
    return header, rows


def _csv_room(value: str, count: int, by_name: dict[str, int]) -> int | None:
    if value.isdigit() and 1 <= int(value) <= count:
        return int(value) - 1
    return by_name.get(value.casefold())


def _not_in_file_note(unplaced: list[Person]) -> str:
    named = ", ".join(person.label for person in unplaced[:10])
    more = f" and {len(unplaced) - 10} more" if len(unplaced) > 10 else ""
    return f"Not in the file, so placed in the smallest rooms: {named}{more}."


def _labels(by_id: Mapping, ids: Iterable) -> str:
    return ", ".join(by_id[p].label for p in ids)
