"""Report pages: the organizers' dashboard, a slot's page, uploads, downloads, review, CSV and the ZIP of latest files."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from workshop.agenda.display import clock_for
from workshop.csvio import csv_response
from workshop.db import db
from workshop.errors import ValidationError
from workshop.forms import ActionForm, submit
from workshop.reports import services
from workshop.reports.forms import ReviewForm, SlotForm
from workshop.reports.models import ReportSlot, ReportState
from workshop.reports.zipstream import stream_zip
from workshop.uploads.storage import content_disposition, send_stored
from workshop.workshops.models import Membership, Workshop
from workshop.workshops.permissions import Action, requires

blueprint = Blueprint("reports", __name__)


def _slot_or_404(workshop: Workshop, slot_id: int) -> ReportSlot:
    slot = services.slot_in(workshop, slot_id)
    if slot is None:
        abort(404, "There is no such report slot in this workshop.")
    return slot


def _host_zone(workshop: Workshop) -> ZoneInfo:
    return ZoneInfo(workshop.timezone)


def _server_max_mb() -> int:
    return current_app.config["MAX_UPLOAD_MB"]


def _clock(workshop: Workshop):
    return clock_for(current_user.timezone, workshop.timezone)


def _state_filter() -> ReportState | None:
    raw = request.args.get("state") or ""
    try:
        return ReportState(raw) if raw else None
    except ValueError:
        abort(400, "Unknown report state to filter by.")


@blueprint.get("/w/<code>/reports")
@requires(Action.VIEW_WORKSHOP)
def dashboard(workshop: Workshop, membership: Membership):
    if not services.is_organizer(membership):
        own, waiting = services.own_slot(workshop, membership)
        return render_template("reports/overview.html", workshop=workshop, own=own, waiting=waiting,
                               published=services.published_slots(workshop),
                               may_upload=own is not None and services.may_upload(own, membership))
    state = _state_filter()
    version = services.live_version(workshop)
    return render_template("reports/dashboard.html", workshop=workshop, state=state, version=version,
                           slots=services.slots_of(workshop, state), counts=services.counts(workshop),
                           counts_version=version,
                           missing_countries=services.countries_without_slot(workshop), form=SlotForm(),
                           waiting_count=services.waiting_count(workshop),
                           clock=_clock(workshop), server_max_mb=_server_max_mb())


@blueprint.post("/w/<code>/reports/slots")
@requires(Action.MANAGE_REPORTS)
def create_slots(workshop: Workshop, membership: Membership):
    form = SlotForm()
    slots, status = submit(form, lambda: services.create_slots(workshop, form.data, current_user,
                                                               _host_zone(workshop), _server_max_mb()))
    if slots is None:
        version = services.live_version(workshop)
        return render_template("reports/dashboard.html", workshop=workshop, state=None, version=version,
                               slots=services.slots_of(workshop), counts=services.counts(workshop),
                               counts_version=version,
                               missing_countries=services.countries_without_slot(workshop), form=form,
                               waiting_count=services.waiting_count(workshop),
                               clock=_clock(workshop), server_max_mb=_server_max_mb(), form_open=True), status
    flash(f"Created {len(slots)} report slot{'s' if len(slots) != 1 else ''}.", "success")
    return redirect(url_for("reports.dashboard", code=workshop.code))


def _slot_page(workshop: Workshop, membership: Membership, slot: ReportSlot, form: SlotForm | None = None,
               review_form: ReviewForm | None = None, status: int = 200):
    organizer = services.is_organizer(membership)
    if not organizer and not services.may_see_all_versions(slot, membership) \
            and slot.state != ReportState.PUBLISHED:
        abort(403, services.not_published_message(slot, membership))
    if organizer and form is None:
        form = SlotForm(obj=slot, allowed_kinds=sorted(slot.kinds))
        if slot.due_at is not None:
            form.due_at.data = slot.due_at.astimezone(_host_zone(workshop)).replace(tzinfo=None)
    return render_template("reports/slot.html", workshop=workshop, slot=slot, organizer=organizer,
                           all_versions=services.may_see_all_versions(slot, membership),
                           may_upload=services.may_upload(slot, membership),
                           waiting=services.waits_for(slot, membership),
                           form=form, review_form=review_form or ReviewForm(), action_form=ActionForm(),
                           events=services.events_of(workshop, slot) if organizer else [],
                           clock=_clock(workshop), review_actions=services.REVIEW), status


@blueprint.get("/w/<code>/reports/<int:slot_id>")
@requires(Action.VIEW_WORKSHOP)
def slot_page(workshop: Workshop, membership: Membership, slot_id: int):
    return _slot_page(workshop, membership, _slot_or_404(workshop, slot_id))


@blueprint.post("/w/<code>/reports/<int:slot_id>")
@requires(Action.MANAGE_REPORTS)
def update_slot(workshop: Workshop, membership: Membership, slot_id: int):
    slot = _slot_or_404(workshop, slot_id)
    form = SlotForm()
    saved, status = submit(form, lambda: services.update_slot(slot, form.data, current_user, _host_zone(workshop),
                                                              _server_max_mb()))
    if saved is None:
        return _slot_page(workshop, membership, _slot_or_404(workshop, slot_id), form=form, status=status)
    flash("Saved the slot's settings.", "success")
    return redirect(url_for("reports.slot_page", code=workshop.code, slot_id=slot.id))


def _wants_json() -> bool:
    """reports.js sends its uploads with XMLHttpRequest and shows the answer in place."""
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


@blueprint.post("/w/<code>/reports/<int:slot_id>/upload")
@requires(Action.VIEW_WORKSHOP)
def upload(workshop: Workshop, membership: Membership, slot_id: int):
    slot = _slot_or_404(workshop, slot_id)
    page = url_for("reports.slot_page", code=workshop.code, slot_id=slot.id)
    try:
        services.check_may_upload(slot, membership)  # before the body is read
        try:
            chosen = request.files.get("file")
        except RequestEntityTooLarge:
            raise ValidationError({"file": f"The file is larger than the limit of {slot.max_mb} MB. "
                                           "Nothing was saved."}, status=413) from None
        if chosen is None or not chosen.filename:
            raise ValidationError({"file": "Choose a file to upload."})
        result = services.upload(slot, chosen, current_user, membership)
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        if _wants_json():
            return jsonify(ok=False, message=" ".join(error.errors.values())), error.status
        raise
    flash(result.message, "success" if result.new else "info")
    if _wants_json():
        return jsonify(ok=True, new=result.new, version=result.version.number, message=result.message, url=page)
    return redirect(page)


@blueprint.get("/w/<code>/reports/<int:slot_id>/v/<int:number>")
@requires(Action.VIEW_WORKSHOP)
def download(workshop: Workshop, membership: Membership, slot_id: int, number: int):
    slot = _slot_or_404(workshop, slot_id)
    version = services.downloadable_version(slot, number, membership)
    return send_stored(version.stored_file)


@blueprint.post("/w/<code>/reports/<int:slot_id>/review")
@requires(Action.MANAGE_REPORTS)
def review(workshop: Workshop, membership: Membership, slot_id: int):
    slot = _slot_or_404(workshop, slot_id)
    form = ReviewForm()
    saved, status = submit(form, lambda: services.review(slot, form.action.data or "", form.note.data or "",
                                                         current_user))
    if saved is None:
        return _slot_page(workshop, membership, _slot_or_404(workshop, slot_id), review_form=form, status=status)
    flash(f"The report is now {slot.state.value}.", "success")
    return redirect(url_for("reports.slot_page", code=workshop.code, slot_id=slot.id))


VERSION_ACTIONS = {
    "remove": (services.remove_version, "Version {n} removed; it is kept until purged."),
    "restore": (services.restore_version, "Version {n} restored."),
}


@blueprint.post("/w/<code>/reports/<int:slot_id>/v/<int:number>/<action>")
@requires(Action.MANAGE_REPORTS)
def version_action(workshop: Workshop, membership: Membership, slot_id: int, number: int, action: str):
    slot = _slot_or_404(workshop, slot_id)
    if action == "purge":
        sha256 = services.purge_version(slot, number, current_user)
        db.session.commit()
        services.delete_unused_blob(sha256)
        message = f"Version {number} deleted for good."
    elif action in VERSION_ACTIONS:
        change, message = VERSION_ACTIONS[action]
        change(slot, number, current_user)
        db.session.commit()
        message = message.format(n=number)
    else:
        abort(404, "Unknown action.")
    flash(message, "success")
    return redirect(url_for("reports.slot_page", code=workshop.code, slot_id=slot.id))


@blueprint.get("/w/<code>/reports/audit")
@requires(Action.MANAGE_REPORTS)
def audit(workshop: Workshop, membership: Membership):
    return render_template("reports/audit.html", workshop=workshop, events=services.events_of(workshop, limit=2000),
                           clock=_clock(workshop))


@blueprint.get("/w/<code>/reports.csv")
@requires(Action.MANAGE_REPORTS)
def export_csv(workshop: Workshop, membership: Membership):
    rows = []
    for slot in services.slots_of(workshop, _state_filter()):
        latest = slot.latest
        rows.append((slot.country, services.country_name(slot.country), slot.title, slot.state.value,
                     slot.due_at.isoformat() if slot.due_at else "", len(slot.live_versions),
                     latest.stored_file.original_name if latest else "",
                     latest.created_at.isoformat() if latest else "", "yes" if latest and latest.late else "",
                     latest.stored_file.sha256 if latest else "", slot.note))
    return csv_response(f"{workshop.code}-country-reports.csv",
                        ["country code", "country", "title", "state", "due (UTC)", "versions", "latest file",
                         "latest uploaded (UTC)", "late", "sha256", "note"], rows)


@blueprint.get("/w/<code>/reports/latest.zip")
@requires(Action.MANAGE_REPORTS)
def latest_zip(workshop: Workshop, membership: Membership):
    entries, missing = services.latest_files(workshop)
    if not entries and not missing:
        abort(404, "No country has uploaded a report yet.")
    response = Response(stream_zip(entries, missing), mimetype="application/zip", direct_passthrough=True)
    response.headers["Content-Disposition"] = content_disposition(f"{workshop.code}-country-reports.zip")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
