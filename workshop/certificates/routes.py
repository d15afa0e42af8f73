"""Certificate pages: the organizers' page (rule, preview, issue by hand, ZIP), a person's own PDF, and the
public verification page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from workshop.agenda.display import clock_for
from workshop.certificates import pdf, services
from workshop.certificates.forms import RULE_KINDS, ApplyRuleForm, IssueForm
from workshop.certificates.models import Certificate
from workshop.db import db
from workshop.errors import ValidationError
from workshop.extensions import limiter
from workshop.forms import ActionForm, submit
from workshop.reports.zipstream import stream_zip
from workshop.uploads.storage import content_disposition, open_stored, send_stored
from workshop.workshops.models import Membership, Workshop
from workshop.workshops.permissions import Action, can, requires

blueprint = Blueprint("certificates", __name__)


def _verify_limit() -> str:
    return f"{current_app.config['CERTIFICATE_VERIFY_PER_MINUTE']} per minute"


def _pdf_response(certificate: Certificate) -> Response:
    """The PDF drawn when the certificate was issued, from storage."""
    response = send_stored(certificate.pdf_file, download_name=services.file_name(certificate))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _check_form(form) -> None:
    """A 400 unless the form came with a valid CSRF token."""
    if not form.validate_on_submit():
        abort(400, "The form had expired. Reload the page and try again.")


def _issue_form(workshop: Workshop, form: IssueForm | None = None) -> IssueForm:
    form = form or IssueForm()
    form.person.choices = [(member.person_id, f"{member.person.name} ({member.role.value})")
                           for member in services.without_certificate(workshop)]
    return form


def _requested_rule():
    """The rule the preview form asks about, from the query string; None when it asks nothing."""
    if "kind" not in request.args:
        return None, {}
    try:
        return services.parse_rule(request.args.get("kind", ""), request.args.get("threshold", "")), {}
    except ValidationError as error:
        return None, error.errors


def _page(workshop: Workshop, *, issue_form: IssueForm | None = None, apply_errors: dict | None = None,
          rule=None, rule_errors: dict | None = None, status: int = 200):
    asked, errors = (rule, rule_errors or {}) if rule is not None or rule_errors else _requested_rule()
    current = services.current_rule(workshop)
    shown = asked or current
    apply_form = ApplyRuleForm(formdata=None)
    if shown is not None:
        apply_form.kind.data, apply_form.threshold.data = shown.kind.value, str(shown.threshold)
    return render_template(
        "certificates/manage.html", workshop=workshop, current=current, asked=asked, rule_errors=errors,
        apply_errors=apply_errors or {}, preview=services.preview(workshop, shown) if shown else None,
        apply_form=apply_form, issue_form=_issue_form(workshop, issue_form), kinds=RULE_KINDS,
        issue_all_form=ActionForm(),
        ended=services.has_ended(workshop), certificates=services.certificates_of(workshop),
        clock=clock_for(current_user.timezone, workshop.timezone)), status


@blueprint.get("/w/<code>/certificates")
@requires(Action.MANAGE_CERTIFICATES)
def manage(workshop: Workshop, membership: Membership):
    return _page(workshop)


@blueprint.post("/w/<code>/certificates/rule")
@requires(Action.MANAGE_CERTIFICATES)
def apply_rule(workshop: Workshop, membership: Membership):
    form = ApplyRuleForm()
    _check_form(form)
    try:
        rule = services.parse_rule(form.kind.data, form.threshold.data)
    except ValidationError as error:
        return _page(workshop, rule_errors=error.errors, status=error.status)
    try:
        found = services.apply_rule(workshop, rule, current_user, even_if_nobody=form.even_if_nobody.data)
        db.session.commit()
    except ValidationError as error:  # no one meets it, and it was not confirmed
        db.session.rollback()
        return _page(workshop, apply_errors=error.errors, rule=rule, status=error.status)
    flash(f"Rule applied: {rule.describe()}. {len(found.qualifying)} participant"
          f"{'s' if len(found.qualifying) != 1 else ''} qualify on the attendance recorded so far.", "success")
    return redirect(url_for("certificates.manage", code=workshop.code))


@blueprint.post("/w/<code>/certificates/issue")
@requires(Action.MANAGE_CERTIFICATES)
def issue_by_hand(workshop: Workshop, membership: Membership):
    form = _issue_form(workshop, IssueForm())
    issued, status = submit(form, lambda: services.issue_by_hand(workshop, form.person.data, form.reason.data,
                                                                 current_user))
    if issued is None:
        return _page(workshop, issue_form=form, status=status)
    flash(f"Certificate issued to {issued.certificate.name}. Its verification address (also printed on it): "
          f"{issued.verify_url}", "success")
    return redirect(url_for("certificates.manage", code=workshop.code))


@blueprint.post("/w/<code>/certificates/issue-all")
@requires(Action.MANAGE_CERTIFICATES)
def issue_all(workshop: Workshop, membership: Membership):
    _check_form(ActionForm())
    issued = services.issue_eligible(workshop)
    db.session.commit()
    count = len(issued)
    flash(f"{count} certificate{'s' if count != 1 else ''} issued." if count
          else "No certificate to issue: everyone who meets the rule already has one.", "success")
    return redirect(url_for("certificates.manage", code=workshop.code))


@blueprint.get("/w/<code>/certificates/<int:person_id>.pdf")
@requires(Action.MANAGE_CERTIFICATES)
def person_pdf(workshop: Workshop, membership: Membership, person_id: int):
    certificate = services.certificate_for(workshop, person_id)
    if certificate is None:
        abort(404, "This person has no certificate for this workshop.")
    return _pdf_response(certificate)


@blueprint.get("/w/<code>/certificates.zip")
@requires(Action.MANAGE_CERTIFICATES)
def all_zip(workshop: Workshop, membership: Membership):
    services.check_ended(workshop)
    certificates = services.certificates_of(workshop)
    if not certificates:
        abort(404, "No certificate is issued yet: press Issue certificates, or issue one by hand.")
    # The stored PDFs, read from disk while the archive streams: one in memory at a time, none drawn.
    entries = [(services.file_name(certificate), lambda path=open_stored(certificate.pdf_file): path.read_bytes())
               for certificate in certificates]
    response = Response(stream_zip(entries), mimetype="application/zip", direct_passthrough=True)
    response.headers["Content-Disposition"] = content_disposition(f"{workshop.code}-certificates.zip")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.post("/w/<code>/certificate")
@requires(Action.GET_OWN_CERTIFICATE)
def get_own(workshop: Workshop, membership: Membership):
    """Issue the person's certificate if they earned it, then download it."""
    _check_form(ActionForm())
    issued = services.issue_own(workshop, membership)
    db.session.commit()
    if issued is not None:
        flash(f"Your certificate is issued. Its verification address (also printed on it): {issued.verify_url}",
              "success")
    return redirect(url_for("certificates.own_pdf", code=workshop.code), code=303)


@blueprint.get("/w/<code>/certificate.pdf")
@requires(Action.GET_OWN_CERTIFICATE)
def own_pdf(workshop: Workshop, membership: Membership):
    certificate = services.certificate_for(workshop, membership.person_id)
    if certificate is None:
        abort(404, "You have no certificate for this workshop yet: press Get my certificate on its home page.")
    return _pdf_response(certificate)


@blueprint.get("/verify/<verification_code>")
@limiter.limit(_verify_limit)
def verify(verification_code: str):
    certificate = services.find_by_code(verification_code)
    if certificate is None:
        return render_template("certificates/verify.html", certificate=None), 404
    return render_template("certificates/verify.html", certificate=certificate,
                           country=services.country_name(certificate.country),
                           issued_on=services.issued_on(certificate, certificate.workshop.timezone),
                           dates=pdf.date_range(certificate.starts_on, certificate.ends_on))


def certificate_section(workshop: Workshop, membership: Membership) -> Markup:
    """The home page's certificate section: a template global, so the workshops package needs nothing from here.
    Organizers get a link to the certificates page; others their own certificate's state."""
    if can(membership, Action.MANAGE_CERTIFICATES):
        return Markup(render_template("certificates/_home_organizer.html", workshop=workshop,
                                      rule=services.current_rule(workshop)))
    return Markup(render_template("certificates/_home_own.html", workshop=workshop,
                                  status=services.own_status(workshop, membership)))
