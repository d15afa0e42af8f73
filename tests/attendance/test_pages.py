"""The attendance pages: the organizers' grid with its filters, legend and totals, a session's list in the viewer's
zone, each person's own attendance, entries by hand (with their bad inputs), exports, deleting intervals, and who
may see what."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.attendance.conftest import add_session, at
from workshop.attendance.models import AttendanceInterval, AttendanceSource, AttendanceTotal
from workshop.attendance.services import BANDS, seconds_attended
from workshop.audit.models import AuditEvent
from workshop.db import db
from workshop.workshops.models import Role


def record(scene, person, session, start, end, connection):
    db.session.add(AttendanceInterval(workshop_id=scene.workshop.id, session_id=session.id, person_id=person.id,
                                      started_at=at(start), ended_at=at(end), source=AttendanceSource.LIVE,
                                      worker_id="w1", connection_id=connection))
    db.session.commit()


@pytest.fixture
def recorded(scene):
    record(scene, scene.nepal, scene.opening, -5, 90, "a")  # the whole opening: 100%
    record(scene, scene.nepal, scene.panel, 120, 150, "b")  # a third of the panel
    record(scene, scene.sri_lanka, scene.opening, 30, 60, "c")
    return scene


def signed_in(client, make, person):
    make.sign_in(client, person)
    return client


def test_the_grid_shows_shares_as_text_and_symbols_with_totals(client, make, recorded):
    page = signed_in(client, make, recorded.organizer).get(f"/w/{recorded.code}/attendance")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Nima Sherpa" in html and "Sunil Perera" in html
    # The number as text, and the band's class, whose symbol the stylesheet draws: not colour alone.
    assert '<td class="att-high">100%</td>' in html and '<td class="att-mid">33%</td>' in html
    assert "75% or more" in html  # the legend in words
    stylesheet = (Path(__file__).parents[2] / "workshop/static/css/attendance.css").read_text()
    for band in BANDS:
        assert f'.{band.css}::before {{ content: "{band.symbol} " / ""; }}' in stylesheet
    assert "2 of 4" in html  # two of the four members were in the opening
    assert "120 min (67%)" in html  # Nima: 90 + 30 of 180 minutes
    assert '<small class="muted">Nepal</small>' in html  # the country's name, as other pages show it


def test_the_grid_filters_by_country_and_role(client, make, recorded):
    signed_in(client, make, recorded.organizer)
    nepal = client.get(f"/w/{recorded.code}/attendance?country=NP").get_data(as_text=True)
    assert "Nima Sherpa" in nepal and "Sunil Perera" not in nepal
    staff = client.get(f"/w/{recorded.code}/attendance?role=moderator").get_data(as_text=True)
    assert "Mona Moderator" in staff and "Nima Sherpa" not in staff
    assert client.get(f"/w/{recorded.code}/attendance?role=king").status_code == 400
    assert client.get(f"/w/{recorded.code}/attendance?country=XX").status_code == 400


def test_a_sessions_list_shows_first_join_and_last_leave_in_the_viewers_zone(client, make, recorded):
    db.session.get(type(recorded.organizer), recorded.organizer.id).timezone = "Asia/Kathmandu"
    db.session.commit()
    html = signed_in(client, make, recorded.organizer).get(
        f"/w/{recorded.code}/attendance/sessions/{recorded.opening.id}").get_data(as_text=True)
    # Nima joined at 03:25 UTC, 09:10 in Kathmandu; left at 05:00 UTC, 10:45.
    assert "9:10" in html and "10:45" in html and "Asia/Kathmandu" in html
    assert html.index("Nima Sherpa") < html.index("Sunil Perera")  # by first join


def test_participants_see_only_their_own_attendance(client, make, recorded):
    signed_in(client, make, recorded.nepal)
    html = client.get(f"/w/{recorded.code}/attendance").get_data(as_text=True)
    assert "My attendance" in html and "100%" in html and "Sunil Perera" not in html
    for path in ("/attendance/sessions/%d" % recorded.opening.id, "/attendance.csv", "/attendance/intervals.csv",
                 "/attendance/manual", "/attendance/delete-intervals"):
        assert client.get(f"/w/{recorded.code}{path}").status_code == 403, path


def test_moderators_see_their_own_not_everyones(client, make, recorded):
    signed_in(client, make, recorded.moderator)
    assert "My attendance" in client.get(f"/w/{recorded.code}/attendance").get_data(as_text=True)
    assert client.get(f"/w/{recorded.code}/attendance.csv").status_code == 403


def test_an_organizer_of_another_workshop_gets_nothing(app, client, make, recorded):
    elsewhere = make.workshop()
    stranger = make.member(elsewhere, Role.ORGANIZER)
    signed_in(client, make, stranger)
    base = f"/w/{recorded.code}/attendance"
    for path in ("", f"/sessions/{recorded.opening.id}", ".csv", "/intervals.csv", "/manual", "/delete-intervals"):
        assert client.get(base + path).status_code == 403, path
    theirs = AttendanceInterval(workshop_id=elsewhere.id, session_id=add_session(elsewhere, "Theirs", at(0), 60).id,
                                person_id=stranger.id, started_at=at(0), ended_at=at(30),
                                source=AttendanceSource.MANUAL, reason="Joined by phone")
    db.session.add(theirs)
    db.session.commit()
    for path in ("/manual", f"/manual/{theirs.id}/remove", "/delete-intervals"):
        assert make.post(client, base + path, {"reason": "x", "confirm": "y"}).status_code == 403, path
    # This workshop's organizer, with the id of an entry of the other workshop: the lookup finds no such entry here.
    organizer = signed_in(app.test_client(), make, recorded.organizer)
    assert make.post(organizer, f"{base}/manual/{theirs.id}/remove", {"reason": "x"},
                     csrf_path=f"{base}/manual").status_code == 404
    assert db.session.get(AttendanceInterval, theirs.id) is not None


def test_csv_exports_of_the_grid_and_of_the_intervals(client, make, recorded):
    signed_in(client, make, recorded.organizer)
    grid = list(csv.reader(io.StringIO(client.get(f"/w/{recorded.code}/attendance.csv").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    assert grid[0][:3] == ["Name", "Country", "Role"] and grid[0][-2:] == ["Total minutes", "Percent of all sessions"]
    nima = next(row for row in grid if row[0] == "Nima Sherpa")
    assert nima[3:7] == ["90", "100", "30", "33"]
    intervals = list(csv.reader(io.StringIO(client.get(f"/w/{recorded.code}/attendance/intervals.csv")
                                            .get_data(as_text=True).lstrip("\ufeff"))))
    assert intervals[0] == ["Person", "Country", "Session", "Started (UTC)", "Ended (UTC)", "Source", "Reason",
                            "Recorded by"]
    assert len(intervals) == 4


def add(client, make, scene, start="2023-07-18T09:00", end="2023-07-18T09:30", reason="Joined by phone",
        person=None):
    return make.post(client, f"/w/{scene.code}/attendance/manual",
                     {"person_id": (person or scene.sri_lanka).id, "session_id": scene.opening.id,
                      "started_at": start, "ended_at": end, "reason": reason},
                     csrf_path=f"/w/{scene.code}/attendance/manual")


def test_an_entry_by_hand_counts_and_is_audit_logged(client, make, scene):
    signed_in(client, make, scene.organizer)
    assert add(client, make, scene).status_code == 302  # 09:00-09:30 Colombo: the first 30 minutes
    assert seconds_attended(scene.workshop.id) == {scene.sri_lanka.id: {scene.opening.id: 1800}}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attendance added by hand"))
    assert event.subject_name == "Sunil Perera" and "Joined by phone" in event.detail


def test_overlapping_entries_by_hand_are_refused_with_a_clear_409(client, make, scene):
    signed_in(client, make, scene.organizer)
    assert add(client, make, scene).status_code == 302
    refused = add(client, make, scene, start="2023-07-18T09:20", end="2023-07-18T10:00", reason="Phone again")
    assert refused.status_code == 409
    assert "overlaps an entry already made by hand" in refused.get_data(as_text=True)
    assert add(client, make, scene, start="2023-07-18T09:30", end="2023-07-18T10:00").status_code == 302  # touching
    assert db.session.scalar(select(func.count()).select_from(AttendanceInterval)) == 2


@pytest.mark.parametrize("start, end, reason, message", [
    ("2023-07-18T10:00", "2023-07-18T09:00", "Phone", "The end must come after the start."),
    ("2023-07-18T09:00", "2023-07-18T10:00", "", "This field is required."),
    ("2023-07-18T09:00", "2023-07-18T10:00", "x" * 501, "Field cannot be longer than 500 characters."),
    ("nonsense", "2023-07-18T10:00", "Phone", "Not a valid datetime value."),
])
def test_bad_entries_by_hand_say_why_and_write_nothing(client, make, scene, start, end, reason, message):
    signed_in(client, make, scene.organizer)
    refused = add(client, make, scene, start=start, end=end, reason=reason)
    assert refused.status_code == 400
    assert message in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AttendanceInterval)) == 0


def test_a_person_of_another_workshop_cannot_be_given_attendance(client, make, scene):
    outsider = make.member(make.workshop())
    signed_in(client, make, scene.organizer)
    assert add(client, make, scene, person=outsider).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(AttendanceInterval)) == 0


def test_an_entry_by_hand_is_removed_with_a_reason(client, make, scene):
    signed_in(client, make, scene.organizer)
    add(client, make, scene)
    entry = db.session.scalar(select(AttendanceInterval))
    path = f"/w/{scene.code}/attendance/manual/{entry.id}/remove"
    csrf = f"/w/{scene.code}/attendance/manual"
    assert make.post(client, path, {"reason": ""}, csrf_path=csrf).status_code == 400
    assert make.post(client, path, {"reason": "Wrong person"}, csrf_path=csrf).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(AttendanceInterval)) == 0
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "attendance entry removed")) \
        .endswith("Reason: Wrong person")
    assert make.post(client, path, {"reason": "Again"}, csrf_path=csrf).status_code == 404


def test_changes_need_the_csrf_token(client, make, scene):
    signed_in(client, make, scene.organizer)
    assert client.post(f"/w/{scene.code}/attendance/delete-intervals", data={"confirm": "y"}).status_code == 400


def test_intervals_are_deleted_only_after_the_workshop_and_totals_are_kept(client, make, recorded):
    signed_in(client, make, recorded.organizer)
    path, before = f"/w/{recorded.code}/attendance/delete-intervals", seconds_attended(recorded.workshop.id)
    recorded.workshop.ends_on = date(2999, 1, 1)
    db.session.commit()
    refused = make.post(client, path, {"confirm": "y"}, csrf_path=path)
    assert refused.status_code == 409 and "has not ended yet" in refused.get_data(as_text=True)
    recorded.workshop.ends_on = date(2023, 7, 20)
    db.session.commit()
    assert make.post(client, path, {}, csrf_path=path).status_code == 400  # not confirmed
    assert db.session.scalar(select(func.count()).select_from(AttendanceInterval)) == 3
    assert make.post(client, path, {"confirm": "y"}, csrf_path=path).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(AttendanceInterval)) == 0
    assert db.session.scalar(select(func.count()).select_from(AttendanceTotal)) == 3
    assert seconds_attended(recorded.workshop.id) == before
    listing = client.get(f"/w/{recorded.code}/attendance/sessions/{recorded.opening.id}").get_data(as_text=True)
    assert "Nima Sherpa" in listing and "90 min" in listing
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "attendance intervals deleted")) \
        .startswith("3 intervals deleted")
    refused = add(client, make, recorded)
    assert refused.status_code == 409 and "only totals" in refused.get_data(as_text=True)


def test_the_home_page_links_to_attendance(client, make, scene):
    signed_in(client, make, scene.nepal)
    assert "My attendance" in client.get(f"/w/{scene.code}/").get_data(as_text=True)


@pytest.mark.parametrize("start, end", [
    ("0001-01-01T00:00", "2023-07-18T10:00"),  # Colombo is east of UTC: before the year 1 in UTC
    ("2023-07-18T09:00", "9999-12-31T23:59"),
])
def test_times_beyond_the_years_a_date_can_hold_are_refused(client, make, scene, start, end):
    signed_in(client, make, scene.organizer)
    refused = add(client, make, scene, start=start, end=end)
    assert refused.status_code == 400
    assert "Choose a time between the years 1900 and 9998." in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AttendanceInterval)) == 0


def test_a_nul_character_in_a_reason_is_refused_when_adding_and_removing(client, make, scene):
    signed_in(client, make, scene.organizer)
    refused = add(client, make, scene, reason="Joined\x00by phone")
    assert refused.status_code == 400 and "NUL character" in refused.get_data(as_text=True)
    assert add(client, make, scene).status_code == 302
    entry = db.session.scalar(select(AttendanceInterval))
    refused = make.post(client, f"/w/{scene.code}/attendance/manual/{entry.id}/remove", {"reason": "Wrong\x00"},
                        csrf_path=f"/w/{scene.code}/attendance/manual")
    assert refused.status_code == 400 and "NUL character" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AttendanceInterval)) == 1


def test_an_entry_number_too_large_for_the_database_is_refused(client, make, scene):
    signed_in(client, make, scene.organizer)
    refused = make.post(client, f"/w/{scene.code}/attendance/manual/99999999999999999999999/remove",
                        {"reason": "Wrong person"}, csrf_path=f"/w/{scene.code}/attendance/manual")
    assert refused.status_code == 400
    assert "not the number of an entry" in refused.get_data(as_text=True)


def test_the_manual_page_has_one_csrf_token_id_and_labels_its_times(client, make, scene):
    signed_in(client, make, scene.organizer)
    add(client, make, scene)
    add(client, make, scene, start="2023-07-18T10:00", end="2023-07-18T10:30")
    html = client.get(f"/w/{scene.code}/attendance/manual").get_data(as_text=True)
    assert html.count('id="csrf_token"') <= 1
    assert f"Opening, Tue 18 Jul 09:00 {scene.workshop.timezone}" in html
    assert 'maxlength="500"' in html
