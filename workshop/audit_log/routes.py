"""The workshop's audit log page, for its organizers."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from workshop.agenda.display import clock_for
from workshop.audit import services
from workshop.workshops.models import Membership, Workshop
from workshop.workshops.permissions import Action, requires

# Named after the log it shows: its endpoint is audit.log, its template audit/log.html.
blueprint = Blueprint("audit", __name__)
PAGE_SIZE = 200


@blueprint.get("/w/<code>/audit")
@requires(Action.MANAGE_PEOPLE)
def log(workshop: Workshop, membership: Membership):
    before = request.args.get("before", type=int)
    events = services.events_of(workshop.id, limit=PAGE_SIZE, before=before)
    older = events[-1].id if len(events) == PAGE_SIZE else None
    return render_template("audit/log.html", workshop=workshop, events=events, older=older,
                           clock=clock_for(current_user.timezone, workshop.timezone))
