"""The live copy of the demo workshop: the APO programme placed around today, with a session running now.

``make run`` keeps it beside the archive (the workshop as it was in July 2023, never changed): made when
missing, made afresh on a later day than it was made (the old copy and everything done in it deleted), left as
it is on the same day. Days are the host zone's, where the running session is placed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from workshop.accounts import services as accounts
from workshop.accounts.models import Invite, Person
from workshop.agenda.models import AgendaSession
from workshop.db import db
from workshop.demo import data
from workshop.demo.seed import programme_time, seed_agenda, seed_breakout_round
from workshop.evaluation import services as evaluation
from workshop.evaluation.models import QuestionKind
from workshop.polls import services as polls
from workshop.qa import services as qa
from workshop.workshops.models import Membership, Role, Workshop


@dataclass
class LiveCopy:
    workshop: Workshop
    running: AgendaSession
    invites: list[Invite]


def archive() -> Workshop | None:
    """The demo workshop as it was (July 2023)."""
    return db.session.scalar(select(Workshop).where(Workshop.code == data.WORKSHOP["code"]))


def live_copy() -> Workshop | None:
    return db.session.scalar(select(Workshop).where(Workshop.code == data.LIVE["code"]))


def host_day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(data.WORKSHOP["timezone"])).date()


def is_current(copy: Workshop, now: datetime) -> bool:
    """Made on the host zone's day of ``now``: a later day's ``make run`` makes it afresh."""
    return host_day(copy.created_at) >= host_day(now)


def remove(copy: Workshop) -> None:
    """The copy and everything done in it: every row of a workshop goes with it (ON DELETE CASCADE)."""
    db.session.execute(delete(Workshop).where(Workshop.id == copy.id))
    db.session.expunge_all()


def shift_for(now: datetime) -> timedelta:
    """How far the July 2023 programme moves so that the running session started ``minutes_in`` minutes before
    ``now`` (rounded down to five minutes, as a programme would be)."""
    running = next(entry for entry in data.AGENDA if entry[4] == data.LIVE["running_session"])
    started = now - timedelta(minutes=data.LIVE["minutes_in"])
    started -= timedelta(minutes=started.minute % 5, seconds=started.second, microseconds=started.microsecond)
    return started - programme_time(running[0], running[1])


def make(source: Workshop, now: datetime) -> LiveCopy:
    """A live copy of ``source`` with the same people (each participant gets a personal link to the copy) and
    the programme moved to run now; then some activity in the running session. Commits: votes and upvotes
    commit themselves, as they do when participants cast them."""
    shift = shift_for(now)
    zone = ZoneInfo(source.timezone)
    first, last = programme_time(1, data.AGENDA[0][1]) + shift, programme_time(3, data.AGENDA[-1][2]) + shift
    copy = Workshop(title=data.LIVE["title"], code=data.LIVE["code"], starts_on=first.astimezone(zone).date(),
                    ends_on=last.astimezone(zone).date(), timezone=source.timezone, modality=source.modality,
                    objectives=source.objectives, topics=source.topics,
                    implementing_organizations=source.implementing_organizations, join_enabled=False)
    db.session.add(copy)
    members = db.session.scalars(select(Membership).where(Membership.workshop_id == source.id)
                                 .order_by(Membership.id)).all()
    for member in members:
        db.session.add(Membership(workshop=copy, person=member.person, role=member.role, origin=member.origin,
                                  country=member.country, country_confirmed_at=member.country_confirmed_at))
    db.session.flush()
    invites = [accounts.issue_invite(m.person, copy) for m in members if m.role == Role.PARTICIPANT]
    moderator = next(m.person for m in members if m.role == Role.MODERATOR)
    seed_agenda(copy, moderator, shift)
    running = db.session.scalar(select(AgendaSession).where(AgendaSession.workshop_id == copy.id,
                                                            AgendaSession.title == data.LIVE["running_session"]))
    seed_breakout_round(running)
    db.session.commit()
    # The votes and upvotes come from people whose links are not printed: those can still cast their own.
    participants = [invite.person for invite in invites]
    others = [person for person in participants if person.country not in data.SIGN_IN_COUNTRIES]
    _poll_with_votes(running, others)
    _questions(running, participants, others)
    organizer = next(m.person for m in members if m.role == Role.ORGANIZER)
    printed = {invite.person for invite in printed_invites(invites)}
    # Sri Lanka's many local participants first: the results then show one country's breakdown, the rest hidden.
    respondents = sorted((m for m in members if m.role == Role.PARTICIPANT and m.person not in printed),
                         key=lambda m: m.country != data.WORKSHOP["host_country"])
    _evaluation_with_responses(copy, organizer, respondents)
    return LiveCopy(copy, running, invites)


def printed_invites(invites: list[Invite]) -> list[Invite]:
    """The participants' links printed at `make run`: the first of each of the sign-in countries."""
    return [next(i for i in invites if i.person.country == country) for country in data.SIGN_IN_COUNTRIES]


def _poll_with_votes(session: AgendaSession, participants: list[Person]) -> None:
    poll = polls.create_poll(session, data.LIVE_POLL)
    polls.create_poll(session, data.LIVE_DRAFT_POLL)
    db.session.flush()
    polls.open_poll(poll)
    db.session.commit()
    options = [option.id for option in sorted(poll.options, key=lambda option: option.position)]
    for person, position in zip(participants, data.LIVE_VOTES):
        polls.vote(poll.id, person, {"option": options[position]})


def _questions(session: AgendaSession, participants: list[Person], upvoters: list[Person]) -> None:
    """Approved questions with upvotes (the most upvoted pinned), then one awaiting moderation: pre-moderation
    is switched on before the last is asked."""
    by_email = {person.email: person for person in participants}
    *open_questions, (late_email, late_text) = data.LIVE_QUESTIONS
    asked = [qa.ask(session, by_email[email], text)[0] for email, text in open_questions]
    qa.pin(asked[0])
    db.session.commit()
    for index, count in data.LIVE_UPVOTES.items():
        for person in [p for p in upvoters if p.id != asked[index].person_id][-count:]:
            qa.upvote(asked[index].id, person, True)
    qa.save_settings(session, anonymous_allowed=False, premoderation=True)
    qa.ask(session, by_email[late_email], late_text)
    db.session.commit()


def _evaluation_with_responses(workshop: Workshop, organizer: Person, respondents: list[Membership]) -> None:
    """The evaluation prepared from the template, open, with some anonymous responses (each commits itself)."""
    made = evaluation.prepare(workshop, organizer)
    evaluation.set_state(made, "open", organizer)
    db.session.commit()
    ratings, comments = data.LIVE_EVALUATION_RATINGS, data.LIVE_EVALUATION_COMMENTS
    rated = [q for q in made.questions if q.kind == QuestionKind.RATING]
    commented = [q for q in made.questions if q.kind == QuestionKind.TEXT]
    for n, member in enumerate(respondents[:data.LIVE_EVALUATION_RESPONSES]):
        form = {f"q{question.id}": str(ratings[(n + q) % len(ratings)]) for q, question in enumerate(rated)}
        if n < len(comments):
            which, text = comments[n]
            form[f"q{commented[which].id}"] = text
        evaluation.respond(made, member.person, member, form)
    evaluation.release_waiting(made)  # as the deadline sweep would, so the demo's results show at once
    db.session.commit()


def new_staff_passwords(source: Workshop) -> dict[Role, tuple[Person, str]]:
    """Fresh passwords for the demo's organizer and moderator: only their hashes are kept, so a copy made after
    the first day prints new ones."""
    found = {}
    for member in db.session.scalars(select(Membership).where(Membership.workshop_id == source.id,
                                                               Membership.role != Role.PARTICIPANT)):
        password = secrets.token_urlsafe(9)
        accounts.set_password(member.person, password)
        found[member.role] = (member.person, password)
    db.session.commit()
    return found
