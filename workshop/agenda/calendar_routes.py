"""Calendar feeds: a workshop's agenda for its members, and a personal feed behind a secret, renewable URL."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, flash, redirect, request
from flask_login import current_user, login_required
from sqlalchemy import select

from workshop.accounts.models import Person
from workshop.agenda import calendar, services
from workshop.agenda.models import AgendaSession
from workshop.urls import external_url, safe_local_path
from workshop.db import db
from workshop.workshops import services as workshops
from workshop.workshops.models import Membership, Workshop
from workshop.workshops.permissions import Action, requires

blueprint = Blueprint("calendar", __name__)

# What secrets.token_urlsafe makes; anything else (a NUL byte breaks a PostgreSQL query) is simply unknown.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def session_link(code: str, session: AgendaSession) -> str:
    """The session's live page: the Join link of the calendar event."""
    return external_url("agenda.session_page", code=code, session_id=session.id)


def personal_feed_url(person: Person) -> str:
    """The person's secret feed URL, made (and committed) the first time it is asked for."""
    had_token = person.calendar_token is not None
    token = services.calendar_token(person)
    if not had_token:
        db.session.commit()
    return external_url("calendar.personal_feed", token=token)


def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    # Calendar apps poll: they must revalidate, and no shared cache may keep a secret feed.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@blueprint.get("/w/<code>/agenda.ics")
@requires(Action.VIEW_WORKSHOP)
def workshop_feed(workshop: Workshop, membership: Membership):
    body = calendar.workshop_calendar(workshop, services.sessions_of(workshop),
                                      lambda session: session_link(workshop.code, session))
    return _ics(body, f"{workshop.code}.ics")


@blueprint.get("/calendar/<token>.ics")
def personal_feed(token: str):
    # No sign-in: calendar apps cannot. The token alone is the key; unknown and revoked look the same.
    person = (db.session.scalar(select(Person).where(Person.calendar_token == token))
              if TOKEN_PATTERN.fullmatch(token) else None)
    if person is None:
        abort(404)
    entries = [(workshop, services.sessions_of(workshop)) for workshop, _ in workshops.workshops_of(person)]
    codes = {workshop.id: workshop.code for workshop, _ in entries}
    body = calendar.personal_calendar(person, entries,
                                      lambda session: session_link(codes[session.workshop_id], session))
    return _ics(body, "my-workshops.ics")


@blueprint.post("/me/calendar/renew")
@login_required
def renew():
    services.calendar_token(current_user, renew=True)
    db.session.commit()
    flash("Your calendar link is renewed: the old link no longer works. Subscribe again with the new one.",
          "success")
    return redirect(_same_site_referrer())


def _same_site_referrer() -> str:
    """Back to the page the form was on, but only a page of this site (the Referer header is the sender's word)."""
    referrer = urlsplit(request.referrer or "")
    if referrer.scheme in ("http", "https") and referrer.netloc == request.host:
        return safe_local_path(referrer.path + (f"?{referrer.query}" if referrer.query else ""), "/")
    return "/"
