"""``flask db upgrade`` on a database from before issue 12 (revision 0006) keeps what it holds, on both backends.

The old database is written as revision 0006 has it, in plain SQL on reflected tables (the app's models
describe the new head): two workshops, an organizer and a moderator with passwords (the moderator in both
workshops), participants without passwords (one self-registered), invites, an agenda session, an open
anonymous poll and an open named poll with ballots keyed as the old code keyed them (HMAC of SECRET_KEY),
a Q&A question with an upvote, a country report with a version and its event, and a breakout assignment.

After the upgrade to head every row is still there with the same ids and values, except the one change the
migrations promise: the live invite of an account with a password is revoked (0007). Each membership carries
its person's country, confirmed (0009). The ballot secret is the old SECRET_KEY (0008), so a voter who votes
again in the open anonymous poll, through today's service, finds their old ballot. A second upgrade changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta, timezone

import flask_migrate
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, select, text
from werkzeug.security import generate_password_hash

from workshop import create_app
from workshop.accounts import services as accounts
from workshop.accounts.models import Invite, Person
from workshop.app import MIGRATIONS
from workshop.audit.models import AuditEvent
from workshop.breakouts.models import BreakoutAssignment
from workshop.db import db
from workshop.errors import ValidationError
from workshop.polls import services as polls
from workshop.polls.models import Ballot, BallotSecret, Poll
from workshop.qa import services as qa
from workshop.qa.models import Question, QuestionVote
from workshop.reports import services as reports
from workshop.reports.models import ReportSlot
from workshop.workshops.models import Membership, Workshop

BEFORE = "0006"
PASSWORD = "correct horse battery staple"
# A real werkzeug hash, as set_password stored it; few rounds to keep the test fast.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
T0 = datetime(2026, 11, 10, 8, 0, tzinfo=timezone.utc)



def _old_voter_key(secret_key: str, poll_id: int, person_id: int) -> str:
    """voter_key() as it was at revision 0006: keyed with the app's SECRET_KEY."""
    return hmac.new(secret_key.encode(), f"ballot:{poll_id}:{person_id}".encode(), hashlib.sha256).hexdigest()


class OldDatabase:
    """Inserts into the tables as they are at revision 0006, reflected from the database itself."""

    def __init__(self, connection):
        self.connection = connection
        self.sqlite = connection.dialect.name == "sqlite"
        self.metadata = MetaData()
        self.metadata.reflect(bind=connection)

    def at(self, **delta) -> datetime:
        """A moment as UTCDateTime stored it: UTC, without an offset on SQLite."""
        moment = T0 + timedelta(**delta)
        return moment.replace(tzinfo=None) if self.sqlite else moment

    def insert(self, table: str, **values) -> int:
        """The new row's id, given by the database (so PostgreSQL's sequences move on as they did in use)."""
        result = self.connection.execute(self.metadata.tables[table].insert().values(**values))
        key = result.inserted_primary_key
        return key[0] if key else None


def _fill_at_0006(connection, secret_key: str) -> dict:
    """Realistic rows of two workshops at revision 0006; returns the ids (and a few values) the test checks."""
    old = OldDatabase(connection)
    ids: dict = {}

    def person(key, email, name, country, password_hash=None, **extra):
        ids[key] = old.insert("person", email=email, name=name, country=country, organization="Ministry of Finance",
                              timezone="Asia/Kathmandu", timezone_chosen=True, password_hash=password_hash,
                              can_create_workshops=key == "organizer", session_version=1,
                              created_at=old.at(days=-20), **extra)

    person("organizer", "olga@example.org", "Olga Organizer", None, PASSWORD_HASH)
    person("moderator", "mo@example.org", "Mohan Moderator", "IN", PASSWORD_HASH, calendar_token="c" * 40)
    person("anil", "anil@example.org", "Anil Participant", "NP")
    person("lakmini", "lakmini@example.org", "Lakmini Participant", "LK")
    person("sita", "sita@example.org", "Sita Selfregistered", "NP")

    for key, code, join_code in [("workshop_a", "PFM-26", "JOIN-PFM"), ("workshop_b", "AUD-26", None)]:
        ids[key] = old.insert("workshop", title=f"Workshop {code}", code=code, starts_on=date(2026, 11, 24),
                              ends_on=date(2026, 11, 26), timezone="Asia/Kathmandu", modality="hybrid",
                              objectives="Share practice\nAgree next steps", topics="Budgeting",
                              join_code=join_code, join_enabled=join_code is not None, agenda_version=3,
                              created_at=old.at(days=-30))
    a, b = ids["workshop_a"], ids["workshop_b"]

    ids["memberships"] = {}
    for workshop, who, role, origin, days in [
            (a, "organizer", "organizer", "local", -30), (a, "moderator", "moderator", "overseas", -25),
            (a, "anil", "participant", "overseas", -20), (a, "lakmini", "participant", "overseas", -20),
            (a, "sita", "participant", "overseas", -3),  # self-registered with the join code
            (b, "organizer", "organizer", "local", -30), (b, "moderator", "moderator", "local", -28),
            (b, "lakmini", "participant", "overseas", -18)]:
        ids["memberships"][(workshop, who)] = old.insert(
            "membership", workshop_id=workshop, person_id=ids[who], role=role, origin=origin,
            created_at=old.at(days=days))

    def invite(key, who, workshop, **values):
        ids[key] = old.insert("invite", person_id=ids[who], workshop_id=workshop, created_at=old.at(days=-10),
                              expires_at=old.at(days=60), **values)

    invite("moderator_old_invite", "moderator", a, revoked_at=old.at(days=-12))  # replaced long ago
    invite("moderator_invite", "moderator", a, emailed_at=old.at(days=-10), last_used_at=old.at(days=-9))
    invite("anil_invite", "anil", a, emailed_at=old.at(days=-10), last_used_at=old.at(days=-1))
    invite("lakmini_invite_b", "lakmini", b, emailed_at=old.at(days=-10))

    ids["session"] = old.insert(
        "agenda_session", workshop_id=a, kind="plenary", title="Opening plenary", description="Welcome",
        starts_at=old.at(days=14), ends_at=old.at(days=14, hours=2), speakers="Olga Organizer",
        resource_persons="", video_url="https://meet.example.org/pfm", uid="0a1b2c3d@workshop", sequence=2,
        updated_at=old.at(days=-5))
    old.insert("session_moderator", session_id=ids["session"], person_id=ids["moderator"])

    def poll(key, kind, question, *, anonymous, allow_change):
        ids[key] = old.insert(
            "poll", workshop_id=a, session_id=ids["session"], kind=kind, question=question, state="open",
            anonymous=anonymous, allow_change=allow_change, results_visible=False, max_picks=1, scale_max=5,
            ranking_method="borda", duration_seconds=None, closes_at=None, opened_at=old.at(hours=-1),
            closed_at=None, created_at=old.at(days=-2), revision=5)

    poll("anonymous_poll", "single choice", "Which reform first?", anonymous=True, allow_change=True)
    ids["options"] = [old.insert("poll_option", poll_id=ids["anonymous_poll"], text=text_, position=i)
                      for i, text_ in enumerate(["Procurement", "Payroll", "Audit"])]
    poll("named_poll", "rating", "How useful was the morning?", anonymous=False, allow_change=False)

    def ballot(key, poll_key, who, *, named, option=None, rating=None, minutes=0):
        ids[key] = old.insert(
            "ballot", poll_id=ids[poll_key], voter_key=_old_voter_key(secret_key, ids[poll_key], ids[who]),
            person_id=ids[who] if named else None, rating=rating, text=None, normalized=None, hidden=False,
            cast_at=old.at(minutes=-30 + minutes))
        if option is not None:
            old.insert("ballot_choice", ballot_id=ids[key], option_id=option, rank=1)

    ballot("anil_anonymous_ballot", "anonymous_poll", "anil", named=False, option=ids["options"][0])
    ballot("lakmini_anonymous_ballot", "anonymous_poll", "lakmini", named=False, option=ids["options"][2], minutes=1)
    ballot("anil_named_ballot", "named_poll", "anil", named=True, rating=4, minutes=2)
    ballot("moderator_named_ballot", "named_poll", "moderator", named=True, rating=5, minutes=3)

    old.insert("qa_settings", session_id=ids["session"], anonymous_allowed=True, premoderation=False)
    ids["question"] = old.insert(
        "question", workshop_id=a, session_id=ids["session"], person_id=ids["anil"], anonymous=False,
        text="How do other countries publish audit findings?", status="approved", votes=1, pinned=False,
        reply=None, asked_at=old.at(minutes=-20), edited_at=None, answered_at=None, revision=3)
    ids["question_vote"] = old.insert("question_vote", question_id=ids["question"], person_id=ids["lakmini"],
                                      cast_at=old.at(minutes=-19))

    ids["stored_file"] = old.insert(
        "stored_file", sha256=hashlib.sha256(b"nepal report").hexdigest(), size=12, kind="pdf",
        content_type="application/pdf", original_name="Nepal country report.pdf",
        safe_name="Nepal_country_report.pdf", uploaded_by_id=ids["anil"], uploaded_at=old.at(days=-4))
    ids["slot"] = old.insert(
        "report_slot", workshop_id=a, country="NP", title="Nepal country report", instructions="Ten slides",
        due_at=old.at(days=7), allowed_kinds="pdf,docx,pptx,xlsx", max_mb=25, participants_may_upload=True,
        state="submitted", note="", created_at=old.at(days=-15))
    ids["version"] = old.insert(
        "report_version", slot_id=ids["slot"], number=1, stored_file_id=ids["stored_file"], late=False,
        created_at=old.at(days=-4), removed_at=None, removed_by_id=None)
    ids["report_event"] = old.insert(
        "report_event", workshop_id=a, slot_id=ids["slot"], actor_id=ids["anil"], actor_name="Anil Participant",
        action="uploaded", detail="version 1: Nepal country report.pdf", at=old.at(days=-4))

    ids["round"] = old.insert(
        "breakout_round", workshop_id=a, session_id=ids["session"], number=1, state="draft", mode="diverse",
        seed=7, room_count=2, room_size=None, duration_seconds=1200, spread_leads=True, max_one_roles="",
        notes_by_members=True, choosing_open=False, preview_at=None, opened_at=None, ends_at=None,
        closed_at=None, created_at=old.at(days=-1), revision=1)
    ids["room"] = old.insert(
        "breakout_room", round_id=ids["round"], position=0, name="Room 1", topic="Procurement", video_url=None,
        rapporteur_id=ids["anil"], capacity=None, chosen=0, notes="Agreed: publish contracts", notes_revision=2,
        notes_saved_at=old.at(hours=-2), notes_saved_by_id=ids["anil"])
    ids["assignment"] = old.insert("breakout_assignment", round_id=ids["round"], room_id=ids["room"],
                                   person_id=ids["anil"], source="generated", assigned_at=old.at(days=-1))
    return ids


def _snapshot(connection) -> tuple[dict[str, list[str]], dict[str, list[dict]]]:
    """The columns of every table (but Alembic's), and its rows in primary-key order."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    columns, rows = {}, {}
    for name, table in sorted(metadata.tables.items()):
        if name != "alembic_version":
            columns[name] = list(table.columns.keys())
            order = list(table.primary_key.columns) or list(table.columns)
            rows[name] = [dict(row._mapping) for row in connection.execute(select(table).order_by(*order))]
    return columns, rows


REPLACED = {"poll": {"revision"}, "question": {"revision"}, "breakout_round": {"revision"}}  # by 0010


def _head(connection) -> str:
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_upgrade_from_0006_keeps_every_row_and_converts_what_issue_12_changed(empty_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "ASYNC_MODE": "threading"})
    secret_key = app.config["SECRET_KEY"]
    assert isinstance(secret_key, str) and secret_key  # the test conftest's WORKSHOP_SECRET_KEY
    with app.app_context():
        try:
            flask_migrate.upgrade(revision=BEFORE)
            with db.engine.begin() as connection:
                assert _head(connection) == BEFORE
                ids = _fill_at_0006(connection, secret_key)
                old_columns, before = _snapshot(connection)
            started = datetime.now(timezone.utc)
            flask_migrate.upgrade()
            finished = datetime.now(timezone.utc)
            with db.engine.connect() as connection:
                assert _head(connection) == ScriptDirectory(str(MIGRATIONS)).get_current_head()
                _, after = _snapshot(connection)

            # 1. Every old row is still there with the same ids and values; the only changes are 0007's revocation
            # and the revision columns that 0010 replaced with the live_revision table.
            assert set(after) >= set(before)
            kept = {name: [{column: row[column] for column in old_columns[name] if column not in REPLACED.get(name, ())}
                           for row in after[name]] for name in before}
            expected = {name: [{column: value for column, value in row.items() if column not in REPLACED.get(name, ())}
                               for row in rows] for name, rows in before.items()}
            revoked = next(row for row in kept["invite"] if row["id"] == ids["moderator_invite"])["revoked_at"]
            assert revoked is not None
            next(row for row in expected["invite"] if row["id"] == ids["moderator_invite"])["revoked_at"] = revoked
            assert kept == expected
            assert len(before["ballot"]) == 4 and len(before["membership"]) == 8

            def person(key) -> Person:
                return db.session.get(Person, ids[key])

            # 2. Invites: the password holder's live invite is revoked (now), no other invite changed.
            moderator_invite = db.session.get(Invite, ids["moderator_invite"])
            assert started - timedelta(seconds=5) <= moderator_invite.revoked_at <= finished + timedelta(seconds=5)
            with pytest.raises(accounts.InviteProblem) as refused:
                accounts.resolve_invite(accounts.invite_token(moderator_invite))
            assert refused.value.status == 410
            anil_invite = accounts.resolve_invite(accounts.invite_token(db.session.get(Invite, ids["anil_invite"])))
            assert anil_invite.id == ids["anil_invite"] and anil_invite.person_id == ids["anil"]
            assert db.session.get(Invite, ids["lakmini_invite_b"]).revoked_at is None
            assert db.session.get(Invite, ids["moderator_old_invite"]).revoked_at == T0 - timedelta(days=12)
            # ... and the workshop's audit log says why, once, naming the person.
            lines = db.session.execute(select(AuditEvent.workshop_id, AuditEvent.subject_id, AuditEvent.action)).all()
            assert lines == [(db.session.get(Invite, ids["moderator_invite"]).workshop_id, ids["moderator"],
                              "sign-in link revoked")]
            # The passwords still sign in.
            assert accounts.authenticate("mo@example.org", PASSWORD) == person("moderator")
            assert accounts.authenticate("olga@example.org", PASSWORD) == person("organizer")

            # 3. Each membership carries its person's old country; a copied country counts as confirmed (0009).
            old_country = {row["id"]: row["country"] for row in before["person"]}
            memberships = db.session.scalars(select(Membership).order_by(Membership.id)).all()
            assert {m.id for m in memberships} == set(ids["memberships"].values())
            for membership in memberships:
                country = old_country[membership.person_id]
                assert membership.country == country, membership.id
                assert membership.person.country == country  # copied, not moved
                if country is None:
                    assert membership.country_confirmed_at is None
                else:
                    assert not membership.country_waiting, membership.id
                    assert reports.confirmed_country(membership) == country
                    assert started - timedelta(seconds=5) <= membership.country_confirmed_at \
                        <= finished + timedelta(seconds=5)

            # 4. Reports: the NP slot, its version and event; the NP participants (the self-registered one too,
            # as 0009 says) reach the unpublished version, the LK participant does not.
            workshop_a = db.session.get(Workshop, ids["workshop_a"])

            def membership(who) -> Membership:
                return db.session.get(Membership, ids["memberships"][(ids["workshop_a"], who)])

            slot = reports.slot_for_country(workshop_a, "NP")
            assert slot is not None and slot.id == ids["slot"] and slot.state == "submitted"
            assert [(v.id, v.number, v.stored_file_id) for v in slot.versions] == \
                [(ids["version"], 1, ids["stored_file"])]
            assert slot.versions[0].stored_file.original_name == "Nepal country report.pdf"
            assert [e.id for e in reports.events_of(workshop_a, slot)] == [ids["report_event"]]
            for who in ("anil", "sita"):
                assert reports.own_slot(workshop_a, membership(who)) == (slot, False), who
                assert reports.downloadable_version(slot, 1, membership(who)).id == ids["version"], who
                assert reports.may_upload(slot, membership(who)), who
            with pytest.raises(ValidationError) as refused:
                reports.downloadable_version(slot, 1, membership("lakmini"))
            assert refused.value.status == 403
            assert db.session.get(ReportSlot, ids["slot"]).latest.id == ids["version"]

            # 5. Q&A and breakouts, read through today's models and services.
            question = db.session.get(Question, ids["question"])
            assert (question.person_id, question.votes, question.status) == (ids["anil"], 1, "approved")
            assert db.session.get(QuestionVote, ids["question_vote"]).person_id == ids["lakmini"]
            assert qa.mine(ids["session"], ids["lakmini"])[0] == [ids["question"]]
            assert [q.id for q in qa.public_questions(ids["session"])] == [ids["question"]]
            assignment = db.session.get(BreakoutAssignment, ids["assignment"])
            assert (assignment.room_id, assignment.person_id) == (ids["room"], ids["anil"])

            # 6. The ballot secret is the SECRET_KEY that keyed the old ballots (0008) ...
            assert db.session.get(BallotSecret, 1).secret == secret_key.encode()
            anonymous_poll = db.session.get(Poll, ids["anonymous_poll"])
            named_poll = db.session.get(Poll, ids["named_poll"])
            assert polls.my_ballot(anonymous_poll, person("anil")).id == ids["anil_anonymous_ballot"]
            assert polls.my_ballot(named_poll, person("anil")).id == ids["anil_named_ballot"]
            db.session.rollback()

            # ... so voting again in the open anonymous poll (changes allowed) changes the old ballot ...
            polls.vote(ids["anonymous_poll"], person("anil"), {"option": ids["options"][1]})
            ballots = db.session.scalars(select(Ballot).where(Ballot.poll_id == ids["anonymous_poll"])
                                         .order_by(Ballot.id)).all()
            assert [b.id for b in ballots] == [ids["anil_anonymous_ballot"], ids["lakmini_anonymous_ballot"]]
            assert ballots[0].person_id is None
            assert [c.option_id for c in ballots[0].choices] == [ids["options"][1]]
            assert [c.option_id for c in ballots[1].choices] == [ids["options"][2]]
            # ... and in the named poll (no changes) it is refused, the old ballot untouched.
            with pytest.raises(ValidationError) as refused:
                polls.vote(ids["named_poll"], person("anil"), {"rating": 1})
            assert refused.value.status == 409
            db.session.rollback()
            named = db.session.scalars(select(Ballot).where(Ballot.poll_id == ids["named_poll"])
                                       .order_by(Ballot.id)).all()
            assert [(b.id, b.person_id, b.rating) for b in named] == \
                [(ids["anil_named_ballot"], ids["anil"], 4), (ids["moderator_named_ballot"], ids["moderator"], 5)]
            # A first-time voter adds a ballot: the ids the database gives new rows do not collide with old ones.
            polls.vote(ids["anonymous_poll"], person("sita"), {"option": ids["options"][0]})
            assert polls.results(db.session.get(Poll, ids["anonymous_poll"])).voters == 3
            db.session.remove()

            # 7. Rotating SECRET_KEY afterwards changes no ballot key: the voter still finds the old ballot.
            app.config["SECRET_KEY"] = app.secret_key = "rotated-" + secret_key
            app.extensions.pop("ballot_secret", None)  # as a restarted app: the secret is read again
            anonymous_poll = db.session.get(Poll, ids["anonymous_poll"])
            assert polls.my_ballot(anonymous_poll, person("anil")).id == ids["anil_anonymous_ballot"]
            assert app.extensions["ballot_secret"] == secret_key.encode()
            db.session.remove()

            # 8. A second upgrade is harmless.
            with db.engine.connect() as connection:
                settled = _snapshot(connection)[1]
            flask_migrate.upgrade()
            with db.engine.connect() as connection:
                assert _snapshot(connection)[1] == settled
                assert _head(connection) == ScriptDirectory(str(MIGRATIONS)).get_current_head()
        finally:
            db.session.remove()
            db.engine.dispose()
