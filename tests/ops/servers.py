"""Served processes for the operations tests: ``python -m workshop.serve`` and gunicorn with deploy/gunicorn.conf.py.

Unlike the shared ``live_server``, each test gets a process of its own: the
tests stop it (SIGTERM) and look at how it goes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.live.server import ROOT, STARTUP_SECONDS, free_port

SERVE = [sys.executable, "-m", "workshop.serve"]
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "wsgi:app"]


class Served:
    def __init__(self, process: subprocess.Popen, base_url: str, port: int, log_path: Path):
        self.process = process
        self.base_url = base_url
        self.port = port
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_until_healthy(base_url: str, process: subprocess.Popen, log_path: Path) -> None:
    """gunicorn's master listens before its worker has booted: a slow answer is "not yet", like a refusal."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if requests.get(base_url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server was not healthy within {STARTUP_SECONDS} s:\n{log_path.read_text()[-3000:]}")


@contextmanager
def served(command: list[str], database_url: str, instance_path: Path, **settings):
    """Start the server on a free port; yield it; make sure it is gone afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_")}
    env.update(WORKSHOP_DATABASE_URL=database_url, WORKSHOP_SECRET_KEY=os.environ["WORKSHOP_SECRET_KEY"],
               WORKSHOP_INSTANCE_PATH=str(instance_path), WORKSHOP_PORT=str(port), WORKSHOP_HOST="127.0.0.1",
               **settings)
    log_path = instance_path / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process, log_path)
        yield Served(process, base_url, port, log_path)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
