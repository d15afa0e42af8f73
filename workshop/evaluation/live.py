"""The organizers' live response rate, and the evaluation opened by the deadline sweep at the last session's end."""

from __future__ import annotations

from flask import render_template

from workshop.db import db
from workshop.evaluation import services
from workshop.live.broadcast import emit_fragment, on_change
from workshop.live.rooms import organizers_room
from workshop.live.timers import on_deadline
from workshop.workshops.models import Workshop


def send_rate(workshop_id: int) -> None:
    """The response rate and the evaluation's state, rendered once from the committed rows, to the organizers."""
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        return
    version = services.live_version(workshop)
    evaluation = services.evaluation_of(workshop)
    emit_fragment(render_template("evaluation/_rate.html", workshop=workshop, evaluation=evaluation,
                                  rate=services.rate(workshop, evaluation), version=version, oob=True),
                  organizers_room(workshop_id))


def register() -> None:
    on_change(services.RESPONSES_TOPIC, send_rate)
    on_change(services.STATE_TOPIC, send_rate)
    on_deadline(services.open_due_evaluations)
    on_deadline(services.release_waiting_responses)
