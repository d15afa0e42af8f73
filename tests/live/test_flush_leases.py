"""Several workers with the same key marked: one broadcast per flush interval between them, and nothing dropped."""

from __future__ import annotations

import secrets
import time

from flask import Flask

from workshop.live.broadcast import Coalescer, FlushLeases

INTERVAL = 0.2


def worker(redis_url: str | None) -> tuple[Coalescer, list[str]]:
    """A coalescer as one worker has it, and the list its jobs write to when they run."""
    ran: list[str] = []
    return Coalescer(Flask(__name__), INTERVAL, FlushLeases(redis_url, INTERVAL)), ran


def test_two_workers_with_the_same_key_send_it_once_per_interval_and_the_other_later(redis_url):
    key = ("poll", secrets.token_hex(4))  # a key of this test's own
    (first, first_ran), (second, second_ran) = worker(redis_url), worker(redis_url)
    first._running = second._running = True  # inside their flush loops, as a mark from a vote finds them
    first.mark(key, lambda: first_ran.append("first"), whole_state=True)
    second.mark(key, lambda: second_ran.append("second"), whole_state=True)

    first.flush()
    second.flush()
    assert first_ran == ["first"] and second_ran == []
    assert key in second._pending  # kept for its next flush: the first may have rendered before its change

    time.sleep(INTERVAL + 0.05)
    second.flush()
    assert second_ran == ["second"] and key not in second._pending


def test_without_a_shared_queue_every_flush_sends():
    key = ("poll", 1)
    (first, first_ran), (second, second_ran) = worker(None), worker(None)
    first._running = second._running = True
    first.mark(key, lambda: first_ran.append("first"), whole_state=True)
    second.mark(key, lambda: second_ran.append("second"), whole_state=True)
    first.flush()
    second.flush()
    assert first_ran == ["first"] and second_ran == ["second"]


def test_a_job_that_sends_only_this_workers_changes_is_never_held_back(redis_url):
    key = ("questions", secrets.token_hex(4))
    (first, first_ran), (second, second_ran) = worker(redis_url), worker(redis_url)
    first._running = second._running = True
    first.mark(key, lambda: first_ran.append("first"))
    second.mark(key, lambda: second_ran.append("second"))
    first.flush()
    second.flush()
    assert first_ran == ["first"] and second_ran == ["second"]


def test_redis_away_means_send_and_let_the_send_find_out():
    key = ("poll", 2)
    lonely, ran = worker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    lonely._running = True
    lonely.mark(key, lambda: ran.append("sent"), whole_state=True)
    lonely.flush()
    assert ran == ["sent"]
