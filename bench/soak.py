"""Soak: a crowd through a whole workshop day against the real server, watching what must not creep up.

Starts the real server as `make run` does (one gevent process, SQLite in a fresh
instance folder; or with --workers N as `python -m workshop.cluster` does: N gevent
workers behind nginx, a fresh database on the PostgreSQL server given with --database,
Redis for the message queue and presence under a key prefix of this run's own), its
output written to a log file. A workshop with N participants and a moderator; every
participant and the moderator's desk hold the session's page open over websocket
(bench/socket_client.py), spread over several load processes (this script with
--load-process), and do what a workshop day does, each interval divided by --scale:

- a poll every 3 minutes: the moderator creates it and opens it on the desk (the real
  form posts, with their CSRF tokens) with a 2-minute countdown that closes it; each
  participant votes once its page shows the poll, at a random moment in its first 70 s;
- questions and upvotes throughout: each participant asks about every 15 minutes and
  upvotes a question its page shows about every 2 minutes (random, exponential
  intervals); every 3 minutes the moderator pins the first open question and marks it answered;
- a breakout round every 10 minutes (created in rotation mode, rooms of 8, previewed and
  opened on the desk, closed 6 minutes later): each participant whose card names its room
  opens the room's page (a second socket, auth ``breakout_room``) at a random moment of
  the next minute, and closes it when the card says the round is over;
- reconnects: in every 2 minutes, 5% of the participants lose both sockets (no close
  handshake) at a random moment and come back 0.5 to 1.5 s later, as socket.io-client does;
  with --cut-handshakes S, a share S of those comebacks first loses the network again
  within 50 ms of sending its connect packet (a weak signal), then connects.

Every 10 s it samples the server's resident memory (VmRSS, summed over the workers), how
long /healthz takes to answer (``healthz_*``: a stalled server shows here), and the
database connections: on PostgreSQL the bench database's rows in pg_stat_activity,
on SQLite the server's open file descriptors on the database file (see below). Warm-up
is the first breakout cycle (10 minutes / scale: a round opened and closed, four polls
opened, five reconnect waves). At the end the participants stop acting, wait
for their last acknowledgements and close their sockets; then:

- ``rss_growth_pct``: from ``rss_after_warmup_mb`` (the first sample after warm-up) to
  ``rss_end_mb`` (taken as the day ends, before anyone leaves), both at the same point
  of the round cycle; passes at <= 10%.
- ``presence_entries_after_leave``: one process keeps presence in memory, read through
  the workshop home's online count (every connection is an entry of the one workshop, so
  0 people means 0 entries); with workers, the members of every presence set under the
  run's Redis prefix. Waited for up to 60 s (``presence_zero_after_s``); passes at 0.
- ``db_connections_after`` against ``db_connection_limit``: on PostgreSQL the app's pool
  size times the workers, and none idle in a transaction. On SQLite the descriptors count
  the most connections ever open at once, not those open now (SQLite keeps a closed
  connection's descriptor while another connection of the process has the file open, and
  reuses it), so they are held to the pool size plus its overflow: no connection outside
  the pool.
- ``log_errors``: lines of the server's output (and nginx's) with ERROR, CRITICAL,
  Traceback or nginx's [error]/[crit]/[alert]/[emerg]; the first ones are printed and put
  in ``log_error_lines``. Passes at 0. ``log_pywsgi_complaints`` counts apart gevent's
  server's lines about bytes that are no HTTP request (a client's websocket close frame
  that came after the server had ended that websocket).
- ``actions``: what was done (votes, questions, upvotes acknowledged; polls, rounds,
  questions answered by the moderator; room pages opened; reconnects); ``refused`` by
  kind with the messages, ``unanswered`` (no acknowledgement by the end, not counting
  those lost with a socket dropped on purpose), ``reconnect_failed``,
  ``unexpected_disconnects`` (the server ended a socket: the page reconnects, as a
  browser does), ``moderator_failures``; ``server_cpu_s`` and ``load_cpu_s`` (the load
  processes': a saturated load generator would show here) over the day.
- ``passed``: the four criteria above, and no action unanswered, no reconnect failed, no
  moderator request failed (``criteria`` lists each).

    .venv/bin/python bench/soak.py                                  # 200 clients, 30 minutes, SQLite
    .venv/bin/python bench/soak.py --clients 50 --minutes 3 --scale 10   # every kind of event, quickly
    .venv/bin/python bench/soak.py --database postgresql://127.0.0.1:5432/test
    .venv/bin/python bench/soak.py --workers 2                      # nginx, PostgreSQL, Redis
    .venv/bin/python bench/soak.py --log /tmp/soak-server.log       # keep the server's output

Not part of `make test`. The last line of output is a JSON summary.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and "--load-process" in sys.argv:
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import NamedTuple  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import gevent  # noqa: E402
import gevent.pool  # noqa: E402
import websocket  # noqa: E402

import live_page  # noqa: E402 - a load process's lines to and from the coordinator

from common import (PYTHON, ROOT, StaffForm, add_moderator, add_server_options, migrated_instance,  # noqa: E402
                    release, seed_session, server_backend, stop_loads)
from live_storm import Served, app_served, cluster_env, loopback_source, receive, send, total_cpu  # noqa: E402
from socket_client import SocketClient  # noqa: E402

CODE = "BENCH-SOAK"
# A workshop day, in seconds of an unscaled run (each divided by --scale).
POLL_EVERY, POLL_OPEN, FIRST_POLL, VOTE_WITHIN = 180, 120, 30, 70
ROUND_EVERY, ROUND_OPEN, FIRST_ROUND, ROOM_SIZE, ROOM_PAGE_WITHIN = 600, 360, 120, 8, 60
ANSWER_EVERY, FIRST_ANSWER = 180, 90
QUESTION_EVERY, UPVOTE_EVERY = 900, 120
RECONNECT_EVERY, RECONNECT_SHARE = 120, 0.05
WARMUP = ROUND_EVERY  # one breakout cycle
MIN_COUNTDOWN = 10  # the poll form's shortest countdown
SAMPLE_SECONDS = 10.0
HEALTH_TIMEOUT = 30.0
START_DELAY = 1.0
PRESENCE_WAIT = 60.0  # with workers, a missed departure expires after WORKSHOP_PRESENCE_EXPIRY_SECONDS (45)
QUIET_WAIT = 15.0  # at the end, how long a load process waits for its last acknowledgements
MAX_RSS_GROWTH_PCT = 10.0
ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback|\[(error|crit|alert|emerg)\]")
WARNING_LINE = re.compile(r"\bWARNING\b|\[warn\]")
PYWSGI_LINE = re.compile(r"^<gevent\.")  # gevent's server about a connection: bytes that are no HTTP request
ONLINE_COUNT = re.compile(r'data-testid="online-count">(\d+)<')
POLL_ID = re.compile(r"/polls/(\d+)/open")
ROUND_ID = re.compile(r"/breakouts/(\d+)(?:[#?].*)?$")
OPEN_QUESTION = re.compile(r'hx-post="(\d+)/pin"')  # an approved question not yet answered, on the queue


# The server's log ----------------------------------------------------------------------------------------------

def log_figures(log: Path) -> dict:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    errors = [line for line in lines if ERROR_LINE.search(line)]
    complaints = [line for line in lines if PYWSGI_LINE.search(line)]
    return {"log_errors": len(errors), "log_warnings": sum(1 for line in lines if WARNING_LINE.search(line)),
            "log_error_lines": [line[:300] for line in errors[:10]],
            "log_pywsgi_complaints": len(complaints),
            "log_pywsgi_complaint_lines": [line[:200] for line in complaints[:2]]}


# What is sampled: memory, database connections, presence ---------------------------------------------------------

def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


def database_connections(env: dict, pids: list[int], admin_url: str | None):
    """A function counting the server's database connections by state: the bench database's sessions on
    PostgreSQL; on SQLite the server's open descriptors on the database file, which count the most connections
    ever open at once, not those open now: SQLite keeps a closed connection's descriptor while another connection
    of the process has the file open (closing it would drop that one's locks), and reuses it for the next."""
    if admin_url:
        from sqlalchemy import create_engine, make_url, text

        name = make_url(env["WORKSHOP_DATABASE_URL"]).database
        admin = create_engine(re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql+psycopg://", admin_url),
                              pool_size=1, max_overflow=0)

        def on_postgresql() -> dict[str, int]:
            with admin.connect() as connection:
                rows = connection.execute(text("SELECT coalesce(state, 'none'), count(*) FROM pg_stat_activity "
                                               "WHERE datname = :name GROUP BY 1"), {"name": name})
                return dict(rows.all())

        return on_postgresql
    database_file = str(Path(env["WORKSHOP_INSTANCE_PATH"]) / "workshop.db")

    def on_sqlite() -> dict[str, int]:
        return {"descriptors": sum(1 for pid in pids for fd in Path(f"/proc/{pid}/fd").iterdir()
                            if os.path.realpath(fd) == database_file)}

    return on_sqlite


def pool_of(app) -> tuple[int, int]:
    """The pool size and overflow the server's engine gets from the same settings (SQLAlchemy's defaults for
    SQLite)."""
    from workshop.db import db

    with app.app_context():
        return db.engine.pool.size(), db.engine.pool._max_overflow  # no public reader of the overflow limit


class Sample(NamedTuple):
    at: float  # seconds since the start
    rss_mb: float
    connections: int
    healthz_ms: float  # how long /healthz took to answer: the server's stalls (HEALTH_TIMEOUT if it never did)


class Sampler(threading.Thread):
    """A Sample every SAMPLE_SECONDS."""

    def __init__(self, served: Served, connections, start: float):
        super().__init__(daemon=True)
        self.served, self.connections, self.start_at = served, connections, start
        self.samples: list[Sample] = []
        self.stopping = threading.Event()

    def sample(self) -> Sample:
        import requests

        asked = time.monotonic()
        try:
            requests.get(self.served.url + "/healthz", timeout=HEALTH_TIMEOUT)
            healthz_ms = round((time.monotonic() - asked) * 1000, 1)
        except requests.RequestException:
            healthz_ms = HEALTH_TIMEOUT * 1000
        taken = Sample(round(asked - self.start_at, 1), rss_mb(self.served.pids),
                       sum(self.connections().values()), healthz_ms)
        self.samples.append(taken)
        return taken

    def run(self) -> None:
        while not self.stopping.wait(SAMPLE_SECONDS):
            self.sample()

    def first_after(self, seconds: float) -> Sample:
        return next((s for s in self.samples if s.at >= seconds), self.samples[-1])


def presence_entries(served: Served, moderator_cookie: str, env: dict) -> int:
    """Presence entries left: in Redis under the run's prefix (workers), or the workshop home's online count (one
    process, presence in memory)."""
    if "WORKSHOP_PRESENCE_PREFIX" in env:
        import redis

        client = redis.Redis.from_url(env["WORKSHOP_MESSAGE_QUEUE"])
        return sum(client.zcard(key) for key in client.scan_iter(match=env["WORKSHOP_PRESENCE_PREFIX"] + "*")
                   if client.type(key) == b"zset")
    import requests

    page = requests.get(f"{served.url}/w/{CODE}/", headers={"Cookie": moderator_cookie}, timeout=60)
    page.raise_for_status()
    return int(ONLINE_COUNT.search(page.text).group(1))


def wait_for_no_presence(served: Served, moderator_cookie: str, env: dict) -> tuple[int, float]:
    started = time.monotonic()
    while True:
        left = presence_entries(served, moderator_cookie, env)
        if left == 0 or time.monotonic() - started > PRESENCE_WAIT:
            return left, round(time.monotonic() - started, 1)
        time.sleep(1.0)


# The moderator: the desk's form posts ---------------------------------------------------------------------------

class ModeratorError(Exception):
    pass


class Moderator:
    """Runs the day from the desks, as the browser posts their forms; counts what it did and what failed."""

    def __init__(self, url: str, cookie: str, setup: dict, options):
        self.url, self.cookie, self.options = url, cookie, options
        self.base = f"/w/{setup['code']}/s/{setup['session']}"
        self.done: Counter = Counter()
        self.failures: list[str] = []
        self.round_id: int | None = None

    def attempt(self, name: str, action) -> None:
        try:
            action()
            self.done[name] += 1
        except Exception as error:  # noqa: BLE001 - counted and reported: the soak goes on
            self.failures.append(f"{name}: {error.__class__.__name__}: {str(error)[:200]}")
            print(f"  moderator: {self.failures[-1]}", flush=True)

    def post(self, form: StaffForm, path: str, data: dict | None = None, expect: int = 303):
        answer = form.browser.post(self.url + path, data={"csrf_token": form.token, **(data or {})}, timeout=60,
                                   allow_redirects=False)
        if answer.status_code != expect:
            raise ModeratorError(f"{path} answered {answer.status_code}")
        return answer

    def run_poll(self, number: int) -> None:
        desk = StaffForm(self.url, self.cookie, f"{self.base}/polls")
        created = self.post(desk, f"{self.base}/polls", {
            "kind": "single choice", "question": f"Soak poll {number}: which option?",
            "options": "Option A\nOption B\nOption C", "max_picks": "2", "scale_max": "5", "ranking_method": "borda",
            "duration_seconds": str(round(scaled(POLL_OPEN, self.options))), "allow_change": "y",
            "results_visible": "y"}, expect=200)
        poll = POLL_ID.search(created.text)
        if poll is None:
            raise ModeratorError("the created poll's card has no open button")
        self.post(desk, f"{self.base}/polls/{poll.group(1)}/open", expect=200)

    def answer_question(self) -> None:
        """Pin an open question while it is answered, then mark it answered (the queue is read once more: StaffForm
        keeps only the page's token)."""
        page = f"{self.base}/questions/moderate"
        queue = StaffForm(self.url, self.cookie, page)
        found = OPEN_QUESTION.search(queue.browser.get(self.url + page, timeout=60).text)
        if found is not None:
            self.post(queue, f"{self.base}/questions/{found.group(1)}/pin", expect=200)
            self.post(queue, f"{self.base}/questions/{found.group(1)}/answer", expect=200)

    def open_round(self) -> None:
        desk = StaffForm(self.url, self.cookie, f"{self.base}/breakouts")
        created = self.post(desk, f"{self.base}/breakouts", {
            "mode": "rotation", "rooms_by": "size", "room_size": str(ROOM_SIZE), "notes_by_members": "y"})
        found = ROUND_ID.search(created.headers.get("Location", ""))
        if found is None:
            raise ModeratorError(f"creating a round went to {created.headers.get('Location')!r}")
        self.round_id = int(found.group(1))
        self.post(desk, f"{self.base}/breakouts/{self.round_id}/preview")
        self.post(desk, f"{self.base}/breakouts/{self.round_id}/open")

    def close_round(self) -> None:
        if self.round_id is None:
            raise ModeratorError("no round is open")
        desk = StaffForm(self.url, self.cookie, f"{self.base}/breakouts/{self.round_id}")
        self.post(desk, f"{self.base}/breakouts/{self.round_id}/close")
        self.round_id = None


def scaled(seconds: float, options) -> float:
    return seconds / options.scale


def day_plan(options) -> list[tuple[float, str]]:
    """The moderator's day: (seconds from the start, what), in order; each poll and round ends within the day."""
    end = options.minutes * 60

    def every(first: float, interval: float, lasting: float = 0.0) -> list[float]:
        times, at = [], scaled(first, options)
        while at + scaled(lasting, options) <= end:
            times.append(at)
            at += scaled(interval, options)
        return times

    plan = [(at, "poll") for at in every(FIRST_POLL, POLL_EVERY, POLL_OPEN)]
    plan += [(at, "answer") for at in every(FIRST_ANSWER, ANSWER_EVERY)]
    for at in every(FIRST_ROUND, ROUND_EVERY, ROUND_OPEN):
        plan += [(at, "open_round"), (at + scaled(ROUND_OPEN, options), "close_round")]
    return sorted(plan)


def run_day(moderator: Moderator, start: float, options) -> None:
    polls = 0
    for at, what in day_plan(options):
        time.sleep(max(0.0, start + at - time.monotonic()))
        if what == "poll":
            polls += 1
            moderator.attempt("polls", functools.partial(moderator.run_poll, polls))
        elif what == "answer":
            moderator.attempt("questions_answered", moderator.answer_question)
        elif what == "open_round":
            moderator.attempt("rounds_opened", moderator.open_round)
        else:
            moderator.attempt("rounds_closed", moderator.close_round)
    time.sleep(max(0.0, start + options.minutes * 60 - time.monotonic()))


# The run --------------------------------------------------------------------------------------------------------

def start_loads(served: Served, setup: dict, cookies: list[str], moderator_cookie: str, options) -> list:
    pages = [{"index": n, "cookie": cookie, "acts": True} for n, cookie in enumerate(cookies)]
    pages.append({"index": len(cookies), "cookie": moderator_cookie, "acts": False})  # the moderator's desk
    for page in pages:
        page["source"] = loopback_source(page["index"]) if options.workers else None
    loads = []
    for p in range(options.processes):
        worker = subprocess.Popen([PYTHON, __file__, "--load-process"], cwd=ROOT, text=True, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        send(worker, {"url": served.url, "code": setup["code"], "session": setup["session"], "seed": options.seed + p,
                      "connect_concurrency": options.connect_concurrency, "pages": pages[p::options.processes],
                      "question_every": scaled(QUESTION_EVERY, options), "upvote_every": scaled(UPVOTE_EVERY, options),
                      "vote_within": scaled(VOTE_WITHIN, options),
                      "room_page_within": scaled(ROOM_PAGE_WITHIN, options),
                      "reconnect_every": scaled(RECONNECT_EVERY, options), "reconnect_share": RECONNECT_SHARE,
                      "cut_handshakes": options.cut_handshakes})
        loads.append(worker)
    ready = [receive(worker) for worker in loads]
    connected = sum(r.get("connected", 0) for r in ready)
    if connected != len(pages):
        stop_loads(loads)
        raise SystemExit(f"only {connected} of {len(pages)} pages connected: "
                         f"{[f for r in ready for f in r.get('failures', [])]}")
    return loads


def soak(served: Served, env: dict, setup: dict, cookies: list[str], moderator_cookie: str, options) -> dict:
    connections = database_connections(env, served.pids, options.database)
    loads = start_loads(served, setup, cookies, moderator_cookie, options)
    try:
        start = time.monotonic() + START_DELAY
        for worker in loads:
            send(worker, {"start": start})
        cpu_before, load_cpu_before = total_cpu(served.pids), total_cpu([worker.pid for worker in loads])
        sampler = Sampler(served, connections, start)
        sampler.start()
        moderator = Moderator(served.url, moderator_cookie, setup, options)
        run_day(moderator, start, options)
        end = sampler.sample()
        sampler.stopping.set()
        server_cpu = total_cpu(served.pids) - cpu_before
        load_cpu = total_cpu([worker.pid for worker in loads]) - load_cpu_before
        for worker in loads:
            send(worker, {"leave": True})
        reports = [receive(worker) for worker in loads]
    finally:
        stop_loads(loads)
    presence_left, presence_after = wait_for_no_presence(served, moderator_cookie, env)
    time.sleep(2.0)  # the last requests return their connections to the pool
    after = connections()
    warm = sampler.first_after(scaled(WARMUP, options))
    return {
        "warmup_s": scaled(WARMUP, options),
        "rss_after_warmup_mb": warm.rss_mb,
        "rss_end_mb": end.rss_mb,
        "rss_growth_pct": round((end.rss_mb - warm.rss_mb) * 100 / warm.rss_mb, 1),
        "rss_peak_mb": max(s.rss_mb for s in sampler.samples),
        "rss_after_leave_mb": rss_mb(served.pids),
        "rss_by_minute_mb": by_minute(sampler.samples, "rss_mb"),
        "presence_entries_after_leave": presence_left,
        "presence_zero_after_s": presence_after,
        "presence_source": "redis" if options.workers else "home page online count",
        "db_connections_after": sum(after.values()),
        "db_connections_by_state": after,
        "db_connections_peak": max(s.connections for s in sampler.samples),
        "healthz_p50_ms": statistics.median(s.healthz_ms for s in sampler.samples),
        "healthz_max_ms": max(s.healthz_ms for s in sampler.samples),
        "healthz_over_1s": sum(1 for s in sampler.samples if s.healthz_ms > 1000),
        "healthz_by_minute_ms": by_minute(sampler.samples, "healthz_ms"),
        "server_cpu_s": round(server_cpu, 1),
        "load_cpu_s": round(load_cpu, 1),
        **load_figures(reports, moderator),
    }


def by_minute(samples: list[Sample], figure: str) -> list:
    """The largest of each minute of the day."""
    largest: dict[int, float] = {}
    for sample in samples:
        minute = int(sample.at // 60)
        largest[minute] = max(largest.get(minute, 0), getattr(sample, figure))
    return [largest[minute] for minute in sorted(largest)]


def load_figures(reports: list[dict], moderator: Moderator) -> dict:
    tally, refusals = Counter(), Counter()
    for report in reports:
        tally.update(report.get("tally", {}))
        refusals.update(report.get("refusals", {}))
    kinds = ("vote", "question", "upvote")
    return {
        "actions": {**{f"{kind}s": tally[f"{kind}_ok"] for kind in kinds}, **dict(moderator.done),
                    "room_pages_opened": tally["room_pages_opened"], "reconnects": tally["reconnected"],
                    "handshakes_cut": tally["handshakes_cut"]},
        "sent": {f"{kind}s": tally[f"{kind}_sent"] for kind in kinds},
        "refused": {f"{kind}s": tally[f"{kind}_refused"] for kind in kinds},
        "refusals": dict(refusals.most_common(5)),
        "unanswered": sum(tally[f"{kind}_unanswered"] for kind in kinds),
        "answers_lost_to_drops": tally["lost_to_drop"],
        "reconnect_failed": tally["reconnect_failed"],
        "unexpected_disconnects": tally["unexpected_disconnect"],
        "room_pages_refused": tally["room_page_refused"],
        "moderator_failures": moderator.failures[:5],
        "messages_received": tally["messages"],
    }


def connection_limit(pool: tuple[int, int], options) -> dict:
    """What the connections after the run are held to: on PostgreSQL the pool size of every worker (the overflow is
    closed when it comes back); on SQLite, whose descriptors count the most connections ever open at once, the pool
    size plus its overflow (a connection opened outside the pool would go beyond)."""
    size, overflow = pool[0] * max(1, options.workers), pool[1] * max(1, options.workers)
    if options.database:
        return {"db_pool_size": size, "db_pool_overflow": overflow, "db_connection_limit": size,
                "db_connections_counted": "sessions in pg_stat_activity"}
    return {"db_pool_size": size, "db_pool_overflow": overflow, "db_connection_limit": size + overflow,
            "db_connections_counted": "descriptors on the database file: the most ever open at once"}


def judge(figures: dict) -> dict:
    criteria = {
        "rss_growth_within_10_pct": figures["rss_growth_pct"] <= MAX_RSS_GROWTH_PCT,
        "presence_back_to_zero": figures["presence_entries_after_leave"] == 0,
        "db_connections_within_pool": (figures["db_connections_after"] <= figures["db_connection_limit"]
                                       and not figures["db_connections_by_state"].get("idle in transaction")),
        "no_error_in_log": figures["log_errors"] == 0,
        "every_action_answered": figures["unanswered"] == 0,
        "every_reconnect_back": figures["reconnect_failed"] == 0,
        "moderator_never_failed": not figures["moderator_failures"],
    }
    return {"criteria": criteria, "passed": all(criteria.values())}


def seed(env: dict, clients: int):
    app, setup, cookies = seed_session(env, clients, code=CODE, who="Soaker", session_title="A workshop day")
    moderator_cookie = add_moderator(app, setup)
    pool = pool_of(app)
    release(app)  # the server's connections are the only ones counted
    return setup, cookies, moderator_cookie, pool


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="divide every interval of the day by this (10: a poll every 18 s, a round every minute)")
    add_server_options(parser, processes=2,
                       workers_help="0: one gevent process on SQLite as `make run`; "
                                    "N: workers behind nginx (PostgreSQL, Redis)")
    parser.add_argument("--connect-concurrency", type=int, default=20, help="connections opened at once per process")
    parser.add_argument("--cut-handshakes", type=float, default=0.0,
                        help="the share of reconnections that first lose the network again right after sending "
                             "their connect packet (default 0)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--log", type=Path, help="write the server's output here (default: in the instance folder, "
                                                 "removed afterwards; its error lines are in the summary)")
    options = parser.parse_args()
    if options.clients < ROOM_SIZE * 2 or options.processes < 1 or options.workers < 0:
        parser.error(f"--clients must be at least {ROOM_SIZE * 2}, --processes positive, --workers not negative")
    if not 0 < options.scale <= POLL_OPEN / MIN_COUNTDOWN:
        parser.error(f"--scale must be above 0 and at most {POLL_OPEN // MIN_COUNTDOWN} (a poll's countdown is at "
                     f"least {MIN_COUNTDOWN} s)")
    if not 0 <= options.cut_handshakes <= 1:
        parser.error("--cut-handshakes is a share, from 0 to 1")
    if options.minutes * 60 <= scaled(WARMUP + ROUND_EVERY, options):
        parser.error(f"--minutes must leave a whole breakout cycle after the warm-up: more than "
                     f"{scaled(WARMUP + ROUND_EVERY, options) / 60:g} at --scale {options.scale:g}")
    return options


def main() -> None:
    options = parse_options()
    backend = server_backend(options)
    print(f"Soak: {options.clients} participants + the desk in {options.processes} load processes for "
          f"{options.minutes:g} minutes (intervals / {options.scale:g}), {backend}"
          + (f", {options.workers} workers behind nginx with Redis" if options.workers else ", one process"),
          flush=True)
    with migrated_instance("bench-soak-", options.database) as env:
        setup, cookies, moderator_cookie, pool = seed(env, options.clients)
        if options.workers:
            env = cluster_env(env, options.redis, "bench-soak")
        log = options.log or Path(env["WORKSHOP_INSTANCE_PATH"]) / "server.log"
        with open(log, "ab") as output, app_served(env, options.workers, output) as served:
            figures = soak(served, env, setup, cookies, moderator_cookie, options)
        figures.update(log_figures(log))
    figures.update(connection_limit(pool, options))
    summary = {"clients": options.clients, "minutes": options.minutes, "scale": options.scale,
               "workers": options.workers, "database": backend, **figures, **judge(figures),
               "load_average": [round(x, 2) for x in os.getloadavg()], "cores": os.cpu_count()}
    show(summary)
    print(json.dumps(summary))


def show(summary: dict) -> None:
    print(f"  memory: {summary['rss_after_warmup_mb']} MB after warm-up ({summary['warmup_s']:g} s), "
          f"{summary['rss_end_mb']} MB at the end ({summary['rss_growth_pct']:+}%), peak {summary['rss_peak_mb']} MB, "
          f"{summary['rss_after_leave_mb']} MB after everyone left; by minute {summary['rss_by_minute_mb']}")
    print(f"  /healthz: p50 {summary['healthz_p50_ms']} ms, max {summary['healthz_max_ms']} ms, "
          f"{summary['healthz_over_1s']} samples over 1 s; by minute {summary['healthz_by_minute_ms']}; server CPU "
          f"{summary['server_cpu_s']} s, load processes' CPU {summary['load_cpu_s']} s")
    print(f"  presence after everyone left: {summary['presence_entries_after_leave']} "
          f"({summary['presence_source']}, after {summary['presence_zero_after_s']} s)")
    print(f"  database connections after: {summary['db_connections_after']} {summary['db_connections_by_state']} "
          f"({summary['db_connections_counted']}; at most {summary['db_connection_limit']}: pool "
          f"{summary['db_pool_size']} + overflow {summary['db_pool_overflow']}; peak {summary['db_connections_peak']})")
    print(f"  log: {summary['log_errors']} error lines, {summary['log_warnings']} warnings, "
          f"{summary['log_pywsgi_complaints']} complaints of gevent's server "
          f"{summary['log_pywsgi_complaint_lines'][:1]}"
          + "".join(f"\n    {line}" for line in summary["log_error_lines"]))
    print(f"  done: {summary['actions']}; refused {summary['refused']} {summary['refusals']}; "
          f"unanswered {summary['unanswered']}, lost to drops {summary['answers_lost_to_drops']}, "
          f"reconnects failed {summary['reconnect_failed']}, unexpected disconnects "
          f"{summary['unexpected_disconnects']}, moderator failures {summary['moderator_failures']}")
    print(f"  {'PASSED' if summary['passed'] else 'FAILED'}: "
          + ", ".join(f"{name} {'yes' if ok else 'NO'}" for name, ok in summary["criteria"].items()))


# One load process: participants on gevent, acting on what their pages show --------------------------------------

OPEN_POLL = re.compile(r'data-poll-form="(\d+)"(.*?)</form>', re.S)
POLL_OPTION = re.compile(r'name="option" value="(\d+)"')
QUESTION = re.compile(r'id="question-(\d+)" class="question(?: status-(\w+))?" data-version="(\d+)"')
CARD = re.compile(r'id="breakout-mine" class="breakout-mine state-(\w+)" data-version="(\d+)"')
ROOM_LINK = re.compile(r'/breakouts/rooms/(\d+)" class="breakout-room-link"')


@functools.lru_cache(maxsize=256)
def what_it_shows(html: str) -> tuple:
    """Open polls (id, options), questions (id, status, version; no status: withdrawn) and the breakout card
    (state, version, room) a fragment shows.
    Cached: every page of the process gets the same broadcasts."""
    polls = tuple((int(poll), tuple(int(option) for option in POLL_OPTION.findall(body)))
                  for poll, body in OPEN_POLL.findall(html))
    card = CARD.search(html)
    room = ROOM_LINK.search(html) if card else None
    questions = tuple((int(question), status, int(version)) for question, status, version in QUESTION.findall(html))
    return (polls, questions,
            (card.group(1), int(card.group(2)), int(room.group(1)) if room else None) if card else None)


def close(client: SocketClient) -> None:
    """Close as a browser does. SocketClient.disconnect alone leaves its reader running, which answers the server's
    close frame with a second one; the server has finished the websocket by then, and gevent's pywsgi logs that
    frame as an invalid HTTP request ("Invalid HTTP method: '\\x88\\x82...'"), one log line per page closed."""
    client._reader.kill()
    client.disconnect()


class Participant:
    """One person's session page, and their breakout room's page while a round runs."""

    def __init__(self, entry: dict, setup: dict, tally: Counter, refusals: Counter, rng: random.Random):
        self.index, self.cookie, self.acts, self.source = (entry["index"], entry["cookie"], entry["acts"],
                                                           entry["source"])
        self.setup, self.tally, self.refusals, self.rng = setup, tally, refusals, rng
        self.auth = {"workshop": setup["code"], "session": setup["session"]}
        self.page = self.room_page = None
        self.room_id: int | None = None
        self.card_version = 0
        self.polls_seen: set[int] = set()
        self.questions: dict[int, tuple[int, str]] = {}  # question -> its newest version shown, and its status
        self.mine: set[int] = set()
        self.upvoted: set[int] = set()
        self.pending: dict[object, str] = {}  # acknowledgements awaited: token -> kind
        self.leaving = False
        self.asked = 0

    # Sockets -----------------------------------------------------------------------------------------------

    def open_socket(self, auth: dict, on_fragment):
        client = SocketClient()
        client.on("fragment", on_fragment)
        client.on("disconnect", lambda: self.on_lost(client))
        client.connect(self.setup["url"], self.cookie, auth, source=self.source)
        return client

    def connect(self) -> str | None:
        try:
            self.page = self.open_socket(self.auth, self.on_fragment)
        except Exception as error:  # noqa: BLE001 - counted and reported by the coordinator
            return f"{error.__class__.__name__}: {error}"
        return None

    def on_lost(self, client) -> None:
        """The server ended a socket this page did not close: a browser reconnects by itself."""
        if self.leaving or client not in (self.page, self.room_page):
            return
        self.tally["unexpected_disconnect"] += 1
        if client is self.room_page:
            self.room_page, self.room_id = None, None
        else:
            self.page = None
            gevent.spawn(self.come_back, self.rng.uniform(0.5, 1.5))

    def drop_and_return(self) -> None:
        """Lose the network: both sockets end without a close handshake; come back as socket.io-client does."""
        if self.page is None or self.leaving:
            return
        page, room_page = self.page, self.room_page
        self.page = self.room_page = self.room_id = None
        self.card_version = 0  # the snapshot on reconnection brings the card (and so the room) back
        self.tally["lost_to_drop"] += len(self.pending)
        self.pending.clear()
        for client in (page, room_page):
            if client is not None:
                client.drop()
        self.come_back(self.rng.uniform(0.5, 1.5))

    def come_back(self, after: float) -> None:
        gevent.sleep(after)
        if self.rng.random() < self.setup["cut_handshakes"]:
            self.cut_handshake()
        for _ in range(5):
            if self.leaving:
                return
            if self.connect() is None:
                self.tally["reconnected"] += 1
                return
            gevent.sleep(1.0)
        self.tally["reconnect_failed"] += 1

    def cut_handshake(self) -> None:
        """--cut-handshakes: lose the network again within 50 ms of asking to join (the connect packet sent, its
        answer never read), as a phone on a weak signal does."""
        parts = urlsplit(self.setup["url"])
        try:
            tcp = socket.create_connection((parts.hostname, parts.port), timeout=60,
                                           source_address=(self.source, 0) if self.source else None)
            ws = websocket.create_connection(f"ws://{parts.netloc}/socket.io/?EIO=4&transport=websocket", timeout=60,
                                             header=[f"Cookie: {self.cookie}"], socket=tcp)
            ws.recv()
            ws.send("40" + json.dumps(self.auth))
            gevent.sleep(self.rng.uniform(0, 0.05))  # while the server may be in its connect handler
            tcp.shutdown(socket.SHUT_RDWR)
            tcp.close()
            self.tally["handshakes_cut"] += 1
        except (OSError, websocket.WebSocketException):
            pass

    def leave(self) -> None:
        for client in (self.page, self.room_page):
            if client is not None:
                close(client)

    # What the page shows ----------------------------------------------------------------------------------------

    def on_fragment(self, html) -> None:
        self.tally["messages"] += 1
        if not self.acts or not isinstance(html, str):
            return
        polls, questions, card = what_it_shows(html)
        for poll, options in polls:
            if poll not in self.polls_seen and options:
                self.polls_seen.add(poll)
                gevent.spawn_later(self.rng.uniform(0, self.setup["vote_within"]), self.vote, poll,
                                   self.rng.choice(options))
        for question, status, version in questions:
            if version > self.questions.get(question, (0, ""))[0]:
                self.questions[question] = (version, status)
        if card is not None and card[1] > self.card_version:
            state, self.card_version, room = card
            self.show_room(room if state == "open" else None)

    def on_room_fragment(self, html) -> None:
        self.tally["messages"] += 1

    def show_room(self, room_id: int | None) -> None:
        """Open the room's page a while after the card names a room (people read the card, then click); close it
        when the round is over."""
        if room_id == self.room_id:
            return
        self.room_id = room_id
        if self.room_page is not None:
            closing, self.room_page = self.room_page, None
            close(closing)
        if room_id is not None:
            gevent.spawn_later(self.rng.uniform(0, self.setup["room_page_within"]), self.open_room_page, room_id)

    def open_room_page(self, room_id: int) -> None:
        if self.room_id != room_id or self.leaving or self.page is None:
            return  # the round closed, or the network went, before the click
        try:
            client = self.open_socket({**self.auth, "breakout_room": room_id}, self.on_room_fragment)
        except Exception as error:  # noqa: BLE001 - counted and reported by the coordinator
            self.tally["room_page_refused"] += 1
            self.refusals[f"room page: {str(error)[:120]}"] += 1
            return
        if self.room_id != room_id or self.leaving or self.room_page is not None:
            close(client)  # the card moved on while the page opened
            return
        self.room_page = client
        self.tally["room_pages_opened"] += 1

    # Acting -------------------------------------------------------------------------------------------------

    def act(self, kind: str, event: str, data: dict, on_ok=None) -> None:
        """Emit with an acknowledgement; while the page is away, try again a second later (as the browser queues)."""
        if self.leaving:
            return
        if self.page is None:
            gevent.spawn_later(1.0, self.act, kind, event, data, on_ok)
            return
        token = object()
        self.pending[token] = kind
        self.tally[f"{kind}_sent"] += 1

        def answered(answer=None):
            if self.pending.pop(token, None) is None:
                return  # its socket was dropped meanwhile
            if isinstance(answer, dict) and answer.get("ok"):
                self.tally[f"{kind}_ok"] += 1
                if on_ok is not None:
                    on_ok(answer)
            else:
                self.tally[f"{kind}_refused"] += 1
                message = answer.get("message") if isinstance(answer, dict) else repr(answer)
                self.refusals[f"{kind}: {message}"] += 1

        try:
            self.page.emit(event, data, answered)
        except (OSError, websocket.WebSocketException):
            self.pending.pop(token, None)
            self.tally[f"{kind}_unanswered"] += 1

    def vote(self, poll: int, option: int) -> None:
        self.act("vote", "vote", {"poll": poll, "answer": {"option": option}})

    def ask(self) -> None:
        self.asked += 1
        self.act("question", "qa_ask", {"session": self.setup["session"], "anonymous": False,
                                        "text": f"Soak question {self.asked} from participant {self.index}: "
                                                f"how does this work in practice?"},
                 on_ok=lambda answer: self.mine.add(answer["question"]))

    def upvote(self) -> None:
        choices = sorted(question for question, (_, status) in self.questions.items()
                         if status == "approved" and question not in self.mine and question not in self.upvoted)
        if choices:
            question = self.rng.choice(choices)
            self.upvoted.add(question)
            self.act("upvote", "qa_upvote", {"question": question, "on": True})

    def keep_doing(self, action, mean_interval: float) -> None:
        while not self.leaving:
            gevent.sleep(self.rng.expovariate(1 / mean_interval))
            if not self.leaving:
                action()


def reconnect_waves(people: list[Participant], setup: dict, rng: random.Random) -> None:
    """In every interval, a share of the people each lose the network at a random moment of it."""
    every = setup["reconnect_every"]
    count = max(1, round(len(people) * setup["reconnect_share"]))
    while not people[0].leaving:
        for person in rng.sample(people, count):
            gevent.spawn_later(rng.uniform(0, every), person.drop_and_return)
        gevent.sleep(every)


def load_process() -> None:
    setup = live_page.receive()
    rng = random.Random(setup["seed"])
    tally, refusals = Counter(), Counter()
    pages = [Participant(entry, setup, tally, refusals, random.Random(rng.random())) for entry in setup["pages"]]
    failures = [error for error in gevent.pool.Pool(setup["connect_concurrency"]).imap(Participant.connect, pages)
                if error]
    live_page.send({"connected": len(pages) - len(failures), "failures": failures[:5]})

    start = live_page.receive()["start"]
    gevent.sleep(max(0.0, start - time.monotonic()))
    tally["messages"] = 0  # count what the day causes
    people = [page for page in pages if page.acts]
    for person in people:
        gevent.spawn(person.keep_doing, person.ask, setup["question_every"])
        gevent.spawn(person.keep_doing, person.upvote, setup["upvote_every"])
    gevent.spawn(reconnect_waves, people, setup, rng)

    live_page.receive()  # the day is over
    for page in pages:
        page.leaving = True
    deadline = time.monotonic() + QUIET_WAIT
    while time.monotonic() < deadline and any(page.pending for page in pages):
        gevent.sleep(0.1)
    for page in pages:
        for kind in page.pending.values():
            tally[f"{kind}_unanswered"] += 1
        page.leave()
    gevent.sleep(1.0)
    live_page.send({"tally": dict(tally), "refusals": dict(refusals)})
    sys.stdin.readline()  # "done" (bench/common.stop_loads)
    os._exit(0)


if __name__ == "__main__":
    load_process() if "--load-process" in sys.argv else main()
