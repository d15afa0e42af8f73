"""Time present per person and session: the union of intervals (tabs, workers, manual entries), counted only within
the session's scheduled span, plus the totals kept once intervals were deleted."""

from __future__ import annotations

import random

from tests.attendance.conftest import at
from tests.attendance.union import union_seconds
from workshop.attendance.models import AttendanceInterval, AttendanceSource, AttendanceTotal
from workshop.attendance.services import seconds_attended
from workshop.db import db


def live(scene, person, session, start, end, connection):
    db.session.add(AttendanceInterval(workshop_id=scene.workshop.id, session_id=session.id, person_id=person.id,
                                      started_at=at(start), ended_at=at(end) if end is not None else None,
                                      source=AttendanceSource.LIVE, worker_id="w1", connection_id=connection))


def test_the_union_of_overlapping_intervals_is_counted_once(scene):
    for n, (start, end) in enumerate([(0, 10), (5, 20), (30, 40), (40, 45)]):  # the last one touches the third
        live(scene, scene.nepal, scene.opening, start, end, f"tab-{n}")
    db.session.commit()
    assert seconds_attended(scene.workshop.id) == {scene.nepal.id: {scene.opening.id: 35 * 60}}


def test_time_outside_the_span_does_not_count(scene):
    live(scene, scene.nepal, scene.opening, -30, 10, "early")
    live(scene, scene.nepal, scene.opening, 80, 120, "late")
    live(scene, scene.sri_lanka, scene.opening, -30, -10, "before")
    db.session.commit()
    assert seconds_attended(scene.workshop.id) == {scene.nepal.id: {scene.opening.id: 20 * 60}}


def test_one_sessions_count_is_that_sessions_only(scene):
    live(scene, scene.nepal, scene.opening, 0, 30, "opening")
    live(scene, scene.nepal, scene.panel, 120, 150, "panel")
    db.session.add(AttendanceTotal(workshop_id=scene.workshop.id, session_id=scene.panel.id,
                                   person_id=scene.sri_lanka.id, seconds=600))
    db.session.commit()
    assert seconds_attended(scene.workshop.id, session_id=scene.opening.id) == {
        scene.nepal.id: {scene.opening.id: 1800}}
    assert seconds_attended(scene.workshop.id, session_id=scene.panel.id) == {
        scene.nepal.id: {scene.panel.id: 1800}, scene.sri_lanka.id: {scene.panel.id: 600}}


def test_the_databases_count_matches_the_plain_union_on_random_days(scene):
    """Many overlapping, nested, touching and outlying intervals per pair, counted by the database's window query and
    by the plain union: the same to the second."""
    randomly = random.Random(15)
    expected: dict[int, dict[int, int]] = {}
    for person in (scene.nepal, scene.sri_lanka, scene.moderator):
        for session in (scene.opening, scene.panel):
            offset = (session.starts_at - at(0)).total_seconds() / 60
            spans = []
            for n in range(randomly.randint(1, 12)):
                start = offset + randomly.uniform(-30, 100)
                end = start + randomly.choice([0, randomly.uniform(0, 40)])
                live(scene, person, session, start, end, f"{person.id}-{session.id}-{n}")
                spans.append((at(start), at(end)))
            seconds = int(round(union_seconds(spans, (session.starts_at, session.ends_at)), 3))
            if seconds:
                expected.setdefault(person.id, {})[session.id] = seconds
    db.session.commit()
    counted = seconds_attended(scene.workshop.id)
    for person_id, sessions in expected.items():
        for session_id, seconds in sessions.items():
            assert abs(counted[person_id][session_id] - seconds) <= 1, (person_id, session_id)
    assert {p: set(s) for p, s in counted.items()} == {p: set(s) for p, s in expected.items()}


def test_two_tabs_a_reconnect_and_a_manual_entry(scene):
    live(scene, scene.nepal, scene.opening, 0, 30, "tab-1")
    live(scene, scene.nepal, scene.opening, 10, 40, "tab-2")  # a second tab: counted once
    live(scene, scene.nepal, scene.opening, 41, 60, "tab-1-again")  # reconnected a minute later
    db.session.add(AttendanceInterval(workshop_id=scene.workshop.id, session_id=scene.opening.id,
                                      person_id=scene.nepal.id, started_at=at(55), ended_at=at(70),
                                      source=AttendanceSource.MANUAL, reason="Joined by phone"))
    live(scene, scene.sri_lanka, scene.panel, 100, 150, "tab-3")  # from before the panel starts (at 120)
    db.session.commit()
    assert seconds_attended(scene.workshop.id) == {scene.nepal.id: {scene.opening.id: 69 * 60},
                                                   scene.sri_lanka.id: {scene.panel.id: 30 * 60}}


def test_an_open_interval_counts_until_now(scene):
    live(scene, scene.nepal, scene.opening, 80, None, "still-open")  # the opening ended long ago: 10 minutes
    db.session.commit()
    assert seconds_attended(scene.workshop.id) == {scene.nepal.id: {scene.opening.id: 600}}


def test_kept_totals_count_once_intervals_are_gone(scene):
    db.session.add(AttendanceTotal(workshop_id=scene.workshop.id, session_id=scene.opening.id,
                                   person_id=scene.nepal.id, seconds=3600))
    db.session.commit()
    assert seconds_attended(scene.workshop.id) == {scene.nepal.id: {scene.opening.id: 3600}}
