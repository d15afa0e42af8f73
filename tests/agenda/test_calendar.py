"""The .ics feeds, read back with vobject (not icalendar, which writes them) and checked octet by octet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import vobject
from flask import url_for

from workshop.accounts.models import Person
from workshop.agenda import services
from workshop.agenda.models import AgendaSession, SessionKind
from workshop.db import db
from workshop.workshops.models import Membership, Role

COLOMBO = ZoneInfo("Asia/Colombo")
LONG_TITLE = ("Mua sắm công đổi mới sáng tạo: cơ hội và thách thức — "
              "혁신적 공공조달의 새로운 접근 방식과 정책 수단, 기회와 과제에 관한 토론")


@pytest.fixture
def session_page(app):
    """The absolute URL of a session's live page, as a calendar app must get it."""

    def url(code: str, session: AgendaSession) -> str:
        with app.test_request_context():
            return url_for("agenda.session_page", code=code, session_id=session.id, _external=True)

    return url


def add_session(workshop, title="Opening plenary", *, day=18, hour=9, minutes=90, **fields) -> AgendaSession:
    starts = datetime(2023, 7, day, hour, 0, tzinfo=COLOMBO)
    session = AgendaSession(workshop_id=workshop.id, kind=fields.pop("kind", SessionKind.PLENARY), title=title,
                            starts_at=starts, ends_at=starts + timedelta(minutes=minutes), **fields)
    db.session.add(session)
    db.session.commit()
    return session


def read(response):
    """The feed as vobject reads it, after the checks every feed must pass."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.get_data()
    assert_rfc5545_lines(body)
    return vobject.readOne(body.decode("utf-8"))


def assert_rfc5545_lines(body: bytes) -> None:
    """CRLF after every line, no bare CR or LF, no line over 75 octets, no UTF-8 character cut by folding."""
    assert body.endswith(b"\r\n")
    lines = body[:-2].split(b"\r\n")
    for line in lines:
        assert b"\n" not in line and b"\r" not in line
        assert len(line) <= 75, line
        line.decode("utf-8")  # a character split across two lines fails here


def events_by_uid(calendar) -> dict[str, object]:
    return {event.uid.value: event for event in calendar.vevent_list}


def raw_lines(response) -> list[str]:
    """Unfolded content lines, to see the exact form a value was written in (e.g. the trailing Z)."""
    return response.get_data(as_text=True).replace("\r\n ", "").split("\r\n")


# The workshop feed ---------------------------------------------------------------------------

def test_workshop_feed_has_every_session_with_times_in_utc_and_join_links(app, client, make, session_page):
    workshop = make.workshop(title="Workshop on Innovative Public Procurement")
    member = make.member(workshop)
    opening = add_session(workshop, "Opening plenary", description="Welcome and objectives.",
                          speakers="Dr. Indra Prasad\nMs. Tanaka Yuki", resource_persons="Mr. Jean Dupont",
                          video_url="https://zoom.us/j/123456789")
    reports = add_session(workshop, "Country reports", day=19, hour=14, minutes=120,
                          kind=SessionKind.COUNTRY_REPORTS)
    make.sign_in(client, member)

    response = client.get(f"/w/{workshop.code}/agenda.ics")

    assert response.headers["Content-Disposition"] == f'attachment; filename="{workshop.code}.ics"'
    calendar = read(response)
    assert calendar.prodid.value
    assert calendar.version.value == "2.0"
    assert calendar.calscale.value == "GREGORIAN"
    assert calendar.method.value == "PUBLISH"
    assert calendar.contents["x-wr-calname"][0].value == "Workshop on Innovative Public Procurement"
    assert calendar.contents["x-wr-timezone"][0].value == "Asia/Colombo"
    events = events_by_uid(calendar)
    assert set(events) == {f"{opening.uid}@workshop-app", f"{reports.uid}@workshop-app"}

    first = events[f"{opening.uid}@workshop-app"]
    assert first.summary.value == "Opening plenary"
    assert first.dtstart.value == datetime(2023, 7, 18, 3, 30, tzinfo=UTC)  # 09:00 in Colombo
    assert first.dtend.value == datetime(2023, 7, 18, 5, 0, tzinfo=UTC)
    assert first.dtstart.value.utcoffset() == timedelta(0)
    assert int(first.sequence.value) == 0
    assert first.location.value == "https://zoom.us/j/123456789"
    assert first.url.value == session_page(workshop.code, opening)
    assert first.categories.value == ["plenary"]
    description = first.description.value
    assert "Welcome and objectives." in description
    assert "Dr. Indra Prasad, Ms. Tanaka Yuki" in description
    assert "Mr. Jean Dupont" in description
    assert f"Join: {session_page(workshop.code, opening)}" in description
    assert "https://zoom.us/j/123456789" in description

    second = events[f"{reports.uid}@workshop-app"]
    assert second.dtstart.value == datetime(2023, 7, 19, 8, 30, tzinfo=UTC)
    assert second.dtend.value == datetime(2023, 7, 19, 10, 30, tzinfo=UTC)
    assert second.categories.value == ["country reports"]
    assert not hasattr(second, "location")  # no video room: no LOCATION rather than an empty one
    assert f"Join: {session_page(workshop.code, reports)}" in second.description.value

    lines = raw_lines(response)
    assert "DTSTART:20230718T033000Z" in lines and "DTEND:20230718T050000Z" in lines
    assert "DTSTART:20230719T083000Z" in lines and "DTEND:20230719T103000Z" in lines
    assert not any(line.startswith("BEGIN:VTIMEZONE") for line in lines)


def test_every_event_has_a_utc_dtstamp_of_now_and_last_modified(app, client, make, session_page):
    workshop = make.workshop()
    member = make.member(workshop)
    session = add_session(workshop)
    make.sign_in(client, member)
    before = datetime.now(UTC).replace(microsecond=0)

    event = read(client.get(f"/w/{workshop.code}/agenda.ics")).vevent

    stamp = event.dtstamp.value
    assert stamp.utcoffset() == timedelta(0)
    assert before <= stamp <= datetime.now(UTC) + timedelta(seconds=1)
    assert event.last_modified.value == session.updated_at.replace(microsecond=0)


def test_uid_stays_and_sequence_rises_when_a_session_is_edited(app, client, make, session_page):
    workshop = make.workshop()
    member = make.member(workshop)
    session = add_session(workshop, "Policy instruments")
    uid = f"{session.uid}@workshop-app"
    make.sign_in(client, member)
    before = events_by_uid(read(client.get(f"/w/{workshop.code}/agenda.ics")))[uid]

    services.update_session(session, workshop, {
        "kind": "plenary", "title": "Policy instruments for innovation",
        "starts_at": "2023-07-18T10:00", "ends_at": "2023-07-18T11:30"})
    db.session.commit()
    after = events_by_uid(read(client.get(f"/w/{workshop.code}/agenda.ics")))

    assert list(after) == [uid]
    assert int(after[uid].sequence.value) == int(before.sequence.value) + 1 == 1
    assert after[uid].summary.value == "Policy instruments for innovation"
    assert after[uid].dtstart.value == datetime(2023, 7, 18, 4, 30, tzinfo=UTC)
    assert after[uid].last_modified.value >= before.last_modified.value

    services.touch(session)  # e.g. a material added
    db.session.commit()
    again = events_by_uid(read(client.get(f"/w/{workshop.code}/agenda.ics")))
    assert int(again[uid].sequence.value) == 2


def test_long_korean_and_vietnamese_text_is_folded_without_cutting_a_character(app, client, make, session_page):
    workshop = make.workshop(title="Hội thảo " + LONG_TITLE[:60])
    member = make.member(workshop)
    add_session(workshop, LONG_TITLE, description=LONG_TITLE * 4, speakers="Nguyễn Thị Hồng Nhung\n김민준 박사")
    make.sign_in(client, member)

    response = client.get(f"/w/{workshop.code}/agenda.ics")

    calendar = read(response)  # checks CRLF, 75 octets and whole characters on every line
    body = response.get_data()
    assert any(line.startswith(b" ") for line in body.split(b"\r\n")), "the long title must have been folded"
    assert calendar.vevent.summary.value == LONG_TITLE
    assert LONG_TITLE * 4 in calendar.vevent.description.value
    assert "Nguyễn Thị Hồng Nhung, 김민준 박사" in calendar.vevent.description.value


def test_a_viewer_in_kathmandu_gets_the_same_utc_feed(app, client, make, session_page):
    workshop = make.workshop()
    in_kathmandu = make.member(workshop, timezone="Asia/Kathmandu")
    in_utc = make.member(workshop, timezone="UTC")
    add_session(workshop, "Crosses midnight in Kathmandu", hour=23, minutes=120)
    feeds = []
    for viewer in (in_kathmandu, in_utc):
        other = app.test_client()
        make.sign_in(other, viewer)
        response = other.get(f"/w/{workshop.code}/agenda.ics")
        read(response)
        feeds.append([line for line in raw_lines(response) if not line.startswith("DTSTAMP:")])

    assert feeds[0] == feeds[1]
    assert "DTSTART:20230718T173000Z" in feeds[0]  # 23:00 Colombo, 23:15 Kathmandu: written as UTC
    assert "DTEND:20230718T193000Z" in feeds[0]


def test_links_use_base_url_when_it_is_set(app, client, make, session_page):
    app.config["BASE_URL"] = "https://workshops.example.gov"
    workshop = make.workshop()
    member = make.member(workshop)
    add_session(workshop)
    make.sign_in(client, member)

    event = read(client.get(f"/w/{workshop.code}/agenda.ics")).vevent

    assert event.url.value.startswith("https://workshops.example.gov/w/")
    assert f"Join: {event.url.value}" in event.description.value


def test_an_empty_agenda_is_still_a_valid_calendar(app, client, make):
    workshop = make.workshop()
    member = make.member(workshop)
    make.sign_in(client, member)

    calendar = read(client.get(f"/w/{workshop.code}/agenda.ics"))

    assert calendar.name == "VCALENDAR"
    assert "vevent" not in calendar.contents


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.MODERATOR, Role.ORGANIZER])
def test_every_member_may_download_the_workshop_feed(app, client, make, role):
    workshop = make.workshop()
    member = make.member(workshop, role)
    make.sign_in(client, member)

    assert client.get(f"/w/{workshop.code}/agenda.ics").status_code == 200


def test_a_non_member_gets_403(app, client, make):
    workshop = make.workshop()
    add_session(workshop)
    outsider = make.member(make.workshop())
    make.sign_in(client, outsider)

    response = client.get(f"/w/{workshop.code}/agenda.ics")

    assert response.status_code == 403
    assert b"BEGIN:VCALENDAR" not in response.get_data()


def test_anonymous_is_sent_to_sign_in(app, client, make):
    workshop = make.workshop()
    add_session(workshop)

    response = client.get(f"/w/{workshop.code}/agenda.ics")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_unknown_workshop_gets_404(app, client, make):
    make.sign_in(client, make.person())

    assert client.get("/w/NO-SUCH-CODE/agenda.ics").status_code == 404


# The personal feed ---------------------------------------------------------------------------

def token_of(person: Person) -> str:
    token = services.calendar_token(person)
    db.session.commit()
    return token


def test_personal_feed_has_the_sessions_of_all_the_persons_workshops_without_sign_in(app, client, make,
                                                                                       session_page):
    first, second = make.workshop(title="Procurement A"), make.workshop(title="Procurement B")
    elsewhere = make.workshop()
    person = make.member(first)
    db.session.add(Membership(workshop=second, person=person, role=Role.MODERATOR))
    db.session.commit()
    opening = add_session(first, "Opening")
    visit = add_session(second, "Site visit", day=20, kind=SessionKind.SITE_VISIT)
    add_session(elsewhere, "Not mine")

    response = client.get(f"/calendar/{token_of(person)}.ics")  # no sign-in: a calendar app asks

    calendar = read(response)
    assert response.headers["Content-Disposition"].startswith("attachment;")
    events = events_by_uid(calendar)
    assert set(events) == {f"{opening.uid}@workshop-app", f"{visit.uid}@workshop-app"}
    assert events[f"{opening.uid}@workshop-app"].url.value == session_page(first.code, opening)
    assert events[f"{visit.uid}@workshop-app"].url.value == session_page(second.code, visit)
    assert f"Join: {session_page(second.code, visit)}" in events[f"{visit.uid}@workshop-app"].description.value
    assert "Procurement B" in events[f"{visit.uid}@workshop-app"].summary.value
    assert events[f"{visit.uid}@workshop-app"].dtstart.value == datetime(2023, 7, 20, 3, 30, tzinfo=UTC)
    assert calendar.contents["x-wr-timezone"][0].value == person.timezone


@pytest.mark.parametrize("token", ["unknown-token", "None", "x" * 65, "%00"])
def test_unknown_token_gets_404(app, client, make, token):
    person = make.member(make.workshop())
    token_of(person)

    response = client.get(f"/calendar/{token}.ics")

    assert response.status_code == 404
    assert b"BEGIN:VCALENDAR" not in response.get_data()


def test_a_person_who_never_asked_for_a_link_has_no_feed(app, client, make):
    make.member(make.workshop())  # calendar_token is NULL

    assert client.get("/calendar/.ics").status_code == 404
    assert client.get("/calendar/None.ics").status_code == 404


# Renewing the secret -------------------------------------------------------------------------

def test_renewing_revokes_the_old_link_and_the_new_one_works(app, client, make):
    workshop = make.workshop()
    person = make.member(workshop)
    add_session(workshop)
    old = token_of(person)
    make.sign_in(client, person)

    response = make.post(client, "/me/calendar/renew",
                         headers={"Referer": f"http://localhost/w/{workshop.code}/agenda?day=2023-07-18"})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/w/{workshop.code}/agenda?day=2023-07-18"
    with client.session_transaction() as flask_session:
        assert any("renewed" in message for _category, message in flask_session["_flashes"])
    new = db.session.get(Person, person.id).calendar_token
    assert new and new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert len(read(client.get(f"/calendar/{new}.ics")).vevent_list) == 1


@pytest.mark.parametrize("referrer", [None, "https://evil.example/phish", "http://localhost//evil.example/x",
                                      "http://localhost/\\evil.example", "javascript:alert(1)"])
def test_renew_goes_back_only_to_a_page_of_this_site(app, client, make, referrer):
    person = make.member(make.workshop())
    make.sign_in(client, person)
    headers = {"Referer": referrer} if referrer else {}

    response = make.post(client, "/me/calendar/renew", headers=headers)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert db.session.get(Person, person.id).calendar_token is not None


def test_renew_without_csrf_token_is_refused_and_changes_nothing(app, client, make):
    person = make.member(make.workshop())
    old = token_of(person)
    make.sign_in(client, person)

    response = client.post("/me/calendar/renew")

    assert response.status_code == 400
    assert db.session.get(Person, person.id).calendar_token == old
    assert client.get(f"/calendar/{old}.ics").status_code == 200


def test_renew_needs_sign_in(app, client, make):
    person = make.member(make.workshop())
    old = token_of(person)

    response = make.post(client, "/me/calendar/renew")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert db.session.get(Person, person.id).calendar_token == old


def test_renew_refuses_get(app, client, make):
    make.sign_in(client, make.member(make.workshop()))

    assert client.get("/me/calendar/renew").status_code == 405


def test_personal_feed_url_makes_the_secret_once_and_the_url_answers(app, client, make):
    from workshop.agenda.calendar_routes import personal_feed_url

    person = make.member(make.workshop())
    with app.test_request_context():
        first = personal_feed_url(person)
        assert personal_feed_url(person) == first
    db.session.expire_all()

    token = db.session.get(Person, person.id).calendar_token
    assert first == f"http://localhost/calendar/{token}.ics"
    assert read(client.get(f"/calendar/{token}.ics")).name == "VCALENDAR"
