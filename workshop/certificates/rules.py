"""Who earns a certificate: the rule as a pure function of the agenda's sessions and the seconds attended.

No database here: services.py reads the sessions and ``attendance.services.seconds_attended`` and asks these
functions, and the tests ask them directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workshop.agenda.models import SessionKind
from workshop.certificates.models import RuleKind

# Breaks and social events are not part of the programme one attends for a certificate.
COUNTED_KINDS = frozenset(SessionKind) - {SessionKind.BREAK, SessionKind.SOCIAL}
# A session counts towards "at least N sessions" when the person was present for at least half of it.
SESSION_ATTENDED_SHARE = 0.5
MAX_SESSIONS = 1000


@dataclass(frozen=True)
class Rule:
    kind: RuleKind
    threshold: int  # a percentage for PLENARY_SHARE, a number of sessions for SESSIONS

    def describe(self) -> str:
        if self.kind == RuleKind.PLENARY_SHARE:
            return f"present for at least {self.threshold}% of the plenary minutes"
        noun = "session" if self.threshold == 1 else "sessions"
        return f"present for at least half of each of {self.threshold} {noun}"


@dataclass(frozen=True)
class ScheduledSession:
    id: int
    kind: SessionKind
    seconds: int  # its scheduled length


@dataclass(frozen=True)
class Standing:
    """Where one person stands against a rule: ``value`` is a percentage or a number of sessions."""

    value: int
    meets: bool


def threshold_error(kind: RuleKind, threshold: int) -> str | None:
    """What is wrong with a threshold for this kind of rule, or None."""
    if kind == RuleKind.PLENARY_SHARE and not 1 <= threshold <= 100:
        return "Give a percentage from 1 to 100."
    if kind == RuleKind.SESSIONS and not 1 <= threshold <= MAX_SESSIONS:
        return f"Give a number of sessions from 1 to {MAX_SESSIONS}."
    return None


def standing(rule: Rule, sessions: Iterable[ScheduledSession], attended: Mapping[int, int]) -> Standing:
    """One person's standing; ``attended`` maps a session id to the seconds they were present in it."""
    if rule.kind == RuleKind.PLENARY_SHARE:
        plenary = [session for session in sessions if session.kind == SessionKind.PLENARY and session.seconds > 0]
        scheduled = sum(session.seconds for session in plenary)
        if not scheduled:
            return Standing(0, False)
        present = sum(min(attended.get(session.id, 0), session.seconds) for session in plenary)
        # Compared in whole seconds, not a rounded percentage: 74.6% does not meet 75%.
        return Standing(present * 100 // scheduled, present * 100 >= rule.threshold * scheduled)
    count = sum(1 for session in sessions
                if session.kind in COUNTED_KINDS and session.seconds > 0
                and attended.get(session.id, 0) >= session.seconds * SESSION_ATTENDED_SHARE)
    return Standing(count, count >= rule.threshold)


def standings(rule: Rule, sessions: Iterable[ScheduledSession], seconds_attended: Mapping[int, Mapping[int, int]],
              people: Iterable[int]) -> dict[int, Standing]:
    """Each person's standing (people never seen in any session stand at zero)."""
    sessions = list(sessions)
    return {person_id: standing(rule, sessions, seconds_attended.get(person_id, {})) for person_id in people}
