"""Agenda pages: the programme in the viewer's timezone, editing in place with htmx, now/next, session pages."""

from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_required
from markupsafe import Markup

from workshop.agenda import services
from workshop.agenda.calendar_routes import personal_feed_url
from workshop.agenda.display import LRUCache, clock_for
from workshop.agenda.forms import FileMaterialForm, LinkMaterialForm, SessionForm, TimezoneForm
from workshop.db import db, utcnow
from workshop.errors import ValidationError
from workshop.forms import submit
from workshop.inputs import is_htmx
from workshop.uploads.storage import ALL_KINDS, send_stored, store_upload
from workshop.urls import safe_local_path
from workshop.workshops.models import Membership, Workshop
from workshop.workshops.permissions import Action, can, requires

blueprint = Blueprint("agenda", __name__)
RENDERED_AGENDAS = 512


def _rendered() -> LRUCache:
    """The app's own cache: each app (and each test's) starts empty, so a reused workshop id never sees stale HTML."""
    return current_app.extensions.setdefault("agenda_rendered", LRUCache(RENDERED_AGENDAS))


def _clock(workshop: Workshop):
    return clock_for(current_user.timezone, workshop.timezone)


def _agenda_context(workshop: Workshop, membership: Membership) -> dict:
    sessions = services.sessions_of(workshop)
    return {
        "workshop": workshop,
        "membership": membership,
        "sessions": sessions,
        "clock": _clock(workshop),
        "can_edit": can(membership, Action.EDIT_WORKSHOP),
        "overlaps": services.overlapping_ids(sessions),
    }


def _agenda_fragment(workshop: Workshop, membership: Membership, message: str | None = None) -> Response:
    """The whole agenda list, swapped in place of the old one (whatever element the request targeted)."""
    html = render_template("agenda/_agenda.html", message=message, **_agenda_context(workshop, membership))
    return Response(html, headers={"HX-Retarget": "#agenda", "HX-Reswap": "outerHTML"})



def _session_form(workshop: Workshop, **kwargs) -> SessionForm:
    form = SessionForm(**kwargs)
    form.moderators.choices = [(p.id, p.name) for p in services.staff_of(workshop)]
    return form


@blueprint.get("/w/<code>/agenda")
@requires(Action.VIEW_WORKSHOP)
def agenda(workshop: Workshop, membership: Membership):
    clock = _clock(workshop)
    can_edit = can(membership, Action.EDIT_WORKSHOP)
    # Participants share a handful of zones and languages: render each combination once per agenda version.
    # created_at tells apart a workshop re-created under a reused id (SQLite, a reset demo); the host zone is there
    # because editing the workshop's timezone changes every "Host:" time without a new agenda version.
    key = (workshop.id, workshop.created_at, workshop.agenda_version, workshop.timezone, clock.zone.key,
           str(clock.locale), can_edit)
    listing = _rendered().get(key)
    if listing is None:
        listing = Markup(render_template("agenda/_agenda.html", message=None, **_agenda_context(workshop, membership)))
        _rendered().put(key, listing)
    return render_template("agenda/agenda.html", workshop=workshop, clock=clock, listing=listing,
                           timezone_form=TimezoneForm(timezone=current_user.timezone),
                           personal_feed_url=personal_feed_url)


@blueprint.get("/w/<code>/agenda/new")
@requires(Action.EDIT_WORKSHOP)
def new_session(workshop: Workshop, membership: Membership):
    start = services.workshop_bounds(workshop)[0].replace(hour=9)
    form = _session_form(workshop, starts_at=start.replace(tzinfo=None), ends_at=start.replace(hour=10, tzinfo=None))
    return render_template("agenda/_session_form.html", form=form, workshop=workshop, session=None)


@blueprint.post("/w/<code>/agenda")
@requires(Action.EDIT_WORKSHOP)
def create_session(workshop: Workshop, membership: Membership):
    form = _session_form(workshop)
    session, status = submit(form, lambda: services.create_session(workshop, form.data))
    if session is None:
        return render_template("agenda/_session_form.html", form=form, workshop=workshop, session=None), status
    if not is_htmx():
        return redirect(url_for("agenda.agenda", code=workshop.code))
    return _agenda_fragment(workshop, membership, f"Added “{session.title}”.")


@blueprint.get("/w/<code>/agenda/<int:session_id>/edit")
@requires(Action.EDIT_WORKSHOP)
def edit_session(workshop: Workshop, membership: Membership, session_id: int):
    session = services.session_or_404(workshop, session_id)
    zone = _clock(workshop).host_zone
    form = _session_form(workshop, obj=session)
    form.starts_at.data = session.starts_at.astimezone(zone).replace(tzinfo=None)
    form.ends_at.data = session.ends_at.astimezone(zone).replace(tzinfo=None)
    form.kind.data = session.kind.value
    form.moderators.data = [p.id for p in session.moderators]
    return render_template("agenda/_session_form.html", form=form, workshop=workshop, session=session)


@blueprint.post("/w/<code>/agenda/<int:session_id>")
@requires(Action.EDIT_WORKSHOP)
def update_session(workshop: Workshop, membership: Membership, session_id: int):
    session = services.session_or_404(workshop, session_id)
    form = _session_form(workshop)
    saved, status = submit(form, lambda: services.update_session(session, workshop, form.data))
    if saved is None:
        return render_template("agenda/_session_form.html", form=form, workshop=workshop, session=session), status
    if not is_htmx():
        return redirect(url_for("agenda.agenda", code=workshop.code))
    return _agenda_fragment(workshop, membership, f"Saved “{saved.title}”.")


@blueprint.get("/w/<code>/agenda/list")
@requires(Action.VIEW_WORKSHOP)
def agenda_list(workshop: Workshop, membership: Membership):
    """The list alone: what "Cancel" in an editor brings back."""
    return _agenda_fragment(workshop, membership)


@blueprint.post("/w/<code>/agenda/<int:session_id>/delete")
@requires(Action.EDIT_WORKSHOP)
def delete_session(workshop: Workshop, membership: Membership, session_id: int):
    session = services.session_or_404(workshop, session_id)
    title = session.title
    services.delete_session(session)
    db.session.commit()
    if not is_htmx():
        return redirect(url_for("agenda.agenda", code=workshop.code))
    return _agenda_fragment(workshop, membership, f"Deleted “{title}”.")


@blueprint.post("/w/<code>/agenda/<int:session_id>/move/<direction>")
@requires(Action.EDIT_WORKSHOP)
def move_session(workshop: Workshop, membership: Membership, session_id: int, direction: str):
    session = services.session_or_404(workshop, session_id)
    services.move_session(workshop, session, direction)
    db.session.commit()
    if not is_htmx():
        return redirect(url_for("agenda.agenda", code=workshop.code))
    return _agenda_fragment(workshop, membership, f"Moved “{session.title}” {direction}.")


@blueprint.post("/me/timezone")
@login_required
def set_timezone():
    form = TimezoneForm()
    if not form.validate_on_submit():
        abort(400, "Choose a timezone.")
    services.set_timezone(current_user, form.timezone.data)
    db.session.commit()
    flash(f"Times are now shown in {current_user.timezone}.", "success")
    return redirect(safe_local_path(request.form.get("next"), url_for("workshops.index")))


@blueprint.get("/timezones")
@login_required
def timezone_names():
    """Every IANA zone name as a <datalist>, fetched when the timezone field is first focused."""
    response = Response(render_template("agenda/_timezone_names.html"))
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# Now and next, and the session's live page ------------------------------------------------

@blueprint.get("/w/<code>/now-next")
@requires(Action.VIEW_WORKSHOP)
def now_next(workshop: Workshop, membership: Membership):
    return now_next_section(workshop)


def now_next_section(workshop: Workshop) -> Markup:
    """The "Now and next" section: its own refreshes, and the workshop's home page (a template global, so
    that the workshops package needs nothing from the agenda)."""
    moment = utcnow()
    sessions = services.unfinished_sessions(workshop, moment)
    return Markup(render_template("agenda/_now_next.html", workshop=workshop,
                                  state=services.now_and_next(sessions, moment), clock=_clock(workshop),
                                  has_sessions=bool(sessions) or services.has_sessions(workshop)))


@blueprint.get("/w/<code>/s/<int:session_id>")
@requires(Action.VIEW_WORKSHOP)
def session_page(workshop: Workshop, membership: Membership, session_id: int):
    session = services.session_or_404(workshop, session_id)
    return render_template("agenda/session.html", workshop=workshop, membership=membership, session=session,
                           clock=_clock(workshop), can_edit=can(membership, Action.EDIT_WORKSHOP),
                           can_moderate=can(membership, Action.MODERATE),
                           link_form=LinkMaterialForm(), file_form=FileMaterialForm())


@blueprint.post("/w/<code>/s/<int:session_id>/materials/link")
@requires(Action.EDIT_WORKSHOP)
def add_link(workshop: Workshop, membership: Membership, session_id: int):
    session = services.session_or_404(workshop, session_id)
    form = LinkMaterialForm()
    material, status = submit(form, lambda: services.add_link(session, form.title.data, form.url.data))
    if material is None:
        raise ValidationError({"url": " ".join(e for errors in form.errors.values() for e in errors)
                               or "Give a title and an https:// link."}, status=status)
    flash(f"Added “{material.title}”.", "success")
    return redirect(url_for("agenda.session_page", code=workshop.code, session_id=session.id))


@blueprint.post("/w/<code>/s/<int:session_id>/materials/file")
@requires(Action.EDIT_WORKSHOP)
def add_file(workshop: Workshop, membership: Membership, session_id: int):
    session = services.session_or_404(workshop, session_id)
    form = FileMaterialForm()
    upload = request.files.get("file")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        abort(400, "Choose a file to upload.")
    stored = store_upload(upload, allowed_kinds=ALL_KINDS,
                          max_bytes=current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024, uploader=current_user)
    material = services.add_file(session, form.title.data or "", stored)
    db.session.commit()
    flash(f"Added “{material.title}”.", "success")
    return redirect(url_for("agenda.session_page", code=workshop.code, session_id=session.id))


@blueprint.get("/w/<code>/s/<int:session_id>/materials/<int:material_id>")
@requires(Action.VIEW_WORKSHOP)
def download_material(workshop: Workshop, membership: Membership, session_id: int, material_id: int):
    session = services.session_or_404(workshop, session_id)
    material = next((m for m in session.materials if m.id == material_id and m.stored_file), None)
    if material is None:
        abort(404, "There is no such file in this session.")
    return send_stored(material.stored_file)


@blueprint.post("/w/<code>/s/<int:session_id>/materials/<int:material_id>/delete")
@requires(Action.EDIT_WORKSHOP)
def remove_material(workshop: Workshop, membership: Membership, session_id: int, material_id: int):
    session = services.session_or_404(workshop, session_id)
    services.remove_material(session, material_id)
    db.session.commit()
    flash("Material removed.", "success")
    return redirect(url_for("agenda.session_page", code=workshop.code, session_id=session.id))
