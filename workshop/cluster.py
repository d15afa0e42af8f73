"""``python -m workshop.cluster``: several gevent workers behind nginx on one machine.

Each worker is ``python -m workshop.serve`` on a port of its own; nginx (the
Debian package) listens on the public port with the site config from
``deploy/nginx-site.conf``: websocket upgrade and sticky sessions by
``hash $remote_addr consistent``. The workers share the database, the Socket.IO
message queue (Redis) and the instance folder (secret key, uploads), so more
than one worker needs PostgreSQL and a Redis queue. A worker that dies is
started again; its clients reconnect through nginx to another worker
meanwhile. SIGTERM or Ctrl+C stops nginx and the workers gracefully.

    python -m workshop.cluster --workers 2 --port 8000

Run ``flask --app workshop db upgrade`` once before (the launcher does it too).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SITE_TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "nginx-site.conf"
RESTART_DELAY_SECONDS = 1.0
STOP_TIMEOUT_SECONDS = 30.0


class ClusterError(Exception):
    """The cluster cannot start as asked; the message says why."""


def check_settings(workers: int, environ: dict) -> None:
    """Several workers need a shared database server and a shared message queue."""
    if workers < 1:
        raise ClusterError("--workers must be at least 1.")
    if workers == 1:
        return
    database = environ.get("WORKSHOP_DATABASE_URL", "")
    if not database.startswith(("postgresql", "postgres")):
        raise ClusterError("Several workers need PostgreSQL: set WORKSHOP_DATABASE_URL to a postgresql+psycopg:// URL "
                           "(SQLite is for one process).")
    if not environ.get("WORKSHOP_MESSAGE_QUEUE", "").startswith(("redis://", "rediss://", "unix://")):
        raise ClusterError("Several workers need a shared message queue: set WORKSHOP_MESSAGE_QUEUE to a redis:// URL, "
                           "or live updates would reach only the clients of the worker that made them.")


def nginx_config(listen: str, worker_ports: list[int], run_dir: Path, max_body_mb: int) -> str:
    """A whole nginx.conf for running nginx in the foreground as this user, around the repository's site config."""
    servers = "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in worker_ports)
    site = (SITE_TEMPLATE.read_text().replace("@LISTEN@", f"listen {listen};").replace("@SERVERS@", servers)
            .replace("@MAX_BODY@", f"{max_body_mb + 1}m").replace("@ACCESS_LOG@", str(run_dir / "access.log")))
    temp = {name: run_dir / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
        path.chmod(0o777)  # nginx's worker processes drop root to nobody and must write here
    return f"""worker_processes 1;
pid {run_dir / 'nginx.pid'};
error_log stderr warn;
events {{
    worker_connections 8192;
}}
http {{
    access_log off;
    client_body_temp_path {temp['client_body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
{site}
}}
"""


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ClusterError(f"the process for port {port} exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise ClusterError(f"nothing answered on port {port} within {timeout:.0f} s")


@dataclass
class Cluster:
    """The workers and nginx, started and stopped together."""

    worker_ports: list[int]
    host: str
    port: int
    environ: dict = field(default_factory=lambda: dict(os.environ))
    processes: dict[int, subprocess.Popen] = field(default_factory=dict)
    nginx: subprocess.Popen | None = None
    run_dir: Path | None = None
    output: int | None = None  # where the workers' and nginx's output goes (subprocess's stdout); None: inherit

    def start(self) -> None:
        check_settings(len(self.worker_ports), self.environ)
        nginx_binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx_binary).exists():
            raise ClusterError("nginx is not installed (Debian: apt-get install nginx-light).")
        self.run_dir = Path(tempfile.mkdtemp(prefix="workshop-cluster-"))
        self.run_dir.chmod(0o755)
        subprocess.run([sys.executable, "-m", "flask", "--app", "workshop", "db", "upgrade"],
                       env=self.environ, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in self.worker_ports:
            self.processes[port] = self._start_worker(port)
        for port, process in self.processes.items():
            wait_for_port(port, process)
        config = self.run_dir / "nginx.conf"
        config.write_text(nginx_config(f"{self.host}:{self.port}", self.worker_ports, self.run_dir,
                                       int(self.environ.get("WORKSHOP_MAX_UPLOAD_MB", "25"))))
        self.nginx = subprocess.Popen([nginx_binary, "-c", str(config), "-p", str(self.run_dir),
                                       "-g", "daemon off;"], stdout=self.output, stderr=self.output)
        wait_for_port(self.port, self.nginx)

    def _start_worker(self, port: int) -> subprocess.Popen:
        env = {**self.environ, "WORKSHOP_HOST": "127.0.0.1", "WORKSHOP_PORT": str(port), "WORKSHOP_BEHIND_PROXY": "1"}
        return subprocess.Popen([sys.executable, "-m", "workshop.serve"], env=env, stdout=self.output,
                                stderr=self.output)

    def restart_dead_workers(self) -> list[int]:
        """Start again every worker that exited; the ports restarted."""
        restarted = []
        for port, process in list(self.processes.items()):
            if process.poll() is not None:
                print(f"worker on port {port} exited ({process.returncode}); starting it again", flush=True)
                self.processes[port] = self._start_worker(port)
                restarted.append(port)
        return restarted

    def supervise(self, stop_requested) -> None:
        while not stop_requested():
            if self.nginx.poll() is not None:
                raise ClusterError(f"nginx exited with status {self.nginx.returncode}")
            self.restart_dead_workers()
            time.sleep(RESTART_DELAY_SECONDS)

    def stop(self) -> None:
        """nginx finishes its requests (QUIT), then each worker drains and exits (TERM)."""
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in [p for p in (self.nginx, *self.processes.values()) if p is not None]:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workshop.cluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="gevent worker processes (default 2)")
    parser.add_argument("--host", default="127.0.0.1", help="address nginx listens on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port nginx listens on (default 8000)")
    parser.add_argument("--first-worker-port", type=int, default=8001,
                        help="the workers listen on this port and the ones after it (default 8001)")
    options = parser.parse_args(argv)
    ports = [options.first_worker_port + n for n in range(max(options.workers, 0))]
    cluster = Cluster(ports, options.host, options.port)
    stopping = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.append(True))
    try:
        cluster.start()
        print(f"Serving on http://{options.host}:{options.port}/ through nginx, {options.workers} worker(s) on ports "
              f"{', '.join(map(str, cluster.worker_ports))}; stop with Ctrl+C", flush=True)
        cluster.supervise(lambda: bool(stopping))
    except ClusterError as error:
        print(f"workshop.cluster: {error}", file=sys.stderr)
        return 2
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
