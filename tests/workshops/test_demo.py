"""The ``flask demo`` command: the demo workshop and sign-in instructions that work."""

from __future__ import annotations

import re
import stat
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from tests.workshops.conftest import path_of
from workshop.accounts import services as accounts
from workshop.accounts.models import Invite, Person
from workshop.agenda.models import AgendaSession
from workshop.breakouts.models import BreakoutRound, RoundState
from workshop.db import db, utcnow
from workshop.demo import data as demo_data
from workshop.demo.cli import EVERY_LINK
from workshop.demo import live_copy
from workshop.demo.seed import seed_demo
from workshop.evaluation import services as evaluation_services
from workshop.evaluation.models import EvaluationState
from workshop.polls import services as poll_services
from workshop.polls.models import Ballot, Poll, PollState
from workshop.qa import services as qa_services
from workshop.qa.models import Question, QuestionStatus
from workshop.workshops.models import Membership, Modality, Origin, Role, Workshop

ARCHIVE, LIVE = demo_data.WORKSHOP["code"], demo_data.LIVE["code"]


def run_demo(app, *args):
    return app.test_cli_runner().invoke(args=["demo", *args])


def test_demo_creates_the_workshop_and_its_people(app):
    result = run_demo(app)
    assert result.exit_code == 0, result.output
    notes = Path(app.instance_path) / "demo-sign-in.txt"
    printed, every_link = notes.read_text().split(EVERY_LINK)
    assert printed.strip() in result.output and "Organizer:" in printed and every_link not in result.output
    assert stat.S_IMODE(notes.stat().st_mode) == 0o600
    workshop = db.session.scalar(select(Workshop).where(Workshop.code == "23-IP-02-GE-WSP-A"))
    assert (workshop.code, workshop.starts_on, workshop.ends_on, workshop.modality, workshop.timezone) == \
        ("23-IP-02-GE-WSP-A", date(2023, 7, 18), date(2023, 7, 20), Modality.ONLINE, "Asia/Colombo")
    assert workshop.title == "Workshop on Innovative Public Procurement"
    assert len(workshop.objective_list) == 3 and len(workshop.topic_list) == 5
    members = db.session.scalars(select(Membership).where(Membership.workshop_id == workshop.id)).all()
    assert Counter(m.role for m in members) == {Role.ORGANIZER: 1, Role.MODERATOR: 1, Role.PARTICIPANT: 50}
    participants = [m for m in members if m.role == Role.PARTICIPANT]
    assert Counter(m.origin for m in participants) == {Origin.OVERSEAS: 38, Origin.LOCAL: 12}
    assert {m.person.country for m in participants if m.origin == Origin.LOCAL} == {"LK"}
    assert "LK" not in {m.person.country for m in participants if m.origin == Origin.OVERSEAS}
    assert len({m.person.email for m in members}) == 52
    for member in participants:
        invite = accounts.current_invite(member.person_id, workshop.id)
        assert invite is not None and accounts.resolve_invite(accounts.invite_token(invite)) is invite


def test_the_printed_sign_in_instructions_work(app, make):
    result = run_demo(app, "--if-needed")  # as make run: an empty database gets the demo too
    assert result.exit_code == 0, result.output
    output = result.output
    organizer = re.search(r"Organizer: (\S+) / (\S+)", output)
    moderator = re.search(r"Moderator: (\S+) / (\S+)", output)
    links = re.findall(r"Participant .*? \((\w\w)\): (http\S+/invite/\S+)", output)
    assert organizer and moderator
    assert [country for country, _ in links] == ["LK", "NP", "IR", "KR", "FJ"]  # five countries, Colombo to Suva
    for email, password in (organizer.groups(), moderator.groups()):
        browser = app.test_client()
        assert make.post(browser, "/login", {"email": email, "password": password}).status_code == 302
        assert browser.get(f"/w/{LIVE}/").status_code == 200
        assert browser.get(f"/w/{ARCHIVE}/").status_code == 200
    run_of_show = re.search(r"Run of show of the running session: http\S+?(/w/\S+)", output)[1]
    moderator_browser = app.test_client()
    make.post(moderator_browser, "/login", {"email": moderator[1], "password": moderator[2]})
    assert moderator_browser.get(run_of_show).status_code == 200
    for _, link in links:
        browser = app.test_client()
        assert browser.get(path_of(link)).status_code == 200
        assert make.post(browser, path_of(link), {}).headers["Location"].endswith(f"/w/{LIVE}/")
        assert browser.get(f"/w/{LIVE}/").status_code == 200
    notes = (Path(app.instance_path) / "demo-sign-in.txt").read_text()
    every_link = re.findall(r"^  .+ \(\w\w\): (http\S+/invite/\S+)$", notes.split(EVERY_LINK)[1], re.M)
    assert len(every_link) == 50 and {link for _, link in links} <= set(every_link)


def live_session_now(now: datetime) -> tuple[AgendaSession, AgendaSession]:
    """The live copy's session running at ``now`` and the one after it."""
    sessions = db.session.scalars(select(AgendaSession).join(Workshop).where(Workshop.code == LIVE)
                                  .order_by(AgendaSession.starts_at)).all()
    running = [s for s in sessions if s.starts_at <= now < s.ends_at]
    assert len(running) == 1, [(s.title, s.starts_at, s.ends_at) for s in sessions]
    return running[0], next(s for s in sessions if s.starts_at >= running[0].ends_at)


def test_the_live_copy_has_a_session_running_now_with_things_to_do(app):
    assert run_demo(app, "--if-needed").exit_code == 0
    now = utcnow()
    running, following = live_session_now(now)
    # Made 20-25 minutes into a 75-minute session; the design margin is the test's run time (seconds).
    assert timedelta(0) < following.starts_at - now <= timedelta(hours=1)
    live = db.session.scalar(select(Workshop).where(Workshop.code == LIVE))
    assert live.starts_on <= now.astimezone(ZoneInfo(live.timezone)).date() <= live.ends_on
    polls = db.session.scalars(select(Poll).where(Poll.session_id == running.id).order_by(Poll.id)).all()
    assert [p.state for p in polls] == [PollState.OPEN, PollState.DRAFT]
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == polls[0].id)) >= 5
    printed = db.session.scalars(select(Person).join(Membership).where(
        Membership.workshop_id == live.id, Membership.role == Role.PARTICIPANT,
        Person.country.in_(demo_data.SIGN_IN_COUNTRIES))).all()
    assert printed and all(poll_services.my_ballot(polls[0], person) is None for person in printed)  # theirs to cast
    questions = db.session.scalars(select(Question).where(Question.session_id == running.id)).all()
    assert len(questions) >= 3 and sum(q.pinned for q in questions) == 1
    assert any(q.status == QuestionStatus.PENDING for q in questions)
    rounds = db.session.scalars(select(BreakoutRound).where(BreakoutRound.session_id == running.id)).all()
    assert [r.state for r in rounds] == [RoundState.DRAFT] and len(rounds[0].rooms) == 5
    members = db.session.scalars(select(Membership).where(Membership.workshop_id == live.id)).all()
    assert Counter(m.role for m in members) == {Role.ORGANIZER: 1, Role.MODERATOR: 1, Role.PARTICIPANT: 50}
    # The evaluation is open with some answers; the printed people can still answer it themselves.
    evaluation = evaluation_services.evaluation_of(live)
    assert evaluation.state == EvaluationState.OPEN
    assert evaluation_services.response_count(evaluation) == demo_data.LIVE_EVALUATION_RESPONSES
    invites = db.session.scalars(select(Invite).where(Invite.workshop_id == live.id).order_by(Invite.id)).all()
    printed_links = [invite.person for invite in live_copy.printed_invites(invites)]
    assert len(printed_links) == 5
    assert not any(evaluation_services.has_responded(evaluation, person) for person in printed_links)


def archive_as_it_is() -> tuple:
    """Everything of the archive workshop that a live copy could touch."""
    archive = db.session.scalar(select(Workshop).where(Workshop.code == ARCHIVE))
    sessions = db.session.execute(select(AgendaSession.id, AgendaSession.title, AgendaSession.starts_at,
                                         AgendaSession.ends_at).where(AgendaSession.workshop_id == archive.id)
                                  .order_by(AgendaSession.id)).all()
    members = db.session.execute(select(Membership.person_id, Membership.role).where(
        Membership.workshop_id == archive.id).order_by(Membership.person_id)).all()
    invites = db.session.execute(select(Invite.id, Invite.revoked_at).where(Invite.workshop_id == archive.id)
                                 .order_by(Invite.id)).all()
    rounds = db.session.execute(select(BreakoutRound.id, BreakoutRound.state).where(
        BreakoutRound.workshop_id == archive.id)).all()
    counts = [db.session.scalar(select(func.count()).select_from(model).where(model.workshop_id == archive.id))
              for model in (Poll, Question)]
    return (archive.id, archive.starts_on, archive.ends_on, archive.title, sessions, members, invites, rounds, counts)


def test_a_demo_database_without_a_live_copy_gets_one(app):
    """A database made before the live copy existed: only the archive, as `flask demo` used to make it."""
    seed_demo()
    db.session.commit()
    archive = archive_as_it_is()
    result = run_demo(app, "--if-needed")
    assert result.exit_code == 0, result.output
    assert "removed" not in result.output
    assert re.search(r"Organizer: \S+ / \S+", result.output) and len(re.findall(r"Participant ", result.output)) == 5
    live_session_now(utcnow())
    assert archive_as_it_is() == archive


def test_the_same_day_the_live_copy_is_left_as_it_is(app, make):
    first = run_demo(app, "--if-needed")
    live = db.session.scalar(select(Workshop).where(Workshop.code == LIVE))
    running, _ = live_session_now(utcnow())
    late = make.member(live)  # something done in the copy since: it stays
    poll = db.session.scalar(select(Poll).where(Poll.session_id == running.id, Poll.state == PollState.OPEN))
    ballots = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll.id))
    poll_services.vote(poll.id, late, {"option": poll.options[0].id})
    archive = archive_as_it_is()

    again = run_demo(app, "--if-needed")
    assert again.exit_code == 0, again.output
    db.session.expire_all()
    assert db.session.scalar(select(Workshop.id).where(Workshop.code == LIVE)) == live.id
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll.id)) == ballots + 1
    assert "removed" not in again.output
    assert again.output.strip() == first.output.strip()  # the same sign-ins, from the notes
    assert archive_as_it_is() == archive


def test_on_a_later_day_the_live_copy_is_made_afresh(app, make):
    first = run_demo(app, "--if-needed")
    old = db.session.scalar(select(Workshop).where(Workshop.code == LIVE))
    old_id = old.id
    running, _ = live_session_now(utcnow())
    late = make.member(old)  # someone added to yesterday's copy, who voted and asked there: all of it goes
    poll = db.session.scalar(select(Poll).where(Poll.session_id == running.id, Poll.state == PollState.OPEN))
    poll_services.vote(poll.id, late, {"option": poll.options[0].id})
    qa_services.ask(running, late, "Is this question kept until tomorrow?")
    db.session.commit()
    late_id = late.id
    yesterday = utcnow() - timedelta(days=1)
    db.session.execute(update(Workshop).where(Workshop.id == old_id).values(created_at=yesterday))
    db.session.commit()
    archive = archive_as_it_is()

    again = run_demo(app, "--if-needed")
    assert again.exit_code == 0, again.output
    made_on = yesterday.astimezone(ZoneInfo("Asia/Colombo")).date().isoformat()
    assert f"The live copy made on {made_on} was removed with everything done in it" in again.output
    db.session.expire_all()
    fresh = db.session.scalar(select(Workshop).where(Workshop.code == LIVE))
    assert fresh.created_at > yesterday + timedelta(hours=23)
    # Nothing of the old copy is left: the late member, their vote and question went with it (ids can be
    # reused on SQLite, so the copy's rows are counted instead).
    assert db.session.scalar(select(func.count()).select_from(Membership).where(Membership.person_id == late_id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Question).where(Question.person_id == late_id)) == 0
    running, _ = live_session_now(utcnow())
    assert db.session.scalar(select(func.count()).select_from(Ballot).join(Poll).where(
        Poll.workshop_id == fresh.id)) == len(demo_data.LIVE_VOTES)
    assert db.session.scalar(select(func.count()).select_from(Question).where(
        Question.workshop_id == fresh.id)) == len(demo_data.LIVE_QUESTIONS)
    assert db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.workshop_id == fresh.id)) == 52
    for model in (Poll, Question, BreakoutRound, AgendaSession, Invite, Membership):
        kept = select(Workshop.id).where(Workshop.code.in_([LIVE, ARCHIVE]))
        assert db.session.scalar(select(func.count()).select_from(model).where(
            model.workshop_id.not_in(kept))) == 0, model
    assert archive_as_it_is() == archive
    # New passwords are printed, and they work; the old ones no longer do.
    old_password = re.search(r"Organizer: \S+ / (\S+)", first.output)[1]
    email, password = re.search(r"Organizer: (\S+) / (\S+)", again.output).groups()
    assert password != old_password
    assert make.post(app.test_client(), "/login", {"email": email, "password": old_password}).status_code != 302
    assert make.post(app.test_client(), "/login", {"email": email, "password": password}).status_code == 302


def test_a_database_that_is_not_the_demos_is_left_alone(app, make):
    workshop = make.workshop()
    result = run_demo(app, "--if-needed")
    assert result.exit_code == 0 and result.output == ""
    assert db.session.scalars(select(Workshop.code)).all() == [workshop.code]


def test_if_empty_on_a_non_empty_database_does_nothing(app, make):
    make.person()
    result = run_demo(app, "--if-empty")
    assert result.exit_code == 0
    assert db.session.scalar(select(func.count(Workshop.id))) == 0
    assert db.session.scalar(select(func.count(Person.id))) == 1


def test_on_a_non_empty_database_it_refuses_clearly(app, make):
    make.workshop()
    result = run_demo(app)
    assert result.exit_code == 1
    assert "The database already has data" in result.output
    assert db.session.scalar(select(func.count(Workshop.id))) == 1
