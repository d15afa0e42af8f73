"""Live dashboard: when a report arrives or changes, every organizer's dashboard updates that row and the counts;
when slots are created, the whole table."""

from __future__ import annotations

from flask import render_template

from workshop.db import db
from workshop.live.broadcast import emit_fragment, on_change
from workshop.live.rooms import organizers_room
from workshop.reports import services
from workshop.reports.models import ReportSlot
from workshop.workshops.models import Workshop


def send_slot(slot_id: int) -> None:
    """The slot's row and the counts, rendered once from the committed rows, to the workshop's organizers."""
    slot = db.session.get(ReportSlot, slot_id)
    if slot is None:
        return
    workshop = slot.workshop
    version = services.live_version(workshop)
    db.session.refresh(slot)
    emit_fragment(render_template("reports/_live_update.html", workshop=workshop, slot=slot, version=version,
                                  counts=services.counts(workshop), counts_version=version),
                  organizers_room(slot.workshop_id))


def send_table(workshop_id: int) -> None:
    """Every row, the counts and what is left to create, to the workshop's organizers."""
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        return
    version = services.live_version(workshop)
    emit_fragment(render_template("reports/_live_table.html", workshop=workshop, version=version,
                                  slots=services.slots_of(workshop), counts=services.counts(workshop),
                                  counts_version=version,
                                  missing_countries=services.countries_without_slot(workshop),
                                  waiting_count=services.waiting_count(workshop)),
                  organizers_room(workshop_id))


def register() -> None:
    on_change(services.SLOT_TOPIC, send_slot)
    on_change(services.SLOTS_TOPIC, send_table)
