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

The last line of output is a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import (PYTHON, ROOT, cpu_seconds, flask_command, free_port, peak_rss_mb, percentile, seed_session,
                    server_env, start_server, stop, wait_for)

CODE = "BENCH-LIVE-POLLS"
FLUSH_SECONDS = 0.15
SETTLE_SECONDS = 30  # how long the clients wait for the last tallies before giving up
OPTIONS = 3


# The database and the people in it -------------------------------------------------------------

def fresh_postgres(admin_url: str) -> tuple[str, callable]:
    """A new database on the server at admin_url, and the function that drops it (as tests/conftest.py does)."""
    from sqlalchemy import create_engine, text

    admin_url = re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql+psycopg://", admin_url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"workshop_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin.url.set(database=name).render_as_string(hide_password=False), drop


def seed(env: dict, clients: int):
    """Workshop, participants, session and an open poll; returns the app and what the clients need."""

    def open_poll(session) -> dict:
        from workshop.db import db
        from workshop.polls import services as polls

        poll = polls.create_poll(session, {"kind": "single choice", "question": "Which option?", "results_visible": "y",
                                           "options": "\n".join(f"Option {i + 1}" for i in range(OPTIONS))})
        db.session.flush()
        polls.open_poll(poll)
        db.session.flush()
        return {"poll": poll.id, "options": [o.id for o in poll.options]}

    return seed_session(env, clients, code=CODE, who="Voter", session_title="Plenary with a poll", prepare=open_poll)


def ballots_stored(app, poll_id: int) -> int:
    from sqlalchemy import func, select

    from workshop.db import db
    from workshop.polls.models import Ballot

    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id))
        db.session.remove()
        return stored


# Driving one server -------------------------------------------------------------------------------

def run_voters(server: subprocess.Popen, port: int, setup: dict, cookies: list[str], options) -> dict:
    """Connect every client, vote, wait for the tallies; the figures of this server."""
    count = len(cookies)
    loads = []
    for p in range(options.processes):
        voters = [{"index": i, "cookie": cookies[i]} for i in range(p, count, options.processes)]
        worker = subprocess.Popen([PYTHON, str(ROOT / "bench" / "poll_voters.py")], cwd=ROOT, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        worker.stdin.write(json.dumps({**setup, "url": f"http://127.0.0.1:{port}", "voters": voters,
                                       "expect": count, "connect_concurrency": options.connect_concurrency}) + "\n")
        worker.stdin.flush()
        loads.append(worker)
    try:
        connect_started, cpu_before_connect = time.monotonic(), cpu_seconds(server.pid)
        ready = [json.loads(worker.stdout.readline() or "{}") for worker in loads]
        connected = sum(r.get("connected", 0) for r in ready)
        connect_s = time.monotonic() - connect_started
        failures = [f for r in ready for f in r.get("failures", [])]
        if connected != count:
            raise SystemExit(f"only {connected} of {count} clients connected: {failures}")
        cpu_before = cpu_seconds(server.pid)
        load_before = sum(cpu_seconds(worker.pid) for worker in loads)
        start = time.monotonic() + 0.5
        go = {"start": start, "spacing": options.seconds / count, "settle_seconds": SETTLE_SECONDS}
        for worker in loads:
            worker.stdin.write(json.dumps(go) + "\n")
            worker.stdin.flush()
        reports = [v for worker in loads for v in json.loads(worker.stdout.readline() or '{"voters": []}')["voters"]]
        cpu_used = cpu_seconds(server.pid) - cpu_before
        load_cpu = sum(cpu_seconds(worker.pid) for worker in loads) - load_before
        peak = peak_rss_mb(server.pid)
    finally:
        for worker in loads:
            try:
                worker.stdin.write("done\n")
                worker.stdin.close()
            except OSError:
                pass
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(10)
    figures = summarize(reports, count, connect_s, cpu_before - cpu_before_connect, cpu_used, peak)
    return {**figures, "load_cpu_s": round(load_cpu, 2)}


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
        return run_voters(floor, port, {**setup, "poll": 1, "options": [1, 2, 3]}, cookies, options)
    finally:
        stop(floor)


def measure_app(env: dict, setup: dict, cookies: list[str], options) -> dict:
    server = start_server(env)
    try:
        return run_voters(server, int(env["WORKSHOP_PORT"]), setup, cookies, options)
    finally:
        stop(server)


# Report -------------------------------------------------------------------------------------------

def ratio(app_value, floor_value):
    return round(app_value / floor_value, 2) if app_value and floor_value else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--database", help="a PostgreSQL server URL; a fresh database is made on it and dropped")
    parser.add_argument("--processes", type=int, default=4, help="load processes the clients are spread over")
    parser.add_argument("--connect-concurrency", type=int, default=20, help="connections opened at once per process")
    options = parser.parse_args()
    if options.clients < 1 or options.seconds <= 0 or options.processes < 1:
        parser.error("--clients, --seconds and --processes must be positive")

    instance = Path(tempfile.mkdtemp(prefix="bench-live-polls-"))
    database_url, drop = fresh_postgres(options.database) if options.database else (None, None)
    try:
        env = server_env(instance, free_port(), database_url)
        flask_command(env, "db", "upgrade")
        app, setup, cookies = seed(env, options.clients)
        floor = measure_floor(setup, cookies, options)
        result = measure_app(env, setup, cookies, options)
        result["ballots_stored"] = ballots_stored(app, setup["poll"])
        result["lost"] = result["votes_sent"] - result["ballots_stored"]
        with app.app_context():
            from workshop.db import db
            db.engine.dispose()
    finally:
        if drop:
            drop()
        shutil.rmtree(instance, ignore_errors=True)

    backend = "PostgreSQL" if database_url else "SQLite"
    print(f"{options.clients} clients in {options.processes} load processes, votes over {options.seconds:g} s, "
          f"flush {FLUSH_SECONDS} s, {backend}")
    for name, figures in (("floor", floor), ("app", result)):
        print(f"  {name:5}  acked {figures['votes_acked']:5}  p50 {figures['p50_ms']} ms  p95 {figures['p95_ms']} ms"
              f"  p99 {figures['p99_ms']} ms  max {figures['max_ms']} ms  final tally {figures['final_tally_ms']} ms"
              f"  ack p50/p95 {figures['ack_p50_ms']}/{figures['ack_p95_ms']} ms"
              f"  server cpu {figures['server_cpu_s']} s  load cpu {figures['load_cpu_s']} s"
              f"  peak rss {figures['server_peak_rss_mb']} MB"
              f"  (connect {figures['connect_s']} s, {figures['connect_cpu_s']} cpu s)")
    print(f"  app: {result['ballots_stored']} ballots stored, {result['lost']} lost, {result['refused']} refused"
          f" {result['refusals']}")
    ratios = {key: ratio(result[key], floor[key]) for key in ("p50_ms", "p95_ms", "p99_ms", "final_tally_ms",
                                                                "server_cpu_s", "server_peak_rss_mb")}
    print("  app over floor: " + ", ".join(f"{key} x{value}" for key, value in ratios.items()))
    summary = {**result, "database": backend, "seconds": options.seconds, "processes": options.processes,
               "baseline": {key: floor[key] for key in ("clients", "votes_acked", "p50_ms", "p95_ms", "p99_ms",
                                                        "final_tally_ms", "server_cpu_s", "server_peak_rss_mb",
                                                        "ack_p50_ms", "ack_p95_ms", "load_cpu_s")},
               "app_over_floor": ratios}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
