"""Shared fixtures: every database test runs on SQLite and again on PostgreSQL.

Services are found as ``make test`` promises: ``WORKSHOP_TEST_DATABASE_URL``
(an admin connection; each test run makes and drops its own database next to
it) and ``WORKSHOP_TEST_REDIS_URL`` if set, else the local PostgreSQL and
Redis if they answer, else those tests skip. With ``CI=true`` a missing
service or browser fails the run instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import tempfile

import pytest

# Before the app is imported: tests never touch the repository's instance/ folder.
_INSTANCE = tempfile.mkdtemp(prefix="workshop-test-instance-")
os.environ["WORKSHOP_INSTANCE_PATH"] = _INSTANCE
os.environ["WORKSHOP_SECRET_KEY"] = "test-secret-" + secrets.token_hex(8)
# The certificates' static fonts take seconds each to make: made once, kept for every test process and run.
os.environ.setdefault("WORKSHOP_CERTIFICATE_FONT_CACHE",
                      os.path.join(tempfile.gettempdir(), "workshop-test-certificate-fonts"))
os.environ.pop("WORKSHOP_DATABASE_URL", None)
os.environ.pop("WORKSHOP_MESSAGE_QUEUE", None)

import contextvars  # noqa: E402

from flask import has_app_context  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from workshop import create_app  # noqa: E402
from workshop.db import db  # noqa: E402
from workshop.polls.services import ballot_secret  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"
DEFAULT_POSTGRES = "postgresql+psycopg://127.0.0.1:5432/test"


def unavailable(reason: str):
    """Skip on a developer's machine; fail in CI, where every service must be there."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: nothing may be skipped for a missing service)", pytrace=False)
    pytest.skip(reason)


def _postgres_admin_url() -> str:
    url = os.environ.get("WORKSHOP_TEST_DATABASE_URL", DEFAULT_POSTGRES)
    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql+psycopg://", url)


@contextlib.contextmanager
def empty_postgres_database(prefix: str):
    """A new, empty database on the test PostgreSQL server (its URL), dropped afterwards; skip if there is none."""
    admin = create_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any failure to reach the server means "not available"
        admin.dispose()
        unavailable(f"PostgreSQL is not available: {error.__class__.__name__}")
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def keep_loggers():
    """Alembic's fileConfig disables every logger it does not name (such as "workshop"); undo that."""
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    enabled = [logger for logger in loggers if not logger.disabled]
    yield
    for logger in enabled:
        logger.disabled = False


@pytest.fixture
def empty_sqlite(tmp_path):
    return f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
def empty_postgresql():
    with empty_postgres_database("workshop_migrate") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, keep_loggers):
    """An empty database of each kind, for migration tests (which build the schema themselves)."""
    return request.getfixturevalue(f"empty_{request.param}")


@pytest.fixture(scope="session")
def postgres_database():
    """A database of our own on the PostgreSQL server, dropped at the end of the run."""
    admin_url = _postgres_admin_url()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            name = f"workshop_test_{os.getpid()}_{secrets.token_hex(3)}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any failure to reach the server means "not available"
        admin.dispose()
        unavailable(f"PostgreSQL is not available at {admin_url}: {error.__class__.__name__}")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'workshop.db'}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request):
    """Each database test runs once per backend; the schema is made once per backend."""
    url = request.getfixturevalue("sqlite_database" if request.param == "sqlite" else "postgres_database")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ASYNC_MODE": "threading"})
    with app.app_context():
        db.create_all()
        # As the migration does: the secret is there before the first vote (and kept when tables are emptied).
        ballot_secret()
        db.session.commit()
        db.engine.dispose()
    return url


@pytest.fixture(scope="session")
def redis_url():
    """The test Redis, or skip (fail in CI). Tests use their own key prefix and delete their keys."""
    import redis

    url = os.environ.get("WORKSHOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        unavailable(f"Redis is not available at {url}: {error.__class__.__name__}")
    finally:
        client.close()
    return url


def app_settings(database_url: str) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ASYNC_MODE": "threading",
        "TESTING": True,
        "LIVE_FLUSH_SECONDS": 0.05,
        "SERVER_NAME": "localhost",
        # scrypt costs 0.17 s per hash and per check here; production keeps it (tests/core/test_config.py).
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


# Made once per database, like an install's: apps that cached the ballot secret keep agreeing with the database.
KEPT_TABLES = {"ballot_secret"}


def _empty_all_tables() -> None:
    """DELETE, not TRUNCATE: TRUNCATE's exclusive lock can deadlock with a straggling reader on PostgreSQL. A test
    server still stopping may write meanwhile (attendance's flush and heartbeat): PostgreSQL then picks one side of
    a deadlock to roll back, and if it is this one, emptying starts again."""
    for attempt in range(3):
        try:
            return _delete_all_rows()
        except OperationalError as error:
            db.session.rollback()
            if "deadlock" not in str(error) or attempt == 2:
                raise


def _delete_all_rows() -> None:
    postgres = db.engine.dialect.name == "postgresql"
    for table in reversed(db.metadata.sorted_tables):
        if table.name in KEPT_TABLES:
            continue
        db.session.execute(table.delete())
        if postgres and "id" in table.c:
            # Ids start at 1 again in each test, as on SQLite after emptying.
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false)"))
    db.session.commit()


class FreshContextClient(FlaskClient):
    """Each request in an app context of its own, as a real server runs it.

    The ``app`` fixture keeps an app context pushed, and Flask would reuse it for
    test requests, so ``g`` (Flask-Login's user, Flask-WTF's token) and the
    database session would leak from one request, or one client, to the next.
    An empty ``contextvars.Context`` has no app context, so Flask pushes a new one.
    """

    def open(self, *args, **kwargs):
        if not has_app_context():  # following a redirect: already inside a fresh context
            return super().open(*args, **kwargs)
        db.session.commit()  # the test's own writes are visible to the request and hold no lock
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()  # the test then reads what the request committed
        return response


@pytest.fixture
def app(database_url):
    app = create_app(app_settings(database_url))
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        # Live broadcasts run in a background thread: let them finish before the tables are emptied.
        app.extensions["live_coalescer"].shutdown()
        db.session.remove()
        _empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make():
    from tests import factories

    return factories
