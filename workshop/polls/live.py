"""Polls on the live pipe: votes over the socket, coalesced result broadcasts, state on (re)connect.

Results are rendered once per flush and emitted to the session's room (what
participants and the projector see) and to the moderators' desk (live counts
even while results are hidden). Every fragment carries the poll's revision.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user
from flask_socketio import emit

from sqlalchemy import select

from workshop.db import db, utcnow
from workshop.errors import ValidationError
from workshop.extensions import socketio
from workshop.live.broadcast import FRAGMENT_EVENT, coalescer, emit_fragment, session_hooks
from workshop.live.presence import presence
from workshop.live.rooms import desk_room, session_room
from workshop.permissions import Action, Refused, authorize_for
from workshop.polls import services
from workshop.polls.models import Poll, PollState
from workshop.workshops.models import Workshop


def visible_polls(session) -> list[Poll]:
    """The polls participants see: every one that has been opened, newest first."""
    return [p for p in reversed(services.polls_of(session)) if p.state != PollState.DRAFT]


def card_context(poll: Poll, person) -> dict:
    ballot = services.my_ballot(poll, person)
    return {"poll": poll, "results": services.results(poll), "now": utcnow(),
            "answer": services.describe(poll, ballot) if ballot else None}


def render_session_polls(session, person) -> str:
    """The whole polls area of a session page as this person sees it (their own ballots included)."""
    cards = [card_context(poll, person) for poll in visible_polls(session)]
    return render_template("polls/_session_polls.html", session=session, cards=cards)


def _render_results(poll: Poll, results) -> tuple[str, str]:
    code = db.session.scalar(select(Workshop.code).where(Workshop.id == poll.workshop_id))
    shared = render_template("polls/_results.html", poll=poll, results=results, oob=True)
    staff = render_template("polls/_staff_results.html", poll=poll, results=results, oob=True, code=code,
                            online=presence().in_session(poll.session_id))
    return shared, staff


def broadcast_results(poll_id: int) -> None:
    """Mark the poll's results changed; the next flush renders them once for everyone."""

    def job():
        poll = db.session.get(Poll, poll_id)
        if poll is None:
            return
        shared, staff = _render_results(poll, services.results(poll))
        emit_fragment(shared, session_room(poll.session_id))
        emit_fragment(staff, desk_room(poll.workshop_id))

    coalescer().mark(("poll", poll_id), job, whole_state=True)


def broadcast_turnout(poll_id: int) -> None:
    """Someone came or went: the desk's turnout (voted / online) at the next flush."""

    def job():
        poll = db.session.get(Poll, poll_id)
        if poll is not None:
            emit_fragment(_render_results(poll, services.results(poll))[1], desk_room(poll.workshop_id))

    coalescer().mark(("poll-turnout", poll_id), job, whole_state=True)


def broadcast_poll(poll: Poll) -> None:
    """A poll opened, closed, reopened or changed visibility: send its card now, results at the next flush."""
    if poll.state == PollState.DRAFT:
        return  # participants never see drafts (showing a draft's results would reveal it); the desk has its card
    results = services.results(poll)
    card = render_template("polls/_card.html", poll=poll, results=results, answer=None, now=utcnow(), append=True)
    body = render_template("polls/_body.html", poll=poll, now=utcnow(), oob=True)
    emit_fragment(card + body, session_room(poll.session_id))
    broadcast_results(poll.id)
    if poll.state == PollState.OPEN and poll.closes_at is not None:
        socketio.start_background_task(_close_when_due, current_app._get_current_object(), poll.id, poll.closes_at)


def _close_when_due(app, poll_id: int, closes_at) -> None:
    """The countdown: close the poll when its time is up (once, even if several timers wake)."""
    socketio.sleep(max(0.0, (closes_at - utcnow()).total_seconds()) + 0.05)
    with app.test_request_context("/"):
        _close_if_expired(poll_id)


def close_due_polls() -> list[int]:
    """The safety net under the countdowns, run by every worker's timer sweep (workshop.live.timers).

    Closes the polls whose time is up that no countdown closed (the worker that
    opened them stopped); returns the ids this call closed.
    """
    due = db.session.scalars(select(Poll.id).where(Poll.state == PollState.OPEN, Poll.closes_at <= utcnow())).all()
    return [poll_id for poll_id in due if _close_if_expired(poll_id)]


def _close_if_expired(poll_id: int) -> bool:
    """Close and broadcast, if this call is the one that closed it (one atomic UPDATE decides)."""
    if not services.close_if_expired(poll_id):
        return False
    broadcast_poll(db.session.get(Poll, poll_id))
    return True


def on_vote(data):
    """Socket event ``vote``: ``{"poll": id, "answer": {...}}``; acknowledged only after commit."""
    try:
        poll_id = data.get("poll") if isinstance(data, dict) else None
        authorize_for(services.workshop_of_poll(poll_id), Action.VOTE)
        cast = services.vote(poll_id, current_user, data.get("answer") if isinstance(data, dict) else None)
    except Refused as refused:
        db.session.rollback()
        return refused.ack()
    except ValidationError as error:
        db.session.rollback()
        return {"ok": False, "message": " ".join(error.errors.values())}
    broadcast_results(poll_id)
    mine = render_template("polls/_mine.html", poll_id=poll_id, answer=cast.answer)
    return {"ok": True, "version": cast.revision, "mine": mine}


class PollsOnSessionPage:
    def joined(self, session, membership) -> None:
        html = render_session_polls(session, current_user)
        emit(FRAGMENT_EVENT, html, to=request.sid)

    def presence_changed(self, session_id: int) -> None:
        """Turnout changed: only the moderators' figures, not every participant's results."""
        for poll_id in db.session.scalars(select(Poll.id).where(Poll.session_id == session_id,
                                                                Poll.state == PollState.OPEN)):
            broadcast_turnout(poll_id)


def register() -> None:
    socketio.on_event("vote", on_vote)
    if not any(isinstance(hook, PollsOnSessionPage) for hook in session_hooks):
        session_hooks.append(PollsOnSessionPage())
