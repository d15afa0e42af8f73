"""Live poll benchmark: N signed-in participants vote over Socket.IO, beside a bare python-socketio floor.

Starts the real server as `make run` does (one gevent process; SQLite in a
fresh instance folder, or a fresh database made on the PostgreSQL server given
with --database and dropped afterwards), creates a workshop with N participants,
an agenda session and an open single-choice poll, and connects N clients over
websocket, each signed in with its own session cookie and on the session's page,
spread over several load processes (gevent, one bench/socket_client.py client per voter).
Every client votes once, the votes evenly spread over T seconds, as the browser
votes: `vote` with an acknowledgement. A vote's latency runs from sending it
until its voter receives a results fragment whose version includes it; the
final tally time runs from the last vote sent until every client shows N voters.
The floor is bench/floor_server.py (no database, no sign-in, no templates, same
flush interval) driven by the same clients in the same run.

    .venv/bin/python bench/live_polls.py [--clients 1000] [--seconds 10] [--database postgresql://127.0.0.1/test]
    .venv/bin/python bench/live_polls.py --workers 2     # through nginx: 1 worker, then 2 (PostgreSQL, Redis)

With --workers N the app runs as `python -m workshop.cluster` does (N gevent
workers behind nginx, PostgreSQL, a Redis message queue), the clients connect
through nginx from many loopback addresses (127.1.x.y) so that its
`hash $remote_addr consistent` spreads them, and the same load runs first on
1 worker; the JSON adds `workers` and `one_worker`.

The last line of output is a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import time
from pathlib import Path

from common import (PYTHON, ROOT, cpu_seconds, free_port, migrated_instance, peak_rss_mb, percentile, release,
                    seed_session, start_server, stop, stop_loads, wait_for)

CODE = "BENCH-LIVE-POLLS"
FLUSH_SECONDS = 0.15
SETTLE_SECONDS = 30  # how long the clients wait for the last tallies before giving up
OPTIONS = 3


# The database and the people in it -------------------------------------------------------------

def seed(env: dict, clients: int):
    """Workshop, participants and a session; returns the app and what the clients need."""
    return seed_session(env, clients, code=CODE, who="Voter", session_title="Plenary with a poll")


def open_fresh_poll(app, setup: dict) -> dict:
    """Close the session's open polls and open a new single-choice one: each measured run votes on its own poll."""
    from sqlalchemy import select

    from workshop.agenda.models import AgendaSession
    from workshop.db import db
    from workshop.polls import services as polls
    from workshop.polls.models import Poll, PollState

    with app.app_context():
        session = db.session.get(AgendaSession, setup["session"])
        for poll in db.session.scalars(select(Poll).where(Poll.session_id == session.id, Poll.state == PollState.OPEN)):
            polls.close_poll(poll)
        poll = polls.create_poll(session, {"kind": "single choice", "question": "Which option?", "results_visible": "y",
                                           "options": "\n".join(f"Option {i + 1}" for i in range(OPTIONS))})
        db.session.flush()
        polls.open_poll(poll)
        db.session.commit()
        fresh = {**setup, "poll": poll.id, "options": [o.id for o in poll.options]}
        db.session.remove()
    return fresh


def ballots_stored(app, poll_id: int) -> int:
    from sqlalchemy import func, select

    from workshop.db import db
    from workshop.polls.models import Ballot

    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id))
        db.session.remove()
        return stored


# Driving one server -------------------------------------------------------------------------------

def loopback_source(index: int) -> str:
    """A loopback address of its own for client ``index`` (127.1.0.1, 127.1.0.2, ...): a crowd from many hosts."""
    return f"127.1.{index // 250}.{index % 250 + 1}"


def connections_per_worker(ports: list[int]) -> list[int]:
    """Established connections on each worker's port (nginx's upstream connections): how the clients spread."""
    counts = []
    for port in ports:
        listing = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"],
                                 capture_output=True, text=True).stdout
        counts.append(len(listing.splitlines()))
    return counts


def run_voters(server_pids: list[int], port: int, setup: dict, cookies: list[str], options,
               spread_sources: bool = False, after_connect=None) -> dict:
    """Connect every client, vote, wait for the tallies; the figures of this server (all its processes)."""
    count = len(cookies)
    loads = []
    for p in range(options.processes):
        voters = [{"index": i, "cookie": cookies[i], "source": loopback_source(i) if spread_sources else None}
                  for i in range(p, count, options.processes)]
        worker = subprocess.Popen([PYTHON, str(ROOT / "bench" / "poll_voters.py")], cwd=ROOT, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        worker.stdin.write(json.dumps({**setup, "url": f"http://127.0.0.1:{port}", "voters": voters,
                                       "expect": count, "connect_concurrency": options.connect_concurrency}) + "\n")
        worker.stdin.flush()
        loads.append(worker)
    try:
        connect_started, cpu_before_connect = time.monotonic(), server_cpu(server_pids)
        ready = [json.loads(worker.stdout.readline() or "{}") for worker in loads]
        connected = sum(r.get("connected", 0) for r in ready)
        connect_s = time.monotonic() - connect_started
        failures = [f for r in ready for f in r.get("failures", [])]
        if connected != count:
            raise SystemExit(f"only {connected} of {count} clients connected: {failures}")
        spread = after_connect() if after_connect else None
        cpu_before = server_cpu(server_pids)
        load_before = sum(cpu_seconds(worker.pid) for worker in loads)
        start = time.monotonic() + 0.5
        go = {"start": start, "spacing": options.seconds / count, "settle_seconds": SETTLE_SECONDS}
        for worker in loads:
            worker.stdin.write(json.dumps(go) + "\n")
            worker.stdin.flush()
        reports = [v for worker in loads for v in json.loads(worker.stdout.readline() or '{"voters": []}')["voters"]]
        cpu_used = server_cpu(server_pids) - cpu_before
        load_cpu = sum(cpu_seconds(worker.pid) for worker in loads) - load_before
        peak = round(sum(peak_rss_mb(pid) for pid in server_pids), 1)
    finally:
        stop_loads(loads)
    figures = summarize(reports, count, connect_s, cpu_before - cpu_before_connect, cpu_used, peak)
    return {**figures, "load_cpu_s": round(load_cpu, 2), **({"connections_per_worker": spread} if spread else {})}


def child_pids(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def server_cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def summarize(reports: list[dict], count: int, connect_s: float, connect_cpu: float, cpu: float, peak: float) -> dict:
    sent = [r for r in reports if r["sent_at"] is not None]
    latencies = sorted(r["latency_ms"] for r in reports if r["latency_ms"] is not None)
    acks = sorted(r["ack_ms"] for r in reports if r["ack_ms"] is not None)
    last_sent = max(r["sent_at"] for r in sent)
    finals = [r["final_at"] for r in reports]
    refused = [r["message"] for r in reports if r["sent_at"] is not None and not r["ok"]]
    return {
        "clients": count,
        "votes_sent": len(sent),
        "votes_acked": sum(1 for r in reports if r["ok"]),
        "refused": len(refused),
        "refusals": sorted(set(m or "no answer" for m in refused))[:3],
        "with_latency": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "ack_p50_ms": round(statistics.median(acks), 1) if acks else None,
        "ack_p95_ms": round(percentile(acks, 0.95), 1),
        "clients_with_final_tally": sum(1 for f in finals if f is not None),
        "final_tally_ms": round((max(finals) - last_sent) * 1000, 1) if all(finals) else None,
        "fragments_received": sum(r["fragments"] for r in reports),
        "connect_s": round(connect_s, 2),
        "connect_cpu_s": round(connect_cpu, 2),
        "server_cpu_s": round(cpu, 2),
        "server_peak_rss_mb": peak,
    }


def measure_floor(setup: dict, cookies: list[str], options) -> dict:
    port = free_port()
    floor = subprocess.Popen([PYTHON, str(ROOT / "bench" / "floor_server.py"), str(port), str(FLUSH_SECONDS)],
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        wait_for(port, floor)
        return run_voters([floor.pid], port, {**setup, "poll": 1, "options": [1, 2, 3]}, cookies, options)
    finally:
        stop(floor)


def measure_app(env: dict, setup: dict, cookies: list[str], options) -> dict:
    server = start_server(env)
    try:
        return run_voters([server.pid], int(env["WORKSHOP_PORT"]), setup, cookies, options)
    finally:
        stop(server)


def measure_cluster(env: dict, setup: dict, cookies: list[str], options, workers: int) -> dict:
    """The same load through nginx onto ``workers`` gevent workers, the clients from many loopback addresses."""
    from workshop.cluster import Cluster

    cluster = Cluster([free_port() for _ in range(workers)], "127.0.0.1", free_port(), environ=env,
                      output=subprocess.DEVNULL)
    try:
        cluster.start()
        pids = [process.pid for process in cluster.processes.values()]
        nginx = [cluster.nginx.pid, *child_pids(cluster.nginx.pid)]  # the master and its worker process
        nginx_before = server_cpu(nginx)
        figures = run_voters(pids, cluster.port, setup, cookies, options, spread_sources=True,
                             after_connect=lambda: connections_per_worker(cluster.worker_ports))
        return {**figures, "workers": workers, "nginx_cpu_s": round(server_cpu(nginx) - nginx_before, 2)}
    finally:
        cluster.stop()


# Report -------------------------------------------------------------------------------------------

def ratio(app_value, floor_value):
    return round(app_value / floor_value, 2) if app_value and floor_value else None


BASELINE_KEYS = ("clients", "votes_acked", "p50_ms", "p95_ms", "p99_ms", "final_tally_ms", "server_cpu_s",
                 "server_peak_rss_mb", "ack_p50_ms", "ack_p95_ms", "load_cpu_s")


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--database", help="a PostgreSQL server URL; a fresh database is made on it and dropped")
    parser.add_argument("--workers", type=int, default=0,
                        help="run through nginx onto this many gevent workers (PostgreSQL and a Redis queue), "
                             "and the same load on 1 worker")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the message queue for --workers")
    parser.add_argument("--processes", type=int, default=4, help="load processes the clients are spread over")
    parser.add_argument("--connect-concurrency", type=int, default=20, help="connections opened at once per process")
    options = parser.parse_args()
    if options.clients < 1 or options.seconds <= 0 or options.processes < 1 or options.workers < 0:
        parser.error("--clients, --seconds and --processes must be positive, --workers not negative")
    if options.workers and not options.database:
        options.database = "postgresql://127.0.0.1:5432/test"  # several workers need a database server
    return options


def measured_runs(env: dict, app, setup: dict, cookies: list[str], options) -> dict:
    """The app's runs, each on a poll of its own: one server, or 1 worker then N workers behind nginx."""
    def counted(figures: dict, poll: dict) -> dict:
        stored = ballots_stored(app, poll["poll"])
        return {**figures, "ballots_stored": stored, "lost": figures["votes_sent"] - stored}

    if not options.workers:
        poll = open_fresh_poll(app, setup)
        return {"app": counted(measure_app(env, poll, cookies, options), poll)}
    env = {**env, "WORKSHOP_MESSAGE_QUEUE": options.redis,
           "WORKSHOP_PRESENCE_PREFIX": f"bench-live-polls:{os.getpid()}:{secrets.token_hex(3)}:"}
    runs = {}
    for workers in (1, options.workers):
        poll = open_fresh_poll(app, setup)
        runs[f"{workers} worker(s)"] = counted(measure_cluster(env, poll, cookies, options, workers), poll)
    return runs


def print_run(name: str, figures: dict) -> None:
    print(f"  {name:12}  acked {figures['votes_acked']:5}  p50 {figures['p50_ms']} ms  p95 {figures['p95_ms']} ms"
          f"  p99 {figures['p99_ms']} ms  max {figures['max_ms']} ms  final tally {figures['final_tally_ms']} ms"
          f"  ack p50/p95 {figures['ack_p50_ms']}/{figures['ack_p95_ms']} ms"
          f"  server cpu {figures['server_cpu_s']} s  load cpu {figures['load_cpu_s']} s"
          f"  peak rss {figures['server_peak_rss_mb']} MB"
          f"  (connect {figures['connect_s']} s, {figures['connect_cpu_s']} cpu s)")
    if "ballots_stored" in figures:
        print(f"  {'':12}  {figures['ballots_stored']} ballots stored, {figures['lost']} lost, "
              f"{figures['refused']} refused {figures['refusals']}"
              + (f", connections per worker {figures['connections_per_worker']}, nginx cpu {figures['nginx_cpu_s']} s"
                 if "workers" in figures else ""))


def main() -> None:
    options = parse_options()
    with migrated_instance("bench-live-polls-", options.database) as env:
        app, setup, cookies = seed(env, options.clients)
        floor = measure_floor(setup, cookies, options)
        runs = measured_runs(env, app, setup, cookies, options)
        release(app)

    backend = "PostgreSQL" if options.database else "SQLite"
    print(f"{options.clients} clients in {options.processes} load processes, votes over {options.seconds:g} s, "
          f"flush {FLUSH_SECONDS} s, {backend}" + (", through nginx with a Redis queue" if options.workers else ""))
    print_run("floor", floor)
    for name, figures in runs.items():
        print_run(name, figures)
    result = list(runs.values())[-1]
    ratios = {key: ratio(result[key], floor[key]) for key in ("p50_ms", "p95_ms", "p99_ms", "final_tally_ms",
                                                                "server_cpu_s", "server_peak_rss_mb")}
    print("  app over floor: " + ", ".join(f"{key} x{value}" for key, value in ratios.items()))
    summary = {**result, "database": backend, "seconds": options.seconds, "processes": options.processes,
               "baseline": {key: floor[key] for key in BASELINE_KEYS}, "app_over_floor": ratios}
    if options.workers:
        summary["workers"] = options.workers
        summary["one_worker"] = list(runs.values())[0]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
