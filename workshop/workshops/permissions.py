"""Who may do what: the one place that knows the roles.

Every route uses :func:`requires` and every socket handler uses
:func:`authorize`; both ask :func:`can`. The test suite checks the whole
role x action matrix against ``RULES``.
"""

from __future__ import annotations

import enum
from functools import wraps

from flask import abort, g
from flask_login import current_user
from sqlalchemy import and_, bindparam, select

from workshop.accounts.services import signed_out_reason
from workshop.audit.models import AuditEvent
from workshop.db import db
from workshop.errors import Reason
from workshop.extensions import login_manager
from workshop.workshops.models import Membership, Role, Workshop


class Action(enum.StrEnum):
    VIEW_WORKSHOP = "view workshop"
    VOTE = "vote in polls"
    ASK = "ask and upvote questions"
    SEE_WHO_IS_ONLINE = "see who is online"
    MODERATE = "moderate sessions"
    EDIT_WORKSHOP = "edit workshop"
    MANAGE_PEOPLE = "manage people"
    MANAGE_REPORTS = "manage country reports"
    SUBMIT_OWN_REPORT = "submit own country's report"
    MANAGE_CERTIFICATES = "manage certificates"
    GET_OWN_CERTIFICATE = "get own certificate"
    MANAGE_ATTENDANCE = "see and correct everyone's attendance"
    MANAGE_EVALUATION = "prepare the evaluation and see its results"
    ANSWER_EVALUATION = "answer the evaluation"


_STAFF = frozenset({Role.ORGANIZER, Role.MODERATOR})

RULES: dict[Action, frozenset[Role]] = {
    Action.VIEW_WORKSHOP: frozenset(Role),
    Action.VOTE: frozenset(Role),
    Action.ASK: frozenset(Role),
    Action.SEE_WHO_IS_ONLINE: _STAFF,
    Action.MODERATE: _STAFF,
    Action.EDIT_WORKSHOP: frozenset({Role.ORGANIZER}),
    Action.MANAGE_PEOPLE: frozenset({Role.ORGANIZER}),
    Action.MANAGE_REPORTS: frozenset({Role.ORGANIZER}),
    # Only where the slot allows it and only for the person's own country: reports/services.py checks that.
    Action.SUBMIT_OWN_REPORT: frozenset({Role.PARTICIPANT}),
    Action.MANAGE_CERTIFICATES: frozenset({Role.ORGANIZER}),
    # Anyone's own, once issued or earned: certificates/services.py checks the end of the workshop and the rule.
    Action.GET_OWN_CERTIFICATE: frozenset(Role),
    # Each person sees their own attendance with VIEW_WORKSHOP; everyone's is for organizers only (privacy).
    Action.MANAGE_ATTENDANCE: frozenset({Role.ORGANIZER}),
    # Results are the organizers' only; the evaluation is the participants' to answer (staff see a preview).
    Action.MANAGE_EVALUATION: frozenset({Role.ORGANIZER}),
    Action.ANSWER_EVALUATION: frozenset({Role.PARTICIPANT}),
}


class Refused(Exception):
    """The person may not do this; ``status`` (401, 403, 404) and ``reason`` say why."""

    def __init__(self, status: int, message: str, reason: Reason = Reason.ROLE):
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason

    def ack(self) -> dict:
        """The acknowledgement a refused socket event answers with; live.js shows the message."""
        return {"ok": False, "status": self.status, "reason": self.reason.value, "message": self.message}


def can(membership: Membership | None, action: Action) -> bool:
    return membership is not None and membership.role in RULES[action]


def _access_statement(workshop_is):
    """The workshop and the person's membership of it in one round trip: every page of a workshop starts here.
    Built once (below), as building it costs as much as running it."""
    return (select(Workshop, Membership)
            .outerjoin(Membership, and_(Membership.workshop_id == Workshop.id,
                                        Membership.person_id == bindparam("person_id")))
            .where(workshop_is))


_ACCESS_BY_ID = _access_statement(Workshop.id == bindparam("workshop"))
_ACCESS_BY_CODE = _access_statement(Workshop.code == bindparam("workshop"))


def check(person, workshop: str | int, action: Action) -> tuple[Workshop, Membership]:
    """The workshop (by code, or by id for socket events about an object) and the person's membership,
    or :class:`Refused` with the reason."""
    if person is None or not person.is_authenticated:
        reason = signed_out_reason()
        raise Refused(401, SIGNED_OUT_MESSAGES[reason], reason)
    found = g.get("remembered_access", {}).get((workshop, person.id))
    if found is None:
        statement = _ACCESS_BY_ID if isinstance(workshop, int) else _ACCESS_BY_CODE
        found = db.session.execute(statement, {"workshop": workshop, "person_id": person.id}).first()
    if found is None:
        raise Refused(404, "There is no workshop with that code.", Reason.NO_WORKSHOP)
    found_workshop, membership = found
    scope = getattr(person, "signed_in_workshop_id", None)
    if scope is not None and scope != found_workshop.id:
        raise Refused(403, "You signed in with the personal link of another workshop, and it opens only that "
                           "workshop. Open this workshop's own link, or sign in with your password.",
                      Reason.OTHER_WORKSHOP)
    if membership is None:
        if _was_removed(person.id, found_workshop.id):
            raise Refused(403, "The organizers removed you from this workshop.", Reason.REMOVED)
        raise Refused(403, "You are not a member of this workshop.", Reason.NOT_MEMBER)
    if not can(membership, action):
        raise Refused(403, f"Your role ({membership.role}) does not allow this: {action}.")
    g.setdefault("memberships", {})[found_workshop.id, person.id] = membership
    return found_workshop, membership


def remember_access(person, workshop: Workshop, membership: Membership) -> None:
    """What a live connection read when it connected (``workshop/live/identity.py``): this socket event's checks
    of that workshop, by id or code, start from it instead of the database; the rules above still decide."""
    remembered = g.setdefault("remembered_access", {})
    remembered[workshop.id, person.id] = remembered[workshop.code, person.id] = (workshop, membership)


def membership_of(workshop_id: int, person) -> Membership | None:
    """The person's membership of a workshop: as this request's (or socket event's) access check found it,
    without a second query, or else from the database."""
    checked = g.get("memberships", {})
    if (workshop_id, person.id) in checked:
        return checked[workshop_id, person.id]
    return db.session.scalar(select(Membership).where(Membership.workshop_id == workshop_id,
                                                      Membership.person_id == person.id))


SIGNED_OUT_MESSAGES = {
    Reason.SIGNED_OUT: "Please sign in first.",
    Reason.INVITE_REVOKED: "Your personal link was withdrawn or replaced by the organizers. Ask them for a new one.",
    Reason.INVITE_EXPIRED: "Your personal link has expired. Ask the organizers for a new one.",
}


def _was_removed(person_id: int, workshop_id: int) -> bool:
    """Only asked on a refusal, to say why: the audit log knows who was removed."""
    return db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.workshop_id == workshop_id, AuditEvent.subject_id == person_id,
        AuditEvent.action == MEMBER_REMOVED).limit(1)) is not None


MEMBER_REMOVED = "member removed"


def requires(action: Action):
    """Route decorator: the route takes ``code``; the view gets ``workshop`` and ``membership``."""

    def decorate(view):
        @wraps(view)
        def wrapper(code: str, **kwargs):
            try:
                workshop, membership = check(current_user, code, action)
            except Refused as refused:
                if refused.status == 401:
                    if refused.reason != Reason.SIGNED_OUT:
                        abort(401, refused.message)
                    return login_manager.unauthorized()
                abort(refused.status, refused.message)
            g.workshop, g.membership = workshop, membership
            return view(workshop=workshop, membership=membership, **kwargs)

        return wrapper

    return decorate


def authorize(workshop: str | int, action: Action) -> tuple[Workshop, Membership]:
    """For socket handlers: the same check as routes, raising :class:`Refused`.

    ``workshop`` is the connection's workshop code, or the id of the workshop that the event's object
    (a poll, a question) belongs to.
    """
    return check(current_user, workshop, action)


def authorize_for(thing, action: Action) -> None:
    """For an event naming an object (a poll, a question) that may not exist (None): the service then refuses it
    with a 404 of its own words, having found nothing to act on; an existing object's workshop passes
    :func:`authorize`. The caller holds the object until the service has run: the database session keeps
    loaded objects only while something refers to them, and the service finds it there without a query."""
    if thing is not None:
        authorize(thing.workshop_id, action)


def requires_workshop_creator(view):
    @wraps(view)
    def wrapper(**kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.can_create_workshops or getattr(current_user, "signed_in_workshop_id", None):
            abort(403, "Only organizers can create workshops.")
        return view(**kwargs)

    return wrapper
