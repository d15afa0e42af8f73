"""Page benchmark: the agenda, a session page and the workshop home under load, beside a bare Flask page.

Serves the demo archive workshop as `make run` does (one gevent process, SQLite in a
fresh instance folder), signs in 50 participants of different timezones with
their invite links, then for each page keeps 8 connections busy for the given
time, each request as the next participant in turn. The bare page is served
by the same gevent server with no database and no templates, in the same run.

    .venv/bin/python bench/pages.py [--seconds 20] [--connections 8]

The last line of output is a JSON summary.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PYTHON, ROOT, flask_command, free_port, server_env, start_server, stop, wait_for

CODE = "23-IP-02-GE-WSP-A"


def start_app(instance: Path, port: int) -> subprocess.Popen:
    env = server_env(instance, port)
    for command in (["db", "upgrade"], ["demo"]):
        flask_command(env, *command)
    return start_server(env)


def invite_paths(instance: Path) -> tuple[list[str], int]:
    """Invite paths of the 50 demo participants and the id of the first agenda session."""
    os.environ["WORKSHOP_INSTANCE_PATH"] = str(instance)
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from workshop import create_app
    from workshop.accounts.models import Invite
    from workshop.accounts.services import invite_token
    from workshop.agenda.models import AgendaSession
    from workshop.db import db
    from workshop.workshops.models import Workshop

    app = create_app({"ASYNC_MODE": "threading"})
    with app.app_context():
        # The archive workshop's: `flask demo` also makes a live copy, whose links open only the copy.
        workshop_id = db.session.scalar(select(Workshop.id).where(Workshop.code == CODE))
        invites = db.session.scalars(select(Invite).where(Invite.workshop_id == workshop_id,
                                                          Invite.revoked_at.is_(None)).order_by(Invite.id)).all()
        paths = [f"/invite/{invite_token(invite)}" for invite in invites]
        session_id = db.session.scalar(select(AgendaSession.id).where(AgendaSession.workshop_id == workshop_id)
                                       .order_by(AgendaSession.starts_at).limit(1))
    return paths, session_id


def sign_in(port: int, path: str) -> str:
    """Enter with an invite link as a browser does; returns the Cookie header of the signed-in session."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    connection.request("POST", path, body=f"csrf_token={token}", headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    assert response.status == 302, f"sign-in with {path} answered {response.status}"
    cookies = [h.split(";", 1)[0] for k, h in response.getheaders() if k.lower() == "set-cookie"]
    connection.close()
    return "; ".join(cookies)


def hammer(args) -> list[float]:
    """One connection: request the path as each participant in turn until the time is up; latencies in ms."""
    port, path, cookies, offset, seconds = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    n = offset
    while time.monotonic() < deadline:
        headers = {"Accept-Encoding": "br, gzip", "Accept-Language": "en-GB,en;q=0.8"}
        if cookies:
            headers["Cookie"] = cookies[n % len(cookies)]
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}")
        n += 1
    connection.close()
    return latencies


def measure(pool, port: int, path: str, cookies: list[str], connections: int, seconds: float) -> dict:
    started = time.monotonic()
    runs = pool.map(hammer, [(port, path, cookies, i * 7, seconds) for i in range(connections)])
    elapsed = time.monotonic() - started
    latencies = sorted(ms for run in runs for ms in run)
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 2),
        "max_ms": round(latencies[-1], 2),
        "over_250ms": sum(ms > 250 for ms in latencies),  # issue 17: none should be, the process must not stall
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=8)
    options = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    app_port, bare_port = free_port(), free_port()
    app_server = start_app(instance, app_port)
    bare_server = subprocess.Popen([PYTHON, str(ROOT / "bench" / "bare_server.py"), str(bare_port)])
    try:
        wait_for(bare_port, bare_server)
        paths, session_id = invite_paths(instance)
        cookies = [sign_in(app_port, path) for path in paths]
        pages = {
            "agenda": f"/w/{CODE}/agenda",
            "session": f"/w/{CODE}/s/{session_id}",
            "home": f"/w/{CODE}/",
        }
        results = {}
        # Load processes, not threads: one Python process cannot both send and time this many requests.
        with multiprocessing.Pool(options.connections) as pool:
            results["bare"] = measure(pool, bare_port, "/", [], options.connections, options.seconds)
            for name, path in pages.items():
                results[name] = measure(pool, app_port, path, cookies, options.connections, options.seconds)
    finally:
        stop(app_server)
        stop(bare_server)

    bare = results["bare"]
    print(f"{len(cookies)} signed-in participants, {options.connections} connections, {options.seconds:g} s per page")
    for name, figures in results.items():
        ratio = figures["rps"] / bare["rps"] if bare["rps"] else 0
        print(f"  {name:8} {figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:7.2f} ms  p95 {figures['p95_ms']:7.2f} ms"
              f"  max {figures['max_ms']:7.1f} ms ({figures['over_250ms']} over 250 ms)  ({ratio:.2f} of bare)")
    summary = {
        "connections": options.connections,
        "seconds": options.seconds,
        "participants": len(cookies),
        **{f"{name}_{key}": value for name, figures in results.items() for key, value in figures.items()},
        **{f"{name}_over_bare_rps": round(results[name]["rps"] / bare["rps"], 3) for name in pages},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
