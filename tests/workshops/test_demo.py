"""The ``flask demo`` command: the demo workshop and sign-in instructions that work."""

from __future__ import annotations

import re
import stat
from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from tests.workshops.conftest import path_of
from workshop.accounts import services as accounts
from workshop.accounts.models import Person
from workshop.db import db
from workshop.workshops.models import Membership, Modality, Origin, Role, Workshop


def run_demo(app, *args):
    return app.test_cli_runner().invoke(args=["demo", *args])


def test_demo_creates_the_workshop_and_its_people(app):
    result = run_demo(app)
    assert result.exit_code == 0, result.output
    notes = Path(app.instance_path) / "demo-sign-in.txt"
    assert notes.read_text() in result.output and "Organizer:" in notes.read_text()
    assert stat.S_IMODE(notes.stat().st_mode) == 0o600
    workshop = db.session.scalar(select(Workshop))
    assert (workshop.code, workshop.starts_on, workshop.ends_on, workshop.modality, workshop.timezone) == \
        ("23-IP-02-GE-WSP-A", date(2023, 7, 18), date(2023, 7, 20), Modality.ONLINE, "Asia/Colombo")
    assert workshop.title == "Workshop on Innovative Public Procurement"
    assert len(workshop.objective_list) == 3 and len(workshop.topic_list) == 5
    members = db.session.scalars(select(Membership).where(Membership.workshop_id == workshop.id)).all()
    assert Counter(m.role for m in members) == {Role.ORGANIZER: 1, Role.MODERATOR: 1, Role.PARTICIPANT: 50}
    participants = [m for m in members if m.role == Role.PARTICIPANT]
    assert Counter(m.origin for m in participants) == {Origin.OVERSEAS: 38, Origin.LOCAL: 12}
    assert {m.person.country for m in participants if m.origin == Origin.LOCAL} == {"LK"}
    assert "LK" not in {m.person.country for m in participants if m.origin == Origin.OVERSEAS}
    assert len({m.person.email for m in members}) == 52
    for member in participants:
        invite = accounts.current_invite(member.person_id, workshop.id)
        assert invite is not None and accounts.resolve_invite(accounts.invite_token(invite)) is invite


def test_the_printed_sign_in_instructions_work(app, make):
    result = run_demo(app, "--if-empty")  # --if-empty seeds an empty database too
    assert result.exit_code == 0
    output = result.output
    organizer = re.search(r"Organizer: (\S+) / (\S+)", output)
    moderator = re.search(r"Moderator: (\S+) / (\S+)", output)
    links = re.findall(r"Participant .*?: (http\S+/invite/\S+)", output)
    assert organizer and moderator and len(links) == 2
    for email, password in (organizer.groups(), moderator.groups()):
        browser = app.test_client()
        assert make.post(browser, "/login", {"email": email, "password": password}).status_code == 302
        assert browser.get("/w/23-IP-02-GE-WSP-A/").status_code == 200
    organizer_browser = app.test_client()
    make.post(organizer_browser, "/login", {"email": organizer[1], "password": organizer[2]})
    assert organizer_browser.get("/w/23-IP-02-GE-WSP-A/people").status_code == 200
    for link in links:
        browser = app.test_client()
        assert browser.get(path_of(link)).status_code == 200
        assert make.post(browser, path_of(link), {}).headers["Location"].endswith("/w/23-IP-02-GE-WSP-A/")
        assert browser.get("/w/23-IP-02-GE-WSP-A/").status_code == 200
    local_link = links[1]
    assert re.search(r"Participant .*? \(LK\): " + re.escape(local_link), output)


def test_if_empty_on_a_non_empty_database_does_nothing(app, make):
    make.person()
    result = run_demo(app, "--if-empty")
    assert result.exit_code == 0
    assert db.session.scalar(select(func.count(Workshop.id))) == 0
    assert db.session.scalar(select(func.count(Person.id))) == 1


def test_on_a_non_empty_database_it_refuses_clearly(app, make):
    make.workshop()
    result = run_demo(app)
    assert result.exit_code == 1
    assert "The database already has data" in result.output
    assert db.session.scalar(select(func.count(Workshop.id))) == 1
