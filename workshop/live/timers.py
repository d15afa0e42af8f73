"""Periodic work in each served worker: deadline sweeps, lost connections and the presence heartbeat.

Every worker runs every sweep. A sweep ends what is due with one atomic
``UPDATE ... WHERE still open AND deadline <= now``, so when several workers
sweep at once exactly one of them ends each item and broadcasts it; and when
the worker that started a countdown died, another one still ends it.

The server starts the timers (``workshop.serve``, the gunicorn hooks in
``deploy/gunicorn.conf.py``); apps made in tests without serving have none.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from workshop.extensions import socketio
from workshop.live.handlers import drop_lost_connections

log = logging.getLogger(__name__)

SWEEP_SECONDS = 0.5
# How long a page whose socket went while it was being accepted may still be counted online, at most.
LOST_CONNECTIONS_SECONDS = 5.0


@dataclass(frozen=True)
class Job:
    name: str
    every: float  # seconds between the end of one run and the start of the next
    run: Callable[[], object]
    once_more_at_stop: bool = False  # for work buffered in memory: the last of it is written as the worker stops


_deadline_sweeps: list[Callable[[], object]] = []


def on_deadline(sweep: Callable[[], object]) -> None:
    """A feature's "end what is due" function (close polls whose time is up), run by every worker."""
    if sweep not in _deadline_sweeps:
        _deadline_sweeps.append(sweep)


def deadline_sweeps() -> list[Callable[[], object]]:
    return list(_deadline_sweeps)


_feature_jobs: dict[str, Job] = {}


def on_timer(job: Job) -> None:
    """A feature's periodic work in every served worker (attendance writes its buffered intervals)."""
    _feature_jobs[job.name] = job


def live_jobs(app: Flask) -> list[Job]:
    jobs = [Job(f"deadline sweep {sweep.__module__}.{sweep.__name__}", SWEEP_SECONDS, sweep)
            for sweep in deadline_sweeps()] if app.config["DEADLINE_SWEEPS"] else []
    jobs.append(Job("lost connections", LOST_CONNECTIONS_SECONDS, drop_lost_connections))
    jobs += _feature_jobs.values()
    if app.extensions["presence"].shared:
        from workshop.live.presence import renew_presence, sweep_expired_presence

        heartbeat = app.config["PRESENCE_HEARTBEAT_SECONDS"]
        jobs += [Job("presence heartbeat", heartbeat, renew_presence),
                 # Often enough that a dead worker's people are gone well within expiry + one heartbeat.
                 Job("presence sweep", max(1.0, heartbeat / 3), sweep_expired_presence)]
    return jobs


class Timers:
    """Runs each job in a background task of its own, so a slow one never delays another."""

    def __init__(self, app: Flask, jobs: list[Job]):
        self.app = app
        self.jobs = jobs
        self._stopping = threading.Event()
        self._tasks = []

    def start(self) -> None:
        for job in self.jobs:
            self._tasks.append(socketio.start_background_task(self._loop, job))

    def stop(self, timeout: float = 5.0) -> None:
        """Start no more runs; wait (up to ``timeout``) for the runs under way to end."""
        self._stopping.set()
        for task in self._tasks:
            task.join(timeout)
        self._tasks = []

    def _loop(self, job: Job) -> None:
        failing = False
        while not self._stopping.wait(job.every):
            # A request context, as a broadcast needs one to build links (url_for).
            with self.app.test_request_context("/"):
                try:
                    job.run()
                except Exception:
                    if not failing:  # once when it starts failing (say, the database is down), not every tick
                        log.exception("%s failed; retrying every %s s", job.name, job.every)
                    failing = True
                    continue
            if failing:
                log.info("%s works again", job.name)
            failing = False
        if job.once_more_at_stop:
            with self.app.test_request_context("/"):
                try:
                    job.run()
                except Exception:
                    log.exception("%s failed as the worker stopped", job.name)

