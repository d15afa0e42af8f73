"""Report slots, uploads, versions, states and the audit log. No web code.

Every rule is checked here: who may upload to or download from a slot, what
a new upload does to the slot's state, and what removing or purging a
version does. Functions add and flush; the caller commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from workshop.accounts.models import Person
from workshop.accounts.services import country_name
from workshop.audit import services as audit
from workshop.changes import announce
from workshop.db import db, utcnow
from workshop.errors import ValidationError
from workshop.live import revisions
from workshop.workshops.permissions import Action, can
from workshop.reports.models import DEFAULT_KINDS, ReportEvent, ReportSlot, ReportState, ReportVersion
from workshop.uploads.models import StoredFile
from workshop.uploads.storage import KINDS, open_stored, store_upload
from workshop.workshops.models import Membership, Role, Workshop

log = logging.getLogger("workshop.reports")

MAX_TITLE = 200
MAX_INSTRUCTIONS = 5000
MAX_NOTE = 2000
# A reviewed report is not changed behind the reviewer's back: a participant asks the organizers instead.
LOCKED_FOR_PARTICIPANTS = (ReportState.ACCEPTED, ReportState.PUBLISHED)


# Slots -----------------------------------------------------------------------------------

def slots_of(workshop: Workshop, state: ReportState | None = None) -> list[ReportSlot]:
    query = select(ReportSlot).where(ReportSlot.workshop_id == workshop.id).order_by(ReportSlot.country)
    if state is not None:
        query = query.where(ReportSlot.state == state)
    return list(db.session.scalars(query))


def slot_in(workshop: Workshop, slot_id: int) -> ReportSlot | None:
    slot = db.session.get(ReportSlot, slot_id)
    return slot if slot is not None and slot.workshop_id == workshop.id else None


def slot_for_country(workshop: Workshop, country: str | None) -> ReportSlot | None:
    if not country:
        return None
    return db.session.scalar(select(ReportSlot).where(ReportSlot.workshop_id == workshop.id,
                                                      ReportSlot.country == country))


def countries_without_slot(workshop: Workshop) -> list[str]:
    """Confirmed countries of the workshop's participants that have no slot yet, by code."""
    have = select(ReportSlot.country).where(ReportSlot.workshop_id == workshop.id)
    return list(db.session.scalars(
        select(Membership.country)
        .where(Membership.workshop_id == workshop.id, Membership.role == Role.PARTICIPANT,
               Membership.country.is_not(None), Membership.country_confirmed_at.is_not(None),
               Membership.country.not_in(have))
        .distinct().order_by(Membership.country)))


def waiting_count(workshop: Workshop) -> int:
    """Participants whose declared country no organizer has confirmed yet (they make no slot)."""
    return db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.workshop_id == workshop.id, Membership.role == Role.PARTICIPANT,
        Membership.country.is_not(None), Membership.country_confirmed_at.is_(None)))


def clean_slot_fields(data: dict, host_zone: ZoneInfo, max_mb_allowed: int) -> dict:
    """Validated slot settings, or ValidationError naming each field that is wrong.

    ``due_at`` comes as a naive datetime meaning the workshop's host time.
    """
    errors: dict[str, str] = {}
    title = " ".join((data.get("title") or "").split())
    if not title:
        errors["title"] = "A title is required."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"The title is longer than {MAX_TITLE} characters."
    instructions = (data.get("instructions") or "").strip()
    if len(instructions) > MAX_INSTRUCTIONS:
        errors["instructions"] = f"The instructions are longer than {MAX_INSTRUCTIONS} characters."
    due: datetime | None = data.get("due_at")
    kinds = [name for name in data.get("allowed_kinds") or [] if name in KINDS]
    if not kinds:
        errors["allowed_kinds"] = "Accept at least one file type."
    max_mb = data.get("max_mb")
    if not isinstance(max_mb, int) or not 1 <= max_mb <= max_mb_allowed:
        errors["max_mb"] = f"The maximum size must be from 1 to {max_mb_allowed} MB (the server's limit)."
    if errors:
        raise ValidationError(errors)
    return {"title": title, "instructions": instructions,
            "due_at": due.replace(tzinfo=host_zone) if due is not None else None,
            "allowed_kinds": ",".join(name for name in KINDS if name in kinds), "max_mb": max_mb,
            "participants_may_upload": bool(data.get("participants_may_upload"))}


def create_slots(workshop: Workshop, data: dict, actor: Person, host_zone: ZoneInfo,
                 max_mb_allowed: int) -> list[ReportSlot]:
    """One slot per participating country that has none yet, all with the same settings."""
    fields = clean_slot_fields(data, host_zone, max_mb_allowed)
    countries = countries_without_slot(workshop)
    if not countries:
        raise ValidationError({"countries": "Every participating country already has a slot (countries come "
                                            "from the participants' confirmed countries on the People page)."},
                              status=409)
    slots = [ReportSlot(workshop_id=workshop.id, country=country, **fields) for country in countries]
    db.session.add_all(slots)
    try:
        db.session.flush()
    except IntegrityError:
        # Another organizer made slots at the same moment: the unique constraint kept one per country.
        db.session.rollback()
        raise ValidationError({"countries": "Slots were being created at the same time by someone else. "
                                            "Reload the page to see them."}, status=409) from None
    for slot in slots:
        record(slot, actor, "slot created", f"{slot.title} for {country_name(slot.country)}")
    announce(SLOTS_TOPIC, workshop.id)
    return slots


def update_slot(slot: ReportSlot, data: dict, actor: Person, host_zone: ZoneInfo, max_mb_allowed: int) -> ReportSlot:
    fields = clean_slot_fields(data, host_zone, max_mb_allowed)
    changed = [name for name, value in fields.items() if getattr(slot, name) != value]
    for name, value in fields.items():
        setattr(slot, name, value)
    if changed:
        record(slot, actor, "slot edited", ", ".join(name.replace("_", " ") for name in changed))
    return slot


# Who may do what with a slot -------------------------------------------------------------

def is_organizer(membership: Membership | None) -> bool:
    return can(membership, Action.MANAGE_REPORTS)


# The one rule for "own country": the country on the person's membership of this workshop, once confirmed
# (imported and staff members are confirmed as they are added; a self-registrant's waits for an organizer).
# Not the person's profile country: that is shared by all their workshops and declared by themselves.

def confirmed_country(membership: Membership | None) -> str | None:
    """The country whose report the member may read unpublished and upload to; None until it is confirmed."""
    if membership is None or membership.country_confirmed_at is None:
        return None
    return membership.country


def waits_for(slot: ReportSlot, membership: Membership | None) -> bool:
    """The member declared this slot's country and an organizer has not confirmed it yet."""
    return (membership is not None and can(membership, Action.SUBMIT_OWN_REPORT) and membership.country_waiting
            and membership.country == slot.country)


def own_slot(workshop: Workshop, membership: Membership | None) -> tuple[ReportSlot | None, bool]:
    """The slot of the member's country, and whether it is still waiting for the organizers' confirmation."""
    if membership is None:
        return None, False
    country = confirmed_country(membership)
    if country is not None:
        return slot_for_country(workshop, country), False
    slot = slot_for_country(workshop, membership.country)
    return slot, slot is not None and waits_for(slot, membership)


def waiting_message(slot: ReportSlot) -> str:
    return (f"Your country ({country_name(slot.country)}) is waiting for the organizers' confirmation. Until they "
            "confirm it, you can see only published reports and cannot upload.")


def is_own_country(slot: ReportSlot, membership: Membership | None) -> bool:
    return can(membership, Action.SUBMIT_OWN_REPORT) and confirmed_country(membership) == slot.country


def check_may_upload(slot: ReportSlot, membership: Membership | None) -> None:
    if is_organizer(membership):
        return
    if not can(membership, Action.SUBMIT_OWN_REPORT):
        raise ValidationError({"file": "Only organizers and the country's participants can upload reports."},
                              status=403)
    if waits_for(slot, membership):
        raise ValidationError({"file": waiting_message(slot)}, status=403)
    if not is_own_country(slot, membership):
        raise ValidationError({"file": f"You can upload only your own country's report, not "
                                       f"{country_name(slot.country)}'s."}, status=403)
    if not slot.participants_may_upload:
        raise ValidationError({"file": "The organizers upload this report; participants cannot upload here. "
                                       "Send your file to the organizers."}, status=403)
    if slot.state in LOCKED_FOR_PARTICIPANTS:
        raise ValidationError({"file": f"This report is already {slot.state.value}; ask the organizers "
                                       "if it needs to change."}, status=409)


def may_upload(slot: ReportSlot, membership: Membership | None) -> bool:
    try:
        check_may_upload(slot, membership)
    except ValidationError:
        return False
    return True


def may_see_all_versions(slot: ReportSlot, membership: Membership | None) -> bool:
    return is_organizer(membership) or is_own_country(slot, membership)


def not_published_message(slot: ReportSlot, membership: Membership | None) -> str:
    if waits_for(slot, membership):
        return waiting_message(slot)
    return "This report is not published: only the organizers and the country's participants can see it."


def downloadable_version(slot: ReportSlot, number: int, membership: Membership | None) -> ReportVersion:
    """The version the member may download, or ValidationError 404/403."""
    version = next((v for v in slot.versions if v.number == number), None)
    if version is None or (version.removed_at is not None and not is_organizer(membership)):
        raise ValidationError({"version": "There is no such version of this report."}, status=404)
    if may_see_all_versions(slot, membership):
        return version
    if slot.state == ReportState.PUBLISHED and version is slot.latest:
        return version
    raise ValidationError({"version": not_published_message(slot, membership)}, status=403)


# Uploads ---------------------------------------------------------------------------------------

@dataclass
class UploadResult:
    version: ReportVersion
    new: bool  # False: the same file was already there, and no version was made

    @property
    def message(self) -> str:
        if not self.new:
            return (f"This file is identical to version {self.version.number} "
                    f"(“{self.version.stored_file.original_name}”): no new version was made.")
        late = " after the due date (late)" if self.version.late else ""
        return f"Received “{self.version.stored_file.original_name}” as version {self.version.number}{late}."


def upload(slot: ReportSlot, file_storage: FileStorage, person: Person, membership: Membership | None) -> UploadResult:
    """Store a file as the slot's next version; an identical live version makes none.

    Raises ValidationError (403, 409, or the upload module's 400/413/507).
    Earlier versions are never touched.
    """
    check_may_upload(slot, membership)
    stored = store_upload(file_storage, allowed_kinds=slot.kinds, max_bytes=slot.max_bytes, uploader=person)
    # Stored first, locked second: no row lock is held while a slow connection streams its file.
    db.session.execute(select(ReportSlot.id).where(ReportSlot.id == slot.id).with_for_update())
    db.session.refresh(slot)
    # Checked again under the lock, which a review takes too (PostgreSQL: the slot's row; SQLite: the database's
    # write lock, taken by the stored file's INSERT): a report accepted while the file was arriving stays as
    # the reviewer accepted it, and the caller's rollback drops the stored file's row.
    check_may_upload(slot, membership)
    same = next((v for v in slot.live_versions if v.stored_file.sha256 == stored.sha256), None)
    if same is not None:
        db.session.delete(stored)  # the blob stays: the earlier version holds the same bytes
        db.session.flush()
        return UploadResult(same, new=False)
    replaces = slot.latest
    number = 1 + (db.session.scalar(select(func.max(ReportVersion.number))
                                    .where(ReportVersion.slot_id == slot.id)) or 0)
    late = slot.due_at is not None and utcnow() > slot.due_at
    version = ReportVersion(slot=slot, number=number, stored_file=stored, late=late)
    db.session.add(version)
    slot.state = ReportState.LATE if late else ReportState.SUBMITTED
    slot.note = ""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ValidationError({"file": "Another upload to this report arrived at the same moment. "
                                       "Reload the page and try again."}, status=409) from None
    action = "replacement" if replaces is not None else "upload"
    replaced = f", replacing version {replaces.number}" if replaces is not None else ""
    record(slot, person, action, f"version {number}: {stored.original_name} ({stored.size} bytes, sha256 "
                                 f"{stored.sha256[:12]}){replaced}{' (late)' if late else ''}")
    return UploadResult(version, new=True)


# Review ------------------------------------------------------------------------------------------

# action -> (new state, note required, states it may come from; None for any state with a file)
REVIEW = {
    "request changes": (ReportState.CHANGES_REQUESTED, True, None),
    "accept": (ReportState.ACCEPTED, False, None),
    "reject": (ReportState.REJECTED, True, None),
    "publish": (ReportState.PUBLISHED, False, None),
    "unpublish": (ReportState.ACCEPTED, False, (ReportState.PUBLISHED,)),
}


def review(slot: ReportSlot, action: str, note: str, actor: Person) -> ReportSlot:
    if action not in REVIEW:
        raise ValidationError({"action": "Unknown review action."}, status=404)
    state, needs_note, sources = REVIEW[action]
    note = (note or "").strip()
    if slot.latest is None:
        raise ValidationError({"action": "There is no file to review yet."}, status=409)
    if sources is not None and slot.state not in sources:
        raise ValidationError({"action": f"The report is {slot.state.value}, not published."}, status=409)
    if needs_note and not note:
        raise ValidationError({"note": "Write a note to the country saying why."})
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": f"The note is longer than {MAX_NOTE} characters."})
    before, seen = slot.state, slot.latest.number
    # One conditional UPDATE, not read-modify-write: the decision is about the state and the version the
    # reviewer's request read. On PostgreSQL the row lock (the one uploads take) waits for an upload in
    # flight, and the UPDATE after it reads what that upload committed; on SQLite the UPDATE holds the
    # database's write lock while it checks.
    db.session.execute(select(ReportSlot.id).where(ReportSlot.id == slot.id).with_for_update())
    latest = (select(func.max(ReportVersion.number))
              .where(ReportVersion.slot_id == slot.id, ReportVersion.removed_at.is_(None)).scalar_subquery())
    reviewed = db.session.execute(
        update(ReportSlot).where(ReportSlot.id == slot.id, ReportSlot.state == before, latest == seen)
        .values(state=state, note=note if needs_note else "").execution_options(synchronize_session=False))
    db.session.refresh(slot)
    if reviewed.rowcount != 1:
        if slot.latest is not None and slot.latest.number != seen:
            raise ValidationError({"action": "A new version of this report arrived while you were reviewing it: "
                                             "nothing was changed. Look at the new version, then decide again."},
                                  status=409)
        raise ValidationError({"action": f"The report became {slot.state.value} while you were reviewing it: "
                                         "nothing was changed. Look at it again, then decide."}, status=409)
    record(slot, actor, "state change", f"{before.value} → {state.value}" + (f": {note}" if needs_note else ""))
    return slot


# Removal ----------------------------------------------------------------------------------------

def _version_or_404(slot: ReportSlot, number: int) -> ReportVersion:
    version = next((v for v in slot.versions if v.number == number), None)
    if version is None:
        raise ValidationError({"version": "There is no such version of this report."}, status=404)
    return version


def _state_from_files(slot: ReportSlot) -> None:
    """After the latest file changed by removal or restore, it has to be reviewed again."""
    latest = slot.latest
    if latest is None:
        slot.state = ReportState.MISSING
    else:
        slot.state = ReportState.LATE if latest.late else ReportState.SUBMITTED
    slot.note = ""


def remove_version(slot: ReportSlot, number: int, actor: Person) -> ReportVersion:
    version = _version_or_404(slot, number)
    if version.removed_at is not None:
        raise ValidationError({"version": f"Version {number} is already removed."}, status=409)
    was_latest = version is slot.latest
    version.removed_at = utcnow()
    version.removed_by = actor
    if was_latest:
        _state_from_files(slot)
    record(slot, actor, "removal", f"version {number}: {version.stored_file.original_name} "
                                   "(kept until purged)")
    return version


def restore_version(slot: ReportSlot, number: int, actor: Person) -> ReportVersion:
    version = _version_or_404(slot, number)
    if version.removed_at is None:
        raise ValidationError({"version": f"Version {number} is not removed."}, status=409)
    version.removed_at = None
    version.removed_by = None
    if version is slot.latest:
        _state_from_files(slot)
    record(slot, actor, "restore", f"version {number}: {version.stored_file.original_name}")
    return version


def purge_version(slot: ReportSlot, number: int, actor: Person) -> str:
    """Delete a removed version for good; the sha256 whose blob may now be unused (see :func:`delete_unused_blob`)."""
    version = _version_or_404(slot, number)
    if version.removed_at is None:
        raise ValidationError({"version": "Remove the version first; only a removed version can be purged."},
                              status=409)
    stored = version.stored_file
    record(slot, actor, "purge", f"version {number}: {stored.original_name} (sha256 {stored.sha256[:12]}) "
                                 "deleted for good")
    slot.versions.remove(version)
    db.session.delete(stored)
    db.session.flush()
    return stored.sha256


def delete_unused_blob(sha256: str) -> None:
    """After the purge is committed: delete the bytes unless another stored file still has them."""
    if db.session.scalar(select(func.count(StoredFile.id)).where(StoredFile.sha256 == sha256)):
        return
    try:
        path = open_stored(StoredFile(sha256=sha256, safe_name=sha256, original_name=sha256))
    except NotFound:
        return
    try:
        path.unlink()
    except OSError as error:  # the row is gone; a leftover blob wastes space but breaks nothing
        log.error("purged blob %s not deleted: %s", path, error)


# Audit and the dashboard -------------------------------------------------------------------------

SLOT_TOPIC = "report-slot"
# Slots created: a dashboard has no row to update for a slot it has never shown, so it gets the whole table.
SLOTS_TOPIC = "report-slots"


def live_target(workshop_id: int) -> str:
    """One revision for a workshop's dashboard: its rows and its counts."""
    return f"reports:workshop:{workshop_id}"


def live_version(workshop: Workshop) -> int:
    """The dashboard's revision, read before what it versions."""
    return revisions.current(live_target(workshop.id))


def record(slot: ReportSlot, actor: Person | None, action: str, detail: str = "") -> ReportEvent:
    """The slot's own history (its page), the same line in the workshop's audit log, and the change announced:
    every change of a slot goes through here."""
    event = ReportEvent(workshop_id=slot.workshop_id, slot=slot, actor_id=actor.id if actor else None,
                        actor_name=actor.name if actor else "system", action=action, detail=detail[:2000])
    db.session.add(event)
    audit.record(slot.workshop_id, actor, f"country report {action}",
                 detail=f"{country_name(slot.country)}: {detail}"[:2000] if detail else country_name(slot.country))
    db.session.flush()
    announce(SLOT_TOPIC, slot.id)
    revisions.bump(live_target(slot.workshop_id))
    return event


def events_of(workshop: Workshop, slot: ReportSlot | None = None, limit: int = 500) -> list[ReportEvent]:
    query = select(ReportEvent).where(ReportEvent.workshop_id == workshop.id)
    if slot is not None:
        query = query.where(ReportEvent.slot_id == slot.id)
    return list(db.session.scalars(query.order_by(ReportEvent.id.desc()).limit(limit)))


def counts(workshop: Workshop) -> dict[ReportState, int]:
    found = dict(db.session.execute(select(ReportSlot.state, func.count()).where(
        ReportSlot.workshop_id == workshop.id).group_by(ReportSlot.state)).all())
    return {state: found.get(state, 0) for state in ReportState}


def published_slots(workshop: Workshop) -> list[ReportSlot]:
    return slots_of(workshop, ReportState.PUBLISHED)


def latest_files(workshop: Workshop) -> tuple[list[tuple[str, Path]], list[str]]:
    """(archive name, path on disk) of every slot's latest version, and the names missing from disk."""
    entries, missing = [], []
    for slot in slots_of(workshop):
        latest = slot.latest
        if latest is None:
            continue
        name = f"{slot.country}_v{latest.number}_{latest.stored_file.safe_name}"
        try:
            entries.append((name, open_stored(latest.stored_file)))
        except NotFound:
            missing.append(name)
    return entries, missing


DEFAULT_SLOT = {"title": "Country report", "instructions": "", "due_at": None,
                "allowed_kinds": DEFAULT_KINDS.split(","), "participants_may_upload": True}
