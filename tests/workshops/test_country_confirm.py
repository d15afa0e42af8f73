"""Confirming a self-registrant's country on the People page: the waiting list, the Confirm form with its
correction, the audit log, and every bad input refused with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.workshops.helpers import text
from workshop.audit.models import AuditEvent
from workshop.db import db
from workshop.workshops.models import Membership, Role


@pytest.fixture
def waiting(make, workshop):
    """A participant who registered with the join code, declaring Nepal."""
    return make.joined(workshop, name="Sita Sharma", country="NP")


def membership(workshop, person) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.workshop_id == workshop.id,
                                                      Membership.person_id == person.id))


def confirm_path(workshop, person_id: int) -> str:
    return f"/w/{workshop.code}/people/{person_id}/country/confirm"


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def test_people_shows_who_is_waiting_with_a_confirm_form(client, make, workshop, organizer, waiting):
    imported = make.member(workshop, name="Nimal Perera", country="LK")
    page = text(client.get(f"/w/{workshop.code}/people"))
    assert "Waiting for country confirmation" in page
    assert f'action="{confirm_path(workshop, waiting.id)}"' in page
    assert f'action="{confirm_path(workshop, imported.id)}"' not in page
    assert 'value="Nepal"' in page and "waiting for confirmation" in page


def test_confirm_counts_the_country_and_writes_the_audit_log(client, make, workshop, organizer, waiting):
    response = make.post(client, confirm_path(workshop, waiting.id), follow_redirects=True)
    assert response.status_code == 200
    assert "Sita Sharma's country is confirmed: Nepal." in text(response)
    assert "Waiting for country confirmation" not in text(response)
    member = membership(workshop, waiting)
    assert (member.country, member.country_waiting) == ("NP", False) and member.country_confirmed_at is not None
    event = db.session.scalar(select(AuditEvent))
    assert (event.workshop_id, event.actor_id, event.action, event.subject_id, event.detail) == (
        workshop.id, organizer.id, "country confirmed", waiting.id, "Nepal")
    # Confirming again changes nothing and logs nothing.
    assert make.post(client, confirm_path(workshop, waiting.id)).status_code == 302
    assert audit_count() == 1


@pytest.mark.parametrize("typed, code", [("Sri Lanka", "LK"), (" lka ", "LK"), ("in", "IN")])
def test_the_country_can_be_corrected_before_confirming(client, make, workshop, organizer, waiting, typed, code):
    assert make.post(client, confirm_path(workshop, waiting.id), {"country": typed}).status_code == 302
    member = membership(workshop, waiting)
    assert (member.country, member.country_waiting) == (code, False)
    db.session.refresh(waiting)
    assert waiting.country == "NP"  # the person's own profile is not the workshop's to change


@pytest.mark.parametrize("typed", ["Atlantis", "XX", "N" * 61])
def test_an_unknown_country_is_400_and_nothing_is_written(client, make, workshop, organizer, waiting, typed):
    response = make.post(client, confirm_path(workshop, waiting.id), {"country": typed})
    assert response.status_code == 400
    assert "Unknown country" in text(response)
    member = membership(workshop, waiting)
    assert (member.country, member.country_waiting) == ("NP", True)
    assert audit_count() == 0


def test_not_a_member_is_404(client, make, workshop, organizer):
    elsewhere = make.member(make.workshop(), name="Elsewhere")
    response = make.post(client, confirm_path(workshop, elsewhere.id), {"country": "NP"})
    assert response.status_code == 404
    assert make.post(client, confirm_path(workshop, 999999)).status_code == 404
    assert membership(workshop, elsewhere) is None and audit_count() == 0


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.MODERATOR])
def test_only_organizers_confirm(client, make, workshop, waiting, role):
    make.sign_in(client, make.member(workshop, role, password=None))
    assert make.post(client, confirm_path(workshop, waiting.id)).status_code == 403
    make.sign_in(client, waiting)  # not even their own
    assert make.post(client, confirm_path(workshop, waiting.id), {"country": "LK"}).status_code == 403
    assert membership(workshop, waiting).country_waiting and audit_count() == 0


def test_an_organizer_of_another_workshop_cannot_confirm(client, make, workshop, waiting):
    other = make.workshop()
    make.sign_in(client, make.member(other, Role.ORGANIZER, password=None))
    assert make.post(client, confirm_path(workshop, waiting.id)).status_code == 403
    assert make.post(client, confirm_path(other, waiting.id)).status_code == 404
    assert membership(workshop, waiting).country_waiting


def test_confirm_without_the_csrf_token_is_400(client, workshop, organizer, waiting):
    assert client.post(confirm_path(workshop, waiting.id), data={"country": "NP"}).status_code == 400
    assert membership(workshop, waiting).country_waiting and audit_count() == 0


def test_anonymous_is_sent_to_sign_in(client, make, workshop, waiting):
    response = make.post(client, confirm_path(workshop, waiting.id))
    assert response.status_code == 302 and "/login" in response.location
    assert membership(workshop, waiting).country_waiting
