"""Certificates: the rule and its preview, issuing (by the rule or by hand), finding a certificate by its code.
No web code. Functions add and flush; the caller commits.

A certificate is issued once the workshop has ended (its last day is over in its host zone), by a POST: an
eligible participant's *Get my certificate*, the organizers' *Issue certificates* (everyone who qualifies at that
moment), or an organizer by hand with a reason. Its PDF is drawn then, once, off the event loop, and stored; the
verification code is printed in it and shown once, and only its digest is kept.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workshop.accounts.models import Person
from workshop.accounts.services import country_name
from workshop.agenda.models import AgendaSession, SessionKind
from workshop.attendance.services import seconds_attended
from workshop.audit import services as audit
from workshop.certificates import fonts, pdf, rendering
from workshop.certificates.models import Certificate, CertificateRule, RuleKind
from workshop.certificates.rules import Rule, ScheduledSession, Standing, standings, threshold_error
from workshop.db import db, utcnow
from workshop.errors import ValidationError
from workshop.uploads.storage import store_generated
from workshop.urls import external_url
from workshop.workshops.models import Membership, Role, Workshop

CODE_BYTES = 15  # 120 random bits, 24 characters of base32
MAX_REASON = 500
ISSUED_BY_HAND = "certificate issued by hand"
RULE_APPLIED = "certificate rule applied"
NOT_ENDED = "Certificates are issued after the workshop ends (on {end}, {zone} time)."
# What a typed code may contain once dashes and spaces are dropped; anything else is not found, without a lookup.
CODE_PATTERN = re.compile(r"[A-Z2-7]{20,32}")


# The workshop's end ------------------------------------------------------------------------------

def has_ended(workshop: Workshop, now: datetime | None = None) -> bool:
    """True once the workshop's last day is over in its host zone."""
    return (now or utcnow()).astimezone(ZoneInfo(workshop.timezone)).date() > workshop.ends_on


def check_ended(workshop: Workshop) -> None:
    if not has_ended(workshop):
        raise ValidationError({"certificate": NOT_ENDED.format(end=_day(workshop.ends_on), zone=workshop.timezone)},
                              status=409)


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# The rule and its preview ------------------------------------------------------------------------

def current_rule(workshop: Workshop) -> Rule | None:
    row = db.session.get(CertificateRule, workshop.id)
    return Rule(row.kind, row.threshold) if row else None


def parse_rule(kind: str, threshold: str) -> Rule:
    """A rule from a form's words, or ValidationError naming the field."""
    try:
        rule_kind = RuleKind(kind)
    except ValueError:
        raise ValidationError({"kind": "Choose a share of the plenary minutes or a number of sessions."}) from None
    try:
        number = int((threshold or "").strip())
    except ValueError:
        raise ValidationError({"threshold": "Give a whole number."}) from None
    problem = threshold_error(rule_kind, number)
    if problem:
        raise ValidationError({"threshold": problem})
    return Rule(rule_kind, number)


def scheduled_sessions(workshop: Workshop) -> list[ScheduledSession]:
    rows = db.session.execute(select(AgendaSession.id, AgendaSession.kind, AgendaSession.starts_at,
                                     AgendaSession.ends_at).where(AgendaSession.workshop_id == workshop.id))
    return [ScheduledSession(row.id, row.kind, int((row.ends_at - row.starts_at).total_seconds())) for row in rows]


def participants(workshop: Workshop) -> list[Membership]:
    return list(db.session.scalars(
        select(Membership).join(Person, Person.id == Membership.person_id)
        .where(Membership.workshop_id == workshop.id, Membership.role == Role.PARTICIPANT)
        .order_by(Person.name, Person.id)))


@dataclass(frozen=True)
class Preview:
    rule: Rule
    qualifying: list[tuple[Membership, Standing]]
    not_qualifying: list[tuple[Membership, Standing]]
    has_plenary: bool

    @property
    def nobody(self) -> bool:
        return not self.qualifying


def preview(workshop: Workshop, rule: Rule) -> Preview:
    """Who meets ``rule`` on the attendance recorded so far."""
    sessions = scheduled_sessions(workshop)
    members = participants(workshop)
    standing = standings(rule, sessions, seconds_attended(workshop.id), [m.person_id for m in members])
    pairs = [(member, standing[member.person_id]) for member in members]
    return Preview(rule, [pair for pair in pairs if pair[1].meets], [pair for pair in pairs if not pair[1].meets],
                   has_plenary=any(session.kind == SessionKind.PLENARY for session in sessions))


def apply_rule(workshop: Workshop, rule: Rule, actor: Person, *, even_if_nobody: bool = False) -> Preview:
    """Save the rule (replacing the previous one). A rule no one meets is refused (409) unless confirmed."""
    found = preview(workshop, rule)
    if found.nobody and not even_if_nobody:
        raise ValidationError({"threshold": "No participant meets this rule on the attendance recorded so far. "
                                            "Change it, or confirm that you want to apply it anyway."}, status=409)
    row = db.session.get(CertificateRule, workshop.id) or CertificateRule(workshop_id=workshop.id)
    row.kind, row.threshold, row.applied_at, row.applied_by_id = rule.kind, rule.threshold, utcnow(), actor.id
    db.session.add(row)
    audit.record(workshop.id, actor, RULE_APPLIED,
                 detail=f"{rule.describe()}; {len(found.qualifying)} qualify on the attendance so far")
    db.session.flush()
    return found


# Issuing -----------------------------------------------------------------------------------------

def new_code() -> str:
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii")


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def certificates_of(workshop: Workshop) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.workshop_id == workshop.id)
                                   .order_by(Certificate.name, Certificate.id)))


def certificate_for(workshop: Workshop, person_id: int) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.workshop_id == workshop.id,
                                                       Certificate.person_id == person_id))


@dataclass(frozen=True)
class Issued:
    """A certificate just issued, with its verification code: the only moment the code exists outside its PDF."""

    certificate: Certificate
    code: str

    @property
    def verify_url(self) -> str:
        return verify_url(self.code)


def _issue(workshop: Workshop, member: Membership, *, actor: Person | None = None, reason: str = "") -> Issued | None:
    """Issue the person's certificate and draw its PDF, once, into storage. None if another request issued it a
    moment before (the unique (workshop, person) kept the first)."""
    code = new_code()
    certificate = Certificate(
        workshop_id=workshop.id, person_id=member.person_id, code_digest=code_digest(code),
        name=member.person.name, country=member.country or member.person.country or "",
        workshop_title=workshop.title, workshop_code=workshop.code, starts_on=workshop.starts_on,
        ends_on=workshop.ends_on, modality=workshop.modality.value,
        implementing_organizations=workshop.implementing_organizations, manual=bool(reason), reason=reason,
        issued_at=utcnow(), issued_by_id=actor.id if actor else None)
    data = rendering.render(text_of(certificate, code, workshop.timezone), font_folder())
    try:
        with db.session.begin_nested():
            certificate.pdf_file = store_generated(data, kind="pdf", name=file_name(certificate),
                                                   creator=actor or member.person)
            db.session.add(certificate)
    except IntegrityError:
        return None
    return Issued(certificate, code)


def _membership(workshop: Workshop, person_id: int) -> Membership | None:
    return db.session.scalar(select(Membership).where(Membership.workshop_id == workshop.id,
                                                      Membership.person_id == person_id))


@dataclass(frozen=True)
class OwnStatus:
    """What a person's home page says about their certificate."""

    ended: bool
    certificate: Certificate | None
    rule: Rule | None
    standing: Standing | None


def own_status(workshop: Workshop, member: Membership) -> OwnStatus:
    """Read on every home page view: the attendance is counted only once the workshop has ended, when it matters."""
    ended = has_ended(workshop)
    certificate = certificate_for(workshop, member.person_id)
    rule = current_rule(workshop)
    standing = None
    if ended and certificate is None and rule is not None and member.role == Role.PARTICIPANT:
        attended = seconds_attended(workshop.id, member.person_id).get(member.person_id, {})
        standing = standings(rule, scheduled_sessions(workshop), {member.person_id: attended},
                             [member.person_id])[member.person_id]
    return OwnStatus(ended, certificate, rule, standing)


def issue_own(workshop: Workshop, member: Membership) -> Issued | None:
    """Issue the person's certificate if they earned it (None if they already hold one); else ValidationError
    saying why not."""
    check_ended(workshop)
    status = own_status(workshop, member)
    if status.certificate is not None:
        return None
    if status.rule is None:
        # Not a refusal of the person: the workshop is not ready to issue certificates yet.
        raise ValidationError({"certificate": "The organizers have not set the rule for certificates of this "
                                              "workshop yet."}, status=409)
    if status.standing is None or not status.standing.meets:
        raise ValidationError({"certificate": _not_met(status)}, status=403)
    return _issue(workshop, member)


def _not_met(status: OwnStatus) -> str:
    if status.standing is None:
        return "Certificates of participation are for the workshop's participants."
    unit = "% of the plenary minutes" if status.rule.kind == RuleKind.PLENARY_SHARE else " sessions"
    return (f"A certificate needs you to have been {status.rule.describe()}; the attendance recorded for you is "
            f"{status.standing.value}{unit}. If this is wrong (you joined by phone, say), ask the organizers.")


def issue_eligible(workshop: Workshop) -> list[Issued]:
    """Issue every certificate the rule gives, at this moment, that is not issued yet; those issued now."""
    check_ended(workshop)
    rule = current_rule(workshop)
    if rule is None:
        return []
    issued = {certificate.person_id for certificate in certificates_of(workshop)}
    made = [_issue(workshop, member) for member, _ in preview(workshop, rule).qualifying
            if member.person_id not in issued]
    db.session.flush()
    return [one for one in made if one is not None]


def issue_by_hand(workshop: Workshop, person_id: int, reason: str, actor: Person) -> Issued:
    check_ended(workshop)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why this certificate is issued by hand (it goes to the audit log)."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"The reason is longer than {MAX_REASON} characters."})
    member = _membership(workshop, person_id)
    if member is None:
        raise ValidationError({"person": "Choose a member of this workshop."})
    issued = None if certificate_for(workshop, person_id) else _issue(workshop, member, actor=actor, reason=reason)
    if issued is None:
        raise ValidationError({"person": f"{member.person.name} already has a certificate."}, status=409)
    audit.record(workshop.id, actor, ISSUED_BY_HAND, subject=member.person, detail=reason)
    db.session.flush()
    return issued


def without_certificate(workshop: Workshop) -> list[Membership]:
    """Members who could be given a certificate by hand."""
    issued = select(Certificate.person_id).where(Certificate.workshop_id == workshop.id)
    return list(db.session.scalars(
        select(Membership).join(Person, Person.id == Membership.person_id)
        .where(Membership.workshop_id == workshop.id, Membership.person_id.not_in(issued))
        .order_by(Person.name, Person.id)))


# Verifying and drawing ---------------------------------------------------------------------------

def normalized_code(typed: str) -> str:
    return re.sub(r"[\s-]", "", typed or "")[:64].upper()


def find_by_code(typed: str) -> Certificate | None:
    """The certificate with this code, or None. Looked up by digest, so the time taken tells nothing about how
    much of a guess was right; a malformed code is not found, the same way."""
    code = normalized_code(typed)
    if not CODE_PATTERN.fullmatch(code):
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code_digest == code_digest(code)))


def verify_url(code: str) -> str:
    return external_url("certificates.verify", verification_code=code)


def text_of(certificate: Certificate, code: str, timezone: str) -> pdf.CertificateText:
    return pdf.CertificateText(
        name=certificate.name, country=certificate.country, country_name=country_name(certificate.country),
        workshop_title=certificate.workshop_title, workshop_code=certificate.workshop_code,
        starts_on=certificate.starts_on, ends_on=certificate.ends_on, modality=certificate.modality,
        implementing_organizations=certificate.implementing_organizations, code=code,
        verify_url=verify_url(code), issued_on=issued_on(certificate, timezone))


def issued_on(certificate: Certificate, timezone: str) -> date:
    """The day of issue in the workshop's host zone: the PDF and the verification page say the same day."""
    return certificate.issued_at.astimezone(ZoneInfo(timezone)).date()


def font_folder() -> Path:
    return fonts.cache_folder(current_app.config["CERTIFICATE_FONT_CACHE"])


def file_name(certificate: Certificate) -> str:
    safe = re.sub(r"[^\w.-]+", "-", certificate.name, flags=re.UNICODE).strip("-") or f"person-{certificate.person_id}"
    return f"{certificate.workshop_code}-certificate-{safe}.pdf"
