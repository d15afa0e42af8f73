"""The moderator's poll desk, the projector view, and result exports."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from markupsafe import Markup

from workshop.agenda.display import clock_for
from workshop.agenda.services import session_or_404
from workshop.csvio import csv_response
from workshop.db import db
from workshop.forms import submit
from workshop.polls import services
from workshop.polls.forms import PollForm
from workshop.polls.live import staff_context, version_of
from workshop.polls.models import Poll, PollKind
from workshop.workshops.models import Membership, Workshop
from workshop.workshops.permissions import Action, requires

blueprint = Blueprint("polls", __name__)



def _poll_or_404(session, poll_id: int) -> Poll:
    poll = services.poll_in(session, poll_id)
    if poll is None:
        abort(404, "There is no such poll in this session.")
    return poll


def _control_card(workshop: Workshop, session, poll: Poll) -> Markup:
    """A poll on the moderator's desk; rendered by Jinja with autoescaping, so safe to embed."""
    return Markup(render_template("polls/_control_card.html", workshop=workshop, session=session,
                                  **staff_context(poll, version_of(session.id))))


@blueprint.get("/w/<code>/s/<int:session_id>/polls")
@requires(Action.MODERATE)
def control(workshop: Workshop, membership: Membership, session_id: int):
    session = session_or_404(workshop, session_id)
    polls = services.polls_of(session)
    return render_template("polls/control.html", workshop=workshop, session=session, form=PollForm(),
                           cards=[_control_card(workshop, session, poll) for poll in reversed(polls)],
                           clock=clock_for(current_user.timezone, workshop.timezone))


@blueprint.post("/w/<code>/s/<int:session_id>/polls")
@requires(Action.MODERATE)
def create(workshop: Workshop, membership: Membership, session_id: int):
    session = session_or_404(workshop, session_id)
    form = PollForm()
    poll, status = submit(form, lambda: services.create_poll(session, request.form.to_dict()))
    if poll is None:
        return render_template("polls/_form.html", workshop=workshop, session=session, form=form), status
    fresh = PollForm(formdata=None)
    return render_template("polls/_form.html", workshop=workshop, session=session, form=fresh,
                           created=_control_card(workshop, session, poll))


ACTIONS = {
    "open": services.open_poll,
    "close": services.close_poll,
    "show": lambda poll: services.set_results_visible(poll, True),
    "hide": lambda poll: services.set_results_visible(poll, False),
}


@blueprint.post("/w/<code>/s/<int:session_id>/polls/<int:poll_id>/<action>")
@requires(Action.MODERATE)
def act(workshop: Workshop, membership: Membership, session_id: int, poll_id: int, action: str):
    session = session_or_404(workshop, session_id)
    poll = _poll_or_404(session, poll_id)
    if action == "duplicate":
        copy = services.duplicate_poll(poll)
        db.session.commit()
        return _control_card(workshop, session, copy) + _control_card(workshop, session, poll)
    if action == "delete":
        services.delete_poll(poll)
        db.session.commit()
        return ""
    if action not in ACTIONS:
        abort(404, "Unknown poll action.")
    ACTIONS[action](poll)
    db.session.commit()
    return _control_card(workshop, session, poll)


@blueprint.post("/w/<code>/s/<int:session_id>/polls/<int:poll_id>/answers/<int:ballot_id>/<visibility>")
@requires(Action.MODERATE)
def answer_visibility(workshop: Workshop, membership: Membership, session_id: int, poll_id: int, ballot_id: int,
                      visibility: str):
    session = session_or_404(workshop, session_id)
    poll = _poll_or_404(session, poll_id)
    if visibility not in ("hide", "show"):
        abort(404, "Unknown action.")
    services.set_answer_hidden(poll, ballot_id, visibility == "hide")
    db.session.commit()
    return _control_card(workshop, session, poll)


@blueprint.get("/w/<code>/s/<int:session_id>/projector")
@requires(Action.MODERATE)
def projector(workshop: Workshop, membership: Membership, session_id: int):
    session = session_or_404(workshop, session_id)
    return render_template("polls/projector.html", workshop=workshop, session=session)


@blueprint.get("/w/<code>/s/<int:session_id>/polls/<int:poll_id>/results.csv")
@requires(Action.MODERATE)
def results_csv(workshop: Workshop, membership: Membership, session_id: int, poll_id: int):
    session = session_or_404(workshop, session_id)
    poll = _poll_or_404(session, poll_id)
    found = services.results(poll)
    if poll.kind in (PollKind.SINGLE, PollKind.MULTIPLE, PollKind.RATING):
        header, rows = ["answer", "votes", "percent"], [(b.label, b.count, b.percent) for b in found.bars]
    elif poll.kind == PollKind.WORDCLOUD:
        header, rows = ["answer", "count"], [(w.text, w.count) for w in found.words]
    elif poll.kind == PollKind.RANKING:
        header, rows = ["option", "mean rank", "Borda points"], [(r.label, r.mean_rank, r.borda) for r in found.ranked]
    else:
        header, rows = ["answer", "hidden", "time (UTC)"], [
            (b.text, "yes" if b.hidden else "", b.cast_at.isoformat()) for b in services.all_answers(poll)]
    return csv_response(f"poll-{poll.id}-results.csv", ["question", poll.question, "voters", found.voters],
                        [header, *rows])


@blueprint.get("/w/<code>/s/<int:session_id>/polls/<int:poll_id>/ballots.csv")
@requires(Action.MODERATE)
def ballots_csv(workshop: Workshop, membership: Membership, session_id: int, poll_id: int):
    session = session_or_404(workshop, session_id)
    poll = _poll_or_404(session, poll_id)
    if poll.anonymous:
        abort(403, "This poll is anonymous: its ballots cannot be exported by name.")
    rows = [(name, email, answer, cast_at.isoformat()) for name, email, answer, cast_at in services.named_ballots(poll)]
    return csv_response(f"poll-{poll.id}-ballots.csv", ["name", "email", "answer", "time (UTC)"], rows)
