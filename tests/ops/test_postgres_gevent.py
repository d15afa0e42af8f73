"""PostgreSQL under gevent: a query or a wait for a pooled connection lets the other green threads run.

Each case runs in a process of its own, patched by gevent first as the
served app is (the test process itself runs threads, not gevent).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

CONCURRENT_QUERIES = """
from gevent import monkey
monkey.patch_all()

import json, sys, time
import gevent
from sqlalchemy import text
from workshop import create_app
from workshop.db import db

app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "DB_POOL_SIZE": 4, "DB_POOL_OVERFLOW": 4})
lags = []

def ticker():
    while True:
        started = time.monotonic()
        gevent.sleep(0.01)
        lags.append(time.monotonic() - started - 0.01)

def handler():
    with app.app_context():
        db.session.execute(text("SELECT pg_sleep(0.3)"))

gevent.spawn(ticker)
started = time.monotonic()
gevent.joinall([gevent.spawn(handler) for _ in range(24)])
from psycopg import waiting
print(json.dumps({"seconds": time.monotonic() - started, "max_lag": max(lags), "wait": waiting.wait.__name__}))
"""

IMPORTED_TOO_EARLY = """
import psycopg  # before the patch, as gunicorn's preload_app would
from gevent import monkey
monkey.patch_all()

import sys
from workshop import create_app
from workshop.ops.lifecycle import start_serving

start_serving(create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "ASYNC_MODE": "gevent"}))
"""


def run(script: str, database_url: str, tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_")}
    env.update(WORKSHOP_INSTANCE_PATH=str(tmp_path), WORKSHOP_SECRET_KEY="gevent-test")
    return subprocess.run([sys.executable, "-c", script, database_url], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_queries_and_pool_waits_yield_to_other_green_threads(postgres_database, tmp_path):
    """24 handlers, 8 pooled connections, 0.3 s each: 3 rounds (~0.9 s) if they overlap, 7 s if each blocked."""
    done = run(CONCURRENT_QUERIES, postgres_database, tmp_path)
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["wait"] != "wait_c", "psycopg's C wait blocks the whole process under gevent"
    assert measured["seconds"] < 3.5, measured
    assert measured["max_lag"] < 0.25, f"the loop stalled while queries ran or waited: {measured}"


def test_a_worker_whose_psycopg_was_imported_before_the_patch_refuses_to_start(postgres_database, tmp_path):
    done = run(IMPORTED_TOO_EARLY, postgres_database, tmp_path)
    assert done.returncode != 0
    assert "psycopg was imported before gevent patched the standard library" in done.stderr
