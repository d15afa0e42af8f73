"""One access table for every route and every socket event (issue 12, item 11).

``ACCESS`` below is the one place the tests take "who may use what" from: each
URL rule's endpoint, and each Socket.IO event as ``socket:<event>``, maps to the
least role that may use it ("participant", "moderator", "organizer"), or to
``public``, or to a named rule: ``token`` (links that carry their own secret),
``self`` and its variants (a person's own account), ``creator``, and the owner
rules of ``OWNER_RULES`` ("own country", "own room", "own question", ...).

* A route or event without a row, or a row for none, fails
  ``test_every_route_has_a_row`` / ``test_every_socket_event_has_a_row``.
* Every route is tried with each of its methods (GET as GET; POST with a valid
  CSRF token and an empty form) as: anonymous; a participant and an organizer of
  another workshop; a participant of both workshops signed in by the other one's
  invite link; and a participant (the owner of everything owned), a moderator and
  an organizer of this workshop; under an owner rule also as another participant
  and a self-registered participant whose country waits for confirmation. Only authorization is judged:
  sent to sign in (302 to /login, or 401), refused (403), or let through
  (anything else but a 5xx: an empty form may well get 400, 404, 409 or 422).
* The organizer of the other workshop tries every route again with their own
  workshop's code and this workshop's object ids: nothing may be found (404).
* Every socket event is emitted by each identity with a payload naming this
  workshop's objects (outsiders connect to their own workshop, the anonymous
  cannot connect): the acknowledgement refuses access (``ok`` false with status
  401/403 or a permissions reason) or does not, as the table says.
* Every socket event handler must pass ``permissions.authorize`` (counted by
  wrapping ``permissions.check``, which ``authorize`` and the routes' ``requires``
  both call).

The world is built once per module, on a SQLite file of the module's own
(authorization does not depend on the database, so there is no PostgreSQL
repetition), and each test starts from a snapshot of it: a POST that succeeds
(an organizer deleting a session) changes nothing for the next test.
"""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
import sys
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tests import factories as make
from tests.conftest import FreshContextClient, app_settings
from tests.uploads import files
from workshop import create_app
from workshop.accounts import services as accounts
from workshop.accounts.models import Person
from workshop.agenda import services as agenda
from workshop.agenda.models import AgendaSession, SessionKind
from workshop.attendance import services as attendance
from workshop.breakouts import services as breakouts
from workshop.db import db
from workshop.errors import Reason
from workshop.evaluation import services as evaluation
from workshop.extensions import socketio
from workshop.polls import services as polls
from workshop.polls.models import Ballot
from workshop.qa import services as qa
from workshop.qa.models import QaBan
from workshop.reports import services as reports
from workshop.uploads.storage import ALL_KINDS, store_upload
from workshop.workshops import permissions
from workshop.workshops.models import Membership, Role

# Identities --------------------------------------------------------------------------------------

ANONYMOUS = "anonymous"
OTHER_PARTICIPANT = "other-participant"  # a participant of another workshop, from the same country (LK)
OTHER_ORGANIZER = "other-organizer"      # an organizer of another workshop, who may create workshops
INVITED_ELSEWHERE = "invited-elsewhere"  # a participant of both workshops, signed in by the other one's invite link
PARTICIPANT = "participant"              # of this workshop: asked the question, sits in room A, from LK (the slot's)
PEER = "peer"                            # another participant of this workshop: from IN, sits in room B
UNCONFIRMED = "unconfirmed"              # joined with the join code declaring LK, not yet confirmed; in no room
MODERATOR = "moderator"                  # of this workshop, from LK, has a password
ORGANIZER = "organizer"                  # of this workshop, has a password, may create workshops
IDENTITIES = (ANONYMOUS, OTHER_PARTICIPANT, OTHER_ORGANIZER, INVITED_ELSEWHERE, PARTICIPANT, PEER, UNCONFIRMED,
              MODERATOR, ORGANIZER)
# Refused by every rule of this workshop: not members, or (invited elsewhere) a session that an invite link of
# the other workshop opened, which reaches only that workshop. They connect their sockets to the other workshop.
OUTSIDERS = (OTHER_PARTICIPANT, OTHER_ORGANIZER, INVITED_ELSEWHERE)
MEMBER_ROLES = {PARTICIPANT: "participant", PEER: "participant", UNCONFIRMED: "participant", MODERATOR: "moderator",
                ORGANIZER: "organizer"}
HAS_PASSWORD = {OTHER_ORGANIZER, MODERATOR, ORGANIZER}  # participants sign in with their invite link
CREATORS = {OTHER_ORGANIZER, ORGANIZER}

# Rules -------------------------------------------------------------------------------------------

PUBLIC = "public"        # anyone, signed in or not
TOKEN = "token"          # anyone holding the link's secret (the URL is the key); a wrong secret gets nothing
SELF = "self"            # any signed-in person, acting on their own account only
SELF_WITH_PASSWORD = "self with password"  # as self, for an account that has a password (others: 403)
# As self, for what acts on the whole account (deleting it): not from a session that one workshop's invite link
# opened when the account belongs to other workshops too (whoever holds the link must not delete it).
SELF_WHOLE_ACCOUNT = "self, whole account"
CREATOR = "creator"      # signed-in people allowed to create workshops
LEAST_ROLES = ("participant", "moderator", "organizer")
RANK = {role: n for n, role in enumerate(LEAST_ROLES)}

ALLOW, DENY, LOGIN = "allowed", "refused (403)", "sent to sign in"

# What each member of this workshop gets under an owner rule. Anonymous is sent to sign in and outsiders
# are refused, as for every rule of a workshop.
OWNER_RULES = {
    # A country report slot (unpublished): the organizers, and the participants whose country for this
    # workshop is the slot's and is confirmed. Not a participant who declared that country and waits for
    # confirmation, not the moderators (even from that country), not a participant from elsewhere.
    "own country": {PARTICIPANT: ALLOW, PEER: DENY, UNCONFIRMED: DENY, MODERATOR: DENY, ORGANIZER: ALLOW},
    # A breakout room's page and notes: the people in the room, and the moderators and organizers.
    "own room": {PARTICIPANT: ALLOW, PEER: DENY, UNCONFIRMED: DENY, MODERATOR: ALLOW, ORGANIZER: ALLOW},
    # Asking for help from a room: only the people in it (staff are the ones who answer).
    "room members": {PARTICIPANT: ALLOW, PEER: DENY, UNCONFIRMED: DENY, MODERATOR: DENY, ORGANIZER: DENY},
    # Choosing a breakout room: participants; staff are not placed in rooms.
    "participant role": {PARTICIPANT: ALLOW, PEER: ALLOW, UNCONFIRMED: ALLOW, MODERATOR: DENY, ORGANIZER: DENY},
    # Editing or withdrawing a question: its asker only (moderators dismiss questions on their desk instead).
    "own question": {PARTICIPANT: ALLOW, PEER: DENY, UNCONFIRMED: DENY, MODERATOR: DENY, ORGANIZER: DENY},
}

# THE table: every route's endpoint and every socket event ("socket:<name>") -> who may use it.
ACCESS: dict[str, str] = {
    # No person involved: static files (hashed asset names) and the health check.
    "static": PUBLIC,
    "health.healthz": PUBLIC,
    # Signing in and out, and the links that carry their own secret.
    "accounts.login": PUBLIC,
    "accounts.logout": SELF,
    "accounts.invite": TOKEN,
    "accounts.forgot_password": PUBLIC,
    "accounts.password_link": TOKEN,
    "calendar.personal_feed": TOKEN,
    # A person's own account and settings.
    "accounts.account": SELF,
    "accounts.change_password": SELF_WITH_PASSWORD,
    "accounts.sign_out_everywhere": SELF,
    "accounts.delete_account": SELF_WHOLE_ACCOUNT,
    "calendar.renew": SELF,
    "agenda.set_timezone": SELF,
    "agenda.timezone_names": SELF,
    "workshops.index": SELF,
    "workshops.create": CREATOR,
    "workshops.join": PUBLIC,  # needs the workshop's join code in the form, and self-registration open
    # A workshop: its home, agenda and sessions.
    "workshops.home": "participant",
    "workshops.edit": "organizer",
    "agenda.agenda": "participant",
    "agenda.agenda_list": "participant",
    "agenda.now_next": "participant",
    "calendar.workshop_feed": "participant",
    "agenda.session_page": "participant",
    "agenda.download_material": "participant",
    "agenda.new_session": "organizer",
    "agenda.create_session": "organizer",
    "agenda.edit_session": "organizer",
    "agenda.update_session": "organizer",
    "agenda.delete_session": "organizer",
    "agenda.move_session": "organizer",
    "agenda.add_link": "organizer",
    "agenda.add_file": "organizer",
    "agenda.remove_material": "organizer",
    # People, invites and the audit log.
    "workshops.people": "organizer",
    "workshops.import_preview": "organizer",
    "workshops.import_confirm": "organizer",
    "workshops.add_staff": "organizer",
    "workshops.send_password_link": "organizer",  # emails the link to the person's own address
    "workshops.remove_member": "organizer",
    "workshops.delete_member_account": "organizer",  # only for members who belong to no other workshop
    "workshops.confirm_country": "organizer",
    "workshops.reissue_invite": "organizer",
    "workshops.revoke_invite": "organizer",
    "workshops.invites_csv": "organizer",
    "workshops.send_invitations": "organizer",
    "workshops.join_qr": "organizer",
    "audit.log": "organizer",
    # Polls: participants vote over the socket; everything here is the moderators' desk.
    "polls.control": "moderator",
    "polls.create": "moderator",
    "polls.act": "moderator",
    "polls.answer_visibility": "moderator",
    "polls.projector": "moderator",
    "polls.results_csv": "moderator",
    "polls.ballots_csv": "moderator",
    # Questions: participants ask over the socket; moderation is the desk's.
    "qa.moderate": "moderator",
    "qa.save_settings": "moderator",
    "qa.save_blocked_words": "moderator",
    "qa.act": "moderator",
    "qa.lift_ban": "moderator",
    "qa.projector": "moderator",
    "qa.export": "moderator",
    # Breakouts: the desk, then what participants do.
    "breakouts.desk": "moderator",
    "breakouts.create": "moderator",
    "breakouts.round_desk": "moderator",
    "breakouts.settings": "moderator",
    "breakouts.rules": "moderator",
    "breakouts.make_preview": "moderator",
    "breakouts.import_csv": "moderator",
    "breakouts.move": "moderator",
    "breakouts.choosing": "moderator",
    "breakouts.act": "moderator",
    "breakouts.help_handled": "moderator",
    "breakouts.edit_room": "moderator",
    "breakouts.notes_markdown": "moderator",
    "breakouts.notes_csv": "moderator",
    "breakouts.assignments_csv": "moderator",
    "breakouts.choose": "participant role",
    "breakouts.room_page": "own room",
    "breakouts.save_notes": "own room",  # the round lets its rooms' people write notes
    "breakouts.ask_for_help": "room members",
    "breakouts.plenary_notes": "participant",  # of a closed round (while it runs: staff only)
    # A session's run-of-show: the moderators' one page of what is live now.
    "run_of_show.page": "moderator",
    # Country reports.
    "reports.dashboard": "participant",  # organizers get the dashboard, others the overview of their own slot
    "reports.slot_page": "own country",
    "reports.upload": "own country",
    "reports.download": "own country",
    "reports.create_slots": "organizer",
    "reports.update_slot": "organizer",
    "reports.review": "organizer",
    "reports.version_action": "organizer",
    "reports.audit": "organizer",
    "reports.export_csv": "organizer",
    "reports.latest_zip": "organizer",
    # Certificates: the organizers' page, and each person's own (the service says if it is not earned yet).
    "certificates.manage": "organizer",
    "certificates.apply_rule": "organizer",
    "certificates.issue_by_hand": "organizer",
    "certificates.person_pdf": "organizer",
    "certificates.all_zip": "organizer",
    "certificates.own_pdf": "participant",
    "certificates.get_own": "participant",
    "certificates.issue_all": "organizer",
    "certificates.verify": PUBLIC,  # a wrong code is "not found"
    "attendance.overview": "participant",  # organizers get the grid, everyone else their own attendance
    "attendance.session_list": "organizer",
    "attendance.grid_csv": "organizer",
    "attendance.intervals_csv": "organizer",
    "attendance.manual": "organizer",
    "attendance.add_manual": "organizer",
    "attendance.remove_manual": "organizer",
    "attendance.confirm_delete": "organizer",
    "attendance.delete_intervals": "organizer",
    # The evaluation: participants answer it (staff see what they see); preparing it and its results are the
    # organizers'.
    "evaluation.page": "participant",
    "evaluation.send": "participant role",
    "evaluation.manage": "organizer",
    "evaluation.prepare": "organizer",
    "evaluation.settings": "organizer",
    "evaluation.switch_state": "organizer",
    "evaluation.add_question": "organizer",
    "evaluation.reword_question": "organizer",
    "evaluation.remove_question": "organizer",
    "evaluation.results": "organizer",
    "evaluation.summary": "organizer",
    "evaluation.responses_csv": "organizer",
    # Socket events: a connection is for one workshop, and each event names objects of a workshop.
    "socket:connect": "participant",
    "socket:disconnect": PUBLIC,  # ends the caller's own connection; acts on nobody else
    "socket:vote": "participant",
    "socket:qa_ask": "participant",
    "socket:qa_upvote": "participant",
    "socket:qa_edit": "own question",
    "socket:qa_withdraw": "own question",
}

SOCKET_PREFIX = "socket:"
ROUTES = {key: rule for key, rule in ACCESS.items() if not key.startswith(SOCKET_PREFIX)}
EVENTS = {key[len(SOCKET_PREFIX):]: rule for key, rule in ACCESS.items() if key.startswith(SOCKET_PREFIX)}
ACCOUNT_RULES = {PUBLIC, TOKEN, SELF, SELF_WITH_PASSWORD, SELF_WHOLE_ACCOUNT, CREATOR}


def expected(rule: str, identity: str) -> str:
    """What the table says this identity gets."""
    if rule in (PUBLIC, TOKEN):
        return ALLOW
    if identity == ANONYMOUS:
        return LOGIN
    if rule == SELF:
        return ALLOW
    if rule == SELF_WHOLE_ACCOUNT:
        return DENY if identity == INVITED_ELSEWHERE else ALLOW
    if rule == SELF_WITH_PASSWORD:
        return ALLOW if identity in HAS_PASSWORD else DENY
    if rule == CREATOR:
        return ALLOW if identity in CREATORS else DENY
    if identity in OUTSIDERS:
        return DENY
    if rule in OWNER_RULES:
        return OWNER_RULES[rule][identity]
    return ALLOW if RANK[MEMBER_ROLES[identity]] >= RANK[rule] else DENY


def identities_for(rule: str) -> tuple[str, ...]:
    """Who tries a route: the other participants of this workshop only where ownership tells them apart from the
    participant (elsewhere they are the participant again, and the run is shorter without them)."""
    return IDENTITIES if rule in OWNER_RULES else tuple(i for i in IDENTITIES if i not in (PEER, UNCONFIRMED))


def test_the_table_uses_only_known_rules():
    known = ACCOUNT_RULES | set(LEAST_ROLES) | set(OWNER_RULES)
    assert {rule for rule in ACCESS.values()} <= known, sorted(set(ACCESS.values()) - known)
    for rule, by_identity in OWNER_RULES.items():
        assert set(by_identity) == set(MEMBER_ROLES), rule


# The app and the world -----------------------------------------------------------------------------

@dataclass
class World:
    """Ids and secrets of what the fixture world holds (the rows live in the module's database)."""

    code: str
    other_code: str
    people: dict[str, int] = field(default_factory=dict)  # identity -> person id
    target_id: int = 0          # a participant of this workshop that organizers' per-person actions act on
    session_id: int = 0
    poll_id: int = 0
    option_id: int = 0
    ballot_id: int = 0
    question_id: int = 0
    ban_id: int = 0
    closed_round_id: int = 0
    open_round_id: int = 0
    choosing_round_id: int = 0
    room_a_id: int = 0          # the participant's room in the open round
    room_b_id: int = 0          # the peer's room
    help_id: int = 0
    slot_id: int = 0            # the participant's country (LK), submitted, not published
    version_number: int = 0
    material_id: int = 0
    entry_id: int = 0           # attendance added by hand
    evaluation_question_id: int = 0
    invite_token: str = ""
    calendar_token: str = ""
    password_token: str = ""
    elsewhere_invite_token: str = ""  # the other workshop's invite link of the participant of both
    asset: str = ""             # a static file's hashed name

    def url_values(self, endpoint: str) -> dict:
        """URL variables by name; a few endpoints need another value for the same name."""
        values = {
            "code": self.code, "session_id": self.session_id, "poll_id": self.poll_id, "ballot_id": self.ballot_id,
            "question_id": self.question_id, "ban_id": self.ban_id, "round_id": self.open_round_id,
            "room_id": self.room_a_id, "help_id": self.help_id, "slot_id": self.slot_id,
            "number": self.version_number, "material_id": self.material_id, "person_id": self.target_id,
            "entry_id": self.entry_id, "item_id": self.evaluation_question_id,
            "filename": self.asset, "direction": "down", "switch": "open", "visibility": "hide",
        }
        values.update({
            "accounts.invite": {"token": self.invite_token},
            "accounts.password_link": {"token": self.password_token},
            "calendar.personal_feed": {"token": self.calendar_token},
            "polls.act": {"action": "show"},
            "qa.act": {"action": "pin"},
            "breakouts.act": {"action": "message"},
            "breakouts.choose": {"round_id": self.choosing_round_id},
            "breakouts.plenary_notes": {"round_id": self.closed_round_id},
            "reports.version_action": {"action": "remove"},
            "certificates.verify": {"verification_code": "NOTACERTIFICATECODE2345"},
        }.get(endpoint, {}))
        return values


VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def build_path(rule, values: dict) -> str:
    def fill(match):
        name = match.group(1)
        assert name in values, (f"no value for the URL variable <{name}> of {rule.endpoint} ({rule.rule}): "
                                "give the world such an object and World.url_values its name")
        return str(values[name])

    return VARIABLE.sub(fill, rule.rule)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app on a SQLite file of this module's own (authorization does not depend on the database)."""
    folder = tmp_path_factory.mktemp("access-table")
    app = create_app({**app_settings(f"sqlite:///{folder / 'access.db'}"), "UPLOAD_FOLDER": str(folder / "uploads")})
    app.test_client_class = FreshContextClient
    with app.app_context():
        db.create_all()
    yield app
    app.extensions["live_coalescer"].shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _import_participants(app, organizer: Person, code: str, rows: list[tuple[str, str, str]]) -> None:
    """Through the People page's import, as organizers add participants (their countries count as confirmed)."""
    client = app.test_client()
    make.sign_in(client, organizer)
    text = "name,email,country\n" + "".join(f"{name},{email},{country}\n" for name, email, country in rows)
    response = make.post(client, f"/w/{code}/people/import/confirm", {"csv": text})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def _join(app, code: str, join_code: str, person: tuple[str, str, str]) -> None:
    """Self-registration with the join code, as on the join page: the declared country waits for confirmation."""
    name, email, country = person
    client = app.test_client()
    response = make.post(client, f"/join/{code}", {"join_code": join_code, "name": name, "email": email,
                                                   "country": country, "timezone": "Asia/Colombo"})
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]


def _pdf_upload(name: str) -> FileStorage:
    return FileStorage(io.BytesIO(files.pdf(name)), filename=f"{name}.pdf", content_type="application/pdf")


def _build_world(app) -> World:
    this = make.workshop(join_enabled=True, join_code="JOIN2023")
    other = make.workshop()
    world = World(code=this.code, other_code=other.code,
                  asset=app.extensions["assets"].url("favicon.svg").removeprefix("/static/"))
    organizer = make.member(this, Role.ORGANIZER, name="Olga Organizer", creator=True)
    moderator = make.member(this, Role.MODERATOR, name="Mona Moderator", country="LK")
    other_organizer = make.member(other, Role.ORGANIZER, name="Otto Elsewhere", creator=True)
    other_participant = make.member(other, name="Pia Elsewhere", country="LK")
    _import_participants(app, organizer, this.code, [("Lakmini Perera", "lakmini@example.org", "LK"),
                                                     ("Priya Sharma", "priya@example.org", "IN"),
                                                     ("Tara Target", "tara@example.org", "NP")])
    # In both workshops: imported here, then into the other, whose invite link they sign in with.
    _import_participants(app, organizer, this.code, [("Ines Both", "ines@example.org", "LK")])
    _import_participants(app, other_organizer, other.code, [("Ines Both", "ines@example.org", "LK")])
    db.session.expire_all()
    by_email = {p.email: p for p in db.session.scalars(select(Person))}
    world.people[INVITED_ELSEWHERE] = by_email["ines@example.org"].id
    world.elsewhere_invite_token = accounts.invite_token(
        accounts.current_invite(by_email["ines@example.org"].id, other.id))
    participant, peer, target = (by_email[email] for email in
                                 ("lakmini@example.org", "priya@example.org", "tara@example.org"))
    world.people |= {OTHER_PARTICIPANT: other_participant.id, OTHER_ORGANIZER: other_organizer.id,
                    PARTICIPANT: participant.id, PEER: peer.id, MODERATOR: moderator.id, ORGANIZER: organizer.id}
    world.target_id = target.id

    starts = datetime(2023, 7, 18, 3, 30, tzinfo=UTC)
    session = AgendaSession(workshop_id=this.id, kind=SessionKind.PLENARY, title="Opening plenary",
                            starts_at=starts, ends_at=starts + timedelta(minutes=90))
    db.session.add(session)
    db.session.commit()
    world.session_id = session.id

    stored = store_upload(_pdf_upload("slides"), allowed_kinds=ALL_KINDS, max_bytes=5 * 1024 * 1024,
                          uploader=organizer)
    material = agenda.add_file(session, "Slides", stored)
    db.session.commit()
    world.material_id = material.id

    entry = attendance.add_manual(this, organizer, target.id, session.id, starts, starts + timedelta(minutes=30),
                                  "Joined by phone")
    db.session.commit()
    world.entry_id = entry.id

    poll = polls.create_poll(session, {"kind": "single choice", "question": "Which procedure?",
                                       "options": "Open tender\nFramework", "allow_change": "y"})
    db.session.commit()
    polls.open_poll(poll)
    db.session.commit()
    world.poll_id, world.option_id = poll.id, poll.options[0].id
    polls.vote(poll.id, target, {"option": world.option_id})
    world.ballot_id = db.session.scalar(select(Ballot.id).where(Ballot.poll_id == poll.id))

    question, _ = qa.ask(session, participant, "How are the country reports shared?")
    db.session.commit()
    world.question_id = question.id
    unwelcome, _ = qa.ask(session, target, "Something off topic")
    db.session.commit()
    qa.ban_asker(unwelcome)
    db.session.commit()
    world.ban_id = db.session.scalar(select(QaBan.id).where(QaBan.person_id == target.id))

    room_fields = {"mode": "diverse", "rooms_by": "count", "room_count": "2", "duration_minutes": "120",
                   "notes_by_members": "y"}
    closed = breakouts.create_round(session, room_fields)
    breakouts.generate_preview(closed)
    db.session.commit()
    breakouts.start_round(closed)
    breakouts.close_round(closed)
    db.session.commit()
    world.closed_round_id = closed.id

    running = breakouts.create_round(session, room_fields)
    breakouts.generate_preview(running)
    db.session.commit()
    room_a, room_b = running.rooms
    for person, room in ((participant, room_a), (peer, room_b)):
        if breakouts.room_of(running.id, person.id) != room:
            breakouts.move_person(running, person.id, room.id)
    db.session.commit()
    breakouts.start_round(running)
    db.session.commit()
    world.open_round_id, world.room_a_id, world.room_b_id = running.id, room_a.id, room_b.id
    assert breakouts.room_of(running.id, participant.id) == room_a
    assert breakouts.room_of(running.id, peer.id) == room_b
    help_request, _ = breakouts.ask_for_help(room_a, participant, "We need a hand")
    db.session.commit()
    world.help_id = help_request.id

    choosing = breakouts.create_round(session, {**room_fields, "mode": "self-select"})
    db.session.commit()
    breakouts.set_choosing(choosing, True)
    db.session.commit()
    world.choosing_round_id = choosing.id

    slots = reports.create_slots(this, {**reports.DEFAULT_SLOT, "max_mb": 5}, organizer, ZoneInfo(this.timezone), 25)
    db.session.commit()
    slot = next(s for s in slots if s.country == "LK")
    membership = db.session.scalar(select(Membership).where(Membership.workshop_id == this.id,
                                                            Membership.person_id == participant.id))
    result = reports.upload(slot, _pdf_upload("report"), participant, membership)
    db.session.commit()
    world.slot_id, world.version_number = slot.id, result.version.number

    evaluation_made = evaluation.prepare(this, organizer)
    db.session.commit()
    evaluation.set_state(evaluation_made, "open", organizer)
    db.session.commit()
    world.evaluation_question_id = evaluation_made.questions[0].id

    # Joins after the round opened (so in no room) and after the slots were made, declaring the slot's country.
    _join(app, this.code, "JOIN2023", ("Lal Newcomer", "lal@example.org", "LK"))
    world.people[UNCONFIRMED] = db.session.scalar(select(Person.id).where(Person.email == "lal@example.org"))

    world.invite_token = accounts.invite_token(accounts.current_invite(target.id, this.id))
    world.calendar_token = agenda.calendar_token(participant)
    world.password_token = accounts.issue_password_link(target)
    db.session.commit()
    return world


class Snapshot:
    """The world's database and uploads as built, put back before each test (SQLite's online backup)."""

    def __init__(self, app):
        self.app = app
        self.path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
        self.uploads = Path(app.config["UPLOAD_FOLDER"])
        self.uploads_copy = self.uploads.with_name("uploads-as-built")
        self.memory = sqlite3.connect(":memory:", check_same_thread=False)
        with self._live() as live:
            live.backup(self.memory)
        shutil.copytree(self.uploads, self.uploads_copy)

    def _live(self):
        return closing(sqlite3.connect(self.path, timeout=10))

    def restore(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        with self._live() as live:
            self.memory.backup(live)
        shutil.rmtree(self.uploads, ignore_errors=True)
        shutil.copytree(self.uploads_copy, self.uploads)


@pytest.fixture(scope="module")
def built(app):
    with app.app_context():
        world = _build_world(app)
        db.session.remove()
    # Let the broadcasts the world's making announced run before the snapshot.
    time.sleep(app.config["LIVE_FLUSH_SECONDS"] * 3)
    return world, Snapshot(app)


@pytest.fixture
def world(app, built) -> World:
    world, snapshot = built
    snapshot.restore()
    return world


@dataclass
class Visitor:
    """A browser of one identity: its session cookie (signed in, with a CSRF secret) and the form token."""

    cookie: str
    token: str


@pytest.fixture(scope="module")
def visitors(app, built) -> dict[str, Visitor]:
    """Signed in once per module; each test's clients start from these cookies (the database is restored, so
    what the cookies name is valid again even after a test signed someone out everywhere)."""
    world, snapshot = built
    snapshot.restore()
    found = {}
    for identity in IDENTITIES:
        client = _signed_in(app, world, identity)
        token = csrf_token(client)
        if identity == INVITED_ELSEWHERE:
            response = client.post(f"/invite/{world.elsewhere_invite_token}", data={"csrf_token": token})
            assert response.status_code == 302, "the other workshop's invite link did not sign in"
        found[identity] = Visitor(client.get_cookie("session").value, token)
    return found


def _signed_in(app, world: World, identity: str):
    client = app.test_client()
    if identity not in (ANONYMOUS, INVITED_ELSEWHERE):
        with app.app_context():
            make.sign_in(client, db.session.get(Person, world.people[identity]))
    return client


def browser(app, visitor: Visitor):
    client = app.test_client()
    client.set_cookie("session", visitor.cookie)
    return client


def csrf_token(client) -> str:
    try:
        return make.csrf_token(client)
    except AssertionError:
        return make.csrf_token(client, "/password/forgot")


# Routes --------------------------------------------------------------------------------------------

def test_every_route_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ROUTES))
    extra = sorted(set(ROUTES) - endpoints)
    assert not missing and not extra, (
        f"routes without a row in ACCESS: {missing}; rows in ACCESS for no route: {extra}. "
        "Add a row saying who may use each new route (read its code), or remove the row of a removed one.")


def _outcome(identity: str, response) -> str:
    status = response.status_code
    location = urlsplit(response.headers.get("Location", ""))
    to_sign_in = status in (301, 302, 303, 307) and location.path == "/login"
    # A signed-in person sent to the sign-in page with a way back (Flask-Login's ?next=) was taken for
    # signed out; without one it is where signing out ends.
    if status == 401 or (to_sign_in and (identity == ANONYMOUS or "next=" in location.query)):
        return LOGIN
    if status == 403:
        return DENY
    return ALLOW


def _request(client, method: str, path: str, token: str | None):
    if method == "GET":
        return client.get(path)
    return client.open(path, method=method, data={"csrf_token": token}, headers={"X-CSRFToken": token})


def _judge(identity: str, expect: str, response) -> str | None:
    """None if the response is what the table expects, else what went wrong."""
    got = _outcome(identity, response)
    if response.status_code >= 500:
        return f"expected {expect}, got {response.status_code} (a server error)"
    if got != expect:
        return f"expected {expect}, got {response.status_code} {response.headers.get('Location', '')}".rstrip()
    return None


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_route_follows_the_table(app, world, visitors, endpoint):
    rule_name = ROUTES[endpoint]
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]
    if not rules:
        pytest.fail(f"{endpoint} has a row in ACCESS but the app has no such route")
    identities = identities_for(rule_name)
    clients = {identity: browser(app, visitors[identity]) for identity in identities}
    problems = []
    for rule in rules:
        values = world.url_values(endpoint)
        path = build_path(rule, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for identity in identities:
                response = _request(clients[identity], method, path, visitors[identity].token)
                problem = _judge(identity, expected(rule_name, identity), response)
                if problem:
                    problems.append(f"{method} {path} as {identity}: {problem}")
            if rule_name == TOKEN:
                # The secret is the key: a made-up one opens nothing.
                wrong = build_path(rule, {**values, "token": "not-the-real-secret"})
                response = _request(browser(app, visitors[ANONYMOUS]), method, wrong, visitors[ANONYMOUS].token)
                if not 400 <= response.status_code < 500:
                    problems.append(f"{method} {wrong} (a made-up secret): expected a refusal, got "
                                    f"{response.status_code}")
            if "code" in rule.arguments and len(rule.arguments) > 1 and rule_name not in ACCOUNT_RULES:
                # An organizer elsewhere, in their own workshop, naming this workshop's objects: nothing found.
                swapped = build_path(rule, {**values, "code": world.other_code})
                response = _request(browser(app, visitors[OTHER_ORGANIZER]), method, swapped,
                                    visitors[OTHER_ORGANIZER].token)
                if response.status_code not in (403, 404):
                    problems.append(f"{method} {swapped} as {OTHER_ORGANIZER} (their workshop, this workshop's "
                                    f"ids): expected 404 (or 403), got {response.status_code}")
    assert not problems, f"{endpoint} ({rule_name}):\n  " + "\n  ".join(problems)


# Socket events -----------------------------------------------------------------------------------

def test_every_socket_event_has_a_row(app):
    registered = set(app.extensions["socketio"].server.handlers["/"])
    missing = sorted(registered - set(EVENTS))
    extra = sorted(set(EVENTS) - registered)
    assert not missing and not extra, (
        f"socket events without a row in ACCESS: {missing}; rows for no event: {extra}. "
        "Add a row (\"socket:<event>\") saying who may send each new event.")


REASONS = {reason.value for reason in Reason}


def _is_access_refusal(ack, statuses=(401, 403)) -> bool:
    """A refusal that says it is about access (401/403 or a permissions reason), not about the payload."""
    return (isinstance(ack, dict) and ack.get("ok") is False
            and (ack.get("status") in statuses or ack.get("reason") in REASONS))


def _payloads(world: World) -> dict[str, dict]:
    return {
        "vote": {"poll": world.poll_id, "answer": {"option": world.option_id}},
        "qa_ask": {"session": world.session_id, "text": "May I ask this?", "anonymous": False},
        "qa_upvote": {"question": world.question_id, "on": True},
        "qa_edit": {"question": world.question_id, "text": "How are the country reports shared, and when?"},
        "qa_withdraw": {"question": world.question_id},
    }


class Sockets:
    def __init__(self, app, world: World, visitors: dict[str, Visitor]):
        self.app, self.world, self.visitors, self.opened = app, world, visitors, []

    def open(self, identity: str, code: str, session: bool = True):
        auth = {"workshop": code, **({"session": self.world.session_id} if session else {})}
        client = browser(self.app, self.visitors[identity])
        with self.app.app_context():
            socket = socketio.test_client(self.app, flask_test_client=client, auth=auth)
        self.opened.append(socket)
        return socket

    def emit(self, socket, event: str, payload):
        with self.app.app_context():
            return socket.emit(event, payload, callback=True)

    def close(self) -> None:
        for socket in self.opened:
            if socket.is_connected():
                with self.app.app_context():
                    socket.disconnect()
        time.sleep(self.app.config["LIVE_FLUSH_SECONDS"] * 2)


@pytest.fixture
def sockets(app, world, visitors):
    assert socketio.server is app.extensions["socketio"].server, "another app took over the Socket.IO server"
    opened = Sockets(app, world, visitors)
    yield opened
    opened.close()


def test_connect_follows_the_table(world, sockets):
    rule = EVENTS["connect"]
    problems = []
    for identity in IDENTITIES:
        socket = sockets.open(identity, world.code)
        allowed = expected(rule, identity) == ALLOW
        if socket.is_connected() != allowed:
            problems.append(f"connect to this workshop as {identity}: expected "
                            f"{'connected' if allowed else 'refused'}, got the opposite")
    for identity in OUTSIDERS:
        if not sockets.open(identity, world.other_code, session=False).is_connected():
            problems.append(f"connect to their own workshop as {identity}: refused")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("event", sorted(set(EVENTS) - {"connect", "disconnect"}))
def test_socket_event_follows_the_table(world, sockets, event):
    rule = EVENTS[event]
    payload = _payloads(world).get(event)
    assert payload is not None, f"no payload for the socket event {event!r}: add one to _payloads"
    problems = []
    for identity in IDENTITIES:
        if identity == ANONYMOUS:
            if sockets.open(identity, world.code).is_connected():
                problems.append("anonymous: connected")
            continue
        # Outsiders connect to their own workshop, then name this workshop's objects.
        code = world.other_code if identity in OUTSIDERS else world.code
        socket = sockets.open(identity, code, session=identity not in OUTSIDERS)
        assert socket.is_connected(), f"{identity} could not connect to their own workshop"
        ack = sockets.emit(socket, event, payload)
        want = expected(rule, identity)
        # From a connection to another workshop, "no such poll here" (404) hides this one's objects as well.
        refused = _is_access_refusal(ack, (401, 403, 404) if identity in OUTSIDERS else (401, 403))
        if want == DENY and not refused:
            problems.append(f"as {identity}: expected an access refusal (ok false, status 401/403, or 404 from "
                            f"another workshop's connection, or a reason), got {ack!r}")
        elif want == ALLOW and (refused or not isinstance(ack, dict)):
            problems.append(f"as {identity}: expected to be let through, got {ack!r}")
    assert not problems, f"{event} ({rule}):\n  " + "\n  ".join(problems)


def test_disconnect_ends_only_the_callers_own_connection(world, sockets):
    """``disconnect`` is public in the table: it acts on no one else, so it needs no check."""
    mine, theirs = sockets.open(PARTICIPANT, world.code), sockets.open(PEER, world.code)
    assert mine.is_connected() and theirs.is_connected()
    with sockets.app.app_context():
        mine.disconnect()
    assert not mine.is_connected()
    assert theirs.is_connected()


# Every handler goes through authorize() -------------------------------------------------------------

@pytest.fixture
def authorize_calls(monkeypatch):
    """Count calls of the one access check, wherever a module took its own reference to it."""
    calls = []
    original_check, original_authorize = permissions.check, permissions.authorize

    def counting_check(*args, **kwargs):
        calls.append(args)
        return original_check(*args, **kwargs)

    def counting_authorize(*args, **kwargs):
        calls.append(args)
        return original_authorize(*args, **kwargs)

    monkeypatch.setattr(permissions, "check", counting_check)
    for name, module in list(sys.modules.items()):
        if name == "workshop" or name.startswith("workshop."):
            if getattr(module, "authorize", None) is original_authorize:
                monkeypatch.setattr(module, "authorize", counting_authorize)
            if module is not permissions and getattr(module, "check", None) is original_check:
                monkeypatch.setattr(module, "check", counting_check)
    return calls


@pytest.mark.parametrize("event", sorted(set(EVENTS) - {"disconnect"}))
def test_socket_event_goes_through_authorize(world, sockets, authorize_calls, event):
    socket = sockets.open(PARTICIPANT, world.code)
    assert socket.is_connected()
    if event == "connect":
        assert authorize_calls, "connect let the participant in without permissions.authorize()"
        return
    authorize_calls.clear()
    sockets.emit(socket, event, _payloads(world)[event])
    assert authorize_calls, (f"the socket event {event!r} was handled "
                             "without permissions.authorize(): socket handlers must pass the same access check "
                             "as routes")
