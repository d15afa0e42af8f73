"""The moderators' question queue and settings, the projector view, and the CSV export."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from workshop.agenda.services import session_or_404
from workshop.csvio import csv_response
from workshop.db import db
from workshop.errors import ValidationError
from workshop.forms import submit
from workshop.qa import services
from workshop.qa.forms import BlockedWordsForm, QaSettingsForm
from workshop.qa.live import version_of
from workshop.qa.models import Question
from workshop.workshops.models import Membership, Workshop
from workshop.workshops.permissions import Action, requires

blueprint = Blueprint("qa", __name__)



def _question_or_404(session, question_id: int) -> Question:
    question = services.question_in(session, question_id)
    if question is None:
        abort(404, "There is no such question in this session.")
    return question


def _moderation_page(workshop, session, settings_form, words_form, status=200):
    version = version_of(session.id)
    return render_template("qa/moderate.html", workshop=workshop, session=session, settings_form=settings_form,
                           words_form=words_form, questions=services.queue_of(session.id), version=version,
                           bans=services.bans_of(workshop.id)), status


@blueprint.get("/w/<code>/s/<int:session_id>/questions/moderate")
@requires(Action.MODERATE)
def moderate(workshop: Workshop, membership: Membership, session_id: int):
    session = session_or_404(workshop, session_id)
    settings = services.settings_of(session.id)
    return _moderation_page(workshop, session, QaSettingsForm(obj=settings),
                            BlockedWordsForm(words="\n".join(services.blocked_words(workshop.id))))


@blueprint.post("/w/<code>/s/<int:session_id>/questions/settings")
@requires(Action.MODERATE)
def save_settings(workshop: Workshop, membership: Membership, session_id: int):
    session = session_or_404(workshop, session_id)
    form = QaSettingsForm()
    saved, status = submit(form, lambda: services.save_settings(session, form.anonymous_allowed.data,
                                                                form.premoderation.data))
    if saved is None:
        return _moderation_page(workshop, session, form,
                                BlockedWordsForm(words="\n".join(services.blocked_words(workshop.id))), status)
    flash("Question settings saved.", "success")
    return redirect(url_for("qa.moderate", code=workshop.code, session_id=session.id))


@blueprint.post("/w/<code>/s/<int:session_id>/questions/blocked-words")
@requires(Action.MODERATE)
def save_blocked_words(workshop: Workshop, membership: Membership, session_id: int):
    session = session_or_404(workshop, session_id)
    form = BlockedWordsForm()
    saved, status = submit(form, lambda: services.save_blocked_words(workshop.id, form.words.data))
    if saved is None:
        return _moderation_page(workshop, session, QaSettingsForm(obj=services.settings_of(session.id)), form,
                                status)
    flash(f"Blocked words saved ({len(saved)}).", "success")
    return redirect(url_for("qa.moderate", code=workshop.code, session_id=session.id))


ACTIONS = {
    "approve": services.approve,
    "dismiss": services.dismiss,
    "answer": services.mark_answered,
    "pin": services.pin,
    "unpin": services.unpin,
    "reply": lambda question: services.set_reply(question, request.form.get("reply")),
}


@blueprint.post("/w/<code>/s/<int:session_id>/questions/<int:question_id>/<action>")
@requires(Action.MODERATE)
def act(workshop: Workshop, membership: Membership, session_id: int, question_id: int, action: str):
    """A moderator's action on one question; answers with the question's card for the queue."""
    session = session_or_404(workshop, session_id)
    question = _question_or_404(session, question_id)
    if action == "ban":
        services.ban_asker(question)
        db.session.commit()
        return _queue_card(question)
    if action not in ACTIONS:
        abort(404, "Unknown question action.")
    try:
        ACTIONS[action](question)
        db.session.commit()
    except ValidationError:
        db.session.rollback()
        raise
    return _queue_card(question)


def _queue_card(question: Question) -> str:
    version = version_of(question.session_id)
    db.session.refresh(question)
    return render_template("qa/_queue_card.html", question=question, version=version)


@blueprint.post("/w/<code>/s/<int:session_id>/questions/bans/<int:ban_id>/lift")
@requires(Action.MODERATE)
def lift_ban(workshop: Workshop, membership: Membership, session_id: int, ban_id: int):
    session = session_or_404(workshop, session_id)
    services.lift_ban(workshop.id, ban_id)
    db.session.commit()
    flash("The person may post questions again.", "success")
    return redirect(url_for("qa.moderate", code=workshop.code, session_id=session.id))


@blueprint.get("/w/<code>/s/<int:session_id>/questions/projector")
@requires(Action.MODERATE)
def projector(workshop: Workshop, membership: Membership, session_id: int):
    session = session_or_404(workshop, session_id)
    return render_template("qa/projector.html", workshop=workshop, session=session)


@blueprint.get("/w/<code>/s/<int:session_id>/questions.csv")
@requires(Action.MODERATE)
def export(workshop: Workshop, membership: Membership, session_id: int):
    session = session_or_404(workshop, session_id)
    return csv_response(f"session-{session.id}-questions.csv",
                        ["question", "votes", "status", "asked (UTC)", "answered (UTC)", "asker", "reply"],
                        services.export_rows(session.id))
