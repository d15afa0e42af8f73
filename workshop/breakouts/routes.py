"""The moderators' breakout desk, the participants' choices, room pages with notes, and the exports."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from workshop.agenda.display import clock_for
from workshop.agenda.services import session_or_404
from workshop.breakouts import live, services
from workshop.breakouts.forms import RoundForm
from workshop.breakouts.models import BreakoutRoom, BreakoutRound, GroupKind, RoundState
from workshop.csvio import csv_response
from workshop.db import db
from workshop.errors import ValidationError
from workshop.forms import show_errors
from workshop.inputs import is_htmx
from workshop.workshops.models import Membership, Workshop
from workshop.workshops.permissions import Action, requires

blueprint = Blueprint("breakouts", __name__)
BASE = "/w/<code>/s/<int:session_id>/breakouts"


def _round_or_404(session, round_id: int) -> BreakoutRound:
    found = services.round_in(session, round_id)
    if found is None:
        abort(404, "There is no such breakout round in this session.")
    return found


def _room_or_404(session, room_id: int) -> BreakoutRoom:
    room = db.session.get(BreakoutRoom, room_id)
    if room is None or room.round.session_id != session.id:
        abort(404, "There is no such breakout room in this session.")
    return room


def _form_data() -> dict:
    data = request.form.to_dict()
    data["max_one_roles"] = request.form.getlist("max_one_roles")
    return data


def _to_round(workshop, session, round_, anchor: str = ""):
    return redirect(url_for("breakouts.round_desk", code=workshop.code, session_id=session.id, round_id=round_.id)
                    + anchor, code=303)


# The desk: rounds of a session ----------------------------------------------------------------------

@blueprint.get(BASE)
@requires(Action.MODERATE)
def desk(workshop: Workshop, membership: Membership, session_id: int):
    session = session_or_404(workshop, session_id)
    return _desk_page(workshop, session, RoundForm(formdata=None))


def _desk_page(workshop, session, form, status=200):
    return render_template("breakouts/desk.html", workshop=workshop, session=session, form=form,
                           rounds=services.rounds_of(session),
                           participants=services.participant_count(workshop.id),
                           clock=clock_for(current_user.timezone, workshop.timezone)), status


@blueprint.post(BASE)
@requires(Action.MODERATE)
def create(workshop: Workshop, membership: Membership, session_id: int):
    session = session_or_404(workshop, session_id)
    form = RoundForm()
    if not form.validate_on_submit():
        return _desk_page(workshop, session, form, 400)
    try:
        round_ = services.create_round(session, _form_data())
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        show_errors(form, error)
        return _desk_page(workshop, session, form, error.status)
    flash(f"{round_.title} created with {len(round_.rooms)} rooms. Make a preview, then open it.", "success")
    return _to_round(workshop, session, round_)


# One round ----------------------------------------------------------------------------------------------

@blueprint.get(f"{BASE}/<int:round_id>")
@requires(Action.MODERATE)
def round_desk(workshop: Workshop, membership: Membership, session_id: int, round_id: int):
    session = session_or_404(workshop, session_id)
    return _round_page(workshop, session, _round_or_404(session, round_id))


def _round_page(workshop, session, round_, status=200, *, form=None, errors=None, rules=None, csv_problems=()):
    errors = dict(errors or {})
    version = services.session_version(session.id)
    rules = rules or {kind.value: services.group_lines(round_, kind) for kind in GroupKind}
    shown = services.preview(round_)
    return render_template(
        "breakouts/round.html", workshop=workshop, session=session, round=round_, form=form or RoundForm.of(round_),
        errors=errors, rules=rules, csv_problems=csv_problems, preview=shown, version=version,
        desk=live.desk_state(round_) if round_.state == RoundState.OPEN else None,
        help_requests=services.help_requests(round_), messages=services.messages_of(round_),
        seats=services.seats_left(round_) if round_.state == RoundState.DRAFT else {},
        clock=clock_for(current_user.timezone, workshop.timezone)), status


def _attempt(workshop, session, round_, change, success: str, anchor: str = "", **page):
    """Run a service change; commit and go back to the round with a message, or show the round with the error."""
    try:
        result = change()
        db.session.commit()
    except services.CsvRejected as rejected:
        db.session.rollback()
        db.session.refresh(round_)
        return _round_page(workshop, session, round_, rejected.status, errors=rejected.errors,
                           csv_problems=rejected.problems)
    except ValidationError as error:
        db.session.rollback()
        db.session.refresh(round_)
        return _round_page(workshop, session, round_, error.status, errors=error.errors, **page)
    flash(success if isinstance(success, str) else success(result), "success")
    return _to_round(workshop, session, round_, anchor)


@blueprint.post(f"{BASE}/<int:round_id>/settings")
@requires(Action.MODERATE)
def settings(workshop: Workshop, membership: Membership, session_id: int, round_id: int):
    session = session_or_404(workshop, session_id)
    round_ = _round_or_404(session, round_id)
    form = RoundForm()
    if not form.validate_on_submit():
        return _round_page(workshop, session, round_, 400, form=form)
    try:
        services.update_round(round_, _form_data())
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        db.session.refresh(round_)
        show_errors(form, error)
        return _round_page(workshop, session, round_, error.status, form=form, errors=error.errors)
    flash("Settings saved.", "success")
    return _to_round(workshop, session, round_)


@blueprint.post(f"{BASE}/<int:round_id>/rules")
@requires(Action.MODERATE)
def rules(workshop: Workshop, membership: Membership, session_id: int, round_id: int):
    session = session_or_404(workshop, session_id)
    round_ = _round_or_404(session, round_id)
    typed = {kind.value: request.form.get(field, "") for kind, field in (
        (GroupKind.KEEP_APART, "keep_apart"), (GroupKind.KEEP_TOGETHER, "keep_together"),
        (GroupKind.FACILITATORS, "facilitators"))}
    return _attempt(workshop, session, round_, lambda: services.save_rules(round_, request.form),
                    "Rules saved. Make the preview again to apply them.", "#rules", rules=typed)


@blueprint.post(f"{BASE}/<int:round_id>/preview")
@requires(Action.MODERATE)
def make_preview(workshop: Workshop, membership: Membership, session_id: int, round_id: int):
    session = session_or_404(workshop, session_id)
    round_ = _round_or_404(session, round_id)
    new_seed = request.form.get("new_seed") == "1"
    return _attempt(workshop, session, round_, lambda: services.generate_preview(round_, new_seed=new_seed),
                    lambda r: f"Preview made (seed {r.seed}).", "#preview")


@blueprint.post(f"{BASE}/<int:round_id>/import")
@requires(Action.MODERATE)
def import_csv(workshop: Workshop, membership: Membership, session_id: int, round_id: int):
    session = session_or_404(workshop, session_id)
    round_ = _round_or_404(session, round_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _round_page(workshop, session, round_, 400, errors={"file": "Choose a CSV file to import."})
    data = upload.read()
    return _attempt(workshop, session, round_, lambda: services.import_csv(round_, data),
                    lambda notes: " ".join(["Imported."] + notes), "#preview")


@blueprint.post(f"{BASE}/<int:round_id>/move")
@requires(Action.MODERATE)
def move(workshop: Workshop, membership: Membership, session_id: int, round_id: int):
    """Move one person (a select of people and a select of rooms: no dragging needed)."""
    session = session_or_404(workshop, session_id)
    round_ = _round_or_404(session, round_id)
    person_id, room_id = _number(request.form.get("person_id")), _number(request.form.get("room_id"))
    try:
        moved, _ = services.move_person(round_, person_id, room_id)
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        db.session.refresh(round_)
        if is_htmx():
            raise
        return _round_page(workshop, session, round_, error.status, errors=error.errors)
    db.session.refresh(round_)
    room = db.session.get(BreakoutRoom, moved.room_id)
    message = f"Moved {moved.person.name} to {room.name}."
    if is_htmx():
        return render_template("breakouts/_preview.html", workshop=workshop, session=session, round=round_,
                               preview=services.preview(round_), moved_message=message)
    flash(message, "success")
    return _to_round(workshop, session, round_, "#preview")


def _number(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@blueprint.post(f"{BASE}/<int:round_id>/choosing/<switch>")
@requires(Action.MODERATE)
def choosing(workshop: Workshop, membership: Membership, session_id: int, round_id: int, switch: str):
    """Self-select: let participants choose a room on the session page, or stop them."""
    session = session_or_404(workshop, session_id)
    round_ = _round_or_404(session, round_id)
    if switch not in ("open", "close"):
        abort(404, "Unknown action.")
    try:
        services.set_choosing(round_, switch == "open")
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        db.session.refresh(round_)
        return _round_page(workshop, session, round_, error.status, errors=error.errors)
    flash("Participants can choose a room now." if switch == "open" else "Choosing is closed.", "success")
    return _to_round(workshop, session, round_)


@blueprint.post(f"{BASE}/<int:round_id>/<action>")
@requires(Action.MODERATE)
def act(workshop: Workshop, membership: Membership, session_id: int, round_id: int, action: str):
    """Open, extend, close or delete a round, or send a message to every room."""
    session = session_or_404(workshop, session_id)
    round_ = _round_or_404(session, round_id)
    changes = {
        "open": (lambda: services.start_round(round_),
                 lambda r: f"{r.title} is open: everyone has been sent their room."),
        "extend": (lambda: services.extend_round(round_, request.form.get("minutes")),
                   lambda r: f"{r.title} extended."),
        "close": (lambda: services.close_round(round_),
                  lambda r: f"{r.title} is closed: everyone is back in the plenary."),
        "message": (lambda: services.send_message(round_, current_user, request.form.get("text")),
                    lambda m: "Message sent to every room."),
    }
    if action == "delete":
        title = round_.title
        try:
            services.delete_round(round_)
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            return _round_page(workshop, session, round_, error.status, errors=error.errors)
        flash(f"{title} deleted.", "success")
        return redirect(url_for("breakouts.desk", code=workshop.code, session_id=session.id), code=303)
    if action not in changes:
        abort(404, "Unknown breakout action.")
    change, success = changes[action]
    try:
        result = change()
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        db.session.refresh(round_)
        return _round_page(workshop, session, round_, error.status, errors=error.errors)
    flash(success(result), "success")
    return _to_round(workshop, session, round_)


@blueprint.post(f"{BASE}/<int:round_id>/help/<int:help_id>/handled")
@requires(Action.MODERATE)
def help_handled(workshop: Workshop, membership: Membership, session_id: int, round_id: int, help_id: int):
    session = session_or_404(workshop, session_id)
    round_ = _round_or_404(session, round_id)
    handled = services.handle_help(round_, help_id)  # announced to the other moderators' desks too
    db.session.commit()
    version = services.session_version(session.id)
    html = render_template("breakouts/_help.html", help=handled, round=round_, code=workshop.code, session=session,
                           version=version)
    if is_htmx():
        return html
    return _to_round(workshop, session, round_, "#help")


@blueprint.post(f"{BASE}/<int:round_id>/rooms/<int:room_id>")
@requires(Action.MODERATE)
def edit_room(workshop: Workshop, membership: Membership, session_id: int, round_id: int, room_id: int):
    """Save one room's name, topic, video link, rapporteur and capacity; answers with the room's row."""
    session = session_or_404(workshop, session_id)
    round_ = _round_or_404(session, round_id)
    room = services.room_in(round_, room_id)
    if room is None:
        abort(404, "There is no such room in this round.")
    error = None
    try:
        services.update_room(room, request.form)
        db.session.commit()
    except ValidationError as refused:
        db.session.rollback()
        error = refused
    db.session.refresh(room)
    members = services.members_by_room(round_)[room.id]
    html = render_template("breakouts/_room_form.html", workshop=workshop, session=session, round=round_, room=room,
                           members=members, error=" ".join(error.errors.values()) if error else None,
                           saved=error is None, typed=request.form if error else None)
    if not is_htmx():
        if error:
            return _round_page(workshop, session, round_, error.status, errors=error.errors)
        flash(f"{room.name} saved.", "success")
        return _to_round(workshop, session, round_, f"#room-{room.id}")
    return html, error.status if error else 200


# Exports ------------------------------------------------------------------------------------------------------

@blueprint.get(f"{BASE}/<int:round_id>/notes.md")
@requires(Action.MODERATE)
def notes_markdown(workshop: Workshop, membership: Membership, session_id: int, round_id: int):
    session = session_or_404(workshop, session_id)
    round_ = _round_or_404(session, round_id)
    return Response(services.notes_markdown(session, round_), mimetype="text/markdown", headers={
        "Content-Disposition": f'attachment; filename="session-{session.id}-round-{round_.number}-notes.md"',
        "Cache-Control": "no-store"})


@blueprint.get(f"{BASE}/<int:round_id>/notes.csv")
@requires(Action.MODERATE)
def notes_csv(workshop: Workshop, membership: Membership, session_id: int, round_id: int):
    session = session_or_404(workshop, session_id)
    round_ = _round_or_404(session, round_id)
    return csv_response(f"session-{session.id}-round-{round_.number}-notes.csv",
                        ["room number", "room", "topic", "rapporteur", "notes", "revision", "saved (UTC)"],
                        services.notes_rows(round_))


@blueprint.get(f"{BASE}/<int:round_id>/assignments.csv")
@requires(Action.MODERATE)
def assignments_csv(workshop: Workshop, membership: Membership, session_id: int, round_id: int):
    session = session_or_404(workshop, session_id)
    round_ = _round_or_404(session, round_id)
    return csv_response(f"session-{session.id}-round-{round_.number}-assignments.csv",
                        ["room number", "room", "name", "email", "country", "organization", "how", "since (UTC)"],
                        services.assignment_rows(round_))


# What participants do: choose a room, the room page, notes, help, the plenary's notes -----------------------

@blueprint.post(f"{BASE}/<int:round_id>/choose")
@requires(Action.VIEW_WORKSHOP)
def choose(workshop: Workshop, membership: Membership, session_id: int, round_id: int):
    session = session_or_404(workshop, session_id)
    round_ = _round_or_404(session, round_id)
    try:
        room = services.choose_room(round_, current_user, _number(request.form.get("room_id")))
        db.session.commit()
    except ValidationError:
        db.session.rollback()
        raise
    version = services.session_version(session.id)
    db.session.refresh(round_)
    html = live.render_card(round_, version=version, choice=room.id, staff=services.is_staff(membership))
    if is_htmx():
        return html
    flash(f"You chose {room.name}.", "success")
    return redirect(url_for("agenda.session_page", code=workshop.code, session_id=session.id), code=303)


@blueprint.get(f"{BASE}/rooms/<int:room_id>")
@requires(Action.VIEW_WORKSHOP)
def room_page(workshop: Workshop, membership: Membership, session_id: int, room_id: int):
    session = session_or_404(workshop, session_id)
    room = _room_or_404(session, room_id)
    if not services.may_enter(room, membership, current_user.id):
        abort(403, "This is not your breakout room. Your own room is shown on the session page.")
    version = services.session_version(session.id)
    round_ = room.round
    mine = services.room_of(round_.id, current_user.id)
    return render_template("breakouts/room.html", workshop=workshop, session=session, round=round_, room=room,
                           members=services.members_by_room(round_)[room.id], version=version,
                           may_write=services.may_write_notes(room, membership, current_user.id),
                           card=Markup(live.render_card(round_, mine, version=version,
                                                        staff=services.is_staff(membership)))
                           if round_.state == RoundState.OPEN else None,
                           assigned=mine is not None and mine.id == room.id, live_room=round_.state == RoundState.OPEN)


@blueprint.post(f"{BASE}/rooms/<int:room_id>/notes")
@requires(Action.VIEW_WORKSHOP)
def save_notes(workshop: Workshop, membership: Membership, session_id: int, room_id: int):
    """Autosave: answers with the status line; a stale revision gets 409 and both texts."""
    session = session_or_404(workshop, session_id)
    room = _room_or_404(session, room_id)
    try:
        services.save_notes(room, membership, current_user, request.form.get("notes"), request.form.get("revision"))
        db.session.commit()
    except services.NotesConflict as conflict:
        db.session.rollback()
        db.session.refresh(room)
        return render_template("breakouts/_notes_status.html", room=room, conflict=conflict,
                               message=conflict.errors["notes"]), 409
    except ValidationError as error:
        db.session.rollback()
        db.session.refresh(room)
        return render_template("breakouts/_notes_status.html", room=room, error=" ".join(error.errors.values())), \
            error.status
    return render_template("breakouts/_notes_status.html", room=room, saved=True)


@blueprint.post(f"{BASE}/rooms/<int:room_id>/help")
@requires(Action.VIEW_WORKSHOP)
def ask_for_help(workshop: Workshop, membership: Membership, session_id: int, room_id: int):
    session = session_or_404(workshop, session_id)
    room = _room_or_404(session, room_id)
    try:
        found, new = services.ask_for_help(room, current_user, request.form.get("message"))
        db.session.commit()
    except ValidationError:
        db.session.rollback()
        raise
    html = render_template("breakouts/_help_sent.html", room=room, help=found, new=new)
    if is_htmx():
        return html
    flash("The moderators have been alerted." if new else "The moderators were already alerted.", "success")
    return redirect(url_for("breakouts.room_page", code=workshop.code, session_id=session.id, room_id=room.id),
                    code=303)


@blueprint.get(f"{BASE}/<int:round_id>/notes")
@requires(Action.VIEW_WORKSHOP)
def plenary_notes(workshop: Workshop, membership: Membership, session_id: int, round_id: int):
    """Every room's notes, for the plenary: once the round is closed (moderators: at any time)."""
    session = session_or_404(workshop, session_id)
    round_ = _round_or_404(session, round_id)
    if round_.state != RoundState.CLOSED and not services.is_staff(membership):
        abort(403, "The rooms' notes are shared with everyone once the round is closed.")
    return render_template("breakouts/notes.html", workshop=workshop, session=session, round=round_,
                           staff=services.is_staff(membership), version=services.session_version(session.id))
