"""The evaluation's rules: its template, editing, opening and closing, answering once, and its results. No web code.

Functions add and flush; the caller commits (``respond`` and the deadline sweep commit themselves, as their
once-only rule is decided by the commit).

Concurrency. Whatever decides on the evaluation's state or on whether answers exist first takes the
evaluation's lock: on PostgreSQL its row, FOR SHARE by a response (responses do not wait for each other) and
FOR UPDATE by an edit, an opening or a closing (which so waits for every response in flight, and every later
response waits for it); on SQLite a write, which takes the database's write lock, before anything is read.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError

from workshop.accounts.models import Person
from workshop.accounts.services import country_name
from workshop.agenda.models import AgendaSession, SessionKind
from workshop.audit import services as audit
from workshop.changes import announce
from workshop.db import db, utcnow
from workshop.errors import ValidationError
from workshop.evaluation.models import (RATING_MAX, RATING_MIN, Evaluation, EvaluationAnswer, EvaluationInbox,
                                        EvaluationQuestion, EvaluationRespondent, EvaluationResponse, EvaluationState,
                                        QuestionKind, Section)
from workshop.live import revisions
from workshop.workshops.models import Membership, Role, Workshop

MAX_QUESTION = 500
MAX_COMMENT = 4000
MAX_QUESTIONS = 200
COMMENT_WHITESPACE = "\n\r\t"  # a text area sends line breaks as CR LF
# Anonymous responses wait in the inbox until this many can be moved into the responses together.
BATCH = 5
# Below this many answers a group (a country) is never shown, nor left derivable from what is shown.
SMALL_GROUP = 5
NOT_SESSIONS = (SessionKind.BREAK, SessionKind.SOCIAL)

SCALES = {
    Section.OBJECTIVE: ("Not at all", "Slightly", "Partly", "Mostly", "Fully"),
    Section.SESSION: ("Very poor", "Poor", "Fair", "Good", "Excellent"),
    Section.SPEAKER: ("Very poor", "Poor", "Fair", "Good", "Excellent"),
    Section.OVERALL: ("Very low", "Low", "Moderate", "High", "Very high"),
}
SECTION_TITLES = {
    Section.OBJECTIVE: "The workshop's objectives",
    Section.SESSION: "The sessions",
    Section.SPEAKER: "The speakers",
    Section.OVERALL: "Overall",
    Section.COMMENTS: "Comments",
}
OVERALL = ("Overall, how satisfied are you with the workshop?",
           "How relevant was the workshop to your work?",
           "How likely are you to use what you learned in your work?")
COMMENTS = ("What was most useful to you?", "What could be improved?", "Any other comments?")

RESPONSES_TOPIC = "evaluation-responses"
STATE_TOPIC = "evaluation-state"

ANSWERED_ALREADY = "You have already sent your evaluation: only one response per person is kept."
NOT_OPEN = "The evaluation is not open for answers."
LOCKED = ("The evaluation has been opened, so the questions and the anonymity setting can no longer change: "
          "a participant may already be answering what the page said. You can still open and close it.")


# Reading -------------------------------------------------------------------------------------------

def evaluation_of(workshop: Workshop) -> Evaluation | None:
    return db.session.scalar(select(Evaluation).where(Evaluation.workshop_id == workshop.id))


def question_in(evaluation: Evaluation, question_id: int) -> EvaluationQuestion | None:
    question = db.session.get(EvaluationQuestion, question_id)
    return question if question is not None and question.evaluation_id == evaluation.id else None


def scale_of(question: EvaluationQuestion) -> tuple[str, ...]:
    return SCALES.get(question.section, SCALES[Section.OVERALL])


def response_count(evaluation: Evaluation) -> int:
    return db.session.scalar(select(func.count()).select_from(EvaluationRespondent)
                             .where(EvaluationRespondent.evaluation_id == evaluation.id))


def participant_count(workshop: Workshop) -> int:
    return db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.workshop_id == workshop.id, Membership.role == Role.PARTICIPANT))


@dataclass(frozen=True)
class Rate:
    responded: int
    participants: int

    @property
    def percent(self) -> int:
        return round(100 * self.responded / self.participants) if self.participants else 0


def participants_responded(workshop: Workshop, evaluation: Evaluation) -> int:
    """Respondents who are participants now: someone who answered and then left (or became staff) counts in
    neither side of the rate, which so never exceeds 100%."""
    return db.session.scalar(
        select(func.count()).select_from(EvaluationRespondent)
        .join(Membership, (Membership.person_id == EvaluationRespondent.person_id)
              & (Membership.workshop_id == workshop.id) & (Membership.role == Role.PARTICIPANT))
        .where(EvaluationRespondent.evaluation_id == evaluation.id))


def rate(workshop: Workshop, evaluation: Evaluation | None) -> Rate:
    return Rate(participants_responded(workshop, evaluation) if evaluation else 0, participant_count(workshop))


def has_responded(evaluation: Evaluation, person: Person) -> bool:
    return db.session.scalar(select(exists().where(EvaluationRespondent.evaluation_id == evaluation.id,
                                                   EvaluationRespondent.person_id == person.id)))


def own_answers(evaluation: Evaluation, person: Person) -> dict[int, EvaluationAnswer] | None:
    """The person's own answers by question id; None when the evaluation is anonymous (nothing links them)."""
    if evaluation.anonymous:
        return None
    response = db.session.scalar(select(EvaluationResponse).where(EvaluationResponse.evaluation_id == evaluation.id,
                                                                  EvaluationResponse.person_id == person.id))
    return {answer.question_id: answer for answer in response.answers} if response else {}


def live_target(workshop_id: int) -> str:
    return f"evaluation:workshop:{workshop_id}"


def live_version(workshop: Workshop) -> int:
    """The results page's response rate revision, read before the count it versions."""
    return revisions.current(live_target(workshop.id))


# Preparing and editing -----------------------------------------------------------------------------

def template_questions(workshop: Workshop) -> list[EvaluationQuestion]:
    """One question per objective, per session (not breaks or socials) and per speaker, overall and comments."""
    made: list[EvaluationQuestion] = []

    def add(section: Section, kind: QuestionKind, text: str, session_id: int | None = None) -> None:
        made.append(EvaluationQuestion(position=len(made) + 1, section=section, kind=kind,
                                       text=text[:MAX_QUESTION], session_id=session_id))

    for objective in workshop.objective_list:
        add(Section.OBJECTIVE, QuestionKind.RATING,
            f"To what extent was this objective achieved: {objective.strip()}")
    sessions = db.session.scalars(select(AgendaSession).where(
        AgendaSession.workshop_id == workshop.id, AgendaSession.kind.not_in(NOT_SESSIONS))
        .order_by(AgendaSession.starts_at, AgendaSession.id)).all()
    for session in sessions:
        add(Section.SESSION, QuestionKind.RATING, f"How would you rate the session “{session.title}”?", session.id)
    for session in sessions:
        for speaker in session.speaker_list:
            add(Section.SPEAKER, QuestionKind.RATING, f"How would you rate {speaker} in “{session.title}”?",
                session.id)
    for text in OVERALL:
        add(Section.OVERALL, QuestionKind.RATING, text)
    for text in COMMENTS:
        add(Section.COMMENTS, QuestionKind.TEXT, text)
    return made


def prepare(workshop: Workshop, actor: Person) -> Evaluation:
    """The evaluation, made from the template (anonymous unless the organizers change it before answers come)."""
    evaluation = Evaluation(workshop_id=workshop.id, questions=template_questions(workshop))
    db.session.add(evaluation)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ValidationError({"evaluation": "The evaluation was prepared already (perhaps by another organizer "
                                             "just now). Reload the page."}, status=409) from None
    audit.record(workshop.id, actor, "evaluation prepared", detail=f"{len(evaluation.questions)} questions")
    _changed(evaluation)
    return evaluation


def _lock(evaluation: Evaluation, *, share: bool = False) -> None:
    """See the module's docstring; then the evaluation is read again as committed."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Evaluation.id).where(Evaluation.id == evaluation.id)
                           .with_for_update(read=share))
    else:
        db.session.execute(update(Evaluation).where(Evaluation.id == evaluation.id)
                           .values(state=Evaluation.state).execution_options(synchronize_session=False))
    db.session.refresh(evaluation)


def _check_draft(evaluation: Evaluation) -> None:
    """Questions and anonymity change only before the evaluation is first opened: from then on a participant may
    have the page open, and their answer must be stored as that page said (its wording, anonymous or not)."""
    _lock(evaluation)
    if evaluation.state != EvaluationState.DRAFT:
        raise ValidationError({"evaluation": LOCKED}, status=409)


def _control_characters(text: str, allowed: str = "") -> bool:
    """Whether ``text`` has control characters (a NUL byte, which PostgreSQL refuses in text, and the like)."""
    return any(unicodedata.category(char) == "Cc" and char not in allowed for char in text)


def clean_question(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError({"text": "Write the question."})
    if _control_characters(text):
        raise ValidationError({"text": "The question has control characters (such as a NUL byte) that cannot be "
                                       "stored. Type it again without them."})
    if len(text) > MAX_QUESTION:
        raise ValidationError({"text": f"The question is longer than {MAX_QUESTION} characters."})
    return text


def add_question(evaluation: Evaluation, kind: str, text: str, actor: Person) -> EvaluationQuestion:
    try:
        kind = QuestionKind(kind)
    except ValueError:
        raise ValidationError({"kind": "Choose a rating or an open comment."}) from None
    text = clean_question(text)
    _check_draft(evaluation)
    if len(evaluation.questions) >= MAX_QUESTIONS:
        raise ValidationError({"text": f"An evaluation has at most {MAX_QUESTIONS} questions."}, status=409)
    position = 1 + max((question.position for question in evaluation.questions), default=0)
    question = EvaluationQuestion(evaluation=evaluation, position=position, kind=kind, text=text,
                                  section=Section.OVERALL if kind == QuestionKind.RATING else Section.COMMENTS)
    db.session.add(question)
    db.session.flush()
    _record(evaluation, actor, "evaluation question added", text)
    return question


def reword_question(question: EvaluationQuestion, text: str, actor: Person) -> EvaluationQuestion:
    text = clean_question(text)
    _check_draft(question.evaluation)
    before, question.text = question.text, text
    _record(question.evaluation, actor, "evaluation question reworded", f"{before} → {text}")
    return question


def remove_question(question: EvaluationQuestion, actor: Person) -> None:
    evaluation = question.evaluation
    _check_draft(evaluation)
    evaluation.questions.remove(question)
    db.session.flush()
    _record(evaluation, actor, "evaluation question removed", question.text)


def update_settings(evaluation: Evaluation, anonymous: bool, open_at_end: bool, actor: Person) -> Evaluation:
    if anonymous != evaluation.anonymous:
        _check_draft(evaluation)
        evaluation.anonymous = anonymous
    evaluation.open_at_end = open_at_end
    _record(evaluation, actor, "evaluation settings",
            f"{'anonymous' if anonymous else 'named'}; "
            f"{'opens when the last session ends' if open_at_end else 'opened by hand'}")
    return evaluation


def set_state(evaluation: Evaluation, switch: str, actor: Person | None) -> Evaluation:
    """``switch`` is "open" or "close"; a closed evaluation may be opened again."""
    if switch not in ("open", "close"):
        raise ValidationError({"evaluation": "Unknown change."}, status=404)
    _lock(evaluation)
    if switch == "open":
        if evaluation.state == EvaluationState.OPEN:
            raise ValidationError({"evaluation": "The evaluation is already open."}, status=409)
        if not evaluation.questions:
            raise ValidationError({"evaluation": "Add at least one question before opening it."}, status=409)
        evaluation.state, evaluation.opened_at, evaluation.closed_at = EvaluationState.OPEN, utcnow(), None
    else:
        if evaluation.state != EvaluationState.OPEN:
            raise ValidationError({"evaluation": "The evaluation is not open."}, status=409)
        release_waiting(evaluation, everything=True)
        evaluation.state, evaluation.closed_at = EvaluationState.CLOSED, utcnow()
    _record(evaluation, actor, f"evaluation {'opened' if switch == 'open' else 'closed'}")
    return evaluation


def open_due_evaluations() -> list[int]:
    """The deadline sweep (every worker runs it): open the drafts set to open when their workshop's last session
    has ended. One conditional UPDATE each, so exactly one worker opens each; returns the ids this call opened."""
    last_end = (select(func.max(AgendaSession.ends_at)).where(AgendaSession.workshop_id == Evaluation.workshop_id)
                .scalar_subquery())
    has_questions = exists().where(EvaluationQuestion.evaluation_id == Evaluation.id)
    due = db.session.scalars(select(Evaluation.id).where(
        Evaluation.state == EvaluationState.DRAFT, Evaluation.open_at_end, last_end <= utcnow(),
        has_questions)).all()
    opened = []
    for evaluation_id in due:
        done = db.session.execute(
            update(Evaluation).where(Evaluation.id == evaluation_id, Evaluation.state == EvaluationState.DRAFT,
                                     Evaluation.open_at_end)
            .values(state=EvaluationState.OPEN, opened_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount == 1
        if done:
            evaluation = db.session.get(Evaluation, evaluation_id)
            _record(evaluation, None, "evaluation opened", "the last session ended")
            opened.append(evaluation_id)
        db.session.commit()
    return opened


def waiting_count(evaluation: Evaluation) -> int:
    return db.session.scalar(select(func.count()).select_from(EvaluationInbox)
                             .where(EvaluationInbox.evaluation_id == evaluation.id))


def release_waiting(evaluation: Evaluation, *, everything: bool = False) -> int:
    """Move the anonymous responses waiting in the inbox into the responses, in a random order, once at least
    ``BATCH`` wait (or all of them, ``everything``, when the evaluation closes); returns how many moved. The
    caller commits: the batch shares that transaction, its ``xmin`` and its stretch of the table."""
    _lock(evaluation)  # then no response in flight is half seen, and no other worker moves the same rows
    waiting = list(db.session.scalars(select(EvaluationInbox).where(EvaluationInbox.evaluation_id == evaluation.id)))
    if not waiting or (len(waiting) < BATCH and not everything):
        return 0
    secrets.SystemRandom().shuffle(waiting)
    for item in waiting:
        db.session.add(EvaluationResponse(
            evaluation_id=evaluation.id, country=item.country,
            answers=[EvaluationAnswer(question_id=question_id, rating=rating, text=text)
                     for question_id, rating, text in item.answers]))
        db.session.delete(item)
    db.session.flush()
    return len(waiting)


def release_waiting_responses() -> int:
    """The deadline sweep (every worker runs it): each evaluation's waiting anonymous responses, moved in
    batches of at least ``BATCH``, and what is left in a closed one. Returns how many moved."""
    full = (select(EvaluationInbox.evaluation_id).group_by(EvaluationInbox.evaluation_id)
            .having(func.count() >= BATCH))
    left_in_closed = (select(EvaluationInbox.evaluation_id).join(Evaluation)
                      .where(Evaluation.state == EvaluationState.CLOSED))
    due = db.session.scalars(full.union(left_in_closed)).all()
    db.session.rollback()
    moved = 0
    for evaluation_id in due:
        evaluation = db.session.get(Evaluation, evaluation_id)
        if evaluation is not None:
            moved += release_waiting(evaluation, everything=evaluation.state == EvaluationState.CLOSED)
        db.session.commit()
    return moved


def _record(evaluation: Evaluation, actor: Person | None, action: str, detail: str = "") -> None:
    audit.record(evaluation.workshop_id, actor, action, detail=detail[:2000])
    _changed(evaluation)


def _changed(evaluation: Evaluation) -> None:
    announce(STATE_TOPIC, evaluation.workshop_id)
    revisions.bump(live_target(evaluation.workshop_id))


# Answering -----------------------------------------------------------------------------------------

def clean_answers(evaluation: Evaluation, form: dict[str, str]) -> list[EvaluationAnswer]:
    """The answers in a sent form (``q<id>`` fields; unanswered questions left out), or ValidationError naming
    each wrong field. Nothing is required: a participant may skip a session they did not attend."""
    errors: dict[str, str] = {}
    answers = []
    for question in evaluation.questions:
        name = f"q{question.id}"
        raw = (form.get(name) or "").strip()
        if not raw:
            continue
        if question.kind == QuestionKind.RATING:
            if raw not in {str(n) for n in range(RATING_MIN, RATING_MAX + 1)}:
                errors[name] = f"Choose a rating from {RATING_MIN} to {RATING_MAX}."
                continue
            answers.append(EvaluationAnswer(question_id=question.id, rating=int(raw)))
        else:
            if _control_characters(raw, allowed=COMMENT_WHITESPACE):
                errors[name] = ("This comment has control characters (such as a NUL byte) that cannot be stored; "
                                "only line breaks and tabs can. Remove them and send again: nothing was saved.")
                continue
            if len(raw) > MAX_COMMENT:
                errors[name] = (f"This comment is {len(raw)} characters long; the limit is {MAX_COMMENT}. "
                                "Shorten it and send again: nothing was saved, and your answers are kept.")
                continue
            answers.append(EvaluationAnswer(question_id=question.id, text=raw))
    if errors:
        raise ValidationError(errors)
    if not answers:
        raise ValidationError({"evaluation": "Answer at least one question before sending."})
    return answers


def respond(evaluation: Evaluation, person: Person, membership: Membership, form: dict[str, str]) -> None:
    """Store the person's one response and commit it; ValidationError (400, 409) and nothing stored otherwise.

    The evaluation's lock comes first (see the module's docstring), then the respondent row: on PostgreSQL a
    second send waits on the first's uncommitted row and then fails on the primary key; on SQLite it waits for
    the database's lock and then finds the row. Either way the second send of two tabs is refused, only the
    first response exists, and a close committed meanwhile is seen. Nothing else records the response: no
    audit line (its time would name the respondent of an anonymous response). An anonymous response goes to the
    inbox, not to the responses (see ``release_waiting``).
    """
    answers = clean_answers(evaluation, form)
    try:
        _lock(evaluation, share=True)
        db.session.add(EvaluationRespondent(evaluation_id=evaluation.id, person_id=person.id))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ValidationError({"evaluation": ANSWERED_ALREADY}, status=409) from None
    if evaluation.state != EvaluationState.OPEN:
        db.session.rollback()
        raise ValidationError({"evaluation": NOT_OPEN}, status=409)
    country = membership.country if membership.country_confirmed_at else None
    if evaluation.anonymous:
        db.session.add(EvaluationInbox(evaluation_id=evaluation.id, country=country,
                                       answers=[[a.question_id, a.rating, a.text] for a in answers]))
    else:
        db.session.add(EvaluationResponse(evaluation_id=evaluation.id, answers=answers, person_id=person.id,
                                          submitted_at=utcnow(), country=country))
    revisions.commit_busy(live_target(evaluation.workshop_id), RESPONSES_TOPIC, evaluation.workshop_id)


# Results -------------------------------------------------------------------------------------------

# The group of respondents with no confirmed country (self-registered, not yet confirmed by an organizer): a
# group like the countries, under the same small-group rule, shown last as "Not stated".
NOT_STATED = ""


@dataclass
class CountryRow:
    country: str  # code, or NOT_STATED
    answers: int
    mean: float

    @property
    def name(self) -> str:
        return country_name(self.country) if self.country != NOT_STATED else "Not stated"


@dataclass
class QuestionResult:
    question: EvaluationQuestion
    counts: list[int] = field(default_factory=list)  # answers per rating, RATING_MIN first
    comments: list[str] = field(default_factory=list)
    countries: list[CountryRow] = field(default_factory=list)  # shown groups only
    hidden_answers: int = 0  # answers from groups not shown (never fewer than SMALL_GROUP unless none)

    @property
    def answers(self) -> int:
        return sum(self.counts) if self.question.kind == QuestionKind.RATING else len(self.comments)

    @property
    def mean(self) -> float | None:
        total = sum(self.counts)
        if not total:
            return None
        return sum(rating * n for rating, n in zip(range(RATING_MIN, RATING_MAX + 1), self.counts)) / total

    @property
    def scale(self) -> tuple[str, ...]:
        return scale_of(self.question)


def shown_groups(sizes: dict[str, int], minimum: int = SMALL_GROUP) -> set[str]:
    """The groups that may be shown beside the total: none under ``minimum``, and what is hidden together never
    a single group nor fewer than ``minimum`` answers (else total minus the shown ones would reveal it): the
    smallest shown groups are hidden too until it is neither."""
    shown = {name for name, size in sizes.items() if size >= minimum}
    hidden = set(sizes) - shown
    while hidden and shown and (len(hidden) == 1 or sum(sizes[name] for name in hidden) < minimum):
        smallest = min(shown, key=lambda name: (sizes[name], name))
        shown.remove(smallest)
        hidden.add(smallest)
    return shown


def results(evaluation: Evaluation) -> list[QuestionResult]:
    """Every question's distribution (counted in SQL), comments and breakdown by country."""
    by_id = {question.id: QuestionResult(question, counts=[0] * (RATING_MAX - RATING_MIN + 1))
             for question in evaluation.questions}
    for question_id, rating, n in db.session.execute(
            select(EvaluationAnswer.question_id, EvaluationAnswer.rating, func.count())
            .join(EvaluationQuestion).where(EvaluationQuestion.evaluation_id == evaluation.id,
                                            EvaluationAnswer.rating.is_not(None))
            .group_by(EvaluationAnswer.question_id, EvaluationAnswer.rating)):
        by_id[question_id].counts[rating - RATING_MIN] = n
    for question_id, text in db.session.execute(
            select(EvaluationAnswer.question_id, EvaluationAnswer.text)
            .join(EvaluationQuestion).where(EvaluationQuestion.evaluation_id == evaluation.id,
                                            EvaluationAnswer.text.is_not(None))
            .order_by(EvaluationAnswer.response_id)):  # random ids: no order of arrival
        by_id[question_id].comments.append(text)
    per_country: dict[int, dict[str, tuple[int, float]]] = {}
    for question_id, country, n, mean in db.session.execute(
            select(EvaluationAnswer.question_id, EvaluationResponse.country, func.count(),
                   func.avg(EvaluationAnswer.rating))
            .join(EvaluationResponse).join(EvaluationQuestion)
            .where(EvaluationQuestion.evaluation_id == evaluation.id, EvaluationAnswer.rating.is_not(None))
            .group_by(EvaluationAnswer.question_id, EvaluationResponse.country)):
        per_country.setdefault(question_id, {})[country or NOT_STATED] = (n, float(mean))
    for question_id, groups in per_country.items():
        shown = shown_groups({country: n for country, (n, _) in groups.items()})
        result = by_id[question_id]
        result.countries = sorted((CountryRow(country, n, mean) for country, (n, mean) in groups.items()
                                   if country in shown), key=lambda row: (row.country == NOT_STATED, row.name))
        result.hidden_answers = result.answers - sum(row.answers for row in result.countries)
    return list(by_id.values())


def sections(items: list) -> list[tuple[Section, str, list]]:
    """Questions (or their results) grouped by section, in the evaluation's order."""
    grouped: dict[Section, list] = {}
    for item in items:
        question = getattr(item, "question", item)
        grouped.setdefault(question.section, []).append(item)
    return [(section, SECTION_TITLES[section], grouped[section]) for section in Section if section in grouped]


def export_rows(evaluation: Evaluation) -> tuple[list[str], list[list]]:
    """One row per response, one column per question. Anonymous: no person and no country (a country of a few
    people would point at them); named: the person's name, country and time of sending."""
    questions = evaluation.questions
    header = [f"Q{question.position}: {question.text}" for question in questions]
    answers: dict[tuple[str, int], EvaluationAnswer] = {
        (answer.response_id, answer.question_id): answer for answer in db.session.scalars(
            select(EvaluationAnswer).join(EvaluationResponse)
            .where(EvaluationResponse.evaluation_id == evaluation.id))}
    responses = db.session.execute(
        select(EvaluationResponse, Person.name).outerjoin(Person, Person.id == EvaluationResponse.person_id)
        .where(EvaluationResponse.evaluation_id == evaluation.id)
        .order_by(Person.name if not evaluation.anonymous else EvaluationResponse.id)).all()

    def cell(response_id: str, question: EvaluationQuestion):
        answer = answers.get((response_id, question.id))
        if answer is None:
            return ""
        return answer.rating if answer.rating is not None else answer.text

    rows = []
    for response, name in responses:
        values = [cell(response.id, question) for question in questions]
        if evaluation.anonymous:
            rows.append(values)
        else:
            rows.append([name or "(account deleted)", country_name(response.country),
                         response.submitted_at.isoformat() if response.submitted_at else "", *values])
    if evaluation.anonymous:
        return header, rows
    return ["name", "country", "sent (UTC)", *header], rows

