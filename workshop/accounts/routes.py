"""Sign-in with a password or an invite link, sign-out, password links, and a person's own account page."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from workshop.accounts import mailing, services
from workshop.accounts.forms import (ChangePasswordForm, DeleteAccountForm, ForgotPasswordForm, InviteForm, LoginForm,
                                     NewPasswordForm)
from workshop.audit.services import record
from workshop.db import db
from workshop.errors import ValidationError
from workshop.extensions import limiter
from workshop.forms import ActionForm, show_errors
from workshop.mail import mail_configured
from workshop.urls import safe_local_path


blueprint = Blueprint("accounts", __name__)
TOKEN_PAGES = frozenset({"accounts.invite", "accounts.password_link"})


@blueprint.after_request
def keep_tokens_out_of_referrers(response: Response) -> Response:
    """A page whose address is a secret must not send that address to whatever it loads or links to."""
    if request.endpoint in TOKEN_PAGES:
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _login_limit() -> str:
    return f"{current_app.config['LOGIN_ATTEMPTS_PER_MINUTE']} per minute"


def _link_limit() -> str:
    return f"{current_app.config['PASSWORD_LINKS_PER_HOUR']} per hour"


def _email_key() -> str:
    return "login-email:" + (request.form.get("email") or "").strip().lower()


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_email_key)
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        person = services.authenticate(form.email.data, form.password.data)
        if person is not None:
            login_user(person)
            return redirect(safe_local_path(request.args.get("next"), url_for("workshops.index")))
        form.password.errors = ["Wrong email or password."]
        return render_template("accounts/login.html", form=form), 401
    status = 400 if form.errors else 200
    return render_template("accounts/login.html", form=form), status


@blueprint.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"))


@blueprint.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str) -> str | Response:
    try:
        invitation = services.resolve_invite(token)
        form = InviteForm()
        if form.validate_on_submit():
            person, remember_for = services.sign_in_with_invite(invitation)
            db.session.commit()
            login_user(person, remember=True, duration=remember_for)
            return redirect(url_for("workshops.home", code=invitation.workshop.code))
    except services.InviteProblem as problem:
        abort(problem.status, problem.message)
    return render_template("accounts/invite.html", form=form, invite=invitation,
                           signed_in_as=current_user if current_user.is_authenticated else None)


# Forgotten passwords and one-time password links ---------------------------------------

@blueprint.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"])
@limiter.limit(_link_limit, methods=["POST"], key_func=_email_key)
def forgot_password() -> str | Response:
    form = ForgotPasswordForm()
    if not mail_configured():
        return render_template("accounts/forgot.html", form=None), 200
    if form.validate_on_submit():
        # The same answer whether or not the address has an account: the page must not tell who is registered.
        mailing.send_password_link_if_registered(form.email.data)
        flash("If an account uses that address, we have emailed it a link to set a new password. "
              "The link works for one hour.", "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form), 400 if form.errors else 200


@blueprint.route("/password/<token>", methods=["GET", "POST"])
def password_link(token: str) -> str | Response:
    try:
        link = services.password_link(token)
    except services.LinkProblem as problem:
        abort(problem.status, problem.message)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            person = services.use_password_link(token, form.password.data)
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_errors(form, error)
            return render_template("accounts/new_password.html", form=form, person=link.person), error.status
        except services.LinkProblem as problem:
            db.session.rollback()
            abort(problem.status, problem.message)
        login_user(person)
        flash("Your password is set. Every other session of your account has been signed out.", "success")
        return redirect(url_for("workshops.index"))
    return render_template("accounts/new_password.html", form=form, person=link.person), 400 if form.errors else 200


# The person's own account ---------------------------------------------------------------

def _may_delete_here(person) -> bool:
    """An invite link's session may delete only an account that belongs to that link's workshop alone,
    so an organizer who holds the link cannot delete an account that other workshops share."""
    scope = services.invite_workshop_id(person)
    return scope is None or {m.workshop_id for m in person.memberships} <= {scope}


def _account_page(status: int = 200, **forms):
    forms.setdefault("password_form", ChangePasswordForm())
    forms.setdefault("delete_form", DeleteAccountForm())
    return render_template("accounts/account.html", action=ActionForm(), may_delete=_may_delete_here(current_user),
                           invite_scope=services.invite_workshop_id(current_user), **forms), status


@blueprint.get("/account")
@login_required
def account() -> tuple[str, int]:
    return _account_page()


@blueprint.post("/account/password")
@login_required
def change_password() -> tuple[str, int] | Response:
    form = ChangePasswordForm()
    if services.invite_workshop_id(current_user) is not None or current_user.password_hash is None:
        abort(403, "This account has no password yet. Use \u201cForgot password\u201d on the sign-in page: "
                   "a link to set one is emailed to your own address.")
    if not form.validate_on_submit():
        return _account_page(400, password_form=form)
    try:
        services.change_password(current_user, form.current_password.data, form.password.data)
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        show_errors(form, error)
        return _account_page(error.status, password_form=form)
    login_user(current_user)  # this browser carries the new session version; every other session has ended
    flash("Your password is changed. Every other session of your account has been signed out.", "success")
    return redirect(url_for("accounts.account"))


@blueprint.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere() -> Response:
    if not ActionForm().validate_on_submit():
        abort(400, "The form had expired. Reload the page and try again.")
    services.end_every_session(current_user)
    db.session.commit()
    logout_user()
    flash("You are signed out on every device and browser.", "info")
    return redirect(url_for("accounts.login"))


@blueprint.post("/account/delete")
@login_required
def delete_account() -> tuple[str, int] | Response:
    form = DeleteAccountForm()
    if not _may_delete_here(current_user):
        abort(403, "Your account also belongs to other workshops, so it cannot be deleted from one workshop's "
                   "personal link. Sign in with your password to delete it, or ask the organizers to remove you "
                   "from this workshop.")
    if not form.validate_on_submit() or form.confirm_text.data.strip() != "DELETE":
        if form.confirm_text.data and form.confirm_text.data.strip() != "DELETE":
            form.confirm_text.errors = ["Type DELETE in capital letters to confirm."]
        return _account_page(400, delete_form=form)
    person = current_user._get_current_object()
    for workshop_id in [m.workshop_id for m in person.memberships]:
        record(workshop_id, person, "account deleted", subject=person, detail="by its holder")
    services.delete_account(person)
    db.session.commit()
    logout_user()
    flash("Your account is deleted. What you contributed stays, shown as from a former participant.", "info")
    return redirect(url_for("accounts.login"))
