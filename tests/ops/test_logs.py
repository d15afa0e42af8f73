"""Logs: readable text by default; with WORKSHOP_LOG_FORMAT=json one JSON object per line, request fields included.

The app logs to the process's stderr, so each case runs a small script in a
process of its own with the settings in its environment, as a server would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workshop import config

ROOT = Path(__file__).resolve().parent.parent.parent

SCRIPT = """
import logging
from workshop import create_app
from workshop.db import db

app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "ASYNC_MODE": "threading"})
with app.app_context():
    db.create_all()

@app.get("/test-only/boom")
def boom():
    raise RuntimeError("something unexpected")

client = app.test_client()
client.get("/login", headers={"X-Request-Id": "req-login-1"})
client.get("/test-only/boom", headers={"X-Request-Id": "req-boom-2"})
logging.getLogger("workshop.test").info("outside any request")
"""


def run_app(tmp_path, **settings) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_")}
    env.update(WORKSHOP_INSTANCE_PATH=str(tmp_path), WORKSHOP_SECRET_KEY="logs-test", **settings)
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stderr.splitlines() if line.strip()]


def test_json_logs_are_one_object_per_line_with_the_request_fields(tmp_path):
    lines = run_app(tmp_path, WORKSHOP_LOG_FORMAT="json", WORKSHOP_ACCESS_LOG="1")
    entries = [json.loads(line) for line in lines]  # every line is JSON, the traceback included

    login = next(e for e in entries if e["logger"] == "workshop.request" and e.get("path") == "/login")
    assert login["level"] == "INFO"
    assert login["request_id"] == "req-login-1" and login["method"] == "GET" and login["status"] == 200
    assert isinstance(login["duration_ms"], float) and login["duration_ms"] >= 0
    assert login["time"].endswith("+00:00")
    assert login["message"].startswith("GET /login 200")

    error = next(e for e in entries if e["level"] == "ERROR")
    assert error["request_id"] == "req-boom-2" and error["path"] == "/test-only/boom"
    assert "RuntimeError: something unexpected" in error["exception"]
    boom = next(e for e in entries if e["logger"] == "workshop.request" and e.get("path") == "/test-only/boom")
    assert boom["status"] == 500

    outside = next(e for e in entries if e["logger"] == "workshop.test")
    assert outside["message"] == "outside any request" and "request_id" not in outside


def test_text_logs_stay_readable_by_default_and_requests_are_logged_only_when_asked(tmp_path):
    quiet = run_app(tmp_path)
    assert not any(line.lstrip().startswith("{") for line in quiet)
    assert any("ERROR workshop unhandled error, request id req-boom-2" in line for line in quiet)
    assert not any("workshop.request" in line for line in quiet)

    logged = run_app(tmp_path, WORKSHOP_ACCESS_LOG="1")
    assert any("INFO workshop.request GET /login 200" in line for line in logged)


def test_an_unknown_log_format_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_LOG_FORMAT", "xml")
    with pytest.raises(RuntimeError, match="WORKSHOP_LOG_FORMAT must be one of text, json, got 'xml'"):
        config.settings_from_env(tmp_path)
