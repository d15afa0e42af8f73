"""Time present per person and session: the union of intervals (tabs, workers, manual entries), counted only within
the session's scheduled span, plus the totals kept once intervals were deleted."""

from __future__ import annotations

from workshop.attendance.models import AttendanceInterval, AttendanceSource, AttendanceTotal
from workshop.attendance.services import merged_seconds, seconds_attended
from workshop.db import db

from tests.attendance.conftest import at


def live(scene, person, session, start, end, connection):
    db.session.add(AttendanceInterval(workshop_id=scene.workshop.id, session_id=session.id, person_id=person.id,
                                      started_at=at(start), ended_at=at(end) if end is not None else None,
                                      source=AttendanceSource.LIVE, worker_id="w1", connection_id=connection))


def test_the_union_of_overlapping_intervals_is_counted_once():
    assert merged_seconds([(at(0), at(10)), (at(5), at(20)), (at(30), at(40))], (at(0), at(90))) == 30 * 60


def test_time_outside_the_span_does_not_count():
    assert merged_seconds([(at(-30), at(10)), (at(80), at(120))], (at(0), at(90))) == 20 * 60
    assert merged_seconds([(at(-30), at(-10))], (at(0), at(90))) == 0


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


def test_kept_totals_count_once_intervals_are_gone(scene):
    db.session.add(AttendanceTotal(workshop_id=scene.workshop.id, session_id=scene.opening.id,
                                   person_id=scene.nepal.id, seconds=3600))
    db.session.commit()
    assert seconds_attended(scene.workshop.id) == {scene.nepal.id: {scene.opening.id: 3600}}
