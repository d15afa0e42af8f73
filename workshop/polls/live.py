"""Polls on the live pipe: votes over the socket, coalesced result broadcasts, state on (re)connect.

The polls service announces every committed change of a poll; at the next
flush its card and results are rendered once and emitted to the session's room
(what participants and the projector see) and to the moderators' desk (live
counts even while results are hidden). Every fragment carries the revision of
the session's polls (``workshop/live/revisions.py``).
"""

from __future__ import annotations


from flask import current_app, render_template, request
from flask_login import current_user
from flask_socketio import emit
from markupsafe import Markup

from sqlalchemy import select

from workshop.db import db, utcnow
from workshop.errors import ValidationError
from workshop.extensions import socketio
from workshop.live import revisions
from workshop.live.broadcast import FRAGMENT_EVENT, emit_fragment, on_change, session_hooks
from workshop.live.handlers import on_event
from workshop.live.presence import presence
from workshop.live.timers import on_deadline
from workshop.live.rooms import desk_room, session_room
from workshop.workshops.permissions import Action, Refused, authorize_for
from workshop.polls import services
from workshop.polls.models import Ballot, Poll, PollKind, PollState
from workshop.workshops.models import Workshop


def visible_polls(session) -> list[Poll]:
    """The polls participants see: every one that has been opened, newest first."""
    return [p for p in reversed(services.polls_of(session)) if p.state != PollState.DRAFT]


def version_of(session_id: int) -> int:
    """The revision of the session's polls, read before what it versions."""
    return revisions.current(services.live_target(session_id))


def turnout_version(poll: Poll, version: int) -> int:
    """Turnout counts ballots and people online: both revisions only grow, and so does their sum."""
    return version + presence().version(poll.workshop_id)


def results_at(poll: Poll, version: int) -> services.Results:
    """The poll's results at ``version`` (the session's polls revision, read before): counted once per revision
    and kept for every page that asks at the same one, since a join storm asks a thousand times. Results
    counted after reading the revision include at least every change up to it. Open answers are not kept:
    they are rows of the database session that read them."""
    kept = current_app.extensions.setdefault("poll_results", {})  # poll id -> (revision, results)
    if (found := kept.get(poll.id)) is not None and found[0] == version:
        return found[1]
    results = services.results(poll)
    if poll.kind != PollKind.OPEN_TEXT:
        kept[poll.id] = (version, results)
    return results


def render_card(poll: Poll, version: int, answer: str | None) -> Markup:
    return Markup(render_template("polls/_card.html", poll=poll, results=results_at(poll, version), answer=answer,
                                  version=version, append=False, oob=False, poll_id=None))


def render_session_polls(session, person) -> str:
    """The whole polls area of a session page as this person sees it (their own ballots included).

    The cards of the polls the person has not answered are the same for everyone: rendered once per revision
    of the session's polls and kept, since a join storm asks a thousand times. Only answered polls are rendered
    for the person, with their answer.
    """
    version = version_of(session.id)
    shared = revisions.kept_at("session_poll_cards", session.id, version, lambda: [
        (poll.id, render_card(poll, version, None)) for poll in visible_polls(session)])
    answered = services.ballot_ids_by_poll([poll_id for poll_id, _ in shared], person)
    cards = [_answered_card(poll_id, ballot_id, version) if (ballot_id := answered.get(poll_id)) else card
             for poll_id, card in shared]
    return render_template("polls/_session_polls.html", cards=cards, version=version)


def _answered_card(poll_id: int, ballot_id: int, version: int) -> Markup:
    poll = db.session.get(Poll, poll_id)
    return render_card(poll, version, services.describe(poll, db.session.get(Ballot, ballot_id)))


def staff_context(poll: Poll, version: int, results=None) -> dict:
    """What the desk's figures show. ``version``: the session's polls, read before ``poll`` and ``results``."""
    turnout = turnout_version(poll, version)
    online = presence().in_session(poll.session_id)
    return {"poll": poll, "results": results or results_at(poll, version), "online": online, "version": version,
            "turnout_version": turnout}


def render_staff_results(poll: Poll, version: int, code: str, results=None) -> str:
    return render_template("polls/_staff_results.html", oob=True, code=code, **staff_context(poll, version, results))


def _read(poll_id: int) -> tuple[int, Poll, str] | None:
    """The session's polls revision, then the poll and its workshop's code (None if the poll is gone)."""
    session_id = db.session.scalar(select(Poll.session_id).where(Poll.id == poll_id))
    if session_id is None:
        return None
    version = version_of(session_id)
    poll = db.session.get(Poll, poll_id)
    return version, poll, db.session.scalar(select(Workshop.code).where(Workshop.id == poll.workshop_id))


def send_poll(poll_id: int) -> None:
    """The poll's card and results to the session's pages (a draft: nowhere), its figures to the desk."""
    if (read := _read(poll_id)) is None:
        return
    version, poll, code = read
    results = results_at(poll, version)
    emit_fragment(render_staff_results(poll, version, code, results), desk_room(poll.workshop_id))
    if poll.state == PollState.DRAFT:
        return  # participants never see drafts (showing a draft's results would reveal it); the desk has its card
    now = utcnow()
    card = render_template("polls/_card.html", poll=poll, results=results, answer=None, now=now, append=True,
                           version=version)
    body = render_template("polls/_body.html", poll=poll, now=now, oob=True, version=version)
    shared = render_template("polls/_results.html", poll=poll, results=results, oob=True, version=version)
    emit_fragment(card + body + shared, session_room(poll.session_id))


def send_results(poll_id: int) -> None:
    """The results changed: on the session's pages (not the card: a form being filled in stays), and the desk's
    figures."""
    if (read := _read(poll_id)) is None:
        return
    version, poll, code = read
    results = results_at(poll, version)
    emit_fragment(render_staff_results(poll, version, code, results), desk_room(poll.workshop_id))
    if poll.state != PollState.DRAFT:
        emit_fragment(render_template("polls/_results.html", poll=poll, results=results, oob=True, version=version),
                      session_room(poll.session_id))


def send_turnout(poll_id: int) -> None:
    """Someone came or went: only the desk's turnout (voted / online), not every participant's results."""
    if (read := _read(poll_id)) is not None:
        version, poll, _ = read
        emit_fragment(render_template("polls/_turnout.html", oob=True, **staff_context(poll, version)),
                      desk_room(poll.workshop_id))


def start_countdown(poll_id: int) -> None:
    """A poll opened with a countdown: close it when its time is up (the sweep is the safety net)."""
    poll = db.session.get(Poll, poll_id)
    if poll is not None and poll.state == PollState.OPEN and poll.closes_at is not None:
        socketio.start_background_task(_close_when_due, current_app._get_current_object(), poll.id, poll.closes_at)


def _close_when_due(app, poll_id: int, closes_at) -> None:
    """The countdown: close the poll when its time is up (once, even if several timers wake)."""
    socketio.sleep(max(0.0, (closes_at - utcnow()).total_seconds()) + 0.05)
    with app.test_request_context("/"):
        services.close_if_expired(poll_id)


def close_due_polls() -> list[int]:
    """The safety net under the countdowns, run by every worker's timer sweep (workshop.live.timers).

    Closes the polls whose time is up that no countdown closed (the worker that
    opened them stopped); returns the ids this call closed.
    """
    due = db.session.scalars(select(Poll.id).where(Poll.state == PollState.OPEN, Poll.closes_at <= utcnow())).all()
    return [poll_id for poll_id in due if services.close_if_expired(poll_id)]


def on_vote(data):
    """Socket event ``vote``: ``{"poll": id, "answer": {...}}``; acknowledged only after commit."""
    try:
        poll_id = data.get("poll") if isinstance(data, dict) else None
        named = services.poll_named(poll_id)
        authorize_for(named, Action.VOTE)
        cast = services.vote_in(named, current_user, data.get("answer") if isinstance(data, dict) else None)
    except Refused as refused:
        db.session.rollback()
        return refused.ack()
    except ValidationError as error:
        db.session.rollback()
        return {"ok": False, "message": " ".join(error.errors.values())}
    mine = render_template("polls/_mine.html", poll_id=poll_id, answer=cast.answer)
    return {"ok": True, "version": cast.revision, "mine": mine}


class PollsOnSessionPage:
    on_narrower_pages = False

    def live_target(self, session_id: int) -> str:
        return services.live_target(session_id)

    def joined(self, session, membership) -> None:
        html = render_session_polls(session, current_user)
        emit(FRAGMENT_EVENT, html, to=request.sid)

    def presence_changed(self, session_id: int) -> None:
        """Turnout changed: only the moderators' figures, not every participant's results."""
        for poll_id in db.session.scalars(select(Poll.id).where(Poll.session_id == session_id,
                                                                Poll.state == PollState.OPEN)).all():
            send_turnout(poll_id)


def register() -> None:
    on_event("vote", on_vote)
    on_change(services.POLL_TOPIC, send_poll)
    on_change(services.RESULTS_TOPIC, send_results)
    on_change(services.COUNTDOWN_TOPIC, start_countdown, whole_state=False)
    on_deadline(close_due_polls)
    if not any(isinstance(hook, PollsOnSessionPage) for hook in session_hooks):
        session_hooks.append(PollsOnSessionPage())
