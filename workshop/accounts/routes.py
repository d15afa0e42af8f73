"""Sign-in with a password or an invite link, and sign-out."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from workshop.accounts import services
from workshop.accounts.forms import InviteForm, LoginForm
from workshop.db import db, utcnow
from workshop.extensions import limiter

blueprint = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ?next= must not send people elsewhere after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("workshops.index")


def _login_limit() -> str:
    return f"{current_app.config['LOGIN_ATTEMPTS_PER_MINUTE']} per minute"


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
            return redirect(_safe_next(request.args.get("next")))
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
    except services.InviteProblem as problem:
        abort(problem.status, problem.message)
    form = InviteForm()
    if form.validate_on_submit():
        invitation.last_used_at = utcnow()
        db.session.commit()
        login_user(invitation.person, remember=True)
        return redirect(url_for("workshops.home", code=invitation.workshop.code))
    return render_template("accounts/invite.html", form=form, invite=invitation,
                           signed_in_as=current_user if current_user.is_authenticated else None)
