"""What the benchmarks share: free loopback ports, starting the real server and its CPU and memory, the seeded
people (and a moderator) with their session cookies, a moderator's form posts, when actions arrive (--arrival),
percentiles (infinite when nothing was shown) and medians over repeated runs."""

from __future__ import annotations

import math
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BURST_SECONDS = 2.0  # --arrival burst: half of the actions come within this long of the start
PARTICIPANT, DESK, PROJECTOR = "participant", "desk", "projector"  # the pages of a live session
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


DATABASE_SERVER = "postgresql://127.0.0.1:5432/test"  # where --workers makes its database unless --database says


def add_server_options(parser, *, processes: int, workers_help: str) -> None:
    """The options every live benchmark shares: where the app runs and over how many load processes."""
    parser.add_argument("--database", help="a PostgreSQL server URL; a fresh database is made on it and dropped")
    parser.add_argument("--workers", type=int, default=0, help=workers_help)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the message queue for --workers")
    parser.add_argument("--processes", type=int, default=processes, help="load processes the pages are spread over")


def server_backend(options) -> str:
    """The database the run uses, named: several workers need a database server (``DATABASE_SERVER`` unless
    --database names one)."""
    if options.workers and not options.database:
        options.database = DATABASE_SERVER
    return "PostgreSQL" if options.database else "SQLite"


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
    # The certificates' fonts from `make run`'s folder, made before the server starts (start_server): made by the
    # served process itself, a fresh instance's would cost minutes of CPU beside what is measured.
    env = {"WORKSHOP_CERTIFICATE_FONT_CACHE": str(ROOT / "instance" / "fonts"), **os.environ,
           "WORKSHOP_INSTANCE_PATH": str(instance), "WORKSHOP_PORT": str(port)}
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


def start_server(env: dict, output=subprocess.DEVNULL) -> subprocess.Popen:
    """``python -m workshop.serve`` as ``make run`` starts it (gevent, one process), once it answers; its output
    (both streams) to ``output``, by default nowhere."""
    flask_command(env, "certificate-fonts")
    process = subprocess.Popen([PYTHON, "-m", "workshop.serve"], cwd=ROOT, env=env, stdout=output,
                               stderr=subprocess.STDOUT)
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
    """The nearest-rank percentile of an ascending list; infinite for an empty one (nothing was ever shown)."""
    if not ordered:
        return math.inf
    return ordered[max(0, min(len(ordered) - 1, nearest_rank(len(ordered), share) - 1))]


def nearest_rank(count: int, share: float) -> int:
    """The 1-based rank of the ``share`` percentile among ``count`` values (100 x 0.95 is 95, not 96)."""
    return max(1, math.ceil(round(count * share, 6)))


def jsonable(value):
    """Figures as JSON: an infinite one (never shown) is the string "inf", which strict JSON parsers accept."""
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    return value


def arrival_offsets(count: int, seconds: float, arrival: str) -> list[float]:
    """When each of ``count`` actions comes, in seconds from the start, in order.

    ``even``: evenly over ``seconds``. ``burst``: the first half within the first
    BURST_SECONDS (as when a poll opens or a Q&A starts), the rest evenly over the
    remaining time.
    """
    if arrival == "even" or count < 2:
        return [n * seconds / count for n in range(count)]
    window = min(BURST_SECONDS, seconds / 2)
    first = (count + 1) // 2
    rest = count - first
    return [n * window / first for n in range(first)] + [window + n * (seconds - window) / rest for n in range(rest)]


def middle(values: list[float]) -> float:
    """The median, a whole number when it is one (of counts), else rounded to hundredths."""
    median = statistics.median(values)
    return int(median) if float(median).is_integer() else round(median, 2)


def combine_runs(runs: list[dict], worst: set[str]) -> dict:
    """--repeat: the median of each figure over the runs, but the worst (largest) for the keys in ``worst``
    (what was lost); anything that is not a number is the last run's."""
    combined = {}
    for key, last in runs[-1].items():
        values = [run.get(key) for run in runs]
        if isinstance(last, dict) and all(isinstance(value, dict) for value in values):
            combined[key] = combine_runs(values, worst)
        elif all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values):
            combined[key] = max(values) if key in worst else middle(values)
        else:
            combined[key] = last
    return combined


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
        cookies = [signed_cookie(signer, person) for person in people]
        setup = {"code": code, "session": session.id, "people": [person.id for person in people], **extra}
    return app, setup, cookies


def signed_cookie(signer, person) -> str:
    """The session cookie the server sets when this person signs in."""
    return f"session={signer.dumps({'_user_id': person.get_id(), '_fresh': True})}"


def add_moderator(app, setup: dict) -> str:
    """A moderator of the seeded workshop (the desk's and the projector's account); returns its session cookie."""
    from sqlalchemy import select

    from workshop.accounts import services as accounts
    from workshop.db import db
    from workshop.workshops.models import Membership, Origin, Role, Workshop

    with app.app_context():
        workshop_id = db.session.scalar(select(Workshop.id).where(Workshop.code == setup["code"]))
        moderator = accounts.create_person(email="moderator@bench.example.org", name="Bench Moderator",
                                           country="PH", organization="Secretariat")
        db.session.add(Membership(workshop_id=workshop_id, person=moderator, role=Role.MODERATOR, origin=Origin.LOCAL))
        db.session.commit()
        cookie = signed_cookie(app.session_interface.get_signing_serializer(app), moderator)
        db.session.remove()
    return cookie


class StaffForm:
    """A moderator's page with a form, loaded as the browser loads it (its CSRF token, and the session cookie that
    page set), so that posting from it later costs only the post."""

    def __init__(self, base_url: str, cookie: str, page_path: str):
        import requests

        self.base_url = base_url
        self.browser = requests.Session()
        self.browser.headers["Cookie"] = cookie
        page = self.browser.get(base_url + page_path, timeout=60)
        page.raise_for_status()
        self.token = CSRF.search(page.text).group(1)
        name = cookie.split("=", 1)[0]
        if name in page.cookies:
            self.browser.headers["Cookie"] = f"{name}={page.cookies[name]}"

    def post(self, path: str, data: dict | None = None) -> None:
        answer = self.browser.post(self.base_url + path, data={"csrf_token": self.token, **(data or {})}, timeout=60,
                                   allow_redirects=False)
        if answer.status_code >= 400:
            raise SystemExit(f"{path} answered {answer.status_code}: {answer.text[-500:]}")
