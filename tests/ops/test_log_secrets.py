"""The secrets of invite, calendar and password links stay out of every log: the app's access and error
lines, gunicorn's access log (refused), and nginx's access log (a format of redacted variables).

The app's lines are read from a process of its own, as in test_logs.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from workshop.cluster import nginx_config
from workshop.redaction import redacted_path

ROOT = Path(__file__).resolve().parent.parent.parent
INVITE = "MQ.ZxY1aB.cDeFgHiJkLmNoPqRsTuVwXyZ012345"
CALENDAR = "q1W2e3R4t5Y6u7I8o9P0aSdFgHjKlZxC"
PASSWORD = "Zm9vYmFyYmF6cXV4LXNlY3JldC1wYXNzd29yZC1saW5r"
TOKENS = (INVITE, CALENDAR, PASSWORD)
PATHS = [f"/invite/{INVITE}", f"/calendar/{CALENDAR}.ics", f"/password/{PASSWORD}"]

REDACTED = [
    (f"/invite/{INVITE}", "/invite/[redacted]"),
    (f"/invite/{INVITE}/", "/invite/[redacted]/"),
    (f"//invite//{INVITE}", "//invite//[redacted]"),
    (f"/calendar/{CALENDAR}.ics", "/calendar/[redacted].ics"),
    (f"/calendar/{CALENDAR}", "/calendar/[redacted]"),
    (f"/calendar/{CALENDAR}.ics?x=1", "/calendar/[redacted].ics?x=1"),
    (f"/password/{PASSWORD}", "/password/[redacted]"),
    (f"/password/{PASSWORD}?next=/w/ABC/", "/password/[redacted]?next=/w/ABC/"),
    ("/login", "/login"),
    ("/invite/", "/invite/"),
    ("/w/ABC/invite/123", "/w/ABC/invite/123"),
    ("/w/ABC/agenda.ics", "/w/ABC/agenda.ics"),
    ("/me/calendar/renew", "/me/calendar/renew"),
]


@pytest.mark.parametrize(("path", "logged"), REDACTED)
def test_the_secret_of_a_link_is_redacted_and_other_paths_stay_as_they_are(path, logged):
    assert redacted_path(path) == logged


SCRIPT = """
import logging, sys
from flask import request
from workshop import create_app
from workshop.db import db

app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "ASYNC_MODE": "threading"})
with app.app_context():
    db.create_all()

@app.before_request
def fail_when_asked():
    if request.args.get("fail"):
        # As a failed query would: its text quotes the value it was given.
        raise RuntimeError(f"query failed [parameters: ({request.path.split('/')[2]!r},)]")

client = app.test_client()
for path in sys.argv[1:]:
    client.get(path, headers={"X-Request-Id": "ok"})
    client.get(path + "?fail=1", headers={"X-Request-Id": "failed"})
"""


def app_log(tmp_path, **settings) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_")}
    env.update(WORKSHOP_INSTANCE_PATH=str(tmp_path), WORKSHOP_SECRET_KEY="log-secrets-test", WORKSHOP_ACCESS_LOG="1",
               **settings)
    done = subprocess.run([sys.executable, "-c", SCRIPT, *PATHS], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stderr.splitlines() if line.strip()]


def test_json_access_and_error_lines_of_each_token_route_carry_no_token(tmp_path):
    lines = app_log(tmp_path, WORKSHOP_LOG_FORMAT="json")
    assert not [line for line in lines if any(token in line for token in TOKENS)]
    entries = [json.loads(line) for line in lines]
    for path in PATHS:
        shown = redacted_path(path)
        access = [e for e in entries if e["logger"] == "workshop.request" and e.get("path") == shown]
        assert [e["request_id"] for e in access] == ["ok", "failed"], path
        assert access[0]["message"].startswith(f"GET {shown} ")
        assert access[1]["status"] == 500
        [error] = [e for e in entries if e["level"] == "ERROR" and e.get("path") == shown]
        assert error["message"] == f"unhandled error, request id failed, GET {shown}"
        assert "RuntimeError: query failed [parameters: ('[redacted]" in error["exception"]


def test_text_access_and_error_lines_carry_no_token_either(tmp_path):
    text = "\n".join(app_log(tmp_path))
    assert not any(token in text for token in TOKENS)
    for path in PATHS:
        assert f"INFO workshop.request GET {redacted_path(path)} 500" in text
        assert f"ERROR workshop unhandled error, request id failed, GET {redacted_path(path)}" in text
    assert text.count("query failed [parameters: ('[redacted]") == len(PATHS)


# gunicorn: its access log would write the paths as they are; the config refuses it ------------------------

def gunicorn_settings():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "deploy" / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_starts_without_its_own_access_log_and_refuses_one():
    settings = gunicorn_settings()
    assert settings.accesslog is None
    settings.on_starting(SimpleNamespace(cfg=SimpleNamespace(accesslog=None)))
    with pytest.raises(RuntimeError, match="WORKSHOP_ACCESS_LOG=1"):
        settings.on_starting(SimpleNamespace(cfg=SimpleNamespace(accesslog="-")))


# nginx ---------------------------------------------------------------------------------------------------

SITE = "\n".join(line for line in (ROOT / "deploy" / "nginx-site.conf").read_text().splitlines()
                 if not line.strip().startswith("#"))


def test_the_nginx_site_logs_with_the_redacted_format_only():
    [(name, log_format)] = re.findall(r"\blog_format\s+(\S+)\s+(.*?);", SITE, re.S)
    assert "$redacted_uri" in log_format and "$redacted_referer" in log_format
    assert not re.search(r"\$(request|request_uri|uri|http_referer|args|query_string)\b", log_format)
    assert re.findall(r"\baccess_log\s+([^;]*);", SITE) == [f"@ACCESS_LOG@ {name}"]
    for source, variable in (("$request_uri", "$redacted_uri"), ("$http_referer", "$redacted_referer")):
        [body] = re.findall(rf"\bmap\s+\{source}\s+\{variable}\s*{{(.*?)\n}}", SITE, re.S)
        assert f"default {source};" in body
        for route in ("invite", "password", "calendar"):
            assert route in body, (variable, route)


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (shutil.which("/usr/sbin/nginx") and "/usr/sbin/nginx")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_nginx_accepts_the_site_and_its_access_log_shows_no_token(tmp_path):
    """With nginx installed: `nginx -t`, then requests through it (no worker behind: 502s, logged all the same)."""
    nginx = nginx_binary()
    if nginx is None:
        pytest.skip("nginx is not installed")
    port = free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(nginx_config(f"127.0.0.1:{port}", [free_port()], tmp_path, 25))
    checked = subprocess.run([nginx, "-t", "-c", str(config), "-p", str(tmp_path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr

    server = subprocess.Popen([nginx, "-c", str(config), "-p", str(tmp_path), "-g", "daemon off;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "nginx did not start"
                time.sleep(0.05)
        for path, _ in REDACTED:
            referer = f"https://workshops.example.org{path}"
            request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nReferer: {referer}\r\nConnection: close\r\n\r\n"
            with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
                connection.sendall(request.encode())
                while connection.recv(65536):
                    pass
    finally:
        server.terminate()
        server.wait(10)
    log = (tmp_path / "access.log").read_text()
    assert not any(token in log for token in TOKENS)
    for path, logged in REDACTED:
        assert f'"GET {logged} HTTP/1.1"' in log, path
        assert f'"https://workshops.example.org{logged}"' in log, path
