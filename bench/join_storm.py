"""Join storm: N participants open their invite links and arrive on the live session page, evenly over T seconds,
each doing what a browser does; timed from the first request until the page is live.

Starts the real server as `make run` does (one gevent process; SQLite in a
fresh instance folder, or a fresh database made on the PostgreSQL server given
with --database and dropped afterwards), creates a workshop with N participants,
each with an invite link, and a running session. The arrivals come evenly over
T seconds (1,000 over 15 s: 67 a second), spread over several load processes
(gevent; this file run with --load-process). Each arrival is one browser, with
one keep-alive connection (a browser may open up to six and fetch static files
side by side: this one fetches them in turn), its cookies and its cache of
static files, and makes real requests in order:

1. opens the invite link (GET /invite/<token>) and loads the page's static files;
2. enters (posts the form with its CSRF token) and follows the redirect to the
   workshop home, with the home page's static files;
3. loads the session page and its static files;
4. opens the page's socket as live.js does (websocket, the session cookie,
   auth {"workshop", "session"}; bench/socket_client.py) and waits for the
   snapshot the server sends on connect: the polls, the questions and the
   breakout card (`session-polls`, `questions-<session>`, `breakout-mine`).

A static file the browser already holds is fetched again only if its cache
entry is stale, with If-None-Match / If-Modified-Since when the server gave a
validator (a 304 then). The app serves its static files under content-hashed
names with `Cache-Control: public, max-age=<one year>, immutable` and no
validator, so a browser asks for each file once and afterwards takes it from
its cache: `requests`, `not_modified` and `from_cache` count what happened.

Before the storm one more participant arrives once on each worker, straight to
its port, and leaves: a server that has been up for a while has long compiled
its templates and queries.

`p50_ms` ... `p99_ms`: from an arrival's first request until its snapshot came;
an arrival that failed counts as infinitely late ("inf"). A failure: a response
other than 2xx (or a redirect after entering, or 304 to a conditional request),
a socket that is refused or breaks, or an arrival not live 30 s after its first
request (`failure_reasons`: the commonest). `phases_p50_ms` / `phases_p95_ms`
tell where the time goes, over the arrivals that got live: the invite page,
entering (the post, the home page), the session page, the socket until its
snapshot. `server_cpu_ms_per_arrival`: the app's processes' CPU from the first
arrival until the last one was live (or failed), per arrival (arrivals that
fail early cost less: compare runs without failures); nginx's apart
(`nginx_cpu_ms_per_arrival`), and the load processes' (`load_cpu_s`), which
share the machine's cores with the server.

    .venv/bin/python bench/join_storm.py                       # --clients 1000 --seconds 15, SQLite
    .venv/bin/python bench/join_storm.py --clients 100 --seconds 5 --repeat 3   # medians of 3 runs
    .venv/bin/python bench/join_storm.py --database postgresql://127.0.0.1:5432/test
    .venv/bin/python bench/join_storm.py --workers 2           # through nginx: 1 worker, then 2 (PostgreSQL, Redis)

With --workers N the app runs as `python -m workshop.cluster` does (N gevent
workers behind nginx, PostgreSQL, a Redis message queue with presence under a
key prefix of the run's own), each browser connects through nginx from a
loopback address of its own (127.1.x.y) so that `hash $remote_addr consistent`
spreads them (`sockets_per_worker` counts the sockets open on each worker at
the end), and the same arrivals play first on 1 worker (`one_worker`).
The issue's target, with --workers 2: no failure, p95 <= 3 s, p99 <= 6 s
(`target_met`).

The last line of output is a JSON summary (an infinite figure is "inf"); with
--repeat, the median of each figure over the runs, `failures` the worst, and
`runs` each run's figures.
"""

from __future__ import annotations

import sys

LOAD_PROCESS = "--load-process"
if __name__ == "__main__" and sys.argv[1:2] == [LOAD_PROCESS]:
    # A load process plays its browsers on gevent: the standard library must be patched before anything uses it.
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402
from collections import Counter  # noqa: E402
from typing import NamedTuple  # noqa: E402
from urllib.parse import urlencode, urlsplit  # noqa: E402

import brotli  # noqa: E402
import gevent  # noqa: E402
import gevent.event  # noqa: E402

from common import (PYTHON, ROOT, add_server_options, arrival_offsets, combine_runs, jsonable,  # noqa: E402
                    migrated_instance, percentile, release, seed_session, server_backend, stop_loads)
from live_page import receive as receive_message, receive_line, send as send_message  # noqa: E402
from live_storm import (app_served, cluster_env, connections_per_worker, loopback_source, receive, send,  # noqa: E402
                        total_cpu)
from socket_client import SocketClient  # noqa: E402

CODE = "BENCH-JOIN-STORM"
LOAD_COMMAND = [PYTHON, str(ROOT / "bench" / "join_storm.py"), LOAD_PROCESS]
ARRIVAL_SECONDS = 30.0  # an arrival not live this long after its first request has failed
START_DELAY = 0.5  # from telling the load processes to go until the first arrival
WARM_UP_SETTLE = 1.0  # after the warm-up arrival left: its presence broadcasts are over
# What the session page's socket gets on connect, one fragment per feature (workshop/live/handlers.py connect and
# the session hooks): the page is live once it holds all three.
SNAPSHOT_IDS = ("session-polls", "questions-{session}", "breakout-mine")
PHASES = ("invite", "enter", "session", "socket")
TARGET = {"failures": 0, "p95_ms": 3000, "p99_ms": 6000}  # issue 17, with --workers 2
STATIC_FILE = re.compile(r'<(?:link|script)\b[^>]*?\b(?:href|src)="(/static/[^"]+)"')
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*?\bvalue="([^"]+)"')
MAX_AGE = re.compile(r"max-age=(\d+)")
BROWSER_HEADERS = {"Accept": "text/html,*/*;q=0.8", "Accept-Encoding": "gzip, deflate, br",
                   "Accept-Language": "en-GB,en;q=0.8", "User-Agent": "bench/join_storm.py"}


# A load process: its browsers ---------------------------------------------------------------------------------

class Failed(Exception):
    """What made an arrival fail, in words that group alike failures together."""


class Response(NamedTuple):
    status: int
    headers: dict[str, list[str]]  # lower-case name -> values
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name, [""])[0]


class Connection:
    """A keep-alive HTTP/1.1 connection, as lean as bench/socket_client.py: http.client parses every response's
    headers with the email package, which made the load processes cost a third of what the server did."""

    def __init__(self, url: str, source: str | None):
        parts = urlsplit(url)
        self.address, self.host, self.source = (parts.hostname, parts.port), parts.netloc, source
        self.socket: socket.socket | None = None
        self.reader = None

    def exchange(self, method: str, path: str, headers: dict, body: bytes = b"") -> Response:
        """Send a request and read its response; once more on a new connection if the server had closed this one
        while it was idle, as browsers do."""
        reused = self.socket is not None
        try:
            return self._exchange(method, path, headers, body)
        except ConnectionError:
            self.close()
            if not reused:
                raise
            return self._exchange(method, path, headers, body)

    def _exchange(self, method: str, path: str, headers: dict, body: bytes) -> Response:
        if self.socket is None:
            self.socket = socket.create_connection(self.address, timeout=ARRIVAL_SECONDS,
                                                   source_address=(self.source, 0) if self.source else None)
            self.reader = self.socket.makefile("rb")
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", *(f"{name}: {value}" for name, value in
                                                                        headers.items())]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        self.socket.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        status_line = self.reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split()[1])
        received: dict[str, list[str]] = {}
        for line in iter(self.reader.readline, b"\r\n"):
            if not line:
                raise ConnectionResetError("the server closed the connection within a response")
            name, _, value = line.decode("latin-1").partition(":")
            received.setdefault(name.strip().lower(), []).append(value.strip())
        response = Response(status, received, self._body(status, received))
        if response.header("connection").lower() == "close":
            self.close()
        return response

    def _body(self, status: int, headers: dict[str, list[str]]) -> bytes:
        if status in (204, 304):
            return b""
        if "chunked" in headers.get("transfer-encoding", [""])[0]:
            chunks = []
            while size := int(self.reader.readline().split(b";")[0], 16):
                chunks.append(self.reader.read(size))
                self.reader.readline()
            while self.reader.readline() not in (b"\r\n", b""):  # trailers
                pass
            return b"".join(chunks)
        if "content-length" in headers:
            return self.reader.read(int(headers["content-length"][0]))
        body = self.reader.read()  # until the server closes the connection
        self.close()
        return body

    def close(self) -> None:
        if self.socket is not None:
            self.reader.close()
            self.socket.close()
        self.socket = self.reader = None


class Browser:
    """One participant's browser: one keep-alive connection, its cookies, its cache of static files."""

    def __init__(self, url: str, source: str | None):
        self.connection = Connection(url, source)
        self.cookies: dict[str, str] = {}
        self.cache: dict[str, tuple[float, dict]] = {}  # path -> (fresh until, the validators to send)
        self.counts = Counter()

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def page(self, path: str, form: dict | None = None) -> str:
        """A page as the browser loads it: the document (a form posted to it, and the redirect followed), then its
        static files. Returns the document's HTML."""
        if form is None:
            response = self.fetch("GET", path)
        else:
            response = self.fetch("POST", path, urlencode(form).encode())
            if response.status not in (302, 303):
                raise Failed(f"POST {shown(path)} answered {response.status}")
            path = urlsplit(response.header("location")).path
            response = self.fetch("GET", path)
        if response.status != 200:
            raise Failed(f"GET {shown(path)} answered {response.status}")
        html = decoded(response.body, response.header("content-encoding")).decode()
        for static_path in dict.fromkeys(STATIC_FILE.findall(html)):
            self.static(static_path)
        return html

    def static(self, path: str) -> None:
        fresh_until, validators = self.cache.get(path, (-math.inf, None))
        if time.monotonic() < fresh_until:
            self.counts["from_cache"] += 1
            return
        response = self.fetch("GET", path, headers=validators)
        if response.status == 304 and validators:
            self.counts["not_modified"] += 1
        elif response.status != 200:
            raise Failed(f"GET {shown(path)} answered {response.status}")
        self.cache[path] = (fresh_until_of(response), validators_of(response))

    def fetch(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> Response:
        headers = {**BROWSER_HEADERS, **(headers or {})}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = self.connection.exchange(method, path, headers, body)
        self.counts["requests"] += 1
        for cookie in response.headers.get("set-cookie", []):
            self.keep_cookie(cookie)
        return response

    def keep_cookie(self, header: str) -> None:
        name, _, rest = header.partition("=")
        value, _, attributes = rest.partition(";")
        if "max-age=0" in attributes.lower().replace(" ", ""):  # how Flask deletes a cookie
            self.cookies.pop(name.strip(), None)
        else:
            self.cookies[name.strip()] = value.strip()


def shown(path: str) -> str:
    """A path as a failure names it: the invite's secret left out, so that alike failures group together."""
    return re.sub(r"^/invite/[^/?]+", "/invite/<token>", path)


def decoded(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


def fresh_until_of(response: Response) -> float:
    """Until when a browser may use its copy without asking (max-age; no-cache or no-store: not at all)."""
    control = response.header("cache-control").lower()
    max_age = MAX_AGE.search(control)
    if max_age is None or "no-cache" in control or "no-store" in control:
        return -math.inf
    return time.monotonic() + int(max_age.group(1))


def validators_of(response: Response) -> dict:
    """The conditional headers a browser sends when its copy is stale."""
    validators = {}
    if response.header("etag"):
        validators["If-None-Match"] = response.header("etag")
    if response.header("last-modified"):
        validators["If-Modified-Since"] = response.header("last-modified")
    return validators


def go_live(browser: Browser, setup: dict, source: str | None):
    """The session page's socket, once its snapshot has come; the connection stays open (the participant stays)."""
    missing = {name.format(session=setup["session"]) for name in SNAPSHOT_IDS}
    snapshot = gevent.event.Event()

    def on_fragment(html) -> None:
        if not snapshot.is_set() and isinstance(html, str):
            missing.difference_update([element for element in list(missing) if f'id="{element}"' in html])
            if not missing:
                snapshot.set()

    client = SocketClient()
    client.on("fragment", on_fragment)
    client.connect(setup["url"], browser.cookie_header(), {"workshop": setup["code"], "session": setup["session"]},
                   timeout=ARRIVAL_SECONDS, source=source)
    snapshot.wait()  # bounded by the arrival's own timeout
    return client


def arrive(entry: dict, setup: dict, sockets: list) -> dict:
    """One participant's arrival, timed: each phase's end, or what failed."""
    source = entry.get("source")
    browser = Browser(setup["url"], source)
    marks = [time.monotonic()]
    failure = None
    try:
        with gevent.Timeout(ARRIVAL_SECONDS, Failed(f"not live within {ARRIVAL_SECONDS:g} s")):
            invite_page = browser.page(entry["invite"])
            marks.append(time.monotonic())
            token = CSRF_FIELD.search(invite_page)
            if token is None:
                raise Failed("the invite page has no CSRF token")
            browser.page(entry["invite"], form={"csrf_token": token.group(1)})
            marks.append(time.monotonic())
            browser.page(f"/w/{setup['code']}/s/{setup['session']}")
            marks.append(time.monotonic())
            sockets.append(go_live(browser, setup, source))
            marks.append(time.monotonic())
    except Exception as error:  # noqa: BLE001 - every way an arrival can fail is counted, by its words
        failure = str(error) if isinstance(error, Failed) else f"{error.__class__.__name__}: {error}"
        failure += f" ({PHASES[len(marks) - 1]})"
    browser.connection.close()  # the page's HTTP connection; the socket is apart
    return {"index": entry["index"], "failure": failure, "ms": round((marks[-1] - marks[0]) * 1000, 1),
            "phases_ms": [round((end - begin) * 1000, 1) for begin, end in zip(marks, marks[1:])],
            **browser.counts}


def warm_up(setup: dict) -> list[str]:
    """One arrival on each worker, straight to its port, before the storm: a fresh process's first requests compile
    its templates and queries, long done in a server that has been up for a while. Its socket then leaves."""
    failures = []
    for url in setup.get("warm_up", []):
        sockets = []
        report = arrive({"index": -1, "invite": setup["warm_up_invite"]}, {**setup, "url": url}, sockets)
        for client in sockets:
            client.disconnect()
        if report["failure"] is not None:
            failures.append(f"{url}: {report['failure']}")
    return failures


def run_load_process() -> None:
    """Setup in; the warm-up's failures out (none: ready); the start in; every arrival played, their reports out;
    a last line in, and exit (the sockets stay open until then)."""
    setup = receive_message()
    send_message({"warm_up_failures": warm_up(setup)})
    start = receive_message()["start"]
    cpu_before = time.process_time()
    sockets, arrivals = [], []
    for entry in sorted(setup["arrivals"], key=lambda entry: entry["at"]):
        gevent.sleep(max(0.0, start + entry["at"] - time.monotonic()))
        arrivals.append(gevent.spawn(arrive, entry, setup, sockets))
    gevent.joinall(arrivals)
    send_message({"arrivals": [arrival.value for arrival in arrivals], "load_cpu_s": time.process_time() - cpu_before})
    receive_line()
    os._exit(0)  # the kernel closes the sockets; the server sees them go after the figures were taken


# The coordinator ----------------------------------------------------------------------------------------------

def seed(env: dict, clients: int):
    """A workshop with a running session and its participants, each with an invite link, and one more who warms
    the server up; returns the seeding app, the setup (code, session, the warm-up's invite) and each participant's
    invite path."""
    from sqlalchemy import select

    app, setup, _ = seed_session(env, clients + 1, code=CODE, who="Arrival", session_title="Opening plenary")
    from workshop.accounts import services as accounts
    from workshop.accounts.models import Person
    from workshop.db import db
    from workshop.workshops.models import Workshop

    with app.app_context():
        workshop = db.session.scalar(select(Workshop).where(Workshop.code == CODE))
        people = {person.id: person for person in db.session.scalars(select(Person).where(
            Person.id.in_(setup["people"])))}
        invites = [accounts.issue_invite(people[person_id], workshop) for person_id in setup["people"]]
        db.session.commit()
        paths = [f"/invite/{accounts.invite_token(invite)}" for invite in invites]
        db.session.remove()
    return app, {"code": setup["code"], "session": setup["session"], "warm_up_invite": paths[-1]}, paths[:-1]


def plan_arrivals(invites: list[str], options, spread_sources: bool) -> list[dict]:
    """Each participant at its turn, evenly over the time; from a loopback address of its own behind nginx."""
    offsets = arrival_offsets(len(invites), options.seconds, "even")
    return [{"index": n, "invite": path, "at": at, **({"source": loopback_source(n)} if spread_sources else {})}
            for n, (path, at) in enumerate(zip(invites, offsets))]


def play_arrivals(served, setup: dict, arrivals: list[dict], processes: int) -> dict:
    """Every arrival played by the load processes; what they report, and the CPU used meanwhile."""
    loads = []
    try:
        worker_urls = [f"http://127.0.0.1:{port}" for port in served.worker_ports] or [served.url]
        for p in range(processes):
            load = subprocess.Popen(LOAD_COMMAND, cwd=ROOT, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            send(load, {**setup, "url": served.url, "arrivals": arrivals[p::processes],
                        "warm_up": worker_urls if p == 0 else []})
            loads.append(load)
        # Each is ready once its imports are done (they must not delay its first arrivals), the first one once it
        # has warmed every worker up.
        warm_up_failures = [failure for load in loads
                            for failure in receive(load).get("warm_up_failures", ["a load process exited"])]
        if warm_up_failures:
            raise SystemExit(f"the warm-up arrival failed: {warm_up_failures}")
        time.sleep(WARM_UP_SETTLE)
        cpu_before, nginx_before = total_cpu(served.pids), total_cpu(served.nginx_pids)
        load_average_before = os.getloadavg()[0]
        started = time.monotonic()
        for load in loads:
            send(load, {"start": started + START_DELAY})
        reports = [receive(load) for load in loads]
        return {"reports": reports, "seconds": time.monotonic() - started - START_DELAY,
                "spread": connections_per_worker(served.worker_ports) if served.worker_ports else None,
                "server_cpu_s": total_cpu(served.pids) - cpu_before,
                "nginx_cpu_s": total_cpu(served.nginx_pids) - nginx_before if served.nginx_pids else None,
                "load_average": [round(load_average_before, 2), round(os.getloadavg()[0], 2)]}
    finally:
        stop_loads(loads)


def summarize(played: dict, clients: int, workers: int) -> dict:
    """The run's figures; an arrival never reported (a load process died) counts as failed."""
    arrivals = [arrival for report in played["reports"] for arrival in report.get("arrivals", [])]
    live = [arrival for arrival in arrivals if arrival["failure"] is None]
    failures = clients - len(live)
    latencies = sorted([arrival["ms"] for arrival in live] + [math.inf] * failures)
    reasons = Counter(arrival["failure"] for arrival in arrivals if arrival["failure"] is not None)
    phases = {name: sorted(arrival["phases_ms"][n] for arrival in live) for n, name in enumerate(PHASES)}
    figures = {
        "arrivals": clients,
        "failures": failures,
        "failure_reasons": reasons.most_common(3) + ([["never reported", clients - len(arrivals)]]
                                                    if len(arrivals) < clients else []),
        "p50_ms": percentile(latencies, 0.5),
        "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": latencies[-1] if latencies else math.inf,
        "phases_p50_ms": {name: percentile(values, 0.5) for name, values in phases.items()},
        "phases_p95_ms": {name: percentile(values, 0.95) for name, values in phases.items()},
        "requests": sum(arrival.get("requests", 0) for arrival in arrivals),
        "not_modified": sum(arrival.get("not_modified", 0) for arrival in arrivals),
        "from_cache": sum(arrival.get("from_cache", 0) for arrival in arrivals),
        "storm_s": round(played["seconds"], 2),
        "server_cpu_s": round(played["server_cpu_s"], 2),
        "server_cpu_ms_per_arrival": round(played["server_cpu_s"] * 1000 / clients, 2),
        "load_cpu_s": round(sum(report.get("load_cpu_s", 0.0) for report in played["reports"]), 2),
        "load_average": played["load_average"],
        "workers": workers,
    }
    if played["nginx_cpu_s"] is not None:
        figures["nginx_cpu_ms_per_arrival"] = round(played["nginx_cpu_s"] * 1000 / clients, 2)
        figures["sockets_per_worker"] = played["spread"]
    return figures


def measure(env: dict, setup: dict, invites: list[str], options, workers: int) -> dict:
    if workers:
        env = cluster_env(env, options.redis, "bench-join-storm")
    with app_served(env, workers) as served:
        played = play_arrivals(served, setup, plan_arrivals(invites, options, bool(workers)), options.processes)
    return summarize(played, len(invites), workers)


def one_run(env: dict, setup: dict, invites: list[str], options) -> dict:
    """The arrivals on the app; with --workers, on 1 worker first, then on N."""
    if not options.workers:
        figures = measure(env, setup, invites, options, 0)
        print(show_line("app", figures), flush=True)
        return figures
    one_worker = measure(env, setup, invites, options, 1)
    print(show_line("1 worker", one_worker), flush=True)
    figures = measure(env, setup, invites, options, options.workers)
    print(show_line(f"{options.workers} workers", figures), flush=True)
    return {**figures, "one_worker": one_worker}


def show_line(name: str, figures: dict) -> str:
    """One run in words, for the human summary."""
    phases = " ".join(f"{phase} {figures['phases_p50_ms'][phase]:g}/{figures['phases_p95_ms'][phase]:g}"
                      for phase in PHASES)
    return (f"  {name:10}  {figures['arrivals']} arrivals, {figures['failures']} failed {figures['failure_reasons']}"
            f"  p50/p95/p99 {figures['p50_ms']:g}/{figures['p95_ms']:g}/{figures['p99_ms']:g} ms"
            f"  max {figures['max_ms']:g} ms\n"
            f"  {'':10}  phases p50/p95 ms: {phases}  requests {figures['requests']}"
            f" (304: {figures['not_modified']}, from cache: {figures['from_cache']})\n"
            f"  {'':10}  server cpu {figures['server_cpu_s']} s ({figures['server_cpu_ms_per_arrival']} ms per arrival)"
            + (f"  nginx {figures['nginx_cpu_ms_per_arrival']} ms per arrival, sockets per worker "
               f"{figures['sockets_per_worker']}" if "nginx_cpu_ms_per_arrival" in figures else "")
            + f"  load cpu {figures['load_cpu_s']} s  load average {figures['load_average']}"
            f"  storm {figures['storm_s']} s")


def target_met(figures: dict) -> bool:
    return (figures["failures"] <= TARGET["failures"] and figures["p95_ms"] <= TARGET["p95_ms"]
            and figures["p99_ms"] <= TARGET["p99_ms"])


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000, help="participants arriving")
    parser.add_argument("--seconds", type=float, default=15, help="the arrivals come evenly over this time")
    parser.add_argument("--repeat", type=int, default=1, help="runs; medians reported, failures the worst")
    add_server_options(parser, processes=4,
                       workers_help="run through nginx onto this many gevent workers (PostgreSQL and a Redis queue), "
                                    "and the same arrivals on 1 worker")
    options = parser.parse_args()
    if min(options.clients, options.processes, options.repeat) < 1 or options.seconds <= 0 or options.workers < 0:
        parser.error("--clients, --seconds, --processes and --repeat must be positive, --workers not negative")
    return options


def main() -> None:
    options = parse_options()
    backend = server_backend(options)
    print(f"{options.clients} participants arriving over {options.seconds:g} s from their invite links, in "
          f"{options.processes} load processes, {backend}"
          + (f", through nginx onto 1 then {options.workers} workers with a Redis queue" if options.workers else "")
          + f", {options.repeat} run(s)", flush=True)
    with migrated_instance("bench-join-storm-", options.database) as env:
        app, setup, invites = seed(env, options.clients)
        runs = [one_run(env, setup, invites, options) for _ in range(options.repeat)]
        release(app)
    summary = combine_runs(runs, {"failures"})
    summary["target_met"] = target_met(summary)
    if "one_worker" in summary:
        summary["one_worker"]["target_met"] = target_met(summary["one_worker"])
    print(json.dumps(jsonable({**summary, "clients": options.clients, "seconds": options.seconds,
                               "database": backend, "processes": options.processes, "cores": os.cpu_count(),
                               "repeat": options.repeat, **({"runs": runs} if options.repeat > 1 else {})})))


if __name__ == "__main__":
    if sys.argv[1:2] == [LOAD_PROCESS]:
        run_load_process()
    else:
        main()
