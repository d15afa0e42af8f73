"""gunicorn settings for one gevent worker process: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Run one gunicorn per port (``WORKSHOP_PORT``), each with one worker, behind nginx:
Socket.IO's long-polling needs every request of a client on the same process,
and nginx's sticky ``hash $remote_addr consistent`` picks among ports, not
among a gunicorn's workers. Settings come from the same ``WORKSHOP_*``
variables as the app; command-line options override them.

This file is read by gunicorn's master before the worker forks and patches
the standard library for gevent: it must not import the app (or psycopg) at
the top, and ``preload_app`` stays off (psycopg imported before the patch
would block the worker on every query; the worker refuses to start then).
"""

import os
import signal

bind = f"{os.environ.get('WORKSHOP_HOST', '127.0.0.1')}:{os.environ.get('WORKSHOP_PORT', '8001')}"
worker_class = "gevent"
workers = 1
# Each open Socket.IO connection holds one of these: room for a big workshop on one worker.
worker_connections = int(os.environ.get("WORKSHOP_WORKER_CONNECTIONS", "4000"))
preload_app = False
# gevent workers answer the master's heartbeat between requests; a minute of silence means stuck.
timeout = 60
# Longer than the app's own wait for requests under way, so the app's drain decides, not a kill.
graceful_timeout = int(os.environ.get("WORKSHOP_GRACEFUL_TIMEOUT", "20")) + 10
keepalive = 5
# The app logs each request itself with WORKSHOP_ACCESS_LOG=1 (JSON with WORKSHOP_LOG_FORMAT=json), with the
# tokens of invite, calendar and password links redacted. gunicorn's own access log would write them as they
# are (in the request line, the path and the Referer): on_starting refuses it.
accesslog = None
errorlog = "-"

ACCESS_LOG_REFUSED = ("gunicorn's access log would write the secret tokens of invite, calendar and password "
                      "links; leave --access-logfile unset and set WORKSHOP_ACCESS_LOG=1 (the app's own "
                      "request log, tokens redacted).")


def on_starting(server):
    if server.cfg.accesslog:
        raise RuntimeError(ACCESS_LOG_REFUSED)  # gunicorn prints "Error: ..." and exits with status 1


def post_worker_init(worker):
    """Start the app's background work; on SIGTERM, drain the app while gunicorn stops accepting."""
    import gevent

    from workshop.certificates.rendering import prepare_fonts_in_background
    from workshop.ops.lifecycle import drain, freeze_startup_objects, start_serving

    app = worker.wsgi
    prepare_fonts_in_background(app)  # the certificates' fonts: never made inside a request
    start_serving(app)
    freeze_startup_objects()  # as `python -m workshop.serve` does: no full collection walks start-up's objects

    def on_sigterm(signum, frame):
        worker.alive = False  # gunicorn's own handling: close the listener, wait for open connections
        gevent.spawn(drain, app)  # and ours: let requests finish, close sockets, send the last broadcasts

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.siginterrupt(signal.SIGTERM, False)


def worker_exit(server, worker):
    """The worker's connections are done: make sure the drain (last broadcasts included) is too."""
    from workshop.ops.lifecycle import drain

    drain(worker.wsgi)
