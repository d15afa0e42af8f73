"""The agenda over HTTP: organizers edit it in place with htmx, everyone reads it in their own timezone and
language, now/next on the workshop home, session pages with materials, and the demo's programme."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.uploads.files import pdf as make_pdf

from workshop.accounts.models import Person
from workshop.agenda import services
from workshop.agenda.models import AgendaSession, Material, SessionKind
from workshop.db import db, utcnow
from workshop.workshops.models import Role, Workshop

COLOMBO, KATHMANDU = ZoneInfo("Asia/Colombo"), ZoneInfo("Asia/Kathmandu")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def workshop(make):
    return make.workshop()  # 18-20 July 2023, host zone Asia/Colombo


@pytest.fixture
def organizer(client, make, workshop):
    someone = make.member(workshop, Role.ORGANIZER, password=None, timezone="Asia/Kathmandu")
    make.sign_in(client, someone)
    return someone


@pytest.fixture
def participant_client(app, make, workshop):
    browser = app.test_client()
    make.sign_in(browser, make.member(workshop, Role.PARTICIPANT, timezone="Asia/Kathmandu"))
    return browser


def fields(**changes) -> dict:
    values = {"kind": "plenary", "title": "Opening session", "starts_at": "2023-07-18T11:30",
              "ends_at": "2023-07-18T12:00", "video_url": "https://zoom.us/j/123", "description": "",
              "speakers": "Dr. Maria Alvarez\nProf. Daniel Okafor", "resource_persons": ""}
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def add(workshop: Workshop, title: str = "Opening session", starts: str = "2023-07-18 11:30", minutes: int = 30,
        *, zone: ZoneInfo = COLOMBO, **extra) -> AgendaSession:
    begins = datetime.fromisoformat(starts).replace(tzinfo=zone)
    session = AgendaSession(workshop_id=workshop.id, kind=extra.pop("kind", SessionKind.PLENARY), title=title,
                            starts_at=begins, ends_at=begins + timedelta(minutes=minutes), **extra)
    db.session.add(session)
    services.agenda_changed(workshop)
    db.session.commit()
    return session


def count_sessions() -> int:
    return db.session.scalar(select(func.count(AgendaSession.id)))


def host(moment: datetime) -> str:
    return moment.astimezone(COLOMBO).strftime("%Y-%m-%d %H:%M")


def session_items(html: str) -> list[str]:
    return re.findall(r'<li class="session .*?</li>', html, re.S)


# Creating, editing, reordering, deleting -------------------------------------------------------------

def test_an_organizer_adds_a_session_with_htmx_and_gets_the_agenda_back(client, make, organizer, workshop):
    answer = make.post(client, f"/w/{workshop.code}/agenda", fields(), headers=HTMX)
    assert answer.status_code == 200
    assert answer.headers["HX-Retarget"] == "#agenda" and answer.headers["HX-Reswap"] == "outerHTML"
    html = answer.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="agenda"') and "Added “Opening session”." in html
    assert "<html" not in html  # a fragment, not a page
    session = db.session.scalar(select(AgendaSession))
    assert session.starts_at == datetime(2023, 7, 18, 6, 0, tzinfo=UTC)  # 11:30 in Colombo, +5:30
    assert session.ends_at == datetime(2023, 7, 18, 6, 30, tzinfo=UTC)
    assert session.speaker_list == ["Dr. Maria Alvarez", "Prof. Daniel Okafor"]
    assert session.video_url == "https://zoom.us/j/123" and session.sequence == 0


def test_without_htmx_adding_redirects_to_the_agenda(client, make, organizer, workshop):
    answer = make.post(client, f"/w/{workshop.code}/agenda", fields())
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/w/{workshop.code}/agenda")
    assert count_sessions() == 1


def test_a_post_without_the_csrf_token_is_refused(client, organizer, workshop):
    answer = client.post(f"/w/{workshop.code}/agenda", data=fields(), headers=HTMX)
    assert answer.status_code == 400 and count_sessions() == 0
    session = add(workshop)
    for path in (f"/w/{workshop.code}/agenda/{session.id}", f"/w/{workshop.code}/agenda/{session.id}/delete",
                 f"/w/{workshop.code}/agenda/{session.id}/move/down", "/me/timezone"):
        assert client.post(path, data=fields(title="Changed", timezone="UTC")).status_code == 400, path
    db.session.refresh(session)
    assert session.title == "Opening session" and count_sessions() == 1
    assert organizer.timezone == "Asia/Kathmandu"


def test_the_new_session_form_starts_on_the_first_day_in_host_time(client, organizer, workshop):
    html = client.get(f"/w/{workshop.code}/agenda/new").get_data(as_text=True)
    assert 'value="2023-07-18T09:00"' in html and 'value="2023-07-18T10:00"' in html
    assert "In Asia/Colombo time" in html


def test_an_organizer_edits_a_session_and_its_sequence_rises(client, make, organizer, workshop):
    session = add(workshop, video_url="https://teams.example.org/x")
    form = client.get(f"/w/{workshop.code}/agenda/{session.id}/edit")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "Edit “Opening session”" in html
    assert 'value="2023-07-18T11:30"' in html and 'value="2023-07-18T12:00"' in html  # host time, not UTC
    assert 'value="Opening session"' in html and "https://teams.example.org/x" in html

    answer = make.post(client, f"/w/{workshop.code}/agenda/{session.id}",
                       fields(title="Opening plenary", starts_at="2023-07-18T11:45", ends_at="2023-07-18T12:15"),
                       headers=HTMX)
    assert answer.status_code == 200 and answer.headers["HX-Retarget"] == "#agenda"
    assert "Saved “Opening plenary”." in answer.get_data(as_text=True)
    db.session.refresh(session)
    assert (session.title, host(session.starts_at), session.sequence) == ("Opening plenary", "2023-07-18 11:45", 1)


def test_an_edit_without_htmx_redirects(client, make, organizer, workshop):
    session = add(workshop)
    answer = make.post(client, f"/w/{workshop.code}/agenda/{session.id}", fields(title="Renamed"))
    assert answer.status_code == 302
    db.session.refresh(session)
    assert session.title == "Renamed"


def test_moving_a_session_swaps_the_slots(client, make, organizer, workshop):
    opening = add(workshop, "Opening", "2023-07-18 11:30", 30)
    lecture = add(workshop, "Lecture", "2023-07-18 12:00", 75)
    answer = make.post(client, f"/w/{workshop.code}/agenda/{lecture.id}/move/up", headers=HTMX)
    assert answer.status_code == 200 and answer.headers["HX-Retarget"] == "#agenda"
    db.session.refresh(opening)
    db.session.refresh(lecture)
    assert (host(lecture.starts_at), host(lecture.ends_at)) == ("2023-07-18 11:30", "2023-07-18 12:45")
    assert (host(opening.starts_at), host(opening.ends_at)) == ("2023-07-18 12:45", "2023-07-18 13:15")
    assert opening.sequence == lecture.sequence == 1
    html = answer.get_data(as_text=True)
    assert html.index("Lecture") < html.index("Opening")

    answer = make.post(client, f"/w/{workshop.code}/agenda/{lecture.id}/move/down")
    assert answer.status_code == 302
    db.session.refresh(opening)
    assert host(opening.starts_at) == "2023-07-18 11:30"


def test_moving_the_first_up_or_the_last_down_is_a_conflict(client, make, organizer, workshop):
    first = add(workshop, "First", "2023-07-18 11:30")
    last = add(workshop, "Last", "2023-07-18 12:00")
    for session, direction in ((first, "up"), (last, "down")):
        answer = make.post(client, f"/w/{workshop.code}/agenda/{session.id}/move/{direction}", headers=HTMX)
        assert answer.status_code == 409
        assert "already the" in answer.get_data(as_text=True)
    assert make.post(client, f"/w/{workshop.code}/agenda/{first.id}/move/sideways").status_code == 400
    db.session.refresh(first)
    db.session.refresh(last)
    assert (host(first.starts_at), first.sequence, host(last.starts_at)) == \
        ("2023-07-18 11:30", 0, "2023-07-18 12:00")


def test_an_organizer_deletes_a_session(client, make, organizer, workshop):
    session = add(workshop)
    session.materials.append(Material(title="Slides", url="https://example.org/slides.pdf"))
    db.session.commit()
    answer = make.post(client, f"/w/{workshop.code}/agenda/{session.id}/delete", headers=HTMX)
    assert answer.status_code == 200 and "Deleted “Opening session”." in answer.get_data(as_text=True)
    assert count_sessions() == 0 and db.session.scalar(select(func.count(Material.id))) == 0


BAD_INPUT = [
    ("end before start", {"ends_at": "2023-07-18T11:00"}, "must end after it starts"),
    ("end equal to start", {"ends_at": "2023-07-18T11:30"}, "must end after it starts"),
    ("before the first day", {"starts_at": "2023-07-17T23:00", "ends_at": "2023-07-17T23:30"},
     "must fall within the workshop"),
    ("over the last midnight", {"starts_at": "2023-07-20T23:30", "ends_at": "2023-07-21T00:30"},
     "must fall within the workshop"),
    ("after the last day", {"starts_at": "2023-07-21T09:00", "ends_at": "2023-07-21T10:00"},
     "must fall within the workshop"),
    ("javascript: URL", {"video_url": "javascript:alert(1)"}, "https://"),
    ("http:// URL", {"video_url": "http://zoom.us/j/123"}, "https://"),
    ("data: URL", {"video_url": "data:text/html,<script>alert(1)</script>"}, "https://"),
    ("URL without a host", {"video_url": "https:///path"}, "https://"),
    ("garbage start", {"starts_at": "next tuesday"}, "Not a valid datetime"),
    ("garbage end", {"ends_at": "2023-13-45T99:99"}, "Not a valid datetime"),
    ("missing title", {"title": "  "}, "This field is required"),
    ("missing start", {"starts_at": None}, "This field is required"),
    ("unknown kind", {"kind": "party"}, "Not a valid choice"),
    ("title too long", {"title": "x" * 201}, "200 characters"),
]


@pytest.mark.parametrize(("changes", "message"), [case[1:] for case in BAD_INPUT],
                         ids=[case[0] for case in BAD_INPUT])
def test_bad_input_is_refused_in_the_form_and_nothing_is_written(client, make, organizer, workshop, changes, message):
    answer = make.post(client, f"/w/{workshop.code}/agenda", fields(**changes), headers=HTMX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert '<form class="session-form"' in html and "HX-Retarget" not in answer.headers  # swapped in place
    assert message in html and 'aria-invalid="true"' in html
    assert count_sessions() == 0


def test_bad_input_in_an_edit_changes_nothing(client, make, organizer, workshop):
    session = add(workshop)
    answer = make.post(client, f"/w/{workshop.code}/agenda/{session.id}",
                       fields(title="Renamed", ends_at="2023-07-18T11:00"), headers=HTMX)
    assert answer.status_code == 400 and "must end after it starts" in answer.get_data(as_text=True)
    db.session.refresh(session)
    assert (session.title, host(session.ends_at), session.sequence) == ("Opening session", "2023-07-18 12:00", 0)


def test_session_moderators_must_be_staff_of_the_workshop(client, make, organizer, workshop):
    participant = make.member(workshop)
    moderator = make.member(workshop, Role.MODERATOR, password=None, name="Mona Moderator")
    outsider = make.person()
    for wrong in (participant, outsider):
        data = fields() | {"moderators": [str(wrong.id)]}
        answer = make.post(client, f"/w/{workshop.code}/agenda", data, headers=HTMX)
        assert answer.status_code == 400
        assert "must be organizers or moderators" in answer.get_data(as_text=True)
    assert count_sessions() == 0
    data = fields() | {"moderators": [str(moderator.id), str(organizer.id)]}
    assert make.post(client, f"/w/{workshop.code}/agenda", data, headers=HTMX).status_code == 200
    session = db.session.scalar(select(AgendaSession))
    assert {p.id for p in session.moderators} == {moderator.id, organizer.id}
    assert "Moderated by" in client.get(f"/w/{workshop.code}/agenda").get_data(as_text=True)


def test_overlapping_sessions_are_saved_and_both_flagged(client, make, organizer, workshop):
    add(workshop, "Breakout A", "2023-07-18 14:45", 45)
    answer = make.post(client, f"/w/{workshop.code}/agenda",
                       fields(title="Breakout B", starts_at="2023-07-18T15:00", ends_at="2023-07-18T15:30"),
                       headers=HTMX)
    assert answer.status_code == 200 and count_sessions() == 2
    add(workshop, "Later", "2023-07-18 16:00", 30)
    items = session_items(client.get(f"/w/{workshop.code}/agenda").get_data(as_text=True))
    flagged = {title for title in ("Breakout A", "Breakout B", "Later")
               for item in items if title in item and "overlaps another session" in item}
    assert flagged == {"Breakout A", "Breakout B"}


def test_a_participant_may_not_edit(participant_client, make, workshop):
    session = add(workshop)
    code = workshop.code
    assert participant_client.get(f"/w/{code}/agenda/new").status_code == 403
    assert participant_client.get(f"/w/{code}/agenda/{session.id}/edit").status_code == 403
    for path in (f"/w/{code}/agenda", f"/w/{code}/agenda/{session.id}", f"/w/{code}/agenda/{session.id}/delete",
                 f"/w/{code}/agenda/{session.id}/move/down", f"/w/{code}/s/{session.id}/materials/link"):
        data = fields(title="Hijacked", url="https://example.org")
        assert make.post(participant_client, path, data, headers=HTMX).status_code == 403, path
    db.session.refresh(session)
    assert (session.title, count_sessions(), session.materials) == ("Opening session", 1, [])
    page = participant_client.get(f"/w/{code}/agenda").get_data(as_text=True)
    assert "Add a session" not in page and "/edit" not in page


def test_unknown_sessions_and_sessions_of_other_workshops_are_not_found(client, make, organizer, workshop):
    other = make.workshop()
    theirs = add(other, "Their session")
    code = workshop.code
    for missing in (theirs.id, 999999):
        assert client.get(f"/w/{code}/agenda/{missing}/edit").status_code == 404
        assert client.get(f"/w/{code}/s/{missing}").status_code == 404
        assert make.post(client, f"/w/{code}/agenda/{missing}", fields()).status_code == 404
        assert make.post(client, f"/w/{code}/agenda/{missing}/delete").status_code == 404
        assert make.post(client, f"/w/{code}/agenda/{missing}/move/up").status_code == 404
    db.session.refresh(theirs)
    assert theirs.title == "Their session" and count_sessions() == 1


# The viewer's timezone and language ---------------------------------------------------------------

def test_a_person_chooses_a_timezone(client, make, workshop):
    person = make.member(workshop, timezone="UTC")
    make.sign_in(client, person)
    answer = make.post(client, "/me/timezone", {"timezone": "Asia/Kathmandu", "next": f"/w/{workshop.code}/agenda"})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/w/{workshop.code}/agenda"
    db.session.refresh(person)
    assert (person.timezone, person.timezone_chosen) == ("Asia/Kathmandu", True)


@pytest.mark.parametrize("name", ["Mars/Base", "", "Asia/../etc/passwd", "UTC+5:45"])
def test_an_unknown_timezone_is_refused_and_not_saved(client, make, workshop, name):
    person = make.member(workshop, timezone="UTC")
    make.sign_in(client, person)
    answer = make.post(client, "/me/timezone", {"timezone": name})
    assert answer.status_code == 400
    text = answer.get_data(as_text=True)
    assert ("Unknown timezone" in text and "IANA name" in text) if name else "Choose a timezone" in text
    db.session.refresh(person)
    assert (person.timezone, person.timezone_chosen) == ("UTC", False)


def test_the_next_address_after_choosing_a_timezone_stays_on_this_site(client, make, workshop):
    make.sign_in(client, make.member(workshop))
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        answer = make.post(client, "/me/timezone", {"timezone": "Asia/Colombo", "next": target})
        assert answer.status_code == 302
        location = answer.headers["Location"]
        assert "evil" not in location, target


def test_a_kathmandu_viewer_sees_kathmandu_times_with_the_host_time_beside(client, organizer, workshop):
    add(workshop, "Opening session", "2023-07-18 11:30", 30)
    html = client.get(f"/w/{workshop.code}/agenda").get_data(as_text=True)
    (item,) = session_items(html)
    assert "11:45" in item and "12:15" in item
    assert "Asia/Kathmandu, UTC+5:45" in item
    assert "Host: 11:30–12:00" in item and "Asia/Colombo, UTC+5:30" in item
    assert "Tuesday, 18 July 2023" in html  # en-GB by default
    assert "Your timezone: Asia/Kathmandu" in html


def test_every_printed_time_carries_its_zone(client, organizer, workshop):
    for day, start in ((18, "11:30"), (19, "23:00"), (20, "09:00")):
        add(workshop, f"Session {day}", f"2023-07-{day} {start}", 50)
    html = client.get(f"/w/{workshop.code}/agenda").get_data(as_text=True)
    items = session_items(html)
    assert len(items) == 4  # the one crossing midnight in Kathmandu shows twice
    for item in items:
        viewer = re.search(r'data-testid="viewer-time">(.*?)</span>\s*</span>|data-testid="viewer-time">(.*?)'
                           r'<small class="zone">([^<]*)</small>', item, re.S)
        assert viewer, item
        assert re.search(r'<small class="zone">Asia/Kathmandu, UTC\+5:45</small>', item)
        assert re.search(r'Host: \d\d:\d\d–\d\d:\d\d <span class="zone">Asia/Colombo, UTC\+5:30</span>', item)


def test_a_session_crossing_midnight_for_the_viewer_shows_under_both_days(client, organizer, workshop):
    session = add(workshop, "Late session", "2023-07-18 23:00", 50)  # 23:15-00:05 in Kathmandu
    html = client.get(f"/w/{workshop.code}/agenda").get_data(as_text=True)
    tuesday = html.index("Tuesday, 18 July 2023")
    wednesday = html.index("Wednesday, 19 July 2023")
    first = html.index(f'id="session-{session.id}-2023-07-18"')
    second = html.index(f'id="session-{session.id}-2023-07-19"')
    assert tuesday < first < wednesday < second
    first_item, second_item = session_items(html)
    assert "23:15" in first_item and "(continues)" in first_item
    assert "(from the day before)" in second_item and "00:05" in second_item


def test_a_host_zone_viewer_sees_no_second_time(client, make, workshop):
    make.sign_in(client, make.member(workshop, timezone="Asia/Colombo"))
    add(workshop, "Opening session", "2023-07-18 11:30", 30)
    (item,) = session_items(client.get(f"/w/{workshop.code}/agenda").get_data(as_text=True))
    assert "11:30" in item and "Asia/Colombo, UTC+5:30" in item and "Host:" not in item


@pytest.mark.parametrize(("language", "heading", "time"), [
    ("de-DE,de;q=0.9,en;q=0.5", "Dienstag, 18. Juli 2023", "11:45"),
    ("en-US,en;q=0.9", "Tuesday, July 18, 2023", "11:45\u202fAM"),
    ("xx-YY, fr;q=0.8", "mardi 18 juillet 2023", "11:45"),
])
def test_dates_and_times_follow_the_browser_language(client, organizer, workshop, language, heading, time):
    add(workshop, "Opening session", "2023-07-18 11:30", 30)
    html = client.get(f"/w/{workshop.code}/agenda", headers={"Accept-Language": language}).get_data(as_text=True)
    assert heading in html
    assert time in session_items(html)[0]


# Now and next --------------------------------------------------------------------------------------

def around_now(make):
    today = utcnow().date()
    return make.workshop(starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1))


def add_at(workshop, title, starts: datetime, minutes: int, **extra) -> AgendaSession:
    session = AgendaSession(workshop_id=workshop.id, kind=SessionKind.PLENARY, title=title, starts_at=starts,
                            ends_at=starts + timedelta(minutes=minutes), **extra)
    db.session.add(session)
    services.agenda_changed(workshop)
    db.session.commit()
    return session


def boundary_of(html: str) -> datetime:
    return datetime.fromisoformat(re.search(r'data-boundary-at="([^"]+)"', html).group(1))


def test_now_and_next_on_the_workshop_home(client, make):
    workshop = around_now(make)
    make.sign_in(client, make.member(workshop))
    now = utcnow().replace(microsecond=0)
    add_at(workshop, "Finished", now - timedelta(hours=2), 60)
    running = add_at(workshop, "Running plenary", now - timedelta(minutes=10), 40, video_url="https://zoom.us/j/9")
    following = add_at(workshop, "Following breakout", now + timedelta(minutes=45), 30)
    add_at(workshop, "Much later", now + timedelta(hours=5), 30)

    for path in (f"/w/{workshop.code}/", f"/w/{workshop.code}/now-next"):
        html = client.get(path).get_data(as_text=True)
        now_part = re.search(r'data-testid="now-session">(.*?)</article>', html, re.S).group(1)
        next_part = re.search(r'data-testid="next-session">(.*?)</article>', html, re.S).group(1)
        assert "Running plenary" in now_part and "Following breakout" in next_part
        assert f'href="/w/{workshop.code}/s/{running.id}">Join</a>' in now_part
        assert 'href="https://zoom.us/j/9"' in now_part
        assert "Finished" not in html and "Much later" not in html
        assert boundary_of(html) == running.ends_at  # 30 min away, before the next start
        assert f'data-countdown-to="{following.starts_at.isoformat()}"' in next_part
        assert "Asia/Kathmandu, UTC+5:45" in now_part


def test_between_sessions_the_boundary_is_the_next_start(client, make):
    workshop = around_now(make)
    make.sign_in(client, make.member(workshop))
    now = utcnow().replace(microsecond=0)
    following = add_at(workshop, "After the break", now + timedelta(minutes=5), 30)
    html = client.get(f"/w/{workshop.code}/now-next").get_data(as_text=True)
    assert 'data-testid="now-session"' not in html and "After the break" in html
    assert boundary_of(html) == following.starts_at


def test_now_and_next_with_nothing_to_show(client, make):
    workshop = around_now(make)
    make.sign_in(client, make.member(workshop))
    html = client.get(f"/w/{workshop.code}/now-next").get_data(as_text=True)
    assert "The agenda has no sessions yet." in html and "data-boundary-at" not in html
    add_at(workshop, "Over", utcnow() - timedelta(hours=3), 60)
    html = client.get(f"/w/{workshop.code}/").get_data(as_text=True)
    assert "sessions are over" in html and "data-boundary-at" not in html
    assert 'data-testid="now-session"' not in html


# The session page and its materials ---------------------------------------------------------------

def test_members_see_the_session_page_with_materials_and_video(participant_client, workshop):
    session = add(workshop, video_url="https://meet.example.org/apo", description="Welcome addresses",
                  speakers="Dr. Maria Alvarez", resource_persons="Prof. Daniel Okafor")
    session.materials.append(Material(title="Programme", url="https://example.org/programme.pdf"))
    db.session.commit()
    answer = participant_client.get(f"/w/{workshop.code}/s/{session.id}")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert 'href="https://meet.example.org/apo"' in html and "Join video" in html
    assert 'href="https://example.org/programme.pdf"' in html and "Programme" in html
    assert "Dr. Maria Alvarez" in html and "Prof. Daniel Okafor" in html and "Welcome addresses" in html
    assert "11:45–12:15" in html and "Host: 11:30–12:00" in html
    assert "Add a link" not in html and "Remove" not in html


def test_people_outside_the_workshop_may_not_see_a_session(client, make, workshop):
    session = add(workshop)
    make.sign_in(client, make.person())
    assert client.get(f"/w/{workshop.code}/s/{session.id}").status_code == 403
    anonymous = client.application.test_client()
    assert anonymous.get(f"/w/{workshop.code}/s/{session.id}").status_code in (302, 401)


def test_an_organizer_adds_and_removes_a_link(client, make, organizer, workshop):
    session = add(workshop)
    path = f"/w/{workshop.code}/s/{session.id}/materials/link"
    answer = make.post(client, path, {"title": "Slides", "url": " https://example.org/slides.pdf "})
    assert answer.status_code == 302
    (material,) = db.session.scalars(select(Material)).all()
    assert (material.title, material.url) == ("Slides", "https://example.org/slides.pdf")
    db.session.refresh(session)
    assert session.sequence == 1
    assert "Slides" in client.get(f"/w/{workshop.code}/s/{session.id}").get_data(as_text=True)

    material_id = material.id
    answer = make.post(client, f"/w/{workshop.code}/s/{session.id}/materials/{material_id}/delete")
    assert answer.status_code == 302 and db.session.scalar(select(func.count(Material.id))) == 0
    answer = make.post(client, f"/w/{workshop.code}/s/{session.id}/materials/{material_id}/delete")
    assert answer.status_code == 404


@pytest.mark.parametrize("url", ["javascript:alert(1)", "http://example.org/slides.pdf",
                                 "data:text/html,hi", "https://", "", "//example.org/x"])
def test_only_https_links_are_accepted_as_materials(client, make, organizer, workshop, url):
    session = add(workshop)
    answer = make.post(client, f"/w/{workshop.code}/s/{session.id}/materials/link", {"title": "Bad", "url": url})
    assert answer.status_code == 400
    assert "https://" in answer.get_data(as_text=True) or "required" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Material.id))) == 0


def test_a_material_of_another_session_cannot_be_removed_through_this_one(client, make, organizer, workshop):
    mine, other = add(workshop, "Mine"), add(workshop, "Other", "2023-07-18 13:00")
    other.materials.append(Material(title="Keep", url="https://example.org/keep"))
    db.session.commit()
    material_id = other.materials[0].id
    answer = make.post(client, f"/w/{workshop.code}/s/{mine.id}/materials/{material_id}/delete")
    assert answer.status_code == 404 and db.session.get(Material, material_id) is not None


# The demo -------------------------------------------------------------------------------------------

def test_the_demo_workshop_has_the_apo_programme(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    workshop = db.session.scalar(select(Workshop))
    sessions = db.session.scalars(select(AgendaSession).where(AgendaSession.workshop_id == workshop.id)
                                  .order_by(AgendaSession.starts_at)).all()
    assert len(sessions) == 14 and workshop.timezone == "Asia/Colombo"
    days = {s.starts_at.astimezone(COLOMBO).date() for s in sessions}
    assert days == {date(2023, 7, 18), date(2023, 7, 19), date(2023, 7, 20)}
    titles = " | ".join(s.title for s in sessions).lower()
    for topic in ("opening", "new approaches", "policy instruments", "opportunities and challenges",
                  "reforming", "breakout", "country reports", "cases of successful innovative", "closing"):
        assert topic in titles, topic
    assert sessions[0].title == "Opening session"
    assert sessions[0].starts_at.astimezone(COLOMBO).strftime("%H:%M") == "11:30"
    assert "closing" in sessions[-1].title.lower()
    for earlier, later in zip(sessions, sessions[1:], strict=False):
        assert earlier.ends_at <= later.starts_at  # no accidental overlaps in the demo
    assert all(s.video_url.startswith("https://") for s in sessions if s.kind != SessionKind.BREAK)
    staff_ids = {p.id for p in db.session.scalars(select(Person))}
    assert all(m.id in staff_ids for s in sessions for m in s.moderators)


def test_the_agenda_page_shows_each_change_at_once(client, make, organizer, workshop):
    session = add(workshop, "Opening session")
    assert "Opening session" in client.get(f"/w/{workshop.code}/agenda").get_data(as_text=True)
    make.post(client, f"/w/{workshop.code}/agenda/{session.id}", fields(title="Opening plenary"), headers=HTMX)
    html = client.get(f"/w/{workshop.code}/agenda").get_data(as_text=True)
    assert "Opening plenary" in html and "Opening session" not in html
    make.post(client, "/me/timezone", {"timezone": "Asia/Colombo"})
    (item,) = session_items(client.get(f"/w/{workshop.code}/agenda").get_data(as_text=True))
    assert "11:30" in item and "Host:" not in item


def test_an_organizer_uploads_a_file_material(app, client, make, organizer, workshop, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    session = add(workshop)
    pdf = make_pdf("Programme")
    path = f"/w/{workshop.code}/s/{session.id}/materials/file"
    answer = make.post(client, path, {"title": "Programme", "file": (io.BytesIO(pdf), "programme.pdf")},
                       content_type="multipart/form-data")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    (material,) = db.session.scalars(select(Material)).all()
    assert material.stored_file.kind == "pdf" and material.url is None
    download = client.get(f"/w/{workshop.code}/s/{session.id}/materials/{material.id}")
    assert download.status_code == 200 and download.data == pdf

    fake = make.post(client, path, {"title": "Fake", "file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "slides.pdf")},
                     content_type="multipart/form-data")
    assert fake.status_code == 400
    assert make.post(client, path, {"title": "None"}, content_type="multipart/form-data").status_code == 400
    assert db.session.scalar(select(func.count(Material.id))) == 1
