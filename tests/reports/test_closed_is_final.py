"""Closed is final (issue 13, point 3) for country reports: once accepted, a report gets no upload from its
country behind the reviewer's back, and an acceptance is of the version the reviewer was looking at.

Barrier tests on SQLite and PostgreSQL: the upload runs in a thread with its own connection and stops at a
chosen point while an organizer accepts the report (or the acceptance waits for the upload); the loser is
refused with a clear message (409) and nothing of it is left half-written.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from tests.barriers import race  # noqa: F401  (fixture)
from tests.uploads import files
from workshop.accounts.models import Person
from workshop.db import db
from workshop.errors import ValidationError
from workshop.reports import services
from workshop.reports.models import ReportSlot, ReportState, ReportVersion
from workshop.uploads.models import StoredFile
from workshop.workshops.models import Membership

ALREADY_ACCEPTED = "This report is already accepted; ask the organizers if it needs to change."
CHANGED = ("A new version of this report arrived while you were reviewing it: nothing was changed. "
           "Look at the new version, then decide again.")


def membership_of(person_id: int, workshop_id: int) -> Membership | None:
    return db.session.scalar(select(Membership).where(Membership.person_id == person_id,
                                                      Membership.workshop_id == workshop_id))


def send(slot_id: int, person_id: int, data: bytes, name: str = "report.pdf", commit: bool = True) -> int:
    """An upload as the route makes it (its own session): the version number it made."""
    slot = db.session.get(ReportSlot, slot_id)
    person = db.session.get(Person, person_id)
    result = services.upload(slot, FileStorage(io.BytesIO(data), filename=name), person,
                             membership_of(person_id, slot.workshop_id))
    if commit:
        db.session.commit()
    return result.version.number


def accept(slot_id: int, organizer_id: int) -> tuple:
    """The organizer accepts, as the route does; what the slot is just after the commit."""
    services.review(db.session.get(ReportSlot, slot_id), "accept", "", db.session.get(Person, organizer_id))
    db.session.commit()
    return report(slot_id)


def report(slot_id: int) -> tuple:
    """(state, version numbers, stored files) as committed now."""
    db.session.commit()
    state = db.session.scalar(select(ReportSlot.state).where(ReportSlot.id == slot_id))
    numbers = list(db.session.scalars(select(ReportVersion.number).where(ReportVersion.slot_id == slot_id)
                                      .order_by(ReportVersion.number)))
    stored = db.session.scalar(select(func.count(StoredFile.id)))
    db.session.commit()
    return state, numbers, stored


@pytest.fixture
def submitted(scene) -> ReportSlot:
    """Nepal's slot with version 1, submitted by its participant."""
    slot = scene.slots["NP"]
    send(slot.id, scene.nepal.id, files.pdf("Nepal, first version"))
    return slot


def test_an_upload_checked_before_the_acceptance_commits_is_refused(scene, submitted, race, monkeypatch):
    """The upload has passed its checks and not written yet; the organizer accepts; then the upload goes on."""
    checked = race.pause()
    monkeypatch.setattr(services, "store_upload", checked.before(services.store_upload))
    uploader = race.run(send, submitted.id, scene.nepal.id, files.pdf("Nepal, second version"))
    checked.wait_reached()

    at_accept = accept(submitted.id, scene.organizer.id)
    checked.go()

    assert uploader.refusal() == (409, ALREADY_ACCEPTED)
    assert at_accept == (ReportState.ACCEPTED, [1], 1)
    assert report(submitted.id) == at_accept


def test_an_upload_arriving_while_the_acceptance_is_being_committed_waits_and_is_refused(scene, submitted, race):
    """The acceptance has written (and holds the slot's lock) but not committed; an upload arrives."""
    services.review(db.session.get(ReportSlot, submitted.id), "accept", "", scene.organizer)
    db.session.flush()
    uploader = race.run(send, submitted.id, scene.nepal.id, files.pdf("Nepal, second version"))
    waited = race.wait_until_blocked(uploader)

    db.session.commit()
    at_accept = report(submitted.id)

    assert uploader.refusal() == (409, ALREADY_ACCEPTED)
    assert waited, "the upload did not wait for the acceptance in progress"
    assert at_accept == (ReportState.ACCEPTED, [1], 1)
    assert report(submitted.id) == at_accept


def test_an_acceptance_waits_for_an_upload_in_flight_and_is_refused_when_a_new_version_lands(
        scene, submitted, race):
    """The upload has written version 2 and not committed; the organizer, who sees version 1, accepts."""
    uploaded = race.pause()

    def send_and_wait():
        number = send(submitted.id, scene.nepal.id, files.pdf("Nepal, second version"), commit=False)
        uploaded.here()
        db.session.commit()
        return number

    uploader = race.run(send_and_wait)
    uploaded.wait_reached()
    reviewer = race.run(accept, submitted.id, scene.organizer.id)

    waited = race.wait_until_blocked(reviewer)
    uploaded.go()

    assert uploader.succeeded() == 2
    assert reviewer.refusal() == (409, CHANGED)
    assert waited, "the acceptance did not wait for the upload in flight"
    assert report(submitted.id) == (ReportState.SUBMITTED, [1, 2], 2)


def test_an_organizer_may_still_replace_an_accepted_report(scene, submitted):
    """The lock is on the country's uploads: an organizer's replacement of an accepted report goes in."""
    accept(submitted.id, scene.organizer.id)

    assert send(submitted.id, scene.organizer.id, files.pdf("Nepal, corrected by the secretariat")) == 2
    assert report(submitted.id) == (ReportState.SUBMITTED, [1, 2], 2)


# The bad inputs of these paths keep their clear messages ------------------------------------------------------

def refused(action) -> tuple[int, str]:
    with pytest.raises(ValidationError) as caught:
        action()
    db.session.rollback()
    return caught.value.status, " ".join(caught.value.errors.values())


def test_bad_uploads_and_reviews_keep_their_messages_and_write_nothing(scene, submitted):
    sri_lanka = scene.slots["LK"]
    before = report(submitted.id)

    def slot():
        return db.session.get(ReportSlot, submitted.id)

    assert refused(lambda: services.review(slot(), "approve", "", scene.organizer)) == (
        404, "Unknown review action.")
    assert refused(lambda: services.review(slot(), "request changes", " ", scene.organizer)) == (
        400, "Write a note to the country saying why.")
    assert refused(lambda: services.review(slot(), "unpublish", "", scene.organizer)) == (
        409, "The report is submitted, not published.")
    assert refused(lambda: services.review(sri_lanka, "accept", "", scene.organizer)) == (
        409, "There is no file to review yet.")
    assert refused(lambda: send(sri_lanka.id, scene.nepal.id, files.pdf())) == (
        403, "You can upload only your own country's report, not Sri Lanka's.")
    assert refused(lambda: send(submitted.id, scene.nepal.id, b"")) == (400, "The file is empty. Nothing was saved.")
    assert report(submitted.id) == before

    accept(submitted.id, scene.organizer.id)
    assert refused(lambda: send(submitted.id, scene.nepal.id, files.pdf("Nepal, late change"))) == (
        409, ALREADY_ACCEPTED)
    assert report(submitted.id) == (ReportState.ACCEPTED, [1], 1)
