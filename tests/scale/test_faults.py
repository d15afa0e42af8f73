"""Faults, on private Redis and PostgreSQL servers: a worker killed mid-storm, Redis restarted, PostgreSQL away; and a
worker that does not answer at all, behind nginx."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
import socketio
from sqlalchemy import select

from tests.conftest import unavailable
from tests.scale.conftest import connections_per_worker
from tests.scale.services import free_port, wait_until_listening
from tests.scale.test_cluster import results_seen
from workshop.cluster import nginx_config
from workshop.errors import DATABASE_UNAVAILABLE

# Every page of a killed worker is live again on the survivor within 3 s (issue 17); the bound leaves 2 s of
# margin for a busy machine. The 24 tabs try again 0.25-0.75 s after the kill (live.js's first wait) and the
# survivor admits them side by side (rooms, presence, each page's snapshot: tens of milliseconds of its CPU each,
# with the storm going on), so they are live again together. The slowest, on this machine kind with other work
# keeping the load average at 3-12: 1.3-2.7 s after the kill in 22 runs of 23, 3.6 s in one (2026-11-30).
RECONNECT_LIMIT_SECONDS = 5
LIVE_JS = Path(__file__).resolve().parents[2] / "workshop" / "static" / "js" / "live.js"


def live_js_option(name: str) -> float:
    """A number live.js gives socket.io-client (``reconnectionDelay: 500``)."""
    found = re.search(rf"\b{name}: ([0-9.]+)", LIVE_JS.read_text())
    assert found, f"live.js sets no {name}"
    return float(found.group(1))


def reconnecting_as_a_page_does(tab) -> None:
    """The tab's client reconnects as live.js's socket.io-client does.

    Its first try comes after live.js's reconnectionDelay, give or take its randomizationFactor (python-socketio
    adds the factor in seconds: ``delay + factor * (2 * random() - 1)``). And it waits for the server to accept it
    as long as it takes: socket.io-client sets no limit there. python-socketio's reconnection gives the server
    1 s, then closes the connection and waits up to 3 s for the close to be answered (websocket-client)
    before it tries again: a survivor still admitting a join storm at 1 s had every tab give up and come back
    once more, and those whose close went unanswered only after 5.3-5.5 s (the two groups of issue 17).
    """
    client = tab.client
    delay = live_js_option("reconnectionDelay") / 1000
    client.reconnection_delay = delay
    client.randomization_factor = live_js_option("randomizationFactor") * delay
    client.reconnection_delay_max = live_js_option("reconnectionDelayMax") / 1000
    client.connect = functools.partial(client.connect, wait_timeout=20)  # no limit in a page: 20 s is ample


class Storm:
    """Every tab votes again and again (the poll allows changing), cycling through the options, until stopped.

    Each tab votes as fast as the product lets one person vote (WORKSHOP_VOTE_LIMIT, 20 per 10 s), so the
    whole room keeps the workers writing; faster would measure a saturated worker, not failover.
    """

    PAUSE_SECONDS = 0.5

    def __init__(self, scene, tabs):
        self.scene = scene
        self.tabs = tabs
        self.stopping = threading.Event()
        self.sent: dict[int, list[int]] = {n: [] for n in range(len(tabs))}  # participant -> options sent, in order
        self.acked: dict[int, list[int]] = {n: [] for n in range(len(tabs))}  # -> index into sent of each ack
        self.threads = [threading.Thread(target=self._vote, args=(n,), daemon=True) for n in range(len(tabs))]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(15)

    def _vote(self, participant: int) -> None:
        tab, options = self.tabs[participant], self.scene.options
        while not self.stopping.is_set():
            option = options[len(self.sent[participant]) % len(options)]
            self.sent[participant].append(option)
            try:
                ack = tab.client.call("vote", {"poll": self.scene.poll_id, "answer": {"option": option}}, timeout=3)
            except Exception:  # noqa: BLE001 - disconnected or no answer: not acknowledged, and that is allowed
                time.sleep(0.1)
                continue
            if isinstance(ack, dict) and ack.get("ok"):
                self.acked[participant].append(len(self.sent[participant]) - 1)
            time.sleep(self.PAUSE_SECONDS)


def test_killing_a_worker_mid_storm_moves_its_clients_and_keeps_every_acknowledged_vote(scene, monkeypatch):
    # Headroom over the storm's pace, so that every vote is a write and none a refusal.
    monkeypatch.setenv("WORKSHOP_VOTE_LIMIT", "40 per 10 seconds")
    s = scene(workers=2, participants=24)
    tabs = [s.open_tab(n) for n in range(24)]  # all from 127.0.0.1: nginx's hash puts them on one worker
    for tab in tabs:
        reconnecting_as_a_page_does(tab)
    held = connections_per_worker(s.cluster)
    busy = max(held, key=held.get)
    assert held[busy] >= 24, held
    with Storm(s, tabs) as storm:
        time.sleep(1.5)
        os.kill(s.cluster.processes[busy].pid, signal.SIGKILL)
        killed_at = time.monotonic()
        for n, tab in enumerate(tabs):
            tab.wait_for(lambda: any(at > killed_at for at in tab.connects), seconds=RECONNECT_LIMIT_SECONDS + 5,
                         what=f"participant {n} to reconnect")
        time.sleep(1.5)  # the storm goes on against the surviving worker

    reconnect_seconds = sorted(round(min(at for at in tab.connects if at > killed_at) - killed_at, 2) for tab in tabs)
    print(f"pages live again after the kill, s: {reconnect_seconds} (slowest {reconnect_seconds[-1]})")
    assert reconnect_seconds[-1] <= RECONNECT_LIMIT_SECONDS, reconnect_seconds
    assert connections_per_worker(s.cluster)[busy] == 0

    # Every acknowledged vote is stored, once: one ballot per person who got an acknowledgement, holding
    # their last acknowledged choice or one they sent after it (sent, committed, but the answer was cut off).
    ballots = dict(s.ballots())
    assert len(ballots) == len(s.ballots())  # one ballot per person
    for n in range(len(tabs)):
        assert storm.acked[n], f"participant {n} never got a vote acknowledged"
        last_ack = storm.acked[n][-1]
        assert ballots[s.people[n]] in storm.sent[n][last_ack:], (n, ballots[s.people[n]], storm.sent[n][last_ack:])

    # And every page, reconnected, shows the current tally: everyone has voted.
    for n, tab in enumerate(tabs):
        tab.wait_for(lambda: any(p == s.poll_id and voters == len(tabs) for p, _, voters in results_seen(tab)),
                     what=f"participant {n} to see the tally of all {len(tabs)}")


def silent_port() -> tuple[socket.socket, list[socket.socket]]:
    """A port that neither accepts nor refuses, as a worker whose machine is gone: its backlog is full and never
    taken, so the kernel drops new connection attempts unanswered. Keep the sockets returned until done."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(listener.getsockname())
        fillers.append(filler)
    time.sleep(0.2)
    with pytest.raises(TimeoutError):  # the premise: an attempt gets no answer at all
        socket.create_connection(listener.getsockname(), timeout=0.5).close()
    return listener, [listener, *fillers]


class Answering(http.server.BaseHTTPRequestHandler):
    """A worker that answers every request at once, with nothing."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_worker_that_does_not_answer_at_all_holds_a_reconnecting_page_for_a_second_not_a_minute(tmp_path):
    """nginx's default connect timeout is 60 s, longer than socket.io-client waits for a handshake (20 s): every
    page hashed to a worker whose machine had gone would have waited a minute. The socket location gives such a
    worker 1 s, then sends the page to the next worker, and leaves the worker out for fail_timeout."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(nginx, os.X_OK):
        unavailable("nginx is not installed")
    silent, keep = silent_port()
    answering = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answering)
    threading.Thread(target=answering.serve_forever, daemon=True).start()
    port = free_port()
    workers = [silent.getsockname()[1], answering.server_address[1]]
    (tmp_path / "nginx.conf").write_text(nginx_config(f"127.0.0.1:{port}", workers, tmp_path, 25))
    server = subprocess.Popen([nginx, "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-g", "daemon off;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_listening(port)
        waits = []
        # Pages from one address after another, until nginx's hash sends one to the silent worker first.
        for n in range(2, 100):
            started = time.monotonic()
            with socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(f"127.0.0.{n}", 0)) as page:
                page.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost\r\n"
                             b"Connection: close\r\n\r\n")
                try:
                    status = page.recv(100).split(b"\r\n")[0]
                except TimeoutError:
                    pytest.fail(f"nginx held the request of a page from 127.0.0.{n} for over 5 s")
            waits.append(round(time.monotonic() - started, 2))
            assert status == b"HTTP/1.1 200 OK", (n, status)
            if waits[-1] >= 0.9:
                break
    finally:
        server.terminate()
        server.wait(10)
        answering.shutdown()
        answering.server_close()
        for held in keep:
            held.close()
    assert max(waits) >= 0.9, f"no page was sent to the silent worker first, nothing was tested: {waits}"
    assert max(waits) < 2, waits



class Overloaded(http.server.BaseHTTPRequestHandler):
    """A worker whose database pool is exhausted: alive, answering each request with the app's 503."""

    def do_GET(self):
        self.send_response(503)
        self.send_header("Retry-After", "5")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_workers_answering_503_under_load_stay_in_nginx_rotation(tmp_path):
    """An overloaded worker's 503 is its answer, not a failure of the worker: counted as one, nginx took each
    worker out for fail_timeout at its first 503, the other worker got its load and did the same, and nginx
    answered every request of every page with a 502 "no live upstream" (bench/join_storm.py: 975 of 1,000
    arrivals failed on 2 workers, against 848 on 1)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(nginx, os.X_OK):
        unavailable("nginx is not installed")
    workers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), Overloaded) for _ in range(2)]
    for worker in workers:
        threading.Thread(target=worker.serve_forever, daemon=True).start()
    port = free_port()
    (tmp_path / "nginx.conf").write_text(nginx_config(f"127.0.0.1:{port}", [w.server_address[1] for w in workers],
                                                      tmp_path, 25))
    server = subprocess.Popen([nginx, "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-g", "daemon off;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_listening(port)
        statuses = []
        for n in range(2, 22):  # pages from 20 addresses, spread over both workers by nginx's hash
            with socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(f"127.0.0.{n}", 0)) as page:
                page.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                statuses.append(int(page.recv(100).split(b" ")[1]))
    finally:
        server.terminate()
        server.wait(10)
        for worker in workers:
            worker.shutdown()
            worker.server_close()
    assert statuses == [503] * 20, statuses

def test_live_updates_resume_after_redis_restarts_and_nothing_is_lost(scene, private_redis):
    s = scene(workers=2, participants=3)
    first, second = s.cluster.worker_ports
    voter, watcher = s.open_tab(0, port=first), s.open_tab(1, port=second)
    watcher.wait_for(lambda: any(p == s.poll_id for p, _, _ in results_seen(watcher)), what="the poll's results")

    private_redis.stop()
    ack = voter.client.call("vote", {"poll": s.poll_id, "answer": {"option": s.options[0]}}, timeout=10)
    assert ack["ok"] is True  # the vote is in the database; only its broadcast waits for the queue
    private_redis.start()

    watcher.wait_for(lambda: any(p == s.poll_id and v >= ack["version"] and n == 1
                                 for p, v, n in results_seen(watcher)), seconds=20,
                     what="the vote made while Redis was down, on the other worker's page")
    # Each worker heard the queue come back and told its pages to resync (Redis kept nothing for it meanwhile).
    for tab in (voter, watcher):
        tab.wait_for(lambda: tab.resyncs >= 1, what="a resync after the queue came back")
    later = s.open_tab(2, port=second).client.call(
        "vote", {"poll": s.poll_id, "answer": {"option": s.options[1]}}, timeout=10)
    voter.wait_for(lambda: any(p == s.poll_id and v >= later["version"] and n == 2 for p, v, n in results_seen(voter)),
                   what="a vote after the restart, across workers")
    assert s.ballot_count() == 2


def moderator_session(s) -> requests.Session:
    """A moderator of the scene's workshop, signed in, with the CSRF token every page's htmx requests send."""
    from workshop.accounts import services as accounts
    from workshop.db import db
    from workshop.workshops.models import Membership, Origin, Role, Workshop

    with s.app.app_context():
        workshop = db.session.scalar(select(Workshop).where(Workshop.code == s.code))
        person = accounts.create_person(email="chair@scale.example.org", name="Chair", country="LK",
                                        organization="Test")
        db.session.add(Membership(workshop=workshop, person=person, role=Role.MODERATOR, origin=Origin.LOCAL))
        db.session.commit()
        cookie = s.app.session_interface.get_signing_serializer(s.app).dumps(
            {"_user_id": person.get_id(), "_fresh": True})
        db.session.remove()
    browser = requests.Session()
    browser.cookies.set("session", cookie, domain="127.0.0.1", path="/")  # replaced by what the server sets
    desk = browser.get(f"{s.url}/w/{s.code}/s/{s.session_id}/polls", timeout=10)
    assert desk.status_code == 200
    browser.headers["X-CSRFToken"] = re.search(r'"X-CSRFToken": "([^"]+)"', desk.text).group(1)
    browser.headers["HX-Request"] = "true"
    return browser


def test_a_moderators_action_while_the_queue_is_away_is_answered_and_reaches_pages_once_it_returns(
        scene, private_redis):
    s = scene(workers=2, participants=2)
    first, second = s.cluster.worker_ports
    watcher = s.open_tab(0, port=second)
    watcher.wait_for(lambda: any(p == s.poll_id for p, _, _ in results_seen(watcher)), what="the poll's results")
    desk = moderator_session(s)

    private_redis.stop()
    closed = desk.post(f"{s.url}/w/{s.code}/s/{s.session_id}/polls/{s.poll_id}/close", timeout=15)
    assert closed.status_code == 200, closed.text[-2000:]  # committed: the answer does not wait for the queue
    assert "badge closed" in closed.text
    private_redis.start()

    body = f'id="poll-body-{s.poll_id}"'
    watcher.wait_for(lambda: any(body in f and "badge closed" in f for f in list(watcher.fragments)), seconds=20,
                     what="the close made while Redis was down, on the other worker's page")
    # The page was also told to resync when the queue came back: let it finish before the cluster stops.
    watcher.wait_for(lambda: watcher.resyncs >= 1 and watcher.client.connected, what="the resync's reconnection")


def test_postgresql_away_gives_a_clear_503_and_the_app_recovers_without_a_restart(scene, private_postgres):
    s = scene(workers=1, participants=2)
    tab = s.open_tab(0)
    cookies = {"session": s.cookies[0].split("=", 1)[1]}
    page = f"{s.url}/w/{s.code}/s/{s.session_id}"
    assert requests.get(page, cookies=cookies, timeout=10).status_code == 200
    worker = next(iter(s.cluster.processes.values()))

    private_postgres.stop()
    down = requests.get(page, cookies=cookies, timeout=15)
    assert down.status_code == 503
    assert DATABASE_UNAVAILABLE in down.text and down.headers["Retry-After"] == "5"
    health = requests.get(f"{s.url}/healthz", timeout=15)
    assert health.status_code == 503 and health.json()["database"] == "failed: OperationalError"
    refused = tab.client.call("vote", {"poll": s.poll_id, "answer": {"option": s.options[0]}}, timeout=15)
    assert refused == {"ok": False, "message": DATABASE_UNAVAILABLE}
    # A page opened now is refused with the message and told to try again (live.js then does).
    late = socketio.Client(reconnection=False)
    refusals = []
    late.on("connect_error", lambda data=None: refusals.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        late.connect(s.url, headers={"Cookie": s.cookies[1]}, transports=["websocket"], wait_timeout=10,
                     auth={"workshop": s.code, "session": s.session_id})
    assert refusals == [{"message": DATABASE_UNAVAILABLE, "data": {"retry": True}}]

    private_postgres.start()
    deadline = time.monotonic() + 15
    while requests.get(page, cookies=cookies, timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the app did not recover within 15 s of PostgreSQL's return"
        time.sleep(0.2)
    ack = tab.client.call("vote", {"poll": s.poll_id, "answer": {"option": s.options[0]}}, timeout=10)
    assert ack["ok"] is True
    assert worker.poll() is None  # the same worker process, never restarted
    assert s.ballot_count() == 1
