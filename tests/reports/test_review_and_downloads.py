"""Review states with notes, soft removal and purge, the audit log, and who may download what."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.uploads import files
from tests.uploads.helpers import blobs_under
from workshop.db import db
from workshop.reports.models import ReportEvent, ReportState, ReportVersion
from workshop.uploads.models import StoredFile


@pytest.fixture
def two_versions(scene, send):
    first, second = files.pdf("Nepal v1"), files.pdf("Nepal v2")
    send(scene.nepal, "NP", first, "v1.pdf")
    send(scene.nepal, "NP", second, "v2.pdf")
    return first, second


def act(client, make, scene, person, path, data=None):
    make.sign_in(client, person)
    return make.post(client, scene.path("NP", path), data or {})


def log_of(slot) -> list[tuple[str, str]]:
    return [(e.actor_name, e.action) for e in db.session.scalars(
        select(ReportEvent).where(ReportEvent.slot_id == slot.id).order_by(ReportEvent.id))]


@pytest.mark.parametrize("action, state", [("request changes", ReportState.CHANGES_REQUESTED),
                                           ("reject", ReportState.REJECTED)])
def test_changes_requested_and_rejected_need_a_note_the_country_sees(app, scene, client, make, two_versions,
                                                                     action, state):
    slot = scene.slots["NP"]
    response = act(client, make, scene, scene.organizer, "/review", {"action": action, "note": "  "})
    assert response.status_code == 400
    assert "Write a note to the country" in response.get_data(as_text=True)
    assert act(client, make, scene, scene.organizer, "/review",
               {"action": action, "note": "Add the 2023 figures"}).status_code == 302
    db.session.refresh(slot)
    assert (slot.state, slot.note) == (state, "Add the 2023 figures")
    make.sign_in(client, scene.nepal)
    assert "Add the 2023 figures" in client.get(scene.path("NP")).get_data(as_text=True)
    assert log_of(slot)[-1] == ("Olga Organizer", "state change")


def test_a_new_upload_after_changes_requested_is_submitted_again(app, scene, client, make, send, two_versions):
    act(client, make, scene, scene.organizer, "/review", {"action": "request changes", "note": "Fix p. 2"})
    send(scene.nepal, "NP", files.pdf("Nepal v3"), "v3.pdf")
    slot = scene.slots["NP"]
    db.session.refresh(slot)
    assert (slot.state, slot.note, [v.number for v in slot.versions]) == (ReportState.SUBMITTED, "", [1, 2, 3])


def test_review_needs_a_file_and_an_organizer(app, scene, client, make):
    assert act(client, make, scene, scene.organizer, "/review", {"action": "accept"}).status_code == 409
    assert act(client, make, scene, scene.nepal, "/review", {"action": "accept"}).status_code == 403
    assert act(client, make, scene, scene.moderator, "/review", {"action": "accept"}).status_code == 403


def test_a_review_without_the_csrf_token_changes_nothing(app, scene, client, make, two_versions):
    make.sign_in(client, scene.organizer)
    assert client.post(scene.path("NP", "/review"), data={"action": "accept"}).status_code == 400
    db.session.refresh(scene.slots["NP"])
    assert scene.slots["NP"].state == ReportState.SUBMITTED


def test_downloads_are_for_organizers_and_the_country_until_published(app, scene, client, make, two_versions):
    first, second = two_versions
    for person in (scene.organizer, scene.nepal):
        make.sign_in(client, person)
        response = client.get(scene.path("NP", "/v/1"))
        assert response.status_code == 200 and response.data == first
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"] == "attachment; filename=\"v1.pdf\"; filename*=UTF-8''v1.pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    for person in (scene.sri_lanka, scene.moderator):
        make.sign_in(client, person)
        assert client.get(scene.path("NP", "/v/2")).status_code == 403
        assert client.get(scene.path("NP")).status_code == 403
    make.sign_in(client, make.person())
    assert client.get(scene.path("NP", "/v/2")).status_code == 403  # not a member at all
    act(client, make, scene, scene.organizer, "/review", {"action": "publish"})
    make.sign_in(client, scene.sri_lanka)
    assert client.get(scene.path("NP", "/v/2")).data == second  # published: the latest, to everyone
    assert client.get(scene.path("NP", "/v/1")).status_code == 403  # but not the drafts
    assert "v2.pdf" in client.get(f"/w/{scene.code}/reports").get_data(as_text=True)


def test_removal_is_soft_until_an_organizer_purges(app, scene, client, make, uploads, two_versions):
    slot = scene.slots["NP"]
    act(client, make, scene, scene.organizer, "/review", {"action": "accept"})
    assert act(client, make, scene, scene.organizer, "/v/2/remove").status_code == 302
    db.session.refresh(slot)
    assert slot.state == ReportState.SUBMITTED  # the latest file changed: to be reviewed again
    assert slot.latest.number == 1
    assert client.get(scene.path("NP", "/v/2")).data == two_versions[1]  # organizers still can
    make.sign_in(client, scene.nepal)
    assert client.get(scene.path("NP", "/v/2")).status_code == 404
    assert act(client, make, scene, scene.nepal, "/v/2/purge").status_code == 403
    assert act(client, make, scene, scene.organizer, "/v/1/purge").status_code == 409  # not removed first
    assert len(blobs_under(uploads)) == 2

    assert act(client, make, scene, scene.organizer, "/v/2/purge").status_code == 302
    assert [v.number for v in db.session.scalars(select(ReportVersion).where(ReportVersion.slot_id == slot.id))] == [1]
    assert len(blobs_under(uploads)) == 1
    assert db.session.scalar(select(StoredFile.original_name)) == "v1.pdf"
    assert client.get(scene.path("NP", "/v/2")).status_code == 404
    assert [action for _, action in log_of(slot)] == ["slot created", "upload", "replacement", "state change",
                                                      "removal", "purge"]


def test_a_removed_version_can_be_restored(app, scene, client, make, two_versions):
    act(client, make, scene, scene.organizer, "/v/2/remove")
    assert act(client, make, scene, scene.organizer, "/v/2/restore").status_code == 302
    db.session.refresh(scene.slots["NP"])
    assert scene.slots["NP"].latest.number == 2


def test_removing_every_version_makes_the_report_missing(app, scene, client, make, send):
    send(scene.nepal, "NP", files.pdf())
    act(client, make, scene, scene.organizer, "/v/1/remove")
    db.session.refresh(scene.slots["NP"])
    assert scene.slots["NP"].state == ReportState.MISSING


def test_a_purge_keeps_bytes_another_version_still_uses(app, scene, client, make, send, uploads):
    data = files.pdf("Shared")
    send(scene.nepal, "NP", data)
    send(scene.sri_lanka, "LK", data)  # the same bytes in another slot: one blob, two rows
    act(client, make, scene, scene.organizer, "/v/1/remove")
    act(client, make, scene, scene.organizer, "/v/1/purge")
    assert len(blobs_under(uploads)) == 1
    make.sign_in(client, scene.organizer)
    assert client.get(f"/w/{scene.code}/reports/{scene.slots['LK'].id}/v/1").data == data


def test_the_audit_log_page_lists_who_did_what(app, scene, client, make, two_versions):
    act(client, make, scene, scene.organizer, "/review", {"action": "reject", "note": "Wrong workshop"})
    make.sign_in(client, scene.organizer)
    page = client.get(f"/w/{scene.code}/reports/audit").get_data(as_text=True)
    assert "Anil Nepal" in page and "replacement" in page and "Wrong workshop" in page
    make.sign_in(client, scene.nepal)
    assert client.get(f"/w/{scene.code}/reports/audit").status_code == 403
