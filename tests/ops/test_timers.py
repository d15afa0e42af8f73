"""Timers in each worker: jobs that repeat, survive their own failures and stop cleanly; deadlines end once."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.conftest import app_settings
from tests.polls.conftest import room  # noqa: F401  (fixture: a workshop with a session and participants)
from workshop import create_app
from workshop.breakouts.live import end_due_rounds
from workshop.evaluation.services import open_due_evaluations, release_waiting_responses
from workshop.db import db, utcnow
from workshop.live.presence import Presence
from workshop.live.timers import Job, Timers, deadline_sweeps, live_jobs
from workshop.polls.live import close_due_polls
from workshop.polls.models import Poll, PollKind, PollState


def test_a_job_runs_again_and_again_until_stopped(app):
    runs = []
    timers = Timers(app, [Job("count", 0.02, lambda: runs.append(time.monotonic()))])
    timers.start()
    time.sleep(0.3)
    started = time.monotonic()
    timers.stop()
    assert time.monotonic() - started < 0.5, "stopping does not wait out the interval"
    stopped_at = len(runs)
    assert stopped_at >= 5
    time.sleep(0.1)
    assert len(runs) == stopped_at, "no run after stop"


def test_a_failing_job_is_logged_once_keeps_running_and_says_when_it_works_again(app, caplog):
    caplog.set_level(logging.INFO, logger="workshop.live.timers")
    failures = {"left": 5}
    runs = []

    def flaky():
        runs.append(1)
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("database away")

    timers = Timers(app, [Job("flaky sweep", 0.02, flaky)])
    timers.start()
    deadline = time.monotonic() + 3
    while len(runs) < 8 and time.monotonic() < deadline:
        time.sleep(0.02)
    timers.stop()
    messages = [record.getMessage() for record in caplog.records]
    assert sum("flaky sweep failed" in m for m in messages) == 1, messages
    assert sum("flaky sweep works again" in m for m in messages) == 1, messages


def test_every_worker_sweeps_polls_breakout_rounds_evaluations_and_lost_connections(app):
    assert deadline_sweeps() == [close_due_polls, end_due_rounds, open_due_evaluations,
                                 release_waiting_responses]
    names = [job.name for job in live_jobs(app)]
    assert names == ["deadline sweep workshop.polls.live.close_due_polls",
                     "deadline sweep workshop.breakouts.live.end_due_rounds",
                     "deadline sweep workshop.evaluation.services.open_due_evaluations",
                     "deadline sweep workshop.evaluation.services.release_waiting_responses", "lost connections",
                     "attendance flush", "attendance sweep"]
    assert all(job.every <= 1 for job in live_jobs(app) if job.name.startswith("deadline sweep"))


def test_with_shared_presence_a_worker_also_beats_and_sweeps_expired_connections(app, redis_url):
    from workshop.live.presence import RedisPresence

    app.extensions["presence"] = RedisPresence(redis_url, "test-unused:", app.config["PRESENCE_EXPIRY_SECONDS"])
    jobs = {job.name: job for job in live_jobs(app)}
    assert jobs["presence heartbeat"].every == app.config["PRESENCE_HEARTBEAT_SECONDS"]
    assert jobs["presence sweep"].every < app.config["PRESENCE_HEARTBEAT_SECONDS"]
    app.extensions["presence"] = Presence()
    assert "presence heartbeat" not in {job.name for job in live_jobs(app)}


def _make_due(poll: Poll) -> None:
    db.session.execute(update(Poll).where(Poll.id == poll.id).values(closes_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_a_due_poll_is_closed_by_the_sweep(room):
    due = room.poll(PollKind.SINGLE.value, duration_seconds="10")
    running = room.poll(PollKind.SINGLE.value, duration_seconds="60")
    without_countdown = room.poll(PollKind.SINGLE.value)
    _make_due(due)
    assert close_due_polls() == [due.id]
    assert close_due_polls() == []
    db.session.expire_all()
    assert db.session.get(Poll, due.id).state == PollState.CLOSED
    assert db.session.get(Poll, running.id).state == PollState.OPEN
    assert db.session.get(Poll, without_countdown.id).state == PollState.OPEN


@pytest.fixture
def second_worker(app):
    """Another app on the same database, as a second worker process would be."""
    other = create_app(app_settings(app.config["SQLALCHEMY_DATABASE_URI"]))
    yield other
    other.extensions["live_coalescer"].shutdown()
    with other.app_context():
        db.engine.dispose()


def test_two_workers_sweeping_at_the_same_moment_close_each_due_poll_exactly_once(app, room, second_worker):
    polls = [room.poll(PollKind.SINGLE.value, duration_seconds="10") for _ in range(3)]
    for poll in polls:
        _make_due(poll)
    start = threading.Barrier(2)
    closed: list[list[int]] = []

    def sweep(worker):
        with worker.test_request_context("/"):
            start.wait()
            closed.append(close_due_polls())

    workers = [threading.Thread(target=sweep, args=(worker,)) for worker in (app, second_worker)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(10)
    assert sorted(closed[0] + closed[1]) == sorted(poll.id for poll in polls), closed
    db.session.expire_all()
    assert {db.session.get(Poll, poll.id).state for poll in polls} == {PollState.CLOSED}
