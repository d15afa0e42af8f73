"""The run-of-show page: the features' own live fragments for one session, with the next action for each."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from markupsafe import Markup

from workshop.agenda.display import clock_for
from workshop.agenda.services import session_or_404
from workshop.breakouts import live as breakouts_live
from workshop.breakouts import services as breakouts
from workshop.breakouts.models import RoundState
from workshop.polls.live import staff_context, version_of
from workshop.run_of_show.services import run_of_show
from workshop.workshops.models import Membership, Workshop
from workshop.workshops.permissions import Action, requires

blueprint = Blueprint("run_of_show", __name__)


def _poll_cards(workshop: Workshop, session, polls, version: int) -> list[Markup]:
    """The polls page's own cards: their figures update live from the moderators' desk, their buttons act."""
    return [Markup(render_template("polls/_control_card.html", workshop=workshop, session=session,
                                   **staff_context(poll, version))) for poll in polls]


@blueprint.get("/w/<code>/s/<int:session_id>/run-of-show")
@requires(Action.MODERATE)
def page(workshop: Workshop, membership: Membership, session_id: int):
    session = session_or_404(workshop, session_id)
    # Revisions before what they version: a change made meanwhile reaches the page live, as newer.
    polls_version, breakouts_version = version_of(session.id), breakouts.session_version(session.id)
    now = run_of_show(session)
    round_ = now.breakout_round
    return render_template(
        "run_of_show/page.html", workshop=workshop, session=session, now=now,
        open_poll_cards=_poll_cards(workshop, session, now.open_polls, polls_version),
        draft_card=_poll_cards(workshop, session, [now.next_draft], polls_version)[0] if now.next_draft else None,
        desk=breakouts_live.desk_state(round_) if round_ is not None and round_.state == RoundState.OPEN else None,
        breakouts_version=breakouts_version,
        clock=clock_for(current_user.timezone, workshop.timezone))
