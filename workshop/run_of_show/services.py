"""What is live in a session now, read through the features' own services, and what a moderator does next."""

from __future__ import annotations

from dataclasses import dataclass

from workshop.agenda.models import AgendaSession
from workshop.breakouts import services as breakouts
from workshop.breakouts.models import BreakoutRound, RoundState
from workshop.polls import services as polls
from workshop.polls.models import Poll, PollState
from workshop.qa import services as qa
from workshop.qa.models import Question, QuestionStatus


@dataclass(frozen=True)
class RunOfShow:
    open_polls: list[Poll]
    next_draft: Poll | None      # the first poll prepared and never opened
    waiting: list[Question]      # questions awaiting moderation, oldest first
    pinned: Question | None      # the question being answered
    open_questions: int          # approved, not yet answered
    breakout_round: BreakoutRound | None  # the open round, else the next draft, else none

    @property
    def poll_step(self) -> str:
        if self.open_polls:
            return "Watch the turnout; close the poll when enough have voted, and show the results if they are hidden."
        if self.next_draft is not None:
            return "Open the next poll when the speaker is ready."
        return "No poll is prepared: prepare one on the polls page."

    @property
    def question_step(self) -> str:
        if self.waiting:
            waiting = len(self.waiting)
            return f"Approve or dismiss the {waiting} question{'s' if waiting > 1 else ''} awaiting moderation."
        if self.pinned is not None:
            return "Mark the pinned question answered when the speaker is done, then pin the next."
        if self.open_questions:
            return "Pin the question the speaker takes next."
        return "Nothing waits: questions appear here as participants ask them."

    @property
    def breakout_step(self) -> str:
        if self.breakout_round is None:
            return "No breakout round is prepared: create one on the breakouts page."
        if self.breakout_round.state == RoundState.OPEN:
            return "Send a message to every room if needed; extend or close the round when the time is up."
        return "Open the round when the plenary is ready to split."


def run_of_show(session: AgendaSession) -> RunOfShow:
    session_polls = polls.polls_of(session)
    questions = qa.queue_of(session.id)
    rounds = breakouts.rounds_of(session)
    current = next((r for r in rounds if r.state == RoundState.OPEN), None) or \
        next((r for r in rounds if r.state == RoundState.DRAFT), None)
    return RunOfShow(
        open_polls=[p for p in session_polls if p.state == PollState.OPEN],
        next_draft=next((p for p in session_polls if p.state == PollState.DRAFT), None),
        waiting=[q for q in questions if q.status == QuestionStatus.PENDING],
        pinned=next((q for q in questions if q.pinned), None),
        open_questions=sum(q.status == QuestionStatus.APPROVED for q in questions),
        breakout_round=current)
