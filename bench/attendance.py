"""Attendance benchmark: 1,000 participants on a session's page through a simulated 3-hour day, each reconnecting
about every 10 minutes; what recording their attendance writes and costs, and the organizers' grid for
1,000 people x 14 sessions.

Starts the real server as `make run` does (one gevent process; SQLite in a fresh instance folder, or a fresh
database on the PostgreSQL server given with --database, dropped afterwards). Seeds a workshop with N
participants, an organizer and 14 sessions: 13 earlier ones whose attendance is written straight into the
database (each person present in most of them, in one to three intervals, as recorded days look), and the
14th running now, whose attendance the run records live.

The day is compressed by --scale (time runs --scale times faster): a 3-hour day at --scale 20 lasts 9 minutes,
and each page, every 10 minutes of the day (30 s of the run, each wait drawn between half and one and a half of
it), loses its socket as a network does (no close handshake) and reconnects 0.25-0.75 s later, as live.js does.
Pages are real Socket.IO clients over websocket (bench/socket_client.py) in one gevent load process (this script
with --load-process), joined over the first 20 s. What compression changes: the rows written per simulated hour
are those of an uncompressed day (one row per connection, whatever its length); the server's CPU per simulated
hour is that of the connections' arrivals and departures (the same count as in a real day) plus the flush timer's
ticks, of which a real day has --scale times more (one every ATTENDANCE_FLUSH_SECONDS, each a heartbeat UPDATE
and the batch of rows; the idle tick costs well under a millisecond).

Reported: ``rows_written`` (the live session's intervals) and per simulated hour, ``connections`` made by the
pages, ``server_cpu_s`` over the day and per simulated hour, ``cpu_ms_per_connection``, the database's growth
(``db_growth_kb_per_hour``: the attendance table's size on PostgreSQL, the database file after a checkpoint on
SQLite), and the grid: ``grid_ms_p50``/``grid_ms_max`` over --grid-requests loads of the organizers' page
(1,000 x 14) with the workshop's home page as the same-run baseline (``home_ms_p50``, ``grid_to_home``);
``grid_ok`` is p50 <= 500 ms.

    .venv/bin/python bench/attendance.py                                   # 1000 pages, 3 h at --scale 20, SQLite
    .venv/bin/python bench/attendance.py --clients 100 --hours 0.5 --scale 60   # quickly
    .venv/bin/python bench/attendance.py --database postgresql://127.0.0.1:5432/test

Not part of `make test`. The last line of output is a JSON summary.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and "--load-process" in sys.argv:
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

from common import (PYTHON, ROOT, cpu_seconds, jsonable, migrated_instance, release, seed_session,  # noqa: E402
                    server_backend, signed_cookie, start_server, stop)

CODE = "BENCH-ATTENDANCE"
SESSIONS = 14
RECONNECT_EVERY_MINUTES = 10
COMEBACK = (0.25, 0.75)  # live.js's first reconnection delay, seconds
JOIN_SECONDS = 20.0
GRID_LIMIT_MS = 500


# The load process --------------------------------------------------------------------------------------------

def load_process() -> None:
    """Reads its orders as one JSON line; holds the pages through the day; prints what it did as one JSON line."""
    import gevent

    from socket_client import SocketClient

    orders = json.loads(sys.stdin.readline())
    url, auth, day, every = orders["url"], orders["auth"], orders["day_seconds"], orders["reconnect_every"]
    figures = {"connections": 0, "drops": 0, "failed": 0}
    ends_at = time.monotonic() + day

    def connect(client: SocketClient, cookie: str) -> bool:
        try:
            client.connect(url, cookie, auth, timeout=60)
        except Exception:  # noqa: BLE001 - refused or timed out: counted, and tried again at the next wave
            figures["failed"] += 1
            return False
        figures["connections"] += 1
        return True

    def page(n: int, cookie: str) -> None:
        gevent.sleep(JOIN_SECONDS * n / len(orders["cookies"]))
        client = SocketClient()
        connected = connect(client, cookie)
        while True:
            wait = random.uniform(0.5, 1.5) * every
            if time.monotonic() + wait >= ends_at:
                break
            gevent.sleep(wait)
            if connected:
                client.drop()
                figures["drops"] += 1
            gevent.sleep(random.uniform(*COMEBACK))
            client = SocketClient()
            connected = connect(client, cookie)
        gevent.sleep(max(0.0, ends_at - time.monotonic()))
        if connected:
            client.disconnect()

    gevent.joinall([gevent.spawn(page, n, cookie) for n, cookie in enumerate(orders["cookies"])])
    print(json.dumps(figures), flush=True)


# The coordinator ---------------------------------------------------------------------------------------------

def seed(env: dict, clients: int):
    """The workshop, its people and 14 sessions, the 13 earlier ones with recorded attendance; returns the app, the
    setup, the participants' cookies and the organizer's."""
    app, setup, cookies = seed_session(env, clients, code=CODE, who="Participant",
                                       session_title="Plenary being recorded")
    from sqlalchemy import insert, select

    from workshop.accounts import services as accounts
    from workshop.agenda.models import AgendaSession, SessionKind
    from workshop.attendance.models import AttendanceInterval
    from workshop.db import db
    from workshop.workshops.models import Membership, Origin, Role, Workshop

    with app.app_context():
        workshop = db.session.scalar(select(Workshop).where(Workshop.code == CODE))
        live = db.session.get(AgendaSession, setup["session"])
        live.ends_at = datetime.now(timezone.utc) + timedelta(hours=6)  # the whole run is within its span
        organizer = accounts.create_person(email="organizer@bench.example.org", name="Bench Organizer",
                                           country="PH", organization="Secretariat")
        db.session.add(Membership(workshop=workshop, person=organizer, role=Role.ORGANIZER, origin=Origin.LOCAL))
        first = live.starts_at - timedelta(days=3)
        earlier = [AgendaSession(workshop=workshop, kind=SessionKind.PLENARY, title=f"Earlier session {n + 1}",
                                 starts_at=first + timedelta(hours=5 * (n // 3) + 2 * (n % 3)),
                                 ends_at=first + timedelta(hours=5 * (n // 3) + 2 * (n % 3), minutes=90))
                   for n in range(SESSIONS - 1)]
        db.session.add_all(earlier)
        db.session.flush()
        randomly = random.Random(15)
        rows = []
        for person_id in setup["people"]:
            for session in earlier:
                if randomly.random() < 0.15:
                    continue  # missed it
                start = session.starts_at + timedelta(minutes=randomly.uniform(-10, 20))
                for piece in range(randomly.randint(1, 3)):
                    end = start + timedelta(minutes=randomly.uniform(15, 60))
                    rows.append({"workshop_id": workshop.id, "session_id": session.id, "person_id": person_id,
                                 "started_at": start, "ended_at": end, "source": "live", "worker_id": "seeded",
                                 "connection_id": f"{person_id}-{session.id}-{piece}", "reason": "",
                                 "created_at": end})
                    start = end + timedelta(minutes=randomly.uniform(0, 5))
        db.session.execute(insert(AttendanceInterval), rows)
        db.session.commit()
        organizer_cookie = signed_cookie(app.session_interface.get_signing_serializer(app), organizer)
        setup["seeded_rows"] = len(rows)
        db.session.remove()
    return app, setup, cookies, organizer_cookie


def database_bytes(app) -> int:
    """What the attendance rows take: the table with its indexes (PostgreSQL), or the whole database file after a
    checkpoint (SQLite, where the rest does not change during the run)."""
    from sqlalchemy import text

    from workshop.db import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            size = db.session.scalar(text("SELECT pg_total_relation_size('attendance_interval')"))
        else:
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            size = db.session.scalar(text("PRAGMA page_count")) * db.session.scalar(text("PRAGMA page_size"))
        db.session.remove()
    return int(size)


def live_rows(app, session_id: int) -> tuple[int, int]:
    """The live session's intervals, and how many of them are still open."""
    from sqlalchemy import func, select

    from workshop.attendance.models import AttendanceInterval
    from workshop.db import db

    with app.app_context():
        counted = db.session.execute(select(func.count(), func.count(AttendanceInterval.ended_at))
                                     .where(AttendanceInterval.session_id == session_id)).one()
        db.session.remove()
    return counted[0], counted[0] - counted[1]


def timed_gets(base_url: str, cookie: str, path: str, count: int, expect: str) -> list[float]:
    import requests

    browser = requests.Session()
    browser.headers["Cookie"] = cookie
    times = []
    for _ in range(count + 1):  # the first warms the caches and is not counted
        started = time.perf_counter()
        answer = browser.get(base_url + path, timeout=60)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200 or expect not in answer.text:
            raise SystemExit(f"{path} answered {answer.status_code} without {expect!r}")
    return sorted(times[1:])


def run(options) -> dict:
    backend = server_backend(options)
    day_seconds = options.hours * 3600 / options.scale
    with migrated_instance("workshop-bench-attendance-", options.database) as env:
        app, setup, cookies, organizer_cookie = seed(env, options.clients)
        base_url = f"http://127.0.0.1:{env['WORKSHOP_PORT']}"
        log = open(options.log, "wb") if options.log else subprocess.DEVNULL
        server = start_server(env, output=log)
        try:
            size_before, cpu_before = database_bytes(app), cpu_seconds(server.pid)
            load = subprocess.Popen([PYTHON, __file__, "--load-process"], cwd=ROOT / "bench", stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True)
            load.stdin.write(json.dumps({
                "url": base_url, "auth": {"workshop": CODE, "session": setup["session"]}, "cookies": cookies,
                "day_seconds": day_seconds, "reconnect_every": RECONNECT_EVERY_MINUTES * 60 / options.scale}) + "\n")
            load.stdin.flush()
            pages = json.loads(load.stdout.readline())
            load.wait(60)
            time.sleep(5)  # the last closings are written at the next flush (every 2 s)
            cpu = cpu_seconds(server.pid) - cpu_before
            rows, still_open = live_rows(app, setup["session"])
            growth = database_bytes(app) - size_before
            grid = timed_gets(base_url, organizer_cookie, f"/w/{CODE}/attendance", options.grid_requests,
                              "Participant 0000")
            home = timed_gets(base_url, organizer_cookie, f"/w/{CODE}/", options.grid_requests, "Attendance")
        finally:
            stop(server)
            release(app)
    hours = options.hours
    return {
        "backend": backend, "clients": options.clients, "hours": hours, "scale": options.scale,
        "real_seconds": round(day_seconds), "connections": pages["connections"], "drops": pages["drops"],
        "connect_failures": pages["failed"], "rows_written": rows, "rows_per_hour": round(rows / hours),
        "rows_left_open": still_open, "server_cpu_s": round(cpu, 1), "server_cpu_s_per_hour": round(cpu / hours, 1),
        "cpu_ms_per_connection": round(cpu * 1000 / max(1, pages["connections"]), 2),
        "db_growth_kb": round(growth / 1024), "db_growth_kb_per_hour": round(growth / 1024 / hours),
        "grid_people": options.clients + 1, "grid_sessions": SESSIONS, "grid_seeded_rows": setup["seeded_rows"],
        "grid_ms_p50": round(statistics.median(grid), 1), "grid_ms_max": round(grid[-1], 1),
        "home_ms_p50": round(statistics.median(home), 1),
        "grid_to_home": round(statistics.median(grid) / statistics.median(home), 1),
        "grid_ok": statistics.median(grid) <= GRID_LIMIT_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=3.0, help="the simulated day's length")
    parser.add_argument("--scale", type=float, default=20.0, help="how many times faster than real time")
    parser.add_argument("--grid-requests", type=int, default=7)
    parser.add_argument("--database", help="a PostgreSQL server URL; a fresh database is made on it and dropped")
    parser.add_argument("--log", help="write the server's output here")
    parser.add_argument("--load-process", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.load_process:
        load_process()
        return
    options.workers = 0
    result = run(options)
    print(f"{result['clients']} pages, {result['hours']} h day in {result['real_seconds']} s ({result['backend']}): "
          f"{result['connections']} connections, {result['rows_written']} rows written "
          f"({result['rows_per_hour']}/h, {result['rows_left_open']} left open), server CPU "
          f"{result['server_cpu_s']} s ({result['server_cpu_s_per_hour']} s/h, {result['cpu_ms_per_connection']} ms "
          f"per connection), database +{result['db_growth_kb']} KB ({result['db_growth_kb_per_hour']} KB/h)")
    print(f"grid {result['grid_people']} x {result['grid_sessions']}: p50 {result['grid_ms_p50']} ms, max "
          f"{result['grid_ms_max']} ms (home page {result['home_ms_p50']} ms, x{result['grid_to_home']}); "
          f"{'within' if result['grid_ok'] else 'over'} {GRID_LIMIT_MS} ms")
    print(json.dumps(jsonable(result)))


if __name__ == "__main__":
    main()
