"""A served worker's life: background work started with the server, and a graceful stop.

On SIGTERM the server stops accepting connections (``workshop.serve`` or
gunicorn does that part), then :func:`drain`:

1. waits, up to ``GRACEFUL_TIMEOUT`` seconds, for the HTTP requests under way
   to finish (Socket.IO connections are not requests that end: they are next);
2. closes every Socket.IO connection as a dropped network connection would,
   so each browser reconnects on its own, through nginx to another worker,
   and this worker's disconnect handlers update presence;
3. stops the timers and sends the last coalesced broadcasts.

Then the process exits 0.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask
from werkzeug.wsgi import ClosingIterator

from workshop.extensions import socketio
from workshop.live.timers import Timers, live_jobs

log = logging.getLogger(__name__)

SOCKETIO_PATH = "/socket.io"


class InFlightRequests:
    """WSGI middleware counting the HTTP requests under way (a response counts until its body is sent)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self._lock = threading.Lock()
        self.count = 0

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(SOCKETIO_PATH):
            return self.wsgi_app(environ, start_response)
        with self._lock:
            self.count += 1
        try:
            body = self.wsgi_app(environ, start_response)
        except BaseException:
            self._done()
            raise
        return ClosingIterator(body, self._done)

    def _done(self) -> None:
        with self._lock:
            self.count -= 1

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is under way; False if some still were after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.count > 0:
            if time.monotonic() >= deadline:
                return False
            socketio.sleep(0.05)
        return True


class Lifecycle:
    def __init__(self, app: Flask):
        self.app = app
        self.in_flight = InFlightRequests(app.wsgi_app)
        app.wsgi_app = self.in_flight
        self.timers: Timers | None = None
        self._drain_lock = threading.Lock()
        self._drained = threading.Event()

    def start(self) -> None:
        """Start the background work of a served worker: deadline sweeps, presence heartbeat."""
        _check_psycopg_cooperates(self.app)
        self.timers = Timers(self.app, live_jobs(self.app))
        self.timers.start()

    def drain(self) -> None:
        """Let the work under way finish (see the module's docstring). Runs once; other callers wait for it."""
        if not self._drain_lock.acquire(blocking=False):
            self._drained.wait(self.app.config["GRACEFUL_TIMEOUT"] + 10)
            return
        try:
            started = time.monotonic()
            if not self.in_flight.wait_idle(self.app.config["GRACEFUL_TIMEOUT"]):
                log.warning("stopping with %d requests still under way after %s s",
                            self.in_flight.count, self.app.config["GRACEFUL_TIMEOUT"])
            _close_sockets()
            if self.timers is not None:
                self.timers.stop()
            self.app.extensions["live_coalescer"].shutdown()
            log.info("drained in %.1f s", time.monotonic() - started)
        finally:
            self._drained.set()


def _close_sockets() -> None:
    """Close every Socket.IO connection as a network failure would, so that clients reconnect.

    Without the Engine.IO "close" packet (``abort``): with it, or with a Socket.IO
    "disconnect", clients take it as the server sending them away and stay away.
    Each socket's disconnect handler runs (presence, turnout) before it closes.
    """
    eio = socketio.server.eio
    for eio_socket in list(eio.sockets.values()):
        # No waiting for the send queue: a long-polling client between two requests would never drain it.
        eio_socket.close(wait=False, abort=True, reason=eio.reason.SERVER_DISCONNECT)
    eio.sockets.clear()


def _check_psycopg_cooperates(app: Flask) -> None:
    """Under gevent, psycopg must wait for PostgreSQL through gevent, or one query stalls every client.

    psycopg picks its wait function when first imported: if that happened before
    gevent patched the standard library (gunicorn's ``preload_app``, an import
    ahead of the patch), it blocks the whole process on each query.
    """
    if app.config["ASYNC_MODE"] != "gevent" or not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgres"):
        return
    from psycopg import waiting

    if waiting.wait is getattr(waiting, "wait_c", None):
        raise RuntimeError("psycopg was imported before gevent patched the standard library, so every query "
                           "would block the worker: import the app only after patching (no preload_app).")


def lifecycle(app: Flask) -> Lifecycle:
    return app.extensions["lifecycle"]


def start_serving(app: Flask) -> None:
    lifecycle(app).start()


def drain(app: Flask) -> None:
    lifecycle(app).drain()


def freeze_startup_objects() -> None:
    """Keep what was made at start-up (the app, its models, routes, forms, templates' globals: some 170,000
    objects, all living as long as the process) out of the garbage collector's full collections.

    A full collection walks every object it tracks; with these in sight it took 0.15-0.35 s on a busy 2-core
    machine, during which the one process answered nobody, and one came about every 20 s under load. Without
    them it takes under 1 ms.
    Collected first, so that no garbage of the start-up is kept for good.
    """
    import gc

    gc.collect()
    gc.freeze()
