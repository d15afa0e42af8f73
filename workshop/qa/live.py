"""Q&A on the live pipe: participant actions over the socket, one fragment per changed question.

Asking, editing, withdrawing and upvoting arrive as socket events and are
acknowledged after commit. A changed question is marked on the coalescer;
at the next flush the session's changed questions are rendered once each
(with vote count and revision as version) and sent in one message to the
session's room (a question awaiting moderation only to its asker), and
their moderation cards in one message to the moderators' desk.
A question whose only change is its vote count goes as a number in a small
``qa_counts`` message instead. Whole lists are sent only to a socket that
(re)joins.
"""

from __future__ import annotations

import threading

from flask import current_app, render_template, request
from flask_login import current_user
from flask_socketio import emit

from sqlalchemy import select

from workshop.agenda.models import AgendaSession
from workshop.db import db
from workshop.errors import ValidationError
from workshop.extensions import socketio
from workshop.live.broadcast import FRAGMENT_EVENT, coalescer, emit_fragment, session_hooks
from workshop.live.rooms import desk_room, person_room, session_room
from workshop.permissions import Action, Refused, authorize, authorize_for, can
from workshop.qa import services
from workshop.qa.models import Question, QuestionStatus


def render_question(question: Question) -> str:
    """The question as the session's list shows it: a copy to add where it is new, one to swap where it is not."""
    if question.status not in (QuestionStatus.PENDING, QuestionStatus.APPROVED, QuestionStatus.ANSWERED):
        return render_template("qa/_question.html", question=question, oob=True, gone=True)
    return (render_template("qa/_question.html", question=question, append=True)
            + render_template("qa/_question.html", question=question, oob=True))


def render_queue_card(question: Question) -> str:
    if question.status == QuestionStatus.WITHDRAWN:
        return render_template("qa/_queue_card.html", question=question, oob=True, gone=True)
    return (render_template("qa/_queue_card.html", question=question, append=True)
            + render_template("qa/_queue_card.html", question=question, oob=True))


COUNTS_EVENT = "qa_counts"


def broadcast_question(question_id: int, votes_only: bool = False) -> None:
    """Mark the question changed: the next flush sends it, with every other question of its session that changed.

    One message per session per flush, not one per question: with hundreds of
    upvotes a second, per-question emits to every socket swamp the server. A
    question whose votes are all that changed since the last flush goes as a
    count, not as its whole rendered item.
    """
    question = db.session.get(Question, question_id)
    if question is None:
        return
    session_id, workshop_id = question.session_id, question.workshop_id
    dirty = current_app.extensions.setdefault("qa_dirty", {})
    with _dirty_lock:
        changes = dirty.setdefault(session_id, {})
        changes[question_id] = changes.get(question_id, False) or not votes_only
    coalescer().mark(("questions", session_id), lambda: _send_changes(session_id, workshop_id))


_dirty_lock = threading.Lock()


def _send_changes(session_id: int, workshop_id: int) -> None:
    with _dirty_lock:
        changes = current_app.extensions.setdefault("qa_dirty", {}).pop(session_id, {})
    rerendered = [question_id for question_id, whole in changes.items() if whole]
    recounted = [question_id for question_id, whole in changes.items() if not whole]
    if rerendered:
        _send_questions(session_id, workshop_id, rerendered)
    if recounted:
        _send_counts(session_id, recounted)


def _send_questions(session_id: int, workshop_id: int, question_ids: list[int]) -> None:
    shared, desk = [], []
    for question in db.session.scalars(select(Question).where(Question.id.in_(question_ids)).order_by(Question.id)):
        if question.status == QuestionStatus.PENDING:
            emit_fragment(render_question(question), person_room(question.person_id))
        else:
            shared.append(render_question(question))
        desk.append(render_queue_card(question))
    if shared:
        emit_fragment("".join(shared), session_room(session_id))
    if desk:
        emit_fragment("".join(desk), desk_room(workshop_id))


def _send_counts(session_id: int, question_ids: list[int]) -> None:
    """Upvotes only: ``[id, revision, votes]`` per question, which qa.js writes into every copy it shows."""
    counts = db.session.execute(select(Question.id, Question.revision, Question.votes)
                                .where(Question.id.in_(question_ids), Question.status == QuestionStatus.APPROVED)
                                .order_by(Question.id)).all()
    if counts:
        socketio.emit(COUNTS_EVENT, {"session": session_id, "counts": [list(row) for row in counts]},
                      to=session_room(session_id))


def broadcast_questions(question_ids: list[int]) -> None:
    for question_id in question_ids:
        broadcast_question(question_id)


def render_list(session: AgendaSession, person) -> str:
    """The whole list as this person sees it, with their own upvotes and questions for qa.js."""
    return render_template("qa/_list.html", session_id=session.id, oob=True,
                           questions=services.visible_to(session.id, person.id),
                           my_votes=services.my_votes(session.id, person.id),
                           my_questions=services.my_questions(session.id, person.id))


def render_queue(session: AgendaSession) -> str:
    return render_template("qa/_queue.html", session_id=session.id, oob=True,
                           questions=services.queue_of(session.id))


# Socket events ---------------------------------------------------------------------------------------

def _refused(error: ValidationError) -> dict:
    db.session.rollback()
    return {"ok": False, "status": error.status, "message": " ".join(error.errors.values())}


def _payload(data) -> dict:
    if not isinstance(data, dict):
        raise ValidationError({"question": "The request was not understood."})
    return data


def on_ask(data):
    """``qa_ask``: ``{"session": id, "text": str, "anonymous": bool}``; acknowledged after commit."""
    try:
        data = _payload(data)
        session_id = data.get("session")
        session = db.session.get(AgendaSession, session_id) if services.is_int(session_id) else None
        if session is None:
            raise ValidationError({"question": "There is no such session."}, status=404)
        authorize(session.workshop_id, Action.ASK)
        question = services.ask(session, current_user, data.get("text"), data.get("anonymous", False))
        db.session.commit()
    except Refused as refused:
        db.session.rollback()
        return refused.ack()
    except ValidationError as error:
        return _refused(error)
    broadcast_question(question.id)
    return {"ok": True, "question": question.id, "version": question.revision,
            "pending": question.status == QuestionStatus.PENDING}


def on_edit(data):
    """``qa_edit``: ``{"question": id, "text": str}``."""
    try:
        data = _payload(data)
        authorize_for(services.workshop_of_question(data.get("question")), Action.ASK)
        question = services.edit(data.get("question"), current_user, data.get("text"))
        db.session.commit()
    except Refused as refused:
        db.session.rollback()
        return refused.ack()
    except ValidationError as error:
        return _refused(error)
    broadcast_question(question.id)
    return {"ok": True, "question": question.id, "version": question.revision}


def on_withdraw(data):
    """``qa_withdraw``: ``{"question": id}``."""
    try:
        data = _payload(data)
        authorize_for(services.workshop_of_question(data.get("question")), Action.ASK)
        question = services.withdraw(data.get("question"), current_user)
        db.session.commit()
    except Refused as refused:
        db.session.rollback()
        return refused.ack()
    except ValidationError as error:
        return _refused(error)
    broadcast_question(question.id)
    return {"ok": True, "question": question.id}


def on_upvote(data):
    """``qa_upvote``: ``{"question": id, "on": bool}``; the ack carries the stored count and revision."""
    try:
        data = _payload(data)
        authorize_for(services.workshop_of_question(data.get("question")), Action.ASK)
        question, revision = services.upvote(data.get("question"), current_user, data.get("on"))
        db.session.commit()
    except Refused as refused:
        db.session.rollback()
        return refused.ack()
    except ValidationError as error:
        return _refused(error)
    broadcast_question(question.id, votes_only=True)
    return {"ok": True, "question": question.id, "on": data["on"], "votes": question.votes, "version": revision}


class QuestionsOnSessionPage:
    def joined(self, session, membership) -> None:
        html = render_list(session, current_user)
        if can(membership, Action.MODERATE):
            html += render_queue(session)
        emit(FRAGMENT_EVENT, html, to=request.sid)

    def presence_changed(self, session_id: int) -> None:
        """Nothing of the questions depends on who is online."""


def register() -> None:
    socketio.on_event("qa_ask", on_ask)
    socketio.on_event("qa_edit", on_edit)
    socketio.on_event("qa_withdraw", on_withdraw)
    socketio.on_event("qa_upvote", on_upvote)
    if not any(isinstance(hook, QuestionsOnSessionPage) for hook in session_hooks):
        session_hooks.append(QuestionsOnSessionPage())
