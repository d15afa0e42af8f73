"""Limits on what one person repeats: votes, questions, upvotes, note saves and requests for help.

Each feature's service calls :func:`check` just before it writes, so the limit
holds whether the action came over the socket or over HTTP, and an attempt
refused for another reason (a closed poll, a blocked word) uses up nothing.
Counting is one atomic ``hit`` of the ``limits`` package (a moving window) in
the storage of ``RATELIMIT_STORAGE_URI``: Redis when configured, so every
worker counts the same hits; else the process's memory. Over the limit the
service raises ``ValidationError`` (429) before writing anything.

The limits are settings (``WORKSHOP_VOTE_LIMIT`` and so on, see
:mod:`workshop.config`) in the ``limits`` notation, e.g. "20 per 10 seconds";
keys start with ``ACTION_LIMIT_PREFIX``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

import limits
from flask import current_app
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from workshop.config import is_redis_url
from workshop.errors import ValidationError

log = logging.getLogger("workshop")


@dataclass(frozen=True)
class Limited:
    setting: str  # the config key holding the limit
    field: str  # where the form or the live view shows the refusal
    message: str  # said over the limit; {wait} becomes "8 seconds"


ACTIONS = {
    "vote": Limited("VOTE_LIMIT", "poll", "You are voting too fast; wait {wait} and try again."),
    "question": Limited("QUESTION_LIMIT", "text", "You are asking questions too fast; wait {wait} and ask again."),
    "upvote": Limited("UPVOTE_LIMIT", "question", "You are upvoting too fast; wait {wait} and try again."),
    "note save": Limited("NOTE_SAVE_LIMIT", "notes",
                         "You are saving the notes too often; wait {wait} and save again. Your text is still here."),
    "help request": Limited("HELP_REQUEST_LIMIT", "help",
                            "You have asked for help several times just now; wait {wait} before asking again."),
}


def check(action: str, person_id: int) -> None:
    """Count one more ``action`` by the person; over its limit, ValidationError (429) and nothing counted.

    If the storage does not answer (Redis away), the action goes through: a
    limit is a guard against floods, and must not stop a workshop.
    """
    limited = ACTIONS[action]
    counter = _counter()
    item = limits.parse(current_app.config[limited.setting])
    key = (current_app.config["ACTION_LIMIT_PREFIX"], action, str(person_id))
    try:
        allowed = counter.limiter.hit(item, *key)
    except StorageError as error:
        counter.failed(error)
        return
    counter.answered()
    if not allowed:
        raise ValidationError({limited.field: limited.message.format(wait=_wait(counter, item, key))}, status=429)


def _wait(counter: _Counter, item: limits.RateLimitItem, key: tuple[str, ...]) -> str:
    """Until the oldest hit in the window expires; the whole window if the storage fails just now."""
    try:
        delay = counter.limiter.get_window_stats(item, *key).reset_time - time.time()
    except StorageError:
        delay = item.get_expiry()
    seconds = max(1, math.ceil(delay))
    return "1 second" if seconds == 1 else f"{seconds} seconds"


# How often the process's own storage forgets expired hits.
SWEEP_SECONDS = 1.0


class SweptMemoryStorage(MemoryStorage):
    """The ``limits`` memory storage, its expired hits swept once a second instead of 10 ms after every hit.

    Each sweep walks every key (a person and an action): under a vote storm with a thousand voters the
    library's sweeps cost more CPU than the votes. Counting does not depend on them (a hit is compared with
    the window's own timestamps); they only keep memory bounded.
    """

    def __init__(self, uri: str, **options):
        super().__init__(uri, **options)
        self.timer.cancel()  # the library's first sweep, 10 ms from now; the first hit schedules ours
        self._sweep_due = 0.0  # no sweep is waiting before this moment (monotonic clock)

    # Replace the library's private scheduler and sweep, which its methods call as ``self.__schedule_expiry()``.
    # The due time, not ``timer.is_alive()``: under gevent a timer that had just started sometimes read as not
    # alive, and every such hit started a sweep of its own (six per vote in a 1,000-voter storm, measured).
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._sweep_due:
            self._sweep_due = now + SWEEP_SECONDS
            self.timer = threading.Timer(SWEEP_SECONDS, self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()

    def _MemoryStorage__expire_events(self) -> None:
        MemoryStorage._MemoryStorage__expire_events(self)
        for key in [key for key, hits in self.events.items() if not hits]:
            with self.locks[key]:  # the library keeps a key whose hits all expired: forget it too
                if not self.events.get(key):
                    self.events.pop(key, None)
                    self.locks.pop(key, None)
        self._sweep_due = 0.0
        if self.events or self.expirations:  # hits still in their window: sweep again, not only at the next hit
            self._MemoryStorage__schedule_expiry()


def _storage(uri: str):
    if uri.startswith("memory://"):
        return SweptMemoryStorage(uri, wrap_exceptions=True)
    # Redis's own timeouts are unbounded: a stalled server must not hold a vote for long.
    options = {"socket_timeout": 1, "socket_connect_timeout": 1} if is_redis_url(uri) else {}
    return storage_from_string(uri, wrap_exceptions=True, **options)


class _Counter:
    """The app's limiter over its storage, and whether the storage is failing (to log an outage once)."""

    def __init__(self, uri: str):
        self.limiter = MovingWindowRateLimiter(_storage(uri))
        self.failing = False

    def failed(self, error: StorageError) -> None:
        if not self.failing:
            log.warning("action limits not counted, the storage is not answering: %s", error)
        self.failing = True

    def answered(self) -> None:
        if self.failing:
            log.info("action limits are counted again")
        self.failing = False


_creating = threading.Lock()


def _counter() -> _Counter:
    extensions = current_app.extensions
    if "action_limits" not in extensions:
        with _creating:  # one storage per app: two memory storages would each allow the whole limit
            if "action_limits" not in extensions:
                extensions["action_limits"] = _Counter(current_app.config["RATELIMIT_STORAGE_URI"])
    return extensions["action_limits"]
