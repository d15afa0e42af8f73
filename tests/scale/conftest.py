"""Several workers behind nginx on private PostgreSQL and Redis servers: the scene of the scale-out and fault tests."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import pytest
import socketio
from sqlalchemy import func, select

from tests.conftest import unavailable
from tests.scale.services import PrivatePostgres, PrivateRedis, free_port
from workshop import create_app
from workshop.cluster import Cluster

POLL_OPTIONS = 3
ONLINE = re.compile(r'data-testid="online-count">(\d+)<')


@pytest.fixture
def private_redis():
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed")
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_postgres():
    try:
        server = PrivatePostgres()
    except FileNotFoundError:
        unavailable("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    server.start()
    yield server
    server.remove()


@dataclass
class Tab:
    """A participant's browser tab on the session page: a Socket.IO client that reconnects as the browser does."""

    client: socketio.Client
    fragments: list[str] = field(default_factory=list)
    connects: list[float] = field(default_factory=list)
    disconnects: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    resyncs: int = 0

    def __post_init__(self):
        self.client.on("fragment", self._keep)
        self.client.on("resync", self._resync)
        self.client.on("connect", lambda: self.connects.append(time.monotonic()))
        self.client.on("disconnect", lambda *reason: self.disconnects.append(time.monotonic()))

    def _keep(self, html: str) -> None:
        with self.lock:
            self.fragments.append(html)

    def _resync(self, data=None) -> None:
        """As live.js does: reconnect, and the server sends the whole current state."""
        threading.Thread(target=self._reconnect, daemon=True).start()

    def _reconnect(self) -> None:
        self.resyncs += 1
        url, headers, auth = self.client.connection_url, self.client.connection_headers, self.client.connection_auth
        self.client.disconnect()
        self.client.connect(url, headers=headers, auth=auth, transports=["websocket"], wait_timeout=10)

    @classmethod
    def open(cls, url: str, cookie: str, auth: dict, *, reconnection: bool = True) -> Tab:
        client = socketio.Client(reconnection=reconnection, reconnection_delay=0.2, reconnection_delay_max=1,
                                 randomization_factor=0, request_timeout=10)
        tab = cls(client)
        client.connect(url, headers={"Cookie": cookie}, auth=auth, transports=["websocket"], wait_timeout=10)
        return tab

    def count_of(self, text: str) -> int:
        """How many fragments so far contained ``text``."""
        with self.lock:
            return sum(text in fragment for fragment in self.fragments)

    def online_counts(self) -> list[int]:
        with self.lock:
            return [int(n) for fragment in self.fragments for n in ONLINE.findall(fragment)]

    def wait_for(self, condition, seconds: float = 10, what: str = "it") -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.02)


@dataclass
class Scene:
    app: object
    cluster: Cluster
    code: str
    session_id: int
    poll_id: int
    options: list[int]
    cookies: list[str]
    people: list[int]  # person ids, in the order of the cookies
    tabs: list[Tab] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.cluster.port}"

    def open_tab(self, participant: int, port: int | None = None) -> Tab:
        """A tab of participant ``participant``, through nginx or straight to one worker's port."""
        tab = Tab.open(f"http://127.0.0.1:{port or self.cluster.port}", self.cookies[participant],
                       {"workshop": self.code, "session": self.session_id})
        self.tabs.append(tab)
        return tab

    def ballots(self) -> list[tuple[int, int]]:
        """(person id, chosen option) of every stored ballot of the poll."""
        from workshop.db import db
        from workshop.polls.models import Ballot, BallotChoice

        with self.app.app_context():
            rows = db.session.execute(select(Ballot.person_id, BallotChoice.option_id).join(BallotChoice)
                                      .where(Ballot.poll_id == self.poll_id)).all()
            db.session.remove()
        return [tuple(row) for row in rows]

    def ballot_count(self) -> int:
        from workshop.db import db
        from workshop.polls.models import Ballot

        with self.app.app_context():
            count = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == self.poll_id))
            db.session.remove()
        return count


def connections_per_worker(cluster: Cluster) -> dict[int, int]:
    """Established connections on each worker's port: which worker holds the clients."""
    counts = {}
    for port in cluster.worker_ports:
        listing = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"],
                                 capture_output=True, text=True).stdout
        counts[port] = len(listing.splitlines())
    return counts


def _seed(app, participants: int) -> tuple[dict, list[str]]:
    from workshop.accounts import services as accounts
    from workshop.agenda.models import AgendaSession, SessionKind
    from workshop.db import db
    from workshop.polls import services as polls
    from workshop.workshops.models import Membership, Origin, Role, Workshop

    signer = app.session_interface.get_signing_serializer(app)
    with app.app_context():
        workshop = Workshop(title="Scale-out", code="SCALE-OUT", starts_on=date.today(), ends_on=date.today(),
                            timezone="UTC")
        db.session.add(workshop)
        people = []
        for n in range(participants):
            person = accounts.create_person(email=f"p{n}@scale.example.org", name=f"Participant {n}", country="LK",
                                            organization="Test")
            db.session.add(Membership(workshop=workshop, person=person, role=Role.PARTICIPANT, origin=Origin.LOCAL))
            people.append(person)
        now = datetime.now(timezone.utc)
        session = AgendaSession(workshop=workshop, kind=SessionKind.PLENARY, title="Plenary",
                                starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1))
        db.session.add(session)
        db.session.flush()
        poll = polls.create_poll(session, {"kind": "single choice", "question": "Which option?",
                                           "results_visible": "y", "allow_change": "y",
                                           "options": "\n".join(f"Option {i}" for i in range(POLL_OPTIONS))})
        db.session.flush()
        polls.open_poll(poll)
        db.session.commit()
        cookies = [f"session={signer.dumps({'_user_id': p.get_id(), '_fresh': True})}" for p in people]
        setup = {"code": workshop.code, "session_id": session.id, "poll_id": poll.id,
                 "options": [o.id for o in poll.options], "people": [p.id for p in people]}
        db.session.remove()
    return setup, cookies


@pytest.fixture
def scene(private_postgres, private_redis, tmp_path):
    """``scene(workers=2, participants=20)``: the cluster started on the private servers, with a poll open."""
    if shutil.which("nginx") is None and not shutil.which("/usr/sbin/nginx"):
        unavailable("nginx is not installed")
    built: list[Scene] = []

    def build(workers: int = 2, participants: int = 20) -> Scene:
        import os

        env = {**os.environ, "WORKSHOP_DATABASE_URL": private_postgres.url, "WORKSHOP_MESSAGE_QUEUE": private_redis.url,
               "WORKSHOP_INSTANCE_PATH": str(tmp_path), "WORKSHOP_PRESENCE_HEARTBEAT_SECONDS": "1",
               "WORKSHOP_PRESENCE_EXPIRY_SECONDS": "3"}
        env.pop("WORKSHOP_ASYNC_MODE", None)
        log = open(tmp_path / "cluster.log", "wb")
        cluster = Cluster([free_port() for _ in range(workers)], "127.0.0.1", free_port(), environ=env,
                          output=log.fileno())
        cluster.start()
        app = create_app({"SQLALCHEMY_DATABASE_URI": private_postgres.url, "ASYNC_MODE": "threading"})
        setup, cookies = _seed(app, participants)
        made = Scene(app=app, cluster=cluster, code=setup["code"], session_id=setup["session_id"],
                     poll_id=setup["poll_id"], options=setup["options"], cookies=cookies,
                     people=setup["people"])
        built.append(made)
        return made

    yield build
    for made in built:
        # Each client takes a few seconds to wind down its reader: all at once.
        closing = [threading.Thread(target=tab.client.disconnect) for tab in made.tabs]
        for thread in closing:
            thread.start()
        for thread in closing:
            thread.join(15)
        made.cluster.stop()
        from workshop.db import db

        with made.app.app_context():
            db.engine.dispose()
