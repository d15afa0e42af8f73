"""Evaluation pages: answering it, preparing it, and its results (live rate, charts, CSV, printable summary)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from workshop.csvio import csv_response
from workshop.db import db
from workshop.errors import ValidationError
from workshop.evaluation import services
from workshop.evaluation.forms import QuestionForm, RewordForm, SettingsForm
from workshop.evaluation.models import Evaluation, EvaluationState
from workshop.forms import ActionForm, submit
from workshop.workshops.models import Membership, Workshop
from workshop.workshops.permissions import Action, can, requires

blueprint = Blueprint("evaluation", __name__)


def _evaluation_or_404(workshop: Workshop) -> Evaluation:
    evaluation = services.evaluation_of(workshop)
    if evaluation is None:
        abort(404, "This workshop has no evaluation yet.")
    return evaluation


def evaluation_link(workshop: Workshop, membership: Membership) -> tuple[str, str] | None:
    """The workshop home's link to the evaluation: organizers always (to prepare it), participants while it is
    open or once they have answered it."""
    if can(membership, Action.MANAGE_EVALUATION):
        return url_for("evaluation.manage", code=workshop.code), "Evaluation"
    evaluation = services.evaluation_of(workshop)
    if evaluation is None or not can(membership, Action.ANSWER_EVALUATION):
        return None
    if services.has_responded(evaluation, current_user):
        return url_for("evaluation.page", code=workshop.code), "Your evaluation (sent)"
    if evaluation.state == EvaluationState.OPEN:
        return url_for("evaluation.page", code=workshop.code), "Evaluate the workshop"
    return None


# Participants ---------------------------------------------------------------------------------------

def _answer_page(workshop: Workshop, membership: Membership, errors: dict[str, str] | None = None,
                 sent: dict[str, str] | None = None, status: int = 200):
    evaluation = services.evaluation_of(workshop)
    answering = can(membership, Action.ANSWER_EVALUATION)
    responded = answering and evaluation is not None and services.has_responded(evaluation, current_user)
    if evaluation is None or (evaluation.state == EvaluationState.DRAFT and answering):
        abort(404, "The evaluation is not open yet.")
    return render_template(
        "evaluation/answer.html", workshop=workshop, evaluation=evaluation, answering=answering,
        responded=responded, mine=services.own_answers(evaluation, current_user) if responded else None,
        groups=services.sections(evaluation.questions), scale_of=services.scale_of, form=ActionForm(),
        errors=errors or {}, sent=sent or {}, max_comment=services.MAX_COMMENT,
        manage=can(membership, Action.MANAGE_EVALUATION)), status


@blueprint.get("/w/<code>/evaluation")
@requires(Action.VIEW_WORKSHOP)
def page(workshop: Workshop, membership: Membership):
    return _answer_page(workshop, membership)


@blueprint.post("/w/<code>/evaluation")
@requires(Action.ANSWER_EVALUATION)
def send(workshop: Workshop, membership: Membership):
    """The app's CSRF protection has checked the token before this runs (as for every POST)."""
    evaluation = _evaluation_or_404(workshop)
    if evaluation.state == EvaluationState.DRAFT:  # its page is not shown yet: nothing to give back
        abort(409, services.NOT_OPEN)
    try:
        services.respond(evaluation, current_user, membership, request.form)
    except ValidationError as error:
        db.session.rollback()
        return _answer_page(workshop, membership, errors=error.errors, sent=request.form, status=error.status)
    flash("Thank you: your evaluation was received.", "success")
    return redirect(url_for("evaluation.page", code=workshop.code))


# Organizers: preparing ------------------------------------------------------------------------------

def _manage_page(workshop: Workshop, *, question_form: QuestionForm | None = None,
                 settings_form: SettingsForm | None = None, error: str | None = None, status: int = 200):
    evaluation = services.evaluation_of(workshop)
    if settings_form is None and evaluation is not None:
        settings_form = SettingsForm(obj=evaluation, formdata=None)
    return render_template(
        "evaluation/manage.html", workshop=workshop, evaluation=evaluation, error=error,
        question_form=question_form or QuestionForm(formdata=None), settings_form=settings_form,
        action_form=ActionForm(), reword_form=RewordForm(formdata=None),
        responses=services.response_count(evaluation) if evaluation else 0,
        preview=services.template_questions(workshop) if evaluation is None else [],
        sections=services.sections), status


def _refused(workshop: Workshop, error: ValidationError):
    db.session.rollback()
    return _manage_page(workshop, error=" ".join(error.errors.values()), status=error.status)


def _saved(workshop: Workshop, message: str):
    flash(message, "success")
    return redirect(url_for("evaluation.manage", code=workshop.code))


@blueprint.get("/w/<code>/evaluation/manage")
@requires(Action.MANAGE_EVALUATION)
def manage(workshop: Workshop, membership: Membership):
    return _manage_page(workshop)


@blueprint.post("/w/<code>/evaluation/prepare")
@requires(Action.MANAGE_EVALUATION)
def prepare(workshop: Workshop, membership: Membership):
    form = ActionForm()
    made, status = submit(form, lambda: services.prepare(workshop, current_user))
    if made is None:
        return _manage_page(workshop, error=" ".join(form.form_errors) or "Nothing was prepared.", status=status)
    return _saved(workshop, f"Prepared the evaluation with {len(made.questions)} questions. Review them, then open it.")


@blueprint.post("/w/<code>/evaluation/settings")
@requires(Action.MANAGE_EVALUATION)
def settings(workshop: Workshop, membership: Membership):
    evaluation = _evaluation_or_404(workshop)
    form = SettingsForm()
    saved, status = submit(form, lambda: services.update_settings(evaluation, form.anonymous.data,
                                                                  form.open_at_end.data, current_user))
    if saved is None:
        return _manage_page(workshop, settings_form=form, error=" ".join(form.form_errors) or None, status=status)
    return _saved(workshop, "Saved the evaluation's settings.")


def _act(workshop: Workshop, change: Callable[[], str]):
    """An organizer's button or one-field form (its CSRF token checked by the app before the route runs):
    ``change`` returns what to say once it is committed."""
    try:
        message = change()
        db.session.commit()
    except ValidationError as error:
        return _refused(workshop, error)
    return _saved(workshop, message)


@blueprint.post("/w/<code>/evaluation/state/<switch>")
@requires(Action.MANAGE_EVALUATION)
def switch_state(workshop: Workshop, membership: Membership, switch: str):
    evaluation = _evaluation_or_404(workshop)

    def change() -> str:
        services.set_state(evaluation, switch, current_user)
        return f"The evaluation is now {evaluation.state.value}."

    return _act(workshop, change)


@blueprint.post("/w/<code>/evaluation/questions")
@requires(Action.MANAGE_EVALUATION)
def add_question(workshop: Workshop, membership: Membership):
    evaluation = _evaluation_or_404(workshop)
    form = QuestionForm()
    added, status = submit(form, lambda: services.add_question(evaluation, form.kind.data, form.text.data,
                                                               current_user))
    if added is None:
        return _manage_page(workshop, question_form=form, status=status)
    return _saved(workshop, "Added the question.")


def _question_or_404(workshop: Workshop, item_id: int):
    question = services.question_in(_evaluation_or_404(workshop), item_id)
    if question is None:
        abort(404, "There is no such question in this evaluation.")
    return question


@blueprint.post("/w/<code>/evaluation/questions/<int:item_id>")
@requires(Action.MANAGE_EVALUATION)
def reword_question(workshop: Workshop, membership: Membership, item_id: int):
    question = _question_or_404(workshop, item_id)

    def change() -> str:
        services.reword_question(question, RewordForm().text.data, current_user)
        return "Saved the question."

    return _act(workshop, change)


@blueprint.post("/w/<code>/evaluation/questions/<int:item_id>/remove")
@requires(Action.MANAGE_EVALUATION)
def remove_question(workshop: Workshop, membership: Membership, item_id: int):
    question = _question_or_404(workshop, item_id)

    def change() -> str:
        services.remove_question(question, current_user)
        return "Removed the question."

    return _act(workshop, change)


# Organizers: results ---------------------------------------------------------------------------------

def _results_context(workshop: Workshop) -> dict:
    evaluation = _evaluation_or_404(workshop)
    version = services.live_version(workshop)
    return dict(workshop=workshop, evaluation=evaluation, version=version,
                rate=services.rate(workshop, evaluation), groups=services.sections(services.results(evaluation)),
                small_group=services.SMALL_GROUP, waiting=services.waiting_count(evaluation), batch=services.BATCH)


@blueprint.get("/w/<code>/evaluation/results")
@requires(Action.MANAGE_EVALUATION)
def results(workshop: Workshop, membership: Membership):
    return render_template("evaluation/results.html", **_results_context(workshop))


@blueprint.get("/w/<code>/evaluation/summary")
@requires(Action.MANAGE_EVALUATION)
def summary(workshop: Workshop, membership: Membership):
    return render_template("evaluation/summary.html", **_results_context(workshop))


@blueprint.get("/w/<code>/evaluation/responses.csv")
@requires(Action.MANAGE_EVALUATION)
def responses_csv(workshop: Workshop, membership: Membership):
    header, rows = services.export_rows(_evaluation_or_404(workshop))
    return csv_response(f"{workshop.code}-evaluation.csv", header, rows)
