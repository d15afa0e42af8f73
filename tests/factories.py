"""Small helpers that put real rows in the database and sign test clients in."""

from __future__ import annotations

import re
from datetime import date
from itertools import count

from workshop.accounts import services as accounts
from workshop.accounts.models import Person
from workshop.db import db, utcnow
from workshop.workshops.models import Membership, Origin, Role, Workshop

_numbers = count(1)
PASSWORD = "correct horse battery"


def person(name: str | None = None, *, password: str | None = None, country: str = "NP",
           timezone: str = "Asia/Kathmandu", creator: bool = False) -> Person:
    n = next(_numbers)
    someone = accounts.create_person(email=f"person{n}@example.org", name=name or f"Person {n}", country=country,
                                     organization="Public Procurement Monitoring Office", timezone=timezone)
    if password:
        accounts.set_password(someone, password)
    someone.can_create_workshops = creator
    db.session.commit()
    return someone


def workshop(code: str | None = None, **fields) -> Workshop:
    n = next(_numbers)
    values = dict(title=f"Workshop {n}", code=code or f"TEST-{n:04d}", starts_on=date(2023, 7, 18),
                  ends_on=date(2023, 7, 20), timezone="Asia/Colombo", objectives="Learn\nShare", topics="Procurement")
    values.update(fields)
    created = Workshop(**values)
    db.session.add(created)
    db.session.commit()
    return created


def member(workshop_: Workshop, role: Role | str = Role.PARTICIPANT, **person_fields) -> Person:
    role = Role(role)
    if role != Role.PARTICIPANT:
        person_fields.setdefault("password", PASSWORD)
    someone = person(**person_fields)
    # As an imported member: the country counts for the workshop's reports (self-registrants wait; see joined()).
    db.session.add(Membership(workshop=workshop_, person=someone, role=role, origin=Origin.OVERSEAS,
                              country=someone.country, country_confirmed_at=utcnow()))
    db.session.commit()
    return someone


def joined(workshop_: Workshop, country: str = "NP", **person_fields) -> Person:
    """A participant who registered with the join code: their declared country waits for an organizer."""
    someone = person(country=country, **person_fields)
    db.session.add(Membership(workshop=workshop_, person=someone, role=Role.PARTICIPANT, origin=Origin.OVERSEAS,
                              country=someone.country))
    db.session.commit()
    return someone


def sign_in(client, someone: Person) -> None:
    """Put the person in the client's Flask session, as Flask-Login does after a real sign-in."""
    with client.session_transaction() as session:
        session["_user_id"] = someone.get_id()
        session["_fresh"] = True


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'"X-CSRFToken": "([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post(client, path: str, data: dict | None = None, *, csrf_path: str = "/login", **kwargs):
    """POST as a browser would: with the CSRF token of the client's session (read from ``csrf_path``)."""
    fields = dict(data or {})
    fields.setdefault("csrf_token", csrf_token(client, csrf_path))
    return client.post(path, data=fields, **kwargs)
