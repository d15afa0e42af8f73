"""The rule as a pure function: who meets it, from sessions and seconds attended."""

from workshop.agenda.models import SessionKind
from workshop.certificates.models import RuleKind
from workshop.certificates.rules import Rule, ScheduledSession, standing, standings, threshold_error

HOUR = 3600
SESSIONS = [
    ScheduledSession(1, SessionKind.PLENARY, 2 * HOUR),
    ScheduledSession(2, SessionKind.PLENARY, 2 * HOUR),
    ScheduledSession(3, SessionKind.BREAKOUT, HOUR),
    ScheduledSession(4, SessionKind.BREAK, HOUR),
]


def test_plenary_share_counts_only_plenary_minutes():
    rule = Rule(RuleKind.PLENARY_SHARE, 75)
    assert standing(rule, SESSIONS, {1: 2 * HOUR, 2: HOUR}) == standing(rule, SESSIONS, {1: 2 * HOUR, 2: HOUR, 3: HOUR})
    assert standing(rule, SESSIONS, {1: 2 * HOUR, 2: HOUR}).meets is True  # exactly 75%
    assert standing(rule, SESSIONS, {1: 2 * HOUR, 2: HOUR - 1}).meets is False  # 74.99%: not rounded up
    assert standing(rule, SESSIONS, {1: 2 * HOUR, 2: HOUR - 1}).value == 74


def test_time_beyond_a_session_does_not_make_up_for_another():
    rule = Rule(RuleKind.PLENARY_SHARE, 75)
    assert standing(rule, SESSIONS, {1: 10 * HOUR}).value == 50


def test_no_plenary_means_no_one_meets_a_plenary_share():
    rule = Rule(RuleKind.PLENARY_SHARE, 1)
    assert standing(rule, [ScheduledSession(3, SessionKind.BREAKOUT, HOUR)], {3: HOUR}).meets is False


def test_sessions_count_when_half_attended_and_breaks_do_not_count():
    rule = Rule(RuleKind.SESSIONS, 2)
    assert standing(rule, SESSIONS, {1: HOUR, 3: HOUR // 2}).meets is True
    assert standing(rule, SESSIONS, {1: HOUR, 3: HOUR // 2 - 1}).value == 1
    assert standing(rule, SESSIONS, {1: HOUR, 4: HOUR}).meets is False


def test_people_never_seen_stand_at_zero():
    found = standings(Rule(RuleKind.SESSIONS, 1), SESSIONS, {7: {1: 2 * HOUR}}, [7, 8])
    assert found[7].meets and not found[8].meets and found[8].value == 0


def test_thresholds_out_of_range_are_named():
    assert threshold_error(RuleKind.PLENARY_SHARE, 0) and threshold_error(RuleKind.PLENARY_SHARE, 101)
    assert threshold_error(RuleKind.SESSIONS, 0)
    assert threshold_error(RuleKind.PLENARY_SHARE, 100) is None and threshold_error(RuleKind.SESSIONS, 14) is None


def test_rules_describe_themselves():
    assert Rule(RuleKind.PLENARY_SHARE, 75).describe() == "present for at least 75% of the plenary minutes"
    assert Rule(RuleKind.SESSIONS, 1).describe() == "present for at least half of each of 1 session"
