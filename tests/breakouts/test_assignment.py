"""Breakout assignment as pure functions: worked examples, properties of every mode, and the
generated modes checked against brute force (they raise Unsatisfiable exactly when nothing valid exists)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.breakouts.assignment import (Assignment, Constraints, Person, Rooms, Unsatisfiable, balanced_random,
                                           diverse, from_csv, late_joiner_room, move, quality, rotation, self_select,
                                           violations)

GENERATED = [balanced_random, diverse, rotation]
RULE_WORDS = ("keep apart group", "keep together group", "at most one", "moderator or facilitator", "do not fit")


def team(*specs: str) -> list[Person]:
    """People from "Name country organization role" strings (role optional)."""
    people = []
    for number, spec in enumerate(specs, start=1):
        name, country, organization, *role = spec.split()
        people.append(Person(number, country, organization, role[0] if role else "participant", name,
                             f"{name.lower()}@example.org"))
    return people


def crowd(count: int, countries: int = 4, organizations: int = 6) -> list[Person]:
    return [Person(i, f"C{i % countries}", f"O{i % organizations}", name=f"P{i}") for i in range(count)]


def placed_once(assignment: Assignment, people) -> bool:
    ids = [p for members in assignment.rooms for p in members]
    return sorted(ids) == sorted(person.id for person in people)


def spread(assignment: Assignment, people) -> tuple[int, int]:
    q = quality(assignment, people)
    return sum(q.countries), sum(q.organizations)


# Strategies --------------------------------------------------------------------------------------

ROLES = st.sampled_from(["participant"] * 6 + ["moderator", "facilitator", "rapporteur"])


@st.composite
def rounds(draw, max_people=30, max_rooms=8):
    """People, rooms and constraints of any shape (some impossible to meet)."""
    n = draw(st.integers(0, max_people))
    people = [Person(i, draw(st.sampled_from(["FR", "KE", "BR", "IN", "VN", ""])),
                     draw(st.sampled_from(["o1", "o2", "o3", "o4", ""])), draw(ROLES), f"P{i}")
              for i in range(n)]
    rooms = Rooms(count=draw(st.integers(1, max_rooms)))
    ids = st.sampled_from(range(n)) if n else st.nothing()
    groups = st.lists(st.sets(ids, min_size=2, max_size=4), max_size=3) if n >= 2 else st.just([])
    constraints = Constraints(keep_apart=draw(groups), keep_together=draw(groups),
                              max_one_of_role=draw(st.sets(st.sampled_from(["rapporteur", "moderator"]))),
                              one_facilitator_per_room=draw(st.booleans()))
    return people, rooms, constraints


seeds = st.integers(0, 2**32)


# Properties of the generated modes ---------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(rounds(), seeds, st.sampled_from(GENERATED))
def test_generated_modes_place_everyone_once_in_balanced_rooms_keeping_every_constraint(case, seed, mode):
    people, rooms, constraints = case
    try:
        assignment = mode(people, rooms, seed, constraints)
    except Unsatisfiable as error:
        assert error.problems and all(any(word in problem.lower() for word in RULE_WORDS)
                                      for problem in error.problems), error.problems
        return
    assert len(assignment.rooms) == rooms.count
    assert placed_once(assignment, people)
    assert max(assignment.sizes) - min(assignment.sizes) <= 1
    assert violations(assignment, people, constraints) == []


@settings(max_examples=40, deadline=None)
@given(rounds(max_people=7, max_rooms=3), seeds, st.sampled_from(GENERATED))
def test_generated_modes_raise_exactly_when_no_balanced_assignment_keeps_the_constraints(case, seed, mode):
    people, rooms, constraints = case

    def valid(room_of):
        members = [tuple(p.id for p, r in zip(people, room_of) if r == room) for room in range(rooms.count)]
        sizes = [len(m) for m in members]
        return max(sizes) - min(sizes) <= 1 and not violations(Assignment(tuple(members)), people, constraints)

    possible = any(valid(room_of) for room_of in itertools.product(range(rooms.count), repeat=len(people)))
    try:
        mode(people, rooms, seed, constraints)
    except Unsatisfiable:
        assert not possible
    else:
        assert possible


@settings(max_examples=30, deadline=None)
@given(rounds(), seeds, st.sampled_from(GENERATED))
def test_the_same_seed_gives_the_same_assignment(case, seed, mode):
    people, rooms, constraints = case
    try:
        first = mode(people, rooms, seed, constraints)
    except Unsatisfiable:
        return
    assert mode(list(people), rooms, seed, constraints) == first


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 60), st.integers(1, 8), seeds, st.lists(seeds, min_size=1, max_size=3))
def test_rotation_never_has_more_repeated_pairs_than_balanced_random_for_the_same_seed(n, count, seed, earlier):
    people, rooms = crowd(n), Rooms(count=count)
    history = [balanced_random(people, rooms, s) for s in earlier]

    rotated = rotation(people, rooms, seed, history=history)

    assert quality(rotated, people, history).repeated_pairs <= \
        quality(balanced_random(people, rooms, seed), people, history).repeated_pairs


@settings(max_examples=40, deadline=None)
@given(rounds(), seeds)
def test_diverse_never_spreads_countries_then_organizations_less_than_balanced_random(case, seed):
    people, rooms, constraints = case
    try:
        baseline = balanced_random(people, rooms, seed, constraints)
    except Unsatisfiable:
        return
    assert spread(diverse(people, rooms, seed, constraints), people) >= spread(baseline, people)


# Worked examples of the generated modes ----------------------------------------------------------

def test_balanced_random_sizes_differ_by_at_most_one_and_seeds_differ():
    people = crowd(23)

    first = balanced_random(people, Rooms(count=5), seed=1)

    assert sorted(first.sizes) == [4, 4, 5, 5, 5]
    assert balanced_random(people, Rooms(count=5), seed=2) != first


def test_a_room_size_gives_the_number_of_rooms():
    assert balanced_random(crowd(10), Rooms(size=4), seed=0).sizes in {(4, 3, 3), (3, 4, 3), (3, 3, 4)}
    assert len(balanced_random(crowd(12), Rooms(size=4), seed=0).rooms) == 3


def test_rooms_need_a_count_or_a_size():
    with pytest.raises(ValueError, match="number of rooms or a room size"):
        balanced_random(crowd(4), Rooms(), seed=0)
    with pytest.raises(ValueError, match="at least one room"):
        Rooms(count=0)
    with pytest.raises(ValueError, match="at least one person"):
        Rooms(size=0)


def test_a_person_listed_twice_is_refused():
    with pytest.raises(ValueError, match="only once"):
        balanced_random([Person(1), Person(1)], Rooms(count=1), seed=0)


def test_diverse_puts_one_of_each_country_in_every_room_when_the_numbers_allow():
    people = [Person(i, country, f"org-{country}-{i}") for i, country in enumerate(["FR", "KE", "BR", "IN"] * 3)]

    assignment = diverse(people, Rooms(count=3), seed=7)

    assert quality(assignment, people).countries == (4, 4, 4)


def test_rotation_finds_all_new_partners_when_the_numbers_allow():
    people, rooms = crowd(16), Rooms(count=4)
    first = diverse(people, rooms, seed=1)

    second = rotation(people, rooms, seed=1, history=[first])

    assert quality(balanced_random(people, rooms, 1), people, [first]).repeated_pairs > 0
    assert quality(second, people, [first]).repeated_pairs == 0


def test_rotation_reads_history_as_assignments_mappings_or_lists_of_rooms():
    people, rooms = crowd(12), Rooms(count=3)
    first = balanced_random(people, rooms, seed=3)
    as_mapping = first.room_of()
    as_lists = [list(members) for members in first.rooms]

    results = {rotation(people, rooms, 5, history=[h]) for h in (first, as_mapping, as_lists)}

    assert len(results) == 1


def test_moderators_and_facilitators_spread_one_per_room_where_there_are_enough():
    leads = ["moderator", "facilitator", "moderator"]
    people = crowd(12) + [Person(f"m{i}", role=role) for i, role in enumerate(leads)]
    rule = Constraints(one_facilitator_per_room=True)

    for mode in GENERATED:
        three_rooms = mode(people, Rooms(count=3), 1, rule)
        five_rooms = mode(people, Rooms(count=5), 1, rule)
        two_rooms = mode(people, Rooms(count=2), 1, rule)

        assert [sum(str(p).startswith("m") for p in members) for members in three_rooms.rooms] == [1, 1, 1]
        assert max(sum(str(p).startswith("m") for p in members) for members in five_rooms.rooms) == 1
        assert min(sum(str(p).startswith("m") for p in members) for members in two_rooms.rooms) == 1


def test_keep_together_keep_apart_and_one_rapporteur_per_room_hold_in_every_generated_mode():
    people = crowd(20) + [Person(f"r{i}", role="rapporteur") for i in range(4)]
    rules = Constraints(keep_apart=[{0, 1, 2, 3}], keep_together=[{4, 5, 6}, {7, 8}],
                        max_one_of_role={"rapporteur"})

    for mode in GENERATED:
        assignment = mode(people, Rooms(count=4), 11, rules)

        assert violations(assignment, people, rules) == []
        room_of = assignment.room_of()
        assert len({room_of[i] for i in (0, 1, 2, 3)}) == 4
        assert room_of[4] == room_of[5] == room_of[6] and room_of[7] == room_of[8]


def test_constraints_about_people_not_in_the_round_are_ignored():
    people = crowd(4)

    assignment = balanced_random(people, Rooms(count=3), 0, Constraints(keep_apart=[{0, 1, 2, 99}],
                                                                         keep_together=[{3, 98}]))

    assert placed_once(assignment, people)


# Unsatisfiable constraints are named, with the people ---------------------------------------------

def unsatisfiable(people, rooms, constraints) -> list[str]:
    for mode in GENERATED:
        with pytest.raises(Unsatisfiable) as caught:
            mode(people, rooms, 0, constraints)
    return list(caught.value.problems)


def test_a_keep_together_group_larger_than_a_room_is_named_with_its_people():
    people = team("Ana FR a", "Bo KE b", "Cy BR c", "Di IN d", "Ed FR e", "Fa KE f")

    assert unsatisfiable(people, Rooms(count=3), Constraints(keep_together=[{1, 2, 3}])) == [
        "Keep together group 1 (Ana, Bo, Cy) has 3 people but rooms hold at most 2."]


def test_overlapping_keep_together_groups_merge_and_are_named_together():
    people = team("Ana FR a", "Bo KE b", "Cy BR c", "Di IN d", "Ed FR e", "Fa KE f")

    problems = unsatisfiable(people, Rooms(count=3), Constraints(keep_together=[{1, 2}, {2, 3}]))

    assert problems == ["Keep together groups 1 and 2 (they overlap) (Ana, Bo, Cy) has 3 people "
                        "but rooms hold at most 2."]


def test_a_keep_apart_group_with_more_people_than_rooms_is_named():
    people = team("Ana FR a", "Bo KE b", "Cy BR c", "Di IN d")

    assert unsatisfiable(people, Rooms(count=2), Constraints(keep_apart=[{1, 2, 3}])) == [
        "Keep apart group 1 (Ana, Bo, Cy) has 3 people but there are only 2 rooms."]


def test_people_both_kept_apart_and_kept_together_are_named():
    people = team("Ana FR a", "Bo KE b", "Cy BR c", "Di IN d")

    assert unsatisfiable(people, Rooms(count=2), Constraints(keep_apart=[{1, 2}], keep_together=[{1, 2}])) == [
        "Keep apart group 1 and keep together group 1 both hold Ana, Bo."]


def test_more_people_than_the_rooms_hold_is_refused():
    people = crowd(7)

    assert unsatisfiable(people, Rooms(count=2, size=3), Constraints()) == [
        "7 people do not fit in 2 rooms of at most 3."]


def test_more_holders_of_a_limited_role_than_rooms_are_named():
    people = team("Ana FR a rapporteur", "Bo KE b rapporteur", "Cy BR c rapporteur", "Di IN d")

    assert unsatisfiable(people, Rooms(count=2), Constraints(max_one_of_role={"rapporteur"})) == [
        "At most one rapporteur per room: there are 3 (Ana, Bo, Cy) for 2 rooms."]


def test_facilitators_bound_together_are_named():
    people = team("Ana FR a moderator", "Bo KE b facilitator", "Cy BR c", "Di IN d")

    problems = unsatisfiable(people, Rooms(count=2), Constraints(keep_together=[{1, 2}],
                                                                  one_facilitator_per_room=True))

    assert problems == ["One moderator or facilitator per room, but keep together group 1 holds Ana, Bo."]


def test_every_broken_rule_is_listed_at_once():
    people = team("Ana FR a rapporteur", "Bo KE b rapporteur", "Cy BR c rapporteur", "Di IN d")

    problems = unsatisfiable(people, Rooms(count=2), Constraints(keep_apart=[{2, 3, 4}],
                                                                  max_one_of_role={"rapporteur"}))

    assert len(problems) == 2
    assert "Keep apart group 1 (Bo, Cy, Di)" in problems[0] and "rapporteur" in problems[1]


def test_groups_that_cannot_be_packed_into_balanced_rooms_are_named():
    people = team("Ana FR a", "Bo KE b", "Cy BR c", "Di IN d", "Ed FR e", "Fa KE f")

    problems = unsatisfiable(people, Rooms(count=2), Constraints(keep_together=[{1, 2}, {3, 4}, {5, 6}]))

    assert len(problems) == 1
    assert problems[0].startswith("No way to place everyone; stuck at ")
    assert "keep together group" in problems[0] and "rooms of 3 people" in problems[0]


# Manual moves ------------------------------------------------------------------------------------

def test_move_returns_a_new_assignment_and_quality_reports_uneven_sizes():
    people = crowd(6)
    before = Assignment(((0, 1, 2), (3, 4, 5)))

    after = move(move(before, 3, 0), 4, 0)

    assert before.rooms == ((0, 1, 2), (3, 4, 5))
    assert after.rooms == ((0, 1, 2, 3, 4), (5,))
    assert quality(after, people).notes == ("Room sizes differ by 4 (from 1 to 5 people).",)
    assert quality(before, people).notes == ()


def test_move_to_a_room_that_does_not_exist_or_of_a_stranger_is_refused():
    before = Assignment(((0, 1), (2,)))

    with pytest.raises(ValueError, match="no room 3"):
        move(before, 0, 2)
    with pytest.raises(ValueError, match="no room 0"):
        move(before, 0, -1)
    with pytest.raises(ValueError, match="not in this assignment"):
        move(before, 9, 1)


def test_quality_with_constraints_reports_what_a_manual_move_broke():
    people = team("Ana FR a", "Bo KE b", "Cy BR c", "Di IN d")
    rules = Constraints(keep_apart=[{1, 2}], keep_together=[{3, 4}])

    moved = move(move(Assignment(((1, 3, 4), (2,))), 2, 0), 4, 1)

    assert quality(moved, people, constraints=rules).notes == (
        "Room sizes differ by 2 (from 1 to 3 people).",
        "Keep apart group 1 (Ana, Bo) shares a room.",
        "Keep together group 1 (Cy, Di) is split.")


# Self-selection ----------------------------------------------------------------------------------

def test_self_select_is_first_come_first_served_and_overflow_goes_to_the_smallest_room_with_space():
    people = team("Ana FR a", "Bo KE b", "Cy BR c", "Di IN d", "Ed FR e")
    choices = {1: 0, 2: 0, 3: 0, 4: 7}

    assignment = self_select(people, choices, capacities=[2, 2, 2], order=[3, 2, 1, 4, 5])

    assert assignment.rooms == ((3, 2), (1, 5), (4,))
    assert assignment.notes == ("Ana chose Room 1, which was full; placed in Room 2.",
                                "Di chose a room that does not exist (7); placed in Room 3.",
                                "Ed chose no room; placed in Room 2.")


def test_self_select_refuses_more_people_than_seats_naming_the_capacities():
    with pytest.raises(Unsatisfiable,
                       match=r"5 people do not fit in rooms that hold 4 in all \(Room 1: 3, Room 2: 1\)"):
        self_select(crowd(5), {}, capacities=[3, 1])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 25).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.integers(0, 6), min_size=1, max_size=5).filter(lambda caps: sum(caps) >= n),
    st.lists(st.one_of(st.none(), st.integers(-1, 6)), min_size=n, max_size=n), st.permutations(range(n)))))
def test_self_select_honors_capacity_and_gives_each_their_choice_while_it_has_space(case):
    n, capacities, wanted, order = case
    people = crowd(n)
    choices = {i: room for i, room in enumerate(wanted) if room is not None}

    assignment = self_select(people, choices, capacities, order=order)

    assert placed_once(assignment, people)
    assert all(size <= cap for size, cap in zip(assignment.sizes, capacities))
    room_of, taken = assignment.room_of(), [0] * len(capacities)
    for person in order:
        choice = choices.get(person)
        if choice is not None and 0 <= choice < len(capacities) and taken[choice] < capacities[choice]:
            taken[choice] += 1
            assert room_of[person] == choice


# CSV import --------------------------------------------------------------------------------------

PEOPLE = team("Ana FR a", "Bo KE b", "Cy BR c", "Di IN d", "Ed FR e")
NAMED = Rooms(names=("Open contracting", "Beneficial ownership"))


def test_csv_by_email_with_room_numbers_and_names():
    text = ("\ufeffEmail,Room\nana@example.org,2\nBO@example.org,open contracting\n"
            "cy@example.org,Beneficial ownership\ndi@example.org,1\ned@example.org,2\n")

    result = from_csv(text, PEOPLE, NAMED)

    assert result.errors == ()
    assert result.assignment == Assignment(((2, 4), (1, 3, 5)))


def test_csv_by_id_with_semicolons():
    result = from_csv("id;room\n1;1\n2;1\n3;2\n4;2\n5;2\n", PEOPLE, Rooms(count=2))

    assert result.errors == () and result.assignment.rooms == ((1, 2), (3, 4, 5))


def test_csv_row_errors_are_listed_by_line_and_unlisted_people_go_to_the_smallest_rooms():
    text = ("email,room\nana@example.org,1\nnobody@example.org,1\nbo@example.org,9\ncy@example.org,Plenary\n"
            "ana@example.org,2\n,1\ndi@example.org,\n")

    result = from_csv(text, PEOPLE, NAMED)

    assert result.errors == (
        "Line 3: nobody with email nobody@example.org is in this round.",
        "Line 4: there is no room '9' (give 1 to 2 or a room's name).",
        "Line 5: there is no room 'Plenary' (give 1 to 2 or a room's name).",
        "Line 6: ana@example.org is already placed on line 2; this line is ignored.",
        "Line 7: the email is empty.",
        "Line 8: there is no room '' (give 1 to 2 or a room's name).")
    assert result.assignment.rooms == ((1, 3, 5), (2, 4))
    assert result.assignment.notes == ("Not in the file, so placed in the smallest rooms: Bo, Cy, Di, Ed.",)


def test_csv_without_the_needed_columns_is_one_error_and_everyone_is_still_placed():
    result = from_csv("name,group\nAna,1\n", PEOPLE, NAMED)

    assert result.errors == ("Line 1: the file needs an 'email' or 'id' column and a 'room' column "
                             "(it has: name, group).",)
    assert placed_once(result.assignment, PEOPLE)


def test_an_empty_csv_is_one_error():
    assert from_csv("", PEOPLE, NAMED).errors == ("Line 1: the file needs an 'email' or 'id' column and a 'room' "
                                                 "column (it has: no columns).",)


# Quality -----------------------------------------------------------------------------------------

def test_quality_counts_sizes_countries_organizations_and_pairs_met_before():
    people = team("Ana FR x", "Bo FR y", "Cy KE x", "Di BR z", "Ed FR x")
    earlier = [Assignment(((1, 2, 3), (4, 5)))]

    q = quality(Assignment(((1, 2, 4), (3, 5))), people, earlier)

    assert (q.sizes, q.countries, q.organizations) == ((3, 2), (2, 2), (3, 1))
    assert q.repeated_pairs == 1  # Ana and Bo; Cy and Ed never met
    assert q.size_spread == 1


# Late joiners ----------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(rounds(max_people=20, max_rooms=6), seeds, st.lists(st.one_of(st.none(), st.integers(0, 8)), max_size=6),
       ROLES, st.sampled_from(["FR", "KE", ""]))
def test_a_late_joiner_goes_to_the_smallest_room_that_fits_or_is_told_why_not(case, seed, capacities, role, country):
    people, rooms, constraints = case
    rooms_of_people = [list(members) for members in (
        [p for p in people if p.id % rooms.count == room] for room in range(rooms.count))]
    late = Person("late", country, "o1", role, "Late")
    # The newcomer is named in every rule, as a late joiner on a workshop's lists would be.
    constraints = Constraints(keep_apart=[g | {"late"} for g in constraints.keep_apart],
                              keep_together=[g | {"late"} for g in constraints.keep_together],
                              max_one_of_role=constraints.max_one_of_role,
                              one_facilitator_per_room=constraints.one_facilitator_per_room)
    limits = capacities + [None] * (rooms.count - len(capacities))

    def fits(room):
        """A seat, nobody to keep apart from, no second holder of a role limited to one: the rules' own words."""
        members = rooms_of_people[room]
        apart = any(p.id in group for group in constraints.keep_apart if "late" in group for p in members)
        second = role in constraints.max_one_of_role and any(p.role == role for p in members)
        return (limits[room] is None or len(members) < limits[room]) and not apart and not second

    room, note = late_joiner_room(late, rooms_of_people, constraints, capacities)
    assert 0 <= room < rooms.count
    fitting = [r for r in range(rooms.count) if fits(r)]
    if fitting:
        assert note is None and room in fitting
        together = any("late" in g and len(g) > 1 for g in constraints.keep_together)
        spreading = constraints.one_facilitator_per_room and role in ("moderator", "facilitator")
        if not together and not spreading:
            assert len(rooms_of_people[room]) == min(len(rooms_of_people[r]) for r in fitting)
    else:
        assert note is not None and "Late" in note


def test_a_late_joiner_follows_the_person_they_are_kept_together_with():
    ana, bo, late = team("Ana FR o1", "Bo KE o2", "Late VN o3")
    constraints = Constraints(keep_together=[{ana.id, late.id}])
    assert late_joiner_room(late, [[ana, bo], []], constraints) == (0, None)
    assert late_joiner_room(late, [[ana, bo], []], constraints, capacities=[2, None])[0] == 1, "no seat left"
