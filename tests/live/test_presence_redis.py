"""Presence kept in Redis: two instances sharing one Redis stand for two workers.

Each test has its own key prefix and deletes its keys afterwards.
"""

from __future__ import annotations

import secrets
import time

import pytest
import redis

from workshop.live.presence import Presence, RedisPresence, make_presence


@pytest.fixture
def prefix(redis_url):
    prefix = f"test-presence-{secrets.token_hex(4)}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def worker(redis_url, prefix):
    """``worker(expiry_seconds=45)``: one worker's presence, sharing Redis with the others of the test."""

    def make(expiry_seconds: float = 45) -> RedisPresence:
        return RedisPresence(redis_url, prefix, expiry_seconds)

    return make


def test_redis_is_used_when_the_message_queue_is_redis_and_the_process_otherwise(redis_url, prefix):
    shared = make_presence({"PRESENCE_URL": redis_url, "PRESENCE_PREFIX": prefix, "PRESENCE_EXPIRY_SECONDS": 45})
    assert isinstance(shared, RedisPresence) and shared.shared
    assert isinstance(make_presence({"PRESENCE_URL": None}), Presence)


def test_people_are_counted_once_across_workers_however_many_tabs(worker):
    first, second = worker(), worker()
    first.arrive("a-tab-1", workshop_id=1, person_id=10, session_id=5)
    second.arrive("b-tab-1", workshop_id=1, person_id=10, session_id=5)  # the same person, another tab, another worker
    second.arrive("b-tab-2", workshop_id=1, person_id=11)
    first.arrive("a-elsewhere", workshop_id=2, person_id=12)

    for presence in (first, second):
        assert presence.online(1)[0] == {10, 11}
        assert presence.online(2)[0] == {12}
        assert presence.in_session(5) == 1
    assert first.leave("a-tab-1") == 1
    assert second.online(1)[0] == {10, 11}, "still open in a tab on the other worker"
    assert second.leave("b-tab-1") == 1
    assert first.online(1)[0] == {11}
    assert first.in_session(5) == 0


def test_a_worker_knows_only_its_own_connections_by_socket_id(worker):
    first, second = worker(), worker()
    first.arrive("a-tab", workshop_id=1, person_id=10, session_id=5, place="breakout-room:3")
    assert first.connection("a-tab").place == "breakout-room:3"
    assert second.connection("a-tab") is None
    assert second.leave("a-tab") is None, "another worker's socket is not this worker's to forget"
    assert second.online(1)[0] == {10}


def test_places_are_shared_across_workers(worker):
    first, second = worker(), worker()
    first.arrive("a", workshop_id=1, person_id=10, session_id=5, place="breakout-room:3")
    second.arrive("b", workshop_id=1, person_id=11, session_id=5, place="breakout-room:3")
    second.arrive("c", workshop_id=1, person_id=12, session_id=5, place="breakout-room:4")
    assert first.at_place("breakout-room:3") == {10, 11}
    second.leave("b")
    assert first.at_place("breakout-room:3") == {10}
    assert first.in_session(5) == 2


def test_versions_only_grow_whichever_worker_changes_or_reads(worker):
    first, second = worker(), worker()
    versions = []
    for n in range(30):
        (first if n % 2 else second).arrive(f"tab-{n}", workshop_id=1, person_id=n)
        versions.append((second if n % 2 else first).online(1)[1])
    for n in range(30):
        (first if n % 2 else second).leave(f"tab-{n}")
        versions.append(first.online(1)[1])
    assert all(later > earlier for earlier, later in zip(versions, versions[1:]))


def test_versions_are_above_those_of_a_single_process_before(worker):
    """Switching a running install to Redis: pages showing the in-process versions still take the new ones."""
    before = Presence()
    before.arrive("tab", workshop_id=1, person_id=10)
    shared = worker()
    shared.arrive("tab", workshop_id=1, person_id=10)
    assert shared.online(1)[1] > before.online(1)[1]


def test_a_dead_workers_people_expire_and_one_sweep_reports_it(worker):
    survivor, dying = worker(expiry_seconds=1), worker(expiry_seconds=1)
    survivor.arrive("s", workshop_id=1, person_id=10, session_id=5)
    dying.arrive("d1", workshop_id=1, person_id=11, session_id=5, place="breakout-room:3")
    dying.arrive("d2", workshop_id=2, person_id=12)
    assert survivor.online(1)[0] == {10, 11}
    version_before = survivor.online(1)[1]

    # The dying worker stops renewing; the survivor keeps beating.
    deadline = time.monotonic() + 1.6
    while time.monotonic() < deadline:
        survivor.heartbeat()
        time.sleep(0.2)

    assert survivor.online(1)[0] == {10}, "expired entries are not counted even before a sweep"
    assert survivor.at_place("breakout-room:3") == set()
    expired = survivor.sweep()
    assert expired.workshops == {1, 2} and expired.sessions == {5}
    assert survivor.online(1)[1] > version_before, "the count changed, so the version moved on"
    assert survivor.online(1)[0] == {10}
    again = dying.sweep()
    assert not again.workshops and not again.sessions, "each expiry is reported once, to one sweeper"


def test_the_heartbeat_puts_back_what_redis_lost(worker, redis_url, prefix):
    """Redis restarted empty: each worker's next heartbeat writes its connections again."""
    first, second = worker(), worker()
    first.arrive("a", workshop_id=1, person_id=10, session_id=5)
    second.arrive("b", workshop_id=1, person_id=11)
    client = redis.Redis.from_url(redis_url)
    client.delete(*client.scan_iter(f"{prefix}*"))
    client.close()
    assert first.online(1)[0] == set()
    first.heartbeat()
    second.heartbeat()
    assert second.online(1)[0] == {10, 11}
    assert second.in_session(5) == 1


def test_without_redis_changes_are_kept_and_reads_answer_for_this_worker(prefix):
    unreachable = RedisPresence("redis://127.0.0.1:1/0", prefix, 45)
    unreachable.arrive("a", workshop_id=1, person_id=10, session_id=5)
    unreachable.arrive("b", workshop_id=1, person_id=11)
    assert unreachable.online(1) == ({10, 11}, 0), "version 0: any fragment sent once Redis is back replaces it"
    assert unreachable.in_session(5) == 1
    assert unreachable.leave("b") == 1
    assert unreachable.online(1)[0] == {10}


# In the app: what the sockets of one worker see when people come and go on another --------------------

@pytest.fixture
def shared_app(app, worker):
    """The test app as one worker of several: its presence in Redis."""
    app.extensions["presence"] = worker()
    return app


def test_a_dead_workers_people_leave_the_count_that_the_other_workers_clients_see(shared_app, worker, connect,
                                                                                  make):
    from workshop.live.presence import broadcast_online, sweep_expired_presence

    workshop = make.workshop()
    here = connect(make.member(workshop), workshop.code)
    here.wait_for(lambda s: s.last_count() == 1, what="count 1")

    other_worker = worker(expiry_seconds=1)
    other_worker.arrive("elsewhere", workshop.id, make.member(workshop).id)
    broadcast_online(workshop.id)  # the other worker's connect handler does this; it reaches every worker's clients
    here.wait_for(lambda s: s.last_count() == 2, what="count 2 with the other worker's participant")
    version_with_two = here.versions()[-1]

    time.sleep(1.2)  # the other worker died: nobody renews its participant
    with shared_app.test_request_context("/"):
        sweep_expired_presence()  # what every surviving worker's timer runs
    here.wait_for(lambda s: s.last_count() == 1, what="count back to 1 after the expiry")
    assert here.versions()[-1] > version_with_two
