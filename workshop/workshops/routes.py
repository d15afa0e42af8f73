"""Workshop pages: list, create and edit, home, people, import, invites, join by code."""

from __future__ import annotations

import io
import smtplib

import segno
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user
from sqlalchemy import select

from workshop.accounts import mailing, services as accounts
from workshop.audit.services import record
from workshop.csvio import csv_response
from workshop.db import db
from workshop.errors import ValidationError
from workshop.extensions import limiter
from workshop.forms import ActionForm, submit
from workshop.inputs import is_htmx
from workshop.urls import BASE_URL_MISSING, BaseUrlMissing, external_url
from workshop.mail import mail_configured
from workshop.workshops import invitations, services
from workshop.workshops.forms import ImportConfirmForm, ImportUploadForm, JoinForm, StaffForm, WorkshopForm
from workshop.workshops.models import Membership, Role, Workshop
from workshop.workshops.permissions import Action, can, requires, requires_workshop_creator

blueprint = Blueprint("workshops", __name__)
MAX_IMPORT_BYTES = 2 * 1024 * 1024


@blueprint.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    entries = services.workshops_of(current_user, only=accounts.invite_workshop_id(current_user))
    return render_template("workshops/index.html", entries=entries)


@blueprint.route("/workshops/new", methods=["GET", "POST"])
@requires_workshop_creator
def create():
    form = WorkshopForm(timezone="UTC")
    workshop, status = submit(form, lambda: services.create_workshop(current_user, form.data))
    if workshop is not None:
        flash(f"Workshop {workshop.code} created.", "success")
        return redirect(url_for("workshops.home", code=workshop.code))
    return render_template("workshops/edit.html", form=form, workshop=None), status


@blueprint.route("/w/<code>/edit", methods=["GET", "POST"])
@requires(Action.EDIT_WORKSHOP)
def edit(workshop: Workshop, membership: Membership):
    form = WorkshopForm(obj=workshop)
    if request.method == "GET":
        form.modality.data = workshop.modality.value
    saved, status = submit(form, lambda: services.update_workshop(workshop, form.data))
    if saved is not None:
        flash("Saved.", "success")
        return redirect(url_for("workshops.home", code=workshop.code))
    return render_template("workshops/edit.html", form=form, workshop=workshop), status


@blueprint.get("/w/<code>/")
@requires(Action.VIEW_WORKSHOP)
def home(workshop: Workshop, membership: Membership):
    see_names = can(membership, Action.SEE_WHO_IS_ONLINE)
    return render_template("workshops/home.html", workshop=workshop, membership=membership,
                           see_names=see_names,
                           can_manage=can(membership, Action.MANAGE_PEOPLE))


# People --------------------------------------------------------------------------

def _people_rows(workshop: Workshop, query: str):
    rows = []
    for member in services.members(workshop, query):
        invite = accounts.current_invite(member.person_id, workshop.id)
        link = external_url("accounts.invite", token=accounts.invite_token(invite)) if invite else None
        rows.append((member, invite, link))
    return rows


@blueprint.get("/w/<code>/people")
@requires(Action.MANAGE_PEOPLE)
def people(workshop: Workshop, membership: Membership):
    query = request.args.get("q", "")[:100]
    rows = _people_rows(workshop, query)
    table = dict(workshop=workshop, rows=rows, action=ActionForm(), mail_configured=mail_configured(),
                 shared=services.people_in_other_workshops(workshop))
    if is_htmx():
        return render_template("workshops/_people_table.html", **table)
    return render_template("workshops/people.html", query=query, upload=ImportUploadForm(), staff=StaffForm(),
                           **table,
                           join_link=external_url("workshops.join", code=workshop.code))


TOO_LARGE = "The participant list is larger than 2 MB; split it into parts."


def _import_problem(workshop: Workshop, problem: str, status: int):
    # Rendered here rather than through abort(): the generic 413 page would quote the upload limit, not 2 MB.
    return render_template("workshops/import_preview.html", workshop=workshop, preview=None, problem=problem,
                           confirm=None), status


@blueprint.post("/w/<code>/people/import")
@requires(Action.MANAGE_PEOPLE)
def import_preview(workshop: Workshop, membership: Membership):
    form = ImportUploadForm()
    if not form.validate_on_submit():
        abort(400, "The form had expired. Reload the page and try again.")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(400, "Choose a CSV file to import.")
    data = upload.stream.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        return _import_problem(workshop, TOO_LARGE, 413)
    try:
        preview = services.preview_import(workshop, data)
    except ValidationError as error:
        return _import_problem(workshop, " ".join(error.errors.values()), 400)
    confirm = ImportConfirmForm(csv=data.decode("utf-8-sig"))
    return render_template("workshops/import_preview.html", workshop=workshop, preview=preview,
                           problem=None, confirm=confirm)


@blueprint.post("/w/<code>/people/import/confirm")
@requires(Action.MANAGE_PEOPLE)
def import_confirm(workshop: Workshop, membership: Membership):
    form = ImportConfirmForm()
    if not form.validate_on_submit() or not form.csv.data:
        abort(400, "Nothing to import: upload the list again.")
    data = form.csv.data.encode("utf-8")
    if len(data) > MAX_IMPORT_BYTES:
        return _import_problem(workshop, TOO_LARGE, 413)
    preview = services.preview_import(workshop, data)
    count = services.apply_import(workshop, preview, current_user)
    db.session.commit()
    skipped = f" {len(preview.errors)} row(s) with errors were skipped." if preview.errors else ""
    flash(f"Imported {count} participant(s).{skipped}", "success")
    return redirect(url_for("workshops.people", code=workshop.code))


@blueprint.post("/w/<code>/people/staff")
@requires(Action.MANAGE_PEOPLE)
def add_staff(workshop: Workshop, membership: Membership):
    form = StaffForm()
    if not form.validate_on_submit():
        abort(400, "Give a name, an email and a role.")
    role = Role(form.role.data)
    added = services.add_staff(workshop, current_user, name=form.name.data, email=form.email.data, role=role,
                               mail_ready=mail_configured())
    db.session.commit()
    person = added.membership.person
    if added.password_token:
        link = external_url("accounts.password_link", token=added.password_token)
        flash(f"{form.email.data} added as {role}. Email is not set up here, so pass them this one-time link "
              f"privately; it sets their password and works once, for one hour: {link}", "success")
        return redirect(url_for("workshops.people", code=workshop.code))
    if mail_configured():
        _send_or_warn(lambda: mailing.send_password_link(person, new_account=True) if added.is_new
                      else mailing.send_added_notice(person, workshop, role))
    # The same words whether or not the address already had an account: the page must not tell.
    flash(f"{form.email.data} added as {role}." + (" They have been emailed how to sign in." if mail_configured()
                                                    else " They sign in with their own account."), "success")
    return redirect(url_for("workshops.people", code=workshop.code))


def _send_or_warn(send) -> None:
    """Mail after the change is committed: a mail server that fails is said on the page, the change stands."""
    try:
        send()
    except (OSError, smtplib.SMTPException, BaseUrlMissing) as error:
        db.session.rollback()
        current_app.logger.warning("sending account mail failed: %s", error)
        flash(f"The mail server did not accept the message ({error}). Try again later from the People page.",
              "error")


def _member_or_404(workshop: Workshop, person_id: int) -> Membership:
    member = db.session.scalar(select(Membership).where(Membership.workshop_id == workshop.id,
                                                        Membership.person_id == person_id))
    if member is None:
        abort(404, "That person is not in this workshop.")
    _require_action_form()
    return member


def _require_action_form() -> None:
    if not ActionForm().validate_on_submit():
        abort(400, "The form had expired. Reload the page and try again.")


@blueprint.post("/w/<code>/people/<int:person_id>/password-link")
@requires(Action.MANAGE_PEOPLE)
def send_password_link(workshop: Workshop, membership: Membership, person_id: int):
    member = _member_or_404(workshop, person_id)
    if not mail_configured():
        abort(400, "Email is not set up on this server (WORKSHOP_SMTP_HOST), so a password link cannot reach "
                   f"{member.person.name}. The server's operator can set a password with "
                   "“flask --app workshop reset-password”.")
    record(workshop.id, current_user, "password link sent", subject=member.person)
    _send_or_warn(lambda: mailing.send_password_link(member.person))
    flash(f"A one-time link to set a password has been emailed to {member.person.name}'s own address.", "success")
    return redirect(url_for("workshops.people", code=workshop.code))


@blueprint.post("/w/<code>/people/<int:person_id>/invite")
@requires(Action.MANAGE_PEOPLE)
def reissue_invite(workshop: Workshop, membership: Membership, person_id: int):
    member = _member_or_404(workshop, person_id)
    if accounts.issue_invite(member.person, workshop) is None:
        abort(409, f"{member.person.name} signs in with a password, so no invite link is issued.")
    record(workshop.id, current_user, "sign-in link issued", subject=member.person)
    db.session.commit()
    flash(f"New invite link for {member.person.name}; the old one no longer works and its sessions are signed out.",
          "success")
    return redirect(url_for("workshops.people", code=workshop.code))


@blueprint.post("/w/<code>/people/<int:person_id>/invite/revoke")
@requires(Action.MANAGE_PEOPLE)
def revoke_invite(workshop: Workshop, membership: Membership, person_id: int):
    member = _member_or_404(workshop, person_id)
    accounts.revoke_invites(member.person_id, workshop.id)
    record(workshop.id, current_user, "sign-in link revoked", subject=member.person)
    db.session.commit()
    flash(f"Invite link of {member.person.name} withdrawn; anyone signed in with it is signed out.", "success")
    return redirect(url_for("workshops.people", code=workshop.code))


@blueprint.post("/w/<code>/people/<int:person_id>/remove")
@requires(Action.MANAGE_PEOPLE)
def remove_member(workshop: Workshop, membership: Membership, person_id: int):
    member = _member_or_404(workshop, person_id)
    name = member.person.name
    services.remove_member(workshop, current_user, member.person)
    db.session.commit()
    flash(f"{name} removed from the workshop. What they contributed stays.", "success")
    return redirect(url_for("workshops.people", code=workshop.code))


@blueprint.post("/w/<code>/people/<int:person_id>/delete")
@requires(Action.MANAGE_PEOPLE)
def delete_member_account(workshop: Workshop, membership: Membership, person_id: int):
    member = _member_or_404(workshop, person_id)
    name = member.person.name
    services.delete_member_account(workshop, current_user, member.person)
    db.session.commit()
    flash(f"The account of {name} is deleted. What they contributed stays, shown as from a former participant.",
          "success")
    return redirect(url_for("workshops.people", code=workshop.code))


@blueprint.get("/w/<code>/invites.csv")
@requires(Action.MANAGE_PEOPLE)
def invites_csv(workshop: Workshop, membership: Membership):
    rows = [(m.person.name, m.person.email, m.country or "", m.person.organization, m.role.value,
             m.origin.value, link or "", invite.expires_at.date().isoformat() if invite else "")
            for m, invite, link in _people_rows(workshop, "")]
    return csv_response(f"{workshop.code}-invites.csv",
                        ["name", "email", "country", "organization", "role", "local/overseas", "invite link",
                         "expires"], rows)


@blueprint.post("/w/<code>/invitations/send")
@requires(Action.MANAGE_PEOPLE)
def send_invitations(workshop: Workshop, membership: Membership):
    _require_action_form()
    if not mail_configured():
        abort(400, "Email is not set up (WORKSHOP_SMTP_HOST); copy the links or export them as CSV instead.")
    if not current_app.config["BASE_URL"]:
        abort(400, BASE_URL_MISSING)
    try:
        sent = invitations.send_pending(workshop)
    except (OSError, smtplib.SMTPException) as error:
        db.session.rollback()
        current_app.logger.warning("sending invitations failed: %s", error)
        abort(502, f"The mail server did not accept the invitations ({error}). Nothing was marked as sent.")
    db.session.commit()
    flash(f"Sent {sent} invitation(s)." if sent else "Everyone with a link has already been emailed.", "success")
    return redirect(url_for("workshops.people", code=workshop.code))


@blueprint.get("/w/<code>/join-qr.svg")
@requires(Action.MANAGE_PEOPLE)
def join_qr(workshop: Workshop, membership: Membership):
    qr = segno.make(external_url("workshops.join", code=workshop.code), error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=6, border=2, title=f"Join link for {workshop.code}")
    return Response(out.getvalue(), mimetype="image/svg+xml")


# Self-registration ------------------------------------------------------------------

def _join_limit() -> str:
    return f"{current_app.config['PASSWORD_LINKS_PER_HOUR']} per hour"


def _join_email_key() -> str:
    return "join-email:" + (request.form.get("email") or "").strip().lower()


@blueprint.route("/join/<code>", methods=["GET", "POST"])
@limiter.limit(_join_limit, methods=["POST"], key_func=_join_email_key)
def join(code: str):
    workshop = db.session.scalar(select(Workshop).where(Workshop.code == code))
    if workshop is None:
        abort(404, "There is no workshop with that code.")
    if not workshop.join_enabled:
        abort(403, "Self-registration is closed for this workshop. Use the invite link the organizers sent you.")
    form = JoinForm(join_code=request.args.get("key", ""))
    by_email = mail_configured()
    registration, status = submit(form, lambda: services.register_with_join_code(
        workshop, join_code=form.join_code.data, name=form.name.data, email=form.email.data,
        country=form.country.data, organization=form.organization.data or "", timezone=form.timezone.data or "UTC",
        by_email=by_email))
    if registration is None:
        return render_template("workshops/join.html", workshop=workshop, form=form), status
    if by_email:
        # The same answer whether or not the address had an account: what differs goes to the address.
        return _answer_join_by_email(workshop, form, registration)
    if registration.new_account:
        # Without mail this is the only way in, so a new account is signed in at once (see README), through
        # its new invite: the session reaches this workshop alone and ends with the link.
        person, remember_for = accounts.sign_in_with_invite(registration.invite)
        db.session.commit()
        login_user(person, remember=True, duration=remember_for)
        return redirect(url_for("workshops.home", code=workshop.code))
    # An existing account is never signed in by a form anyone can fill in.
    return render_template("workshops/joined.html", workshop=workshop, email=None)


JOIN_MAIL_FAILED = ("We could not send the email just now. Please try again in a few minutes; "
                    "if it keeps failing, contact the organizers.")


def _answer_join_by_email(workshop: Workshop, form: JoinForm, registration: services.Registration):
    """Email the address after the registration is committed; a resubmission after a failure sends it again."""
    try:
        invitations.send_join_mail(registration, workshop)
    except (OSError, smtplib.SMTPException, BaseUrlMissing) as error:
        db.session.rollback()
        current_app.logger.warning("join mail for %s not sent: %s", workshop.code, error)
        form.form_errors.append(JOIN_MAIL_FAILED)
        return render_template("workshops/join.html", workshop=workshop, form=form), 502
    db.session.commit()
    return render_template("workshops/joined.html", workshop=workshop, email=registration.email)


# Countries of self-registered participants ------------------------------------------------

@blueprint.post("/w/<code>/people/<int:person_id>/country/confirm")
@requires(Action.MANAGE_PEOPLE)
def confirm_country(workshop: Workshop, membership: Membership, person_id: int):
    """Confirm a member's country for the workshop's reports, corrected first if the form gives another."""
    member = _member_or_404(workshop, person_id)
    try:
        changed = services.confirm_country(workshop, member, current_user, request.form.get("country", ""))
    except ValidationError as error:
        db.session.rollback()
        abort(error.status, " ".join(error.errors.values()))
    db.session.commit()
    country = accounts.country_name(member.country)
    flash(f"{member.person.name}'s country is confirmed: {country}. Their country's report is open to them."
          if changed else f"{member.person.name}'s country was already confirmed as {country}.", "success")
    return redirect(url_for("workshops.people", code=workshop.code))
