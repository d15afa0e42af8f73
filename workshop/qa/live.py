"""Q&A on the live pipe: participant actions over the socket, one fragment per changed question.

Asking, editing, withdrawing and upvoting arrive as socket events and are
acknowledged after commit. The service announces each changed question; at
the next flush the session's changed questions are rendered once each (with
the revision of the session's questions as version) and sent in one message
to the session's room (a question awaiting moderation only to its asker's
pages of that session), and their moderation cards in one message to the
moderators' desk.
A question whose only change is its vote count goes as a number in a small
``qa_counts`` message instead. Whole lists are sent only to a socket that
(re)joins.
"""

from __future__ import annotations

import threading

from flask import current_app, render_template, request
from markupsafe import Markup
from flask_login import current_user
from flask_socketio import emit

from sqlalchemy import select

from workshop.agenda.models import AgendaSession
from workshop.db import db
from workshop.errors import ValidationError
from workshop.extensions import socketio
from workshop.inputs import is_int
from workshop.live import revisions
from workshop.live.broadcast import FRAGMENT_EVENT, coalescer, emit_fragment, on_change, session_hooks
from workshop.live.handlers import on_event
from workshop.live.rooms import desk_room, person_session_room, session_room
from workshop.workshops.permissions import Action, Refused, authorize, authorize_for, can
from workshop.qa import services
from workshop.qa.models import Question, QuestionStatus


def render_question(question: Question, version: int) -> str:
    """The question as the session's list shows it: a copy to add where it is new, one to swap where it is not."""
    if question.status not in (QuestionStatus.PENDING, QuestionStatus.APPROVED, QuestionStatus.ANSWERED):
        return render_template("qa/_question.html", question=question, oob=True, gone=True, version=version)
    return (render_template("qa/_question.html", question=question, append=True, version=version)
            + render_template("qa/_question.html", question=question, oob=True, version=version))


def render_queue_card(question: Question, version: int) -> str:
    if question.status == QuestionStatus.WITHDRAWN:
        return render_template("qa/_queue_card.html", question=question, oob=True, gone=True, version=version)
    return (render_template("qa/_queue_card.html", question=question, append=True, version=version)
            + render_template("qa/_queue_card.html", question=question, oob=True, version=version))


COUNTS_EVENT = "qa_counts"


def version_of(session_id: int) -> int:
    """The revision of the session's questions, read before what it versions."""
    return revisions.current(services.live_target(session_id))


def note_change(session_id: int, workshop_id: int, question_id: int, votes_only: bool) -> None:
    """A committed change: the next flush sends it, with every other question of its session that changed.

    One message per session per flush, not one per question: with hundreds of
    upvotes a second, per-question emits to every socket swamp the server. A
    question whose votes are all that changed since the last flush goes as a
    count, not as its whole rendered item. Runs as the change commits: no reads here.
    """
    dirty = current_app.extensions.setdefault("qa_dirty", {})
    with _dirty_lock:
        changes = dirty.setdefault(session_id, {})
        changes[question_id] = changes.get(question_id, False) or not votes_only
    coalescer().mark(("questions", session_id), lambda: _send_changes(session_id, workshop_id))


_dirty_lock = threading.Lock()


def _send_changes(session_id: int, workshop_id: int) -> None:
    with _dirty_lock:
        changes = current_app.extensions.setdefault("qa_dirty", {}).pop(session_id, {})
    version = version_of(session_id)
    rerendered = [question_id for question_id, whole in changes.items() if whole]
    recounted = [question_id for question_id, whole in changes.items() if not whole]
    if rerendered:
        _send_questions(session_id, workshop_id, rerendered, version)
    if recounted:
        _send_counts(session_id, recounted, version)


def _send_questions(session_id: int, workshop_id: int, question_ids: list[int], version: int) -> None:
    shared, desk = [], []
    for question in db.session.scalars(select(Question).where(Question.id.in_(question_ids)).order_by(Question.id)):
        if question.status == QuestionStatus.PENDING:
            emit_fragment(render_question(question, version), person_session_room(question.person_id, session_id))
        else:
            shared.append(render_question(question, version))
        desk.append(render_queue_card(question, version))
    if shared:
        emit_fragment("".join(shared), session_room(session_id))
    if desk:
        emit_fragment("".join(desk), desk_room(workshop_id))


def _send_counts(session_id: int, question_ids: list[int], version: int) -> None:
    """Upvotes only: ``[id, version, votes]`` per question, which qa.js writes into every copy it shows."""
    counts = db.session.execute(select(Question.id, Question.votes)
                                .where(Question.id.in_(question_ids), Question.status == QuestionStatus.APPROVED)
                                .order_by(Question.id)).all()
    if counts:
        socketio.emit(COUNTS_EVENT, {"session": session_id,
                                     "counts": [[question_id, version, votes] for question_id, votes in counts]},
                      to=session_room(session_id))


def render_list(session: AgendaSession, person) -> str:
    """The whole list as this person sees it, with their own upvotes and questions for qa.js.

    Every arrival on the session page asks for it, so the questions everyone sees are rendered once per
    revision of the session's questions (:func:`_public_items`); only the person's own questions awaiting
    moderation are rendered for them, and only if they asked any.
    """
    version = version_of(session.id)
    my_votes, my_questions = services.mine(session.id, person.id)
    items = _public_items(session.id, version)
    if my_questions:
        own = services.awaiting_moderation_of(session.id, person.id)
        items = sorted(items + [(question.id, _list_item(question, version)) for question in own])
    return render_template("qa/_list.html", session_id=session.id, oob=True, version=version,
                           items=Markup("".join(html for _, html in items)), my_votes=my_votes,
                           my_questions=my_questions)


def _public_items(session_id: int, version: int) -> list[tuple[int, str]]:
    """(id, rendered item) of the session's approved and answered questions at ``version``, kept for the
    session's latest revision in this process. A name changed since is shown at the next change of the questions,
    as a broadcast would show it."""
    return revisions.kept_at("qa_public_items", session_id, version, lambda: [
        (question.id, _list_item(question, version)) for question in services.public_questions(session_id)])


def _list_item(question: Question, version: int) -> str:
    return render_template("qa/_question.html", question=question, version=version, append=False, oob=False,
                           gone=False)


def render_queue(session: AgendaSession) -> str:
    return render_template("qa/_queue.html", session_id=session.id, oob=True, version=version_of(session.id),
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
        session = db.session.get(AgendaSession, session_id) if is_int(session_id) else None
        if session is None:
            raise ValidationError({"question": "There is no such session."}, status=404)
        authorize(session.workshop_id, Action.ASK)
        question, revision = services.ask(session, current_user, data.get("text"), data.get("anonymous", False))
        answer = {"ok": True, "question": question.id, "version": revision,
                  "pending": question.status == QuestionStatus.PENDING}
        db.session.commit()
    except Refused as refused:
        db.session.rollback()
        return refused.ack()
    except ValidationError as error:
        return _refused(error)
    return answer


def on_edit(data):
    """``qa_edit``: ``{"question": id, "text": str}``."""
    try:
        data = _payload(data)
        named = services.question_named(data.get("question"))
        authorize_for(named, Action.ASK)
        question, revision = services.edit(data.get("question"), current_user, data.get("text"))
        answer = {"ok": True, "question": question.id, "version": revision}
        db.session.commit()
    except Refused as refused:
        db.session.rollback()
        return refused.ack()
    except ValidationError as error:
        return _refused(error)
    return answer


def on_withdraw(data):
    """``qa_withdraw``: ``{"question": id}``."""
    try:
        data = _payload(data)
        named = services.question_named(data.get("question"))
        authorize_for(named, Action.ASK)
        question_id = services.withdraw(data.get("question"), current_user).id
        db.session.commit()
    except Refused as refused:
        db.session.rollback()
        return refused.ack()
    except ValidationError as error:
        return _refused(error)
    return {"ok": True, "question": question_id}


def on_upvote(data):
    """``qa_upvote``: ``{"question": id, "on": bool}``; the ack carries the stored count and revision."""
    try:
        data = _payload(data)
        named = services.upvoted_question(data.get("question"))
        authorize_for(named, Action.ASK)
        upvoted = services.upvote_in(named, current_user, data.get("on"))
    except Refused as refused:
        db.session.rollback()
        return refused.ack()
    except ValidationError as error:
        return _refused(error)
    return {"ok": True, "question": upvoted.question_id, "on": data["on"], "votes": upvoted.votes,
            "version": upvoted.revision}


class QuestionsOnSessionPage:
    on_narrower_pages = False

    def live_target(self, session_id: int) -> str:
        return services.live_target(session_id)

    def joined(self, session, membership) -> None:
        html = render_list(session, current_user)
        if can(membership, Action.MODERATE):
            html += render_queue(session)
        emit(FRAGMENT_EVENT, html, to=request.sid)

    def presence_changed(self, session_id: int) -> None:
        """Nothing of the questions depends on who is online."""


def register() -> None:
    on_event("qa_ask", on_ask)
    on_event("qa_edit", on_edit)
    on_event("qa_withdraw", on_withdraw)
    on_event("qa_upvote", on_upvote)
    on_change(services.QUESTION_TOPIC, note_change, whole_state=False, immediate=True)
    if not any(isinstance(hook, QuestionsOnSessionPage) for hook in session_hooks):
        session_hooks.append(QuestionsOnSessionPage())
