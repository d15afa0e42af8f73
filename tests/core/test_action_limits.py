"""The limits on repeated actions (workshop.action_limits): settings, per person and action, the window,
counts shared by workers through Redis, and actions let through while the storage is away.

Each feature's limit over its own transport: tests/polls/test_limits.py, tests/qa/test_limits.py,
tests/breakouts/test_limits.py.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from pathlib import Path

import pytest
import redis

from tests.live.server import free_port
from workshop import action_limits, config, create_app
from workshop.errors import ValidationError


def limited_app(**settings):
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "ASYNC_MODE": "threading", "TESTING": True,
                       **settings})


def refusal(app, action: str, person_id: int) -> ValidationError | None:
    with app.app_context():
        try:
            action_limits.check(action, person_id)
        except ValidationError as refused:
            return refused
    return None


def test_the_defaults_are_more_than_a_real_session_needs_and_each_is_a_setting(monkeypatch, tmp_path: Path):
    settings = config.settings_from_env(tmp_path)
    assert {name: settings[name] for name in config.ACTION_LIMITS} == {
        "VOTE_LIMIT": "20 per 10 seconds", "QUESTION_LIMIT": "3 per minute", "UPVOTE_LIMIT": "60 per minute",
        "NOTE_SAVE_LIMIT": "120 per minute", "HELP_REQUEST_LIMIT": "3 per minute"}
    monkeypatch.setenv("WORKSHOP_VOTE_LIMIT", "5/second")
    monkeypatch.setenv("WORKSHOP_ACTION_LIMIT_PREFIX", "install-b")
    settings = config.settings_from_env(tmp_path)
    assert settings["VOTE_LIMIT"] == "5/second" and settings["ACTION_LIMIT_PREFIX"] == "install-b"


@pytest.mark.parametrize("value", ["often", "20 per fortnight", "-3 per minute", "0 per minute"])
def test_a_limit_that_is_not_one_stops_the_start_with_its_name(monkeypatch, tmp_path: Path, value):
    monkeypatch.setenv("WORKSHOP_QUESTION_LIMIT", value)
    with pytest.raises(RuntimeError, match="WORKSHOP_QUESTION_LIMIT must be a limit like '3 per minute'"):
        config.settings_from_env(tmp_path)


def test_each_person_and_each_action_has_its_own_count():
    app = limited_app(QUESTION_LIMIT="2 per minute")
    assert [refusal(app, "question", 1) for _ in range(2)] == [None, None]
    refused = refusal(app, "question", 1)
    assert refused.status == 429
    # Until the first of the two leaves the minute's window.
    assert re.fullmatch(r"You are asking questions too fast; wait (5\d|60) seconds and ask again\.",
                        refused.errors["text"])
    assert refusal(app, "question", 2) is None
    assert refusal(app, "upvote", 1) is None


def test_the_window_moves_on_and_the_message_says_how_long_to_wait():
    app = limited_app(VOTE_LIMIT="1 per 1 second")
    assert refusal(app, "vote", 1) is None
    assert refusal(app, "vote", 1).errors == {"poll": "You are voting too fast; wait 1 second and try again."}
    time.sleep(1.05)
    assert refusal(app, "vote", 1) is None



def test_the_process_storage_sweeps_expired_hits_once_a_second_not_after_every_hit(monkeypatch):
    """A sweep walks every key: a thousand voters' hits must not each schedule one 10 ms later."""
    monkeypatch.setattr(action_limits, "SWEEP_SECONDS", 0.3)
    app = limited_app(VOTE_LIMIT="1 per 1 second")
    sweeps = []
    with app.app_context():
        storage = action_limits._counter().limiter.storage
        original = storage._MemoryStorage__expire_events
        monkeypatch.setattr(storage, "_MemoryStorage__expire_events", lambda: (sweeps.append(1), original()))
        for person in range(200):
            action_limits.check("vote", person)
        assert storage.timer.interval == 0.3  # the library's scheduler is replaced, not bypassed
        assert len(storage.events) == 200
    time.sleep(1.5)
    # Each hit expired after its second, and a sweep forgot it; a sweep each 0.3 s ran meanwhile, not 200.
    assert storage.events == {} and 2 <= len(sweeps) <= 6
    assert refusal(app, "vote", 1) is None

@pytest.fixture
def prefix(redis_url):
    """A key prefix of this test's own; its keys are removed afterwards."""
    name = f"test-limits-{secrets.token_hex(4)}"
    yield name
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"*{name}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_two_workers_share_the_count_through_redis(redis_url, prefix):
    settings = {"RATELIMIT_STORAGE_URI": redis_url, "ACTION_LIMIT_PREFIX": prefix, "QUESTION_LIMIT": "3 per minute"}
    first, second = limited_app(**settings), limited_app(**settings)
    assert [refusal(first, "question", 7), refusal(second, "question", 7), refusal(first, "question", 7)] == \
        [None, None, None]
    assert refusal(second, "question", 7).status == 429
    assert refusal(first, "question", 7).status == 429
    assert list(redis.Redis.from_url(redis_url).scan_iter(f"*{prefix}/question/7*")), "not counted in Redis"


def test_with_the_storage_away_actions_go_through_and_the_outage_is_logged_once(caplog):
    app = limited_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0", VOTE_LIMIT="1 per minute")
    with caplog.at_level(logging.WARNING, logger="workshop"):
        assert [refusal(app, "vote", 1) for _ in range(3)] == [None, None, None]
    outages = [r for r in caplog.records if "action limits not counted" in r.getMessage()]
    assert len(outages) == 1
