"""Own-country access comes from the membership's confirmed country: a self-registrant naming another country
reaches nothing of it until an organizer confirms (issue 12, finding 4), and slots come from confirmed countries."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.reports.conftest import upload
from tests.uploads import files
from tests.workshops.helpers import text
from workshop.accounts.models import Person
from workshop.audit.models import AuditEvent
from workshop.db import db
from workshop.reports import services
from workshop.reports.models import ReportSlot, ReportVersion
from workshop.workshops.models import Membership

WAITING = "waiting for the organizers' confirmation"
JOIN = {"join_code": "ABCD2345", "name": "Mallory Claims", "email": "mallory@example.org", "country": "Sri Lanka",
        "organization": "", "timezone": "UTC"}


@pytest.fixture
def lanka_report(scene, send):
    """Sri Lanka's unpublished report, version 1."""
    data = files.pdf("Sri Lanka draft")
    assert send(scene.sri_lanka, "LK", data, "lanka-draft.pdf").status_code == 302
    return data


@pytest.fixture
def claimant(app, scene, make, lanka_report):
    """A visitor with the join code who says they are from Sri Lanka, signed in on a client of their own."""
    scene.workshop.join_enabled, scene.workshop.join_code = True, "ABCD2345"
    db.session.commit()
    client = app.test_client()
    assert make.post(client, f"/join/{scene.code}", JOIN).status_code == 302  # no mail here: signed in at once
    return client


def member_of(scene, email: str) -> Membership:
    return db.session.scalar(select(Membership).join(Person).where(Membership.workshop_id == scene.workshop.id,
                                                                   Person.email == email))


def versions(scene, country: str) -> list[int]:
    return list(db.session.scalars(select(ReportVersion.number).where(
        ReportVersion.slot_id == scene.slots[country].id).order_by(ReportVersion.number)))


def confirm(client, make, scene, person_id: int, country: str | None = None):
    make.sign_in(client, scene.organizer)
    return make.post(client, f"/w/{scene.code}/people/{person_id}/country/confirm",
                     {} if country is None else {"country": country})


def test_a_self_registrant_reaches_nothing_of_the_country_they_name_until_it_is_confirmed(
        app, scene, make, client, claimant, lanka_report):
    # The finding's exploit: the unpublished version, the slot page, and an upload to the slot.
    response = claimant.get(scene.path("LK", "/v/1"))
    assert response.status_code == 403 and WAITING in text(response)
    response = claimant.get(scene.path("LK"))
    assert response.status_code == 403 and WAITING in text(response)
    response = upload(claimant, make, scene, "LK", files.pdf("Not Sri Lanka's"), "fake.pdf",
                      headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 403 and WAITING in response.json["message"]
    response = upload(claimant, make, scene, "LK", files.pdf("Not Sri Lanka's"), "fake.pdf")
    assert response.status_code == 403 and WAITING in text(response)
    assert versions(scene, "LK") == [1]
    overview = text(claimant.get(f"/w/{scene.code}/reports"))
    assert "waiting for confirmation" in overview and scene.path("LK") not in overview

    mallory = member_of(scene, "mallory@example.org")
    assert confirm(client, make, scene, mallory.person_id).status_code == 302
    response = claimant.get(scene.path("LK", "/v/1"))
    assert response.status_code == 200 and response.data == lanka_report
    assert claimant.get(scene.path("LK")).status_code == 200
    assert upload(claimant, make, scene, "LK", files.pdf("Sri Lanka v2"), "v2.pdf").status_code == 302
    assert versions(scene, "LK") == [1, 2]
    assert "waiting for confirmation" not in text(claimant.get(f"/w/{scene.code}/reports"))


def test_a_corrected_country_opens_that_country_and_not_the_declared_one(app, scene, make, client, claimant):
    mallory = member_of(scene, "mallory@example.org")
    assert confirm(client, make, scene, mallory.person_id, "NP").status_code == 302
    assert claimant.get(scene.path("LK", "/v/1")).status_code == 403
    assert upload(claimant, make, scene, "NP", files.pdf("Nepal"), "nepal.pdf").status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "country confirmed"))
    assert (event.actor_name, event.subject_name, event.detail) == (
        "Olga Organizer", "Mallory Claims", "Nepal (declared Sri Lanka)")
    assert "Nepal (declared Sri Lanka)" in text(client.get(f"/w/{scene.code}/audit"))


def test_a_waiting_participant_sees_a_published_report_with_their_slot_marked_waiting(
        app, scene, make, client, claimant):
    make.sign_in(client, scene.organizer)
    for action in ("accept", "publish"):
        assert make.post(client, scene.path("LK", "/review"), {"action": action}).status_code == 302
    page = claimant.get(scene.path("LK"))
    assert page.status_code == 200 and WAITING in text(page) and 'name="file"' not in text(page)
    assert claimant.get(scene.path("LK", "/v/1")).status_code == 200  # published: everyone may read it


def test_the_profile_country_gives_no_access_and_the_confirmed_one_does(app, scene, make, client):
    # Profile says Sri Lanka (declared in another workshop, say); this workshop's membership says Nepal.
    scene.nepal.country = "LK"
    db.session.commit()
    make.sign_in(client, scene.nepal)
    assert upload(client, make, scene, "NP", files.pdf("Nepal"), "nepal.pdf").status_code == 302
    assert upload(client, make, scene, "LK", files.pdf("Lanka"), "lanka.pdf").status_code == 403


def test_slots_are_made_for_confirmed_countries_only(app, scene, make, client):
    waiting = make.joined(scene.workshop, country="FI")
    make.sign_in(client, scene.organizer)
    assert services.countries_without_slot(scene.workshop) == []
    page = text(client.get(f"/w/{scene.code}/reports"))
    assert "1 self-registered participant waits for their country to be confirmed" in page
    form = {"title": "Country report", "allowed_kinds": ["pdf"], "max_mb": "5"}
    assert make.post(client, f"/w/{scene.code}/reports/slots", form).status_code == 409
    assert confirm(client, make, scene, waiting.id).status_code == 302
    assert services.countries_without_slot(scene.workshop) == ["FI"]
    assert make.post(client, f"/w/{scene.code}/reports/slots", form).status_code == 302
    assert db.session.scalar(select(ReportSlot.id).where(ReportSlot.country == "FI")) is not None


def test_the_one_rule(app, scene, make):
    waiting = make.joined(scene.workshop, country="LK")
    member = member_of(scene, waiting.email)
    nepal = member_of(scene, scene.nepal.email)
    assert services.confirmed_country(None) is None
    assert services.confirmed_country(member) is None
    assert services.confirmed_country(nepal) == "NP"
    assert services.waits_for(scene.slots["LK"], member) and not services.waits_for(scene.slots["NP"], member)
    assert not services.is_own_country(scene.slots["LK"], member)
    assert services.is_own_country(scene.slots["NP"], nepal)
