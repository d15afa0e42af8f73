"""Certificates through the app, on SQLite and PostgreSQL: the rule's preview and application, issuing after
the end (by the rule, by hand), the PDFs and the ZIP, access, and the public verification page."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.certificates.pdf_reading import qr_codes
from workshop.agenda.models import AgendaSession, SessionKind
from workshop.attendance.models import AttendanceInterval, AttendanceSource
from workshop.audit.models import AuditEvent
from workshop.certificates import pdf, services
from workshop.certificates.models import Certificate, CertificateRule
from workshop.db import db
from workshop.workshops.models import Role

MORNING = datetime(2023, 7, 18, 3, 30, tzinfo=UTC)  # 09:00 in Colombo


class Scene:
    def __init__(self, make, **workshop_fields):
        self.workshop = make.workshop(implementing_organizations="APO Secretariat", **workshop_fields)
        self.organizer = make.member(self.workshop, Role.ORGANIZER, name="Chandrika Abeywardena", country="LK")
        self.present = make.member(self.workshop, name="김민준", country="KR")
        self.absent = make.member(self.workshop, name="Sunil Perera", country="LK")
        first = self.session(MORNING, SessionKind.PLENARY)
        second = self.session(MORNING + timedelta(hours=2), SessionKind.PLENARY)
        self.attend(self.present, first, minutes=90)
        self.attend(self.present, second, minutes=90)
        self.attend(self.absent, first, minutes=45)  # 25% of the plenary minutes
        db.session.commit()

    @property
    def code(self) -> str:
        return self.workshop.code

    def session(self, starts: datetime, kind: SessionKind) -> AgendaSession:
        session = AgendaSession(workshop=self.workshop, kind=kind, title=f"{kind} at {starts:%H:%M}",
                                starts_at=starts, ends_at=starts + timedelta(minutes=90))
        db.session.add(session)
        db.session.flush()
        return session

    def attend(self, person, session: AgendaSession, minutes: int) -> None:
        db.session.add(AttendanceInterval(workshop_id=self.workshop.id, session_id=session.id, person_id=person.id,
                                          started_at=session.starts_at,
                                          ended_at=session.starts_at + timedelta(minutes=minutes),
                                          source=AttendanceSource.MANUAL, reason="joined by phone"))

    def apply(self, client, make, kind="plenary share", threshold="75", **extra):
        make.sign_in(client, self.organizer)
        return make.post(client, f"/w/{self.code}/certificates/rule", {"kind": kind, "threshold": threshold, **extra},
                         csrf_path=f"/w/{self.code}/certificates")


    def get_own(self, client, make):
        """The participant's *Get my certificate*: issue if eligible, then the redirect to the download."""
        return make.post(client, f"/w/{self.code}/certificate", {}, csrf_path=f"/w/{self.code}/")

    def issue_all(self, client, make):
        return make.post(client, f"/w/{self.code}/certificates/issue-all", {},
                         csrf_path=f"/w/{self.code}/certificates")


@pytest.fixture
def scene(app, make):
    return Scene(make)


def verify_address(response) -> str:
    """The verification address a flash shows once, when a certificate is issued."""
    return re.search(r"http://localhost/verify/[A-Z2-7]{24}", response.get_data(as_text=True)).group(0)


def rule_row(scene):
    return db.session.get(CertificateRule, scene.workshop.id)


def test_the_preview_says_who_qualifies(client, make, scene):
    make.sign_in(client, scene.organizer)
    page = client.get(f"/w/{scene.code}/certificates?kind=plenary+share&threshold=75").get_data(as_text=True)
    assert "<strong>1</strong> of 2 participants qualify" in page
    assert "김민준" in page and "100%" in page and "Sunil Perera" in page and "25%" in page
    assert rule_row(scene) is None, "a preview applies nothing"


def test_a_rule_no_one_meets_is_said_before_applying_and_refused_unless_confirmed(client, make, scene):
    make.sign_in(client, scene.organizer)
    page = client.get(f"/w/{scene.code}/certificates?kind=sessions&threshold=5").get_data(as_text=True)
    assert "No one qualifies" in page
    refused = scene.apply(client, make, kind="sessions", threshold="5")
    assert refused.status_code == 409
    assert "No participant meets this rule" in refused.get_data(as_text=True)
    assert rule_row(scene) is None
    assert scene.apply(client, make, kind="sessions", threshold="5", even_if_nobody="y").status_code == 302
    assert (rule_row(scene).kind, rule_row(scene).threshold) == ("sessions", 5)


@pytest.mark.parametrize("kind, threshold", [("plenary share", "101"), ("plenary share", "x"), ("minutes", "5"),
                                             ("sessions", "0")])
def test_a_bad_rule_is_refused_with_its_reason(client, make, scene, kind, threshold):
    response = scene.apply(client, make, kind=kind, threshold=threshold)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Give a" in page or "Choose a share of the plenary minutes or a number of sessions." in page
    assert rule_row(scene) is None


def test_applying_a_rule_is_audited(client, make, scene):
    assert scene.apply(client, make).status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == services.RULE_APPLIED))
    assert "75% of the plenary minutes" in event.detail and "1 qualify" in event.detail


def test_an_eligible_participant_gets_their_certificate_by_a_post_then_downloads_the_stored_pdf(client, make,
                                                                                               scene):
    scene.apply(client, make)
    make.sign_in(client, scene.present)
    assert "Get my certificate" in client.get(f"/w/{scene.code}/").get_data(as_text=True)
    assert client.get(f"/w/{scene.code}/certificate.pdf").status_code == 404, "a GET issues nothing"
    assert db.session.scalar(select(Certificate)) is None
    issued = scene.get_own(client, make)
    assert issued.status_code == 303 and issued.location.endswith(f"/w/{scene.code}/certificate.pdf")
    first = client.get(f"/w/{scene.code}/certificate.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf" and first.data.startswith(b"%PDF")
    certificate = db.session.scalar(select(Certificate))
    assert certificate.name == "김민준" and certificate.country == "KR"
    address = verify_address(client.get(f"/w/{scene.code}/"))  # the flash, shown once
    assert qr_codes(first.data) == [address]
    assert services.find_by_code(address.rsplit("/", 1)[1]) == certificate
    assert "Download your certificate" in client.get(f"/w/{scene.code}/").get_data(as_text=True)
    # Asking again issues nothing new, and every download is the same stored file.
    assert scene.get_own(client, make).status_code == 303
    assert client.get(f"/w/{scene.code}/certificate.pdf").data == first.data
    assert db.session.scalars(select(Certificate)).all() == [certificate]


def test_the_pdf_is_drawn_once_when_issued_and_served_from_storage(client, make, scene, monkeypatch):
    scene.apply(client, make)
    make.sign_in(client, scene.present)
    scene.get_own(client, make)
    certificate = db.session.scalar(select(Certificate))
    assert certificate.pdf_file.kind == "pdf" and certificate.pdf_file.size > 1000

    def no_drawing(*args):
        raise AssertionError("a download must not draw the PDF again")

    monkeypatch.setattr(pdf, "render", no_drawing)
    assert client.get(f"/w/{scene.code}/certificate.pdf").status_code == 200
    make.sign_in(client, scene.organizer)
    assert client.get(f"/w/{scene.code}/certificates/{scene.present.id}.pdf").status_code == 200
    assert client.get(f"/w/{scene.code}/certificates.zip").status_code == 200


def test_the_verification_code_is_kept_only_as_its_digest(app, client, make, scene):
    scene.apply(client, make)
    make.sign_in(client, scene.present)
    scene.get_own(client, make)
    code = verify_address(client.get(f"/w/{scene.code}/")).rsplit("/", 1)[1]
    columns = {column.name for column in Certificate.__table__.columns}
    assert "code" not in columns
    row = db.session.execute(select(Certificate.__table__)).one()
    assert code not in [str(value) for value in row], "the plain code is stored nowhere in the row"
    make.sign_in(client, scene.organizer)
    assert code not in client.get(f"/w/{scene.code}/certificates").get_data(as_text=True)


def test_a_missing_font_answers_503_and_issues_nothing(app, client, make, scene, tmp_path):
    scene.apply(client, make)
    app.config["CERTIFICATE_FONT_CACHE"] = str(tmp_path)  # an empty cache: the fonts were never prepared
    make.sign_in(client, scene.present)
    response = scene.get_own(client, make)
    assert response.status_code == 503
    assert "fonts for them are not prepared" in response.get_data(as_text=True)
    assert list(tmp_path.iterdir()) == [], "no font is made inside a request"
    assert db.session.scalar(select(Certificate)) is None


def test_the_home_page_counts_only_the_viewers_own_attendance(client, make, scene, monkeypatch):
    scene.apply(client, make)
    asked = []
    real = services.seconds_attended

    def spy(workshop_id, person_id=None):
        asked.append(person_id)
        return real(workshop_id, person_id)

    monkeypatch.setattr(services, "seconds_attended", spy)
    make.sign_in(client, scene.absent)
    assert "does not meet it" in client.get(f"/w/{scene.code}/").get_data(as_text=True)
    assert asked == [scene.absent.id]


def test_an_ineligible_participant_is_told_why(client, make, scene):
    scene.apply(client, make)
    make.sign_in(client, scene.absent)
    response = scene.get_own(client, make)
    assert response.status_code == 403
    assert "the attendance recorded for you is 25% of the plenary minutes" in response.get_data(as_text=True)
    assert "does not meet it" in client.get(f"/w/{scene.code}/").get_data(as_text=True)
    assert db.session.scalar(select(Certificate)) is None


def test_no_certificate_before_the_workshop_ends(app, client, make):
    tomorrow = date.today() + timedelta(days=1)
    scene = Scene(make, starts_on=tomorrow - timedelta(days=2), ends_on=tomorrow)
    scene.apply(client, make)
    make.sign_in(client, scene.present)
    response = scene.get_own(client, make)
    assert response.status_code == 409
    assert "issued after the workshop ends" in response.get_data(as_text=True)
    make.sign_in(client, scene.organizer)
    assert scene.issue_all(client, make).status_code == 409
    assert client.get(f"/w/{scene.code}/certificates.zip").status_code == 409
    by_hand = make.post(client, f"/w/{scene.code}/certificates/issue",
                        {"person": scene.absent.id, "reason": "Joined by phone"}, csrf_path=f"/w/{scene.code}/certificates")
    assert by_hand.status_code == 409
    assert db.session.scalar(select(Certificate)) is None


def test_organizers_issue_certificates_then_download_all_as_a_zip_and_issue_one_by_hand(client, make, scene):
    scene.apply(client, make)
    assert client.get(f"/w/{scene.code}/certificates.zip").status_code == 404, "a GET issues nothing"
    assert db.session.scalar(select(Certificate)) is None
    issued = scene.issue_all(client, make)
    assert issued.status_code == 302
    assert "1 certificate issued" in client.get(issued.location).get_data(as_text=True)
    assert client.post(f"/w/{scene.code}/certificates/issue-all").status_code == 400, "without the CSRF token"
    archive = client.get(f"/w/{scene.code}/certificates.zip")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert names == [f"{scene.code}-certificate-김민준.pdf"]

    page = f"/w/{scene.code}/certificates"
    no_reason = make.post(client, f"/w/{scene.code}/certificates/issue", {"person": scene.absent.id, "reason": " "},
                          csrf_path=page)
    assert no_reason.status_code == 400
    assert services.certificate_for(scene.workshop, scene.absent.id) is None
    issued = make.post(client, f"/w/{scene.code}/certificates/issue",
                       {"person": scene.absent.id, "reason": "Joined the second day by phone"}, csrf_path=page)
    assert issued.status_code == 302
    address = verify_address(client.get(issued.location))
    certificate = services.certificate_for(scene.workshop, scene.absent.id)
    assert services.find_by_code(address.rsplit("/", 1)[1]) == certificate
    assert certificate.manual and certificate.reason == "Joined the second day by phone"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == services.ISSUED_BY_HAND))
    assert event.subject_id == scene.absent.id and event.detail == "Joined the second day by phone"
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/w/{scene.code}/certificates.zip").data))
    assert len(archive.namelist()) == 2
    single = client.get(f"/w/{scene.code}/certificates/{scene.absent.id}.pdf")
    assert single.status_code == 200 and single.data.startswith(b"%PDF")


def test_issuing_by_hand_to_someone_who_holds_one_or_to_a_stranger_is_refused(client, make, scene):
    scene.apply(client, make)
    scene.issue_all(client, make)
    page, issue = f"/w/{scene.code}/certificates", f"/w/{scene.code}/certificates/issue"
    again = make.post(client, issue, {"person": scene.present.id, "reason": "twice"}, csrf_path=page)
    assert again.status_code == 409 and "already has a certificate" in again.get_data(as_text=True)
    stranger = make.member(make.workshop())
    refused = make.post(client, issue, {"person": stranger.id, "reason": "not here"}, csrf_path=page)
    assert refused.status_code == 400 and "Choose a member of this workshop" in refused.get_data(as_text=True)
    assert services.certificate_for(scene.workshop, stranger.id) is None
    assert len(services.certificates_of(scene.workshop)) == 1


def test_access_to_certificates(client, make, scene):
    scene.apply(client, make)
    make.sign_in(client, scene.present)
    scene.get_own(client, make)
    for path in (f"/w/{scene.code}/certificates", f"/w/{scene.code}/certificates.zip",
                 f"/w/{scene.code}/certificates/{scene.present.id}.pdf"):
        assert client.get(path).status_code == 403, path
    assert make.post(client, f"/w/{scene.code}/certificates/issue-all", {},
                     csrf_path=f"/w/{scene.code}/").status_code == 403

    other = make.workshop()
    outsider = make.member(other, Role.ORGANIZER)
    make.sign_in(client, outsider)
    for path in (f"/w/{scene.code}/certificates", f"/w/{scene.code}/certificates.zip",
                 f"/w/{scene.code}/certificates/{scene.present.id}.pdf", f"/w/{scene.code}/certificate.pdf"):
        assert client.get(path).status_code == 403, path
    for path, data in ((f"/w/{scene.code}/certificates/rule", {"kind": "sessions", "threshold": "1"}),
                       (f"/w/{scene.code}/certificates/issue", {"person": scene.absent.id, "reason": "x"}),
                       (f"/w/{scene.code}/certificates/issue-all", {}), (f"/w/{scene.code}/certificate", {})):
        assert make.post(client, path, data, csrf_path=f"/w/{other.code}/certificates").status_code == 403, path
    # Their own workshop's address with this workshop's person: nothing found.
    assert client.get(f"/w/{other.code}/certificates/{scene.present.id}.pdf").status_code == 404
    assert services.certificate_for(scene.workshop, scene.absent.id) is None


def test_the_verification_page_shows_what_the_code_was_issued_for(client, make, scene):
    scene.apply(client, make)
    make.sign_in(client, scene.present)
    scene.get_own(client, make)
    code = verify_address(client.get(f"/w/{scene.code}/")).rsplit("/", 1)[1]
    scene.present.name = "Someone Else"  # changed later: the certificate keeps the name it was issued with
    db.session.commit()
    client.get("/logout")
    anonymous = client.application.test_client()
    page = anonymous.get(f"/verify/{code}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "김민준" in text and "Someone Else" not in text
    assert scene.workshop.title in text and "18\u201320 July 2023" in text
    typed = "-".join(code[i:i + 4] for i in range(0, len(code), 4)).lower()
    assert anonymous.get(f"/verify/{typed}").status_code == 200


@pytest.mark.parametrize("tamper", [
    lambda code: code[:-1] + ("A" if code[-1] != "A" else "B"),  # one character changed
    lambda code: code[:-2],  # shortened
    lambda code: code + "%3Cscript%3E",  # not base32
    lambda code: "%00" + code,
    lambda code: "1" * 2000,
    lambda code: "..%2F..%2Fetc",
])
def test_a_tampered_code_is_not_found(client, make, scene, tamper):
    scene.apply(client, make)
    make.sign_in(client, scene.present)
    scene.get_own(client, make)
    code = verify_address(client.get(f"/w/{scene.code}/")).rsplit("/", 1)[1]
    response = client.application.test_client().get(f"/verify/{tamper(code)}")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


def test_the_verification_page_is_rate_limited(app, client):
    app.config["CERTIFICATE_VERIFY_PER_MINUTE"] = 3
    statuses = [client.get(f"/verify/NOSUCHCODE{n:02d}AAAAAAAAAAAAAA").status_code for n in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_before_any_rule_a_participant_is_told_the_organizers_have_not_set_one(client, make, scene):
    make.sign_in(client, scene.present)
    response = scene.get_own(client, make)
    assert response.status_code == 409
    assert "have not set the rule" in response.get_data(as_text=True)


def test_a_name_with_html_is_shown_as_text(client, make, scene):
    scene.present.name = "<b>Kim</b> & <script>alert(1)</script>"
    db.session.commit()
    scene.apply(client, make)
    make.sign_in(client, scene.present)
    assert scene.get_own(client, make).status_code == 303
    code = verify_address(client.get(f"/w/{scene.code}/")).rsplit("/", 1)[1]
    page = client.application.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert "&lt;b&gt;Kim&lt;/b&gt; &amp; &lt;script&gt;" in page and "<script>alert" not in page


def test_organizers_set_the_implementing_organizations(client, make, scene):
    make.sign_in(client, scene.organizer)
    fields = {"title": scene.workshop.title, "code": scene.code, "starts_on": "2023-07-18", "ends_on": "2023-07-20",
              "timezone": "Asia/Colombo", "modality": "online", "objectives": "", "topics": ""}
    too_long = make.post(client, f"/w/{scene.code}/edit", {**fields, "implementing_organizations": "x" * 501},
                         csrf_path=f"/w/{scene.code}/edit")
    assert too_long.status_code == 400
    assert scene.workshop.implementing_organizations == "APO Secretariat"
    saved = make.post(client, f"/w/{scene.code}/edit",
                      {**fields, "implementing_organizations": "National Productivity Secretariat, Sri Lanka "
                                                               "and APO Secretariat"},
                      csrf_path=f"/w/{scene.code}/edit")
    assert saved.status_code == 302
    home = client.get(f"/w/{scene.code}/").get_data(as_text=True)
    assert "Implemented by National Productivity Secretariat, Sri Lanka and APO Secretariat" in home


def test_the_verification_page_gives_the_day_of_issue_in_the_host_zone_as_the_pdf_does(client, make, scene):
    scene.apply(client, make)
    make.sign_in(client, scene.present)
    scene.get_own(client, make)
    code = verify_address(client.get(f"/w/{scene.code}/")).rsplit("/", 1)[1]
    certificate = db.session.scalar(select(Certificate))
    certificate.issued_at = datetime(2023, 7, 21, 20, 0, tzinfo=UTC)  # 22 July, 01:30 in Colombo
    db.session.commit()
    page = client.application.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert "22 July 2023 (Asia/Colombo time)" in page and "21 July 2023" not in page
