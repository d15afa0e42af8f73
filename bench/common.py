"""What the benchmarks share: free loopback ports, starting the real server, and its CPU and memory."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not answer in {seconds} s")


def server_env(instance: Path, port: int, database_url: str | None = None) -> dict:
    """The environment of the real server: a fresh instance folder, SQLite in it unless a database is given."""
    env = {**os.environ, "WORKSHOP_INSTANCE_PATH": str(instance), "WORKSHOP_PORT": str(port)}
    env.pop("WORKSHOP_DATABASE_URL", None)
    env.pop("WORKSHOP_MESSAGE_QUEUE", None)
    if database_url:
        env["WORKSHOP_DATABASE_URL"] = database_url
    return env


def flask_command(env: dict, *command: str) -> None:
    subprocess.run([PYTHON, "-m", "flask", "--app", "workshop", *command], cwd=ROOT, env=env, check=True,
                   capture_output=True)


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


@contextmanager
def migrated_instance(prefix: str, database_admin_url: str | None = None):
    """The server environment of a fresh instance folder and a migrated database: SQLite in the folder, or a new
    database on the PostgreSQL server given. Both are removed afterwards."""
    instance = Path(tempfile.mkdtemp(prefix=prefix))
    database_url, drop = fresh_postgres(database_admin_url) if database_admin_url else (None, None)
    try:
        env = server_env(instance, free_port(), database_url)
        flask_command(env, "db", "upgrade")
        yield env
    finally:
        if drop:
            drop()
        shutil.rmtree(instance, ignore_errors=True)


def release(app) -> None:
    """Close the seeding app's database connections (before its database is dropped)."""
    from workshop.db import db

    with app.app_context():
        db.engine.dispose()


def wait_until_quiet(clients, quiet: float = 1.0, longest: float = 60) -> None:
    """In a load process: wait until no client has received anything for ``quiet`` seconds (the arrivals'
    presence broadcasts are over), so that what is timed next does not queue behind them."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline and time.monotonic() - max(c.last_fragment_at for c in clients) < quiet:
        time.sleep(0.1)


def start_server(env: dict) -> subprocess.Popen:
    """``python -m workshop.serve`` as ``make run`` starts it (gevent, one process), once it answers."""
    process = subprocess.Popen([PYTHON, "-m", "workshop.serve"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(int(env["WORKSHOP_PORT"]), process)
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def stop_loads(loads: list[subprocess.Popen]) -> None:
    """Tell each load process the run is over (it drops its connections and exits); kill any that hangs."""
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


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime and stime, fields 14 and 15


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not ordered:
        return 0.0
    return ordered[max(0, min(len(ordered) - 1, int(len(ordered) * share + 0.999999) - 1))]


def seed_session(env: dict, clients: int, *, code: str, who: str, session_title: str, prepare=None):
    """A workshop with ``clients`` participants and a running session, made in-process.

    ``prepare(session)`` runs before the commit (for a poll, say) and returns more
    fields for the clients' setup. Returns the app, the setup and one signed
    session cookie per participant (as the server sets on sign-in).
    """
    from datetime import date, datetime, timedelta, timezone

    os.environ.update({k: v for k, v in env.items() if k.startswith("WORKSHOP_")})
    sys.path.insert(0, str(ROOT))
    from workshop import create_app
    from workshop.accounts import services as accounts
    from workshop.agenda.models import AgendaSession, SessionKind
    from workshop.db import db
    from workshop.workshops.models import Membership, Origin, Role, Workshop

    app = create_app({"ASYNC_MODE": "threading"})
    signer = app.session_interface.get_signing_serializer(app)
    with app.app_context():
        today = date.today()
        workshop = Workshop(title=f"{session_title} (benchmark)", code=code, starts_on=today, ends_on=today,
                            timezone="UTC")
        db.session.add(workshop)
        people = []
        for n in range(clients):
            person = accounts.create_person(email=f"{who.lower()}{n}@bench.example.org", name=f"{who} {n:04d}",
                                            country="PH", organization="Benchmark")
            db.session.add(Membership(workshop=workshop, person=person, role=Role.PARTICIPANT, origin=Origin.OVERSEAS))
            people.append(person)
        now = datetime.now(timezone.utc)
        session = AgendaSession(workshop=workshop, kind=SessionKind.PLENARY, title=session_title,
                                starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1))
        db.session.add(session)
        db.session.flush()
        extra = prepare(session) if prepare else {}
        db.session.commit()
        cookies = [f"session={signer.dumps({'_user_id': p.get_id(), '_fresh': True})}" for p in people]
        setup = {"code": code, "session": session.id, **extra}
    return app, setup, cookies
