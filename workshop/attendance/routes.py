"""Attendance pages: the organizers' grid, a session's list, entries by hand, exports and deleting intervals; and
each person's own attendance."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from workshop.accounts.models import Person
from workshop.accounts.services import country_name
from workshop.agenda.display import clock_for
from workshop.attendance import services
from workshop.attendance.forms import DeleteIntervalsForm, ManualEntryForm, RemoveEntryForm
from workshop.csvio import csv_response
from workshop.db import db
from workshop.forms import submit
from workshop.workshops.models import Membership, Role, Workshop
from workshop.workshops.permissions import Action, can, requires

blueprint = Blueprint("attendance", __name__)


def _clock(workshop: Workshop):
    return clock_for(current_user.timezone, workshop.timezone)


@lru_cache(maxsize=len(services.BANDS) * 101)
def _cell_html(css: str, percent: int) -> Markup:
    """A grid cell, made once per band and percentage (a class name of ours and a number: nothing to escape) rather
    than rendered 14,000 times for 1,000 people x 14 sessions, which was half of the page's time."""
    return Markup(f'<td class="{css}">{percent}%</td>')


def cells_html(cells: list[services.Cell]) -> Markup:
    return Markup("").join(_cell_html(cell.band.css, cell.percent) for cell in cells)


def _filters(workshop: Workshop) -> tuple[str | None, Role | None]:
    country = request.args.get("country") or None
    if country is not None and country not in services.countries_of(workshop):
        abort(400, "No member of this workshop is from that country.")
    try:
        role = Role(request.args["role"]) if request.args.get("role") else None
    except ValueError:
        abort(400, "Unknown role to filter by.")
    return country, role


@blueprint.get("/w/<code>/attendance")
@requires(Action.VIEW_WORKSHOP)
def overview(workshop: Workshop, membership: Membership):
    if not can(membership, Action.MANAGE_ATTENDANCE):
        return render_template("attendance/own.html", workshop=workshop,
                               sessions=services.own_attendance(workshop, current_user.id), clock=_clock(workshop))
    country, role = _filters(workshop)
    return render_template("attendance/grid.html", workshop=workshop, grid=services.grid(workshop, country, role),
                           country=country, role=role, roles=list(Role), bands=services.BANDS,
                           purge=services.purge_of(workshop), clock=_clock(workshop), cells_html=cells_html)


@blueprint.get("/w/<code>/attendance/sessions/<int:session_id>")
@requires(Action.MANAGE_ATTENDANCE)
def session_list(workshop: Workshop, membership: Membership, session_id: int):
    session = next((s for s in services.attended_sessions(workshop) if s.id == session_id), None)
    if session is None:
        abort(404, "There is no such session in this workshop's attendance.")
    return render_template("attendance/session.html", workshop=workshop, session=session,
                           people=services.session_list(workshop, session), clock=_clock(workshop))


@blueprint.get("/w/<code>/attendance.csv")
@requires(Action.MANAGE_ATTENDANCE)
def grid_csv(workshop: Workshop, membership: Membership):
    country, role = _filters(workshop)
    header, rows = services.grid_csv(services.grid(workshop, country, role))
    return csv_response(f"{workshop.code}-attendance.csv", header, rows)


@blueprint.get("/w/<code>/attendance/intervals.csv")
@requires(Action.MANAGE_ATTENDANCE)
def intervals_csv(workshop: Workshop, membership: Membership):
    header, rows = services.intervals_csv(workshop)
    return csv_response(f"{workshop.code}-attendance-intervals.csv", header, rows)


def _entry_form(workshop: Workshop) -> ManualEntryForm:
    form = ManualEntryForm()
    form.person_id.choices = [(person_id, f"{name} ({country_name(country) if country else 'no country'})")
                              for person_id, name, country in
                              db.session.execute(select(Person.id, Person.name, Membership.country)
                                                 .join(Membership, Membership.person_id == Person.id)
                                                 .where(Membership.workshop_id == workshop.id)
                                                 .order_by(Person.name))]
    zone = ZoneInfo(workshop.timezone)
    form.session_id.choices = [(s.id, f"{s.title}, {s.starts_at.astimezone(zone):%a %d %b %H:%M} {workshop.timezone}")
                               for s in services.attended_sessions(workshop)]
    return form


def _in_host_zone(workshop: Workshop, moment: datetime) -> datetime:
    return moment.replace(tzinfo=ZoneInfo(workshop.timezone))


def _manual_page(workshop: Workshop, form: ManualEntryForm, status: int = 200, remove_form=None):
    return render_template("attendance/manual.html", workshop=workshop, form=form,
                           remove_form=remove_form or RemoveEntryForm(), reason_max=services.REASON_MAX,
                           entries=services.manual_entries(workshop),
                           purge=services.purge_of(workshop), clock=_clock(workshop)), status


@blueprint.get("/w/<code>/attendance/manual")
@requires(Action.MANAGE_ATTENDANCE)
def manual(workshop: Workshop, membership: Membership):
    return _manual_page(workshop, _entry_form(workshop))


@blueprint.post("/w/<code>/attendance/manual")
@requires(Action.MANAGE_ATTENDANCE)
def add_manual(workshop: Workshop, membership: Membership):
    form = _entry_form(workshop)
    entry, status = submit(form, lambda: services.add_manual(
        workshop, current_user, form.person_id.data, form.session_id.data,
        _in_host_zone(workshop, form.started_at.data), _in_host_zone(workshop, form.ended_at.data),
        form.reason.data))
    if entry is None:
        return _manual_page(workshop, form, status)
    flash("Attendance added; the reason is in the audit log.", "success")
    return redirect(url_for("attendance.manual", code=workshop.code))


@blueprint.post("/w/<code>/attendance/manual/<int:entry_id>/remove")
@requires(Action.MANAGE_ATTENDANCE)
def remove_manual(workshop: Workshop, membership: Membership, entry_id: int):
    if entry_id > services.LARGEST_ID:
        abort(400, "That is not the number of an entry.")
    entry = services.manual_entry(workshop, entry_id)
    if entry is None:
        abort(404, "There is no such entry made by hand in this workshop.")
    form = RemoveEntryForm()
    _, status = submit(form, lambda: services.remove_manual(entry, current_user, form.reason.data))
    if status != 200:  # a POST: 200 only once removed
        return _manual_page(workshop, _entry_form(workshop), status, remove_form=form)
    flash("Entry removed; the reason is in the audit log.", "success")
    return redirect(url_for("attendance.manual", code=workshop.code))


def _delete_page(workshop: Workshop, form: DeleteIntervalsForm, status: int = 200):
    return render_template("attendance/delete.html", workshop=workshop, form=form,
                           ended=services.has_ended(workshop), intervals=services.interval_count(workshop),
                           purge=services.purge_of(workshop), clock=_clock(workshop)), status


@blueprint.get("/w/<code>/attendance/delete-intervals")
@requires(Action.MANAGE_ATTENDANCE)
def confirm_delete(workshop: Workshop, membership: Membership):
    return _delete_page(workshop, DeleteIntervalsForm())


@blueprint.post("/w/<code>/attendance/delete-intervals")
@requires(Action.MANAGE_ATTENDANCE)
def delete_intervals(workshop: Workshop, membership: Membership):
    form = DeleteIntervalsForm()
    deleted, status = submit(form, lambda: services.delete_intervals(workshop, current_user))
    if deleted is None:
        return _delete_page(workshop, form, status)
    flash(f"Deleted {deleted} attendance intervals; each person's total per session is kept.", "success")
    return redirect(url_for("attendance.overview", code=workshop.code))
