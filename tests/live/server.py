"""The app served for real, as ``make run`` serves it: ``python -m workshop.serve`` on gevent.

Tests make their data in-process with the ``app`` fixture; the server reads the
same database with the same secret key, so sessions and invite links made in
either work in the other.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from workshop.accounts.services import invite_token, issue_invite
from workshop.db import db

ROOT = Path(__file__).resolve().parent.parent.parent
STARTUP_SECONDS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_answering(base_url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if requests.get(base_url + "/login", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {STARTUP_SECONDS} s:\n{log_path.read_text()[-3000:]}")


@contextmanager
def running_server(database_url: str, instance_path: Path):
    """Start the server on a free port, yield its base URL, stop it afterwards."""
    port = free_port()
    env = dict(os.environ, WORKSHOP_DATABASE_URL=database_url, WORKSHOP_SECRET_KEY=os.environ["WORKSHOP_SECRET_KEY"],
               WORKSHOP_INSTANCE_PATH=str(instance_path), WORKSHOP_PORT=str(port), WORKSHOP_HOST="127.0.0.1")
    env.pop("WORKSHOP_ASYNC_MODE", None)  # gevent, exactly as `make run`
    env.pop("WORKSHOP_MESSAGE_QUEUE", None)
    # The tests' database is shared with in-process apps whose own countdown tests expect to end their
    # polls and rounds themselves; this server's per-open timers still run.
    env["WORKSHOP_DEADLINE_SWEEPS"] = "0"
    log_path = instance_path / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "workshop.serve"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(base_url, process, log_path)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sign_in_with_invite(base_url: str, invite_link_path: str) -> requests.Session:
    """A requests session signed in through the server's invite page, as a person clicking the link is."""
    browser = requests.Session()
    page = browser.get(base_url + invite_link_path, timeout=5)
    page.raise_for_status()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the invite page"
    answer = browser.post(base_url + invite_link_path, data={"csrf_token": token.group(1)}, timeout=5,
                          allow_redirects=False)
    assert answer.status_code == 302, f"invite sign-in answered {answer.status_code}"
    return browser


def cookie_header(browser: requests.Session) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies)


# Fixtures, imported by the conftest of each test directory that needs them.

@pytest.fixture(scope="session")
def live_server(database_url, tmp_path_factory):
    """The real gevent server on the test database (one per backend), as ``make run`` serves the app."""
    with running_server(database_url, tmp_path_factory.mktemp("server-instance")) as base_url:
        yield base_url


@pytest.fixture
def invite_path(app):
    """``invite_path(person, workshop)``: the path of a fresh invite link, made in-process."""

    def make_link(person, workshop) -> str:
        invite = issue_invite(person, workshop)
        db.session.commit()
        return f"/invite/{invite_token(invite)}"

    return make_link
