"""Live dashboard: when a report arrives or changes, other organizers' dashboards update that row and the counts."""

from __future__ import annotations

from flask import render_template

from workshop.live.broadcast import emit_fragment
from workshop.live.rooms import organizers_room
from workshop.reports import services
from workshop.reports.models import ReportSlot


def render_slot_update(slot: ReportSlot) -> str:
    workshop = slot.workshop
    versions = services.row_versions(workshop)
    return render_template("reports/_live_update.html", workshop=workshop, slot=slot,
                           version=versions.get(slot.id, 0), counts=services.counts(workshop),
                           counts_version=services.counts_version(workshop))


def broadcast_slot(slot: ReportSlot) -> None:
    """Rendered once, from the committed rows, and sent to the workshop's organizers."""
    emit_fragment(render_slot_update(slot), organizers_room(slot.workshop_id))
