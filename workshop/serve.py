"""``python -m workshop.serve``: the app on gevent (or eventlet), as ``make run`` starts it.

The async library must patch the standard library before anything else is
imported, so this module does that first and imports the app afterwards.
It starts the worker's timers with the server and, on gevent, stops
gracefully on SIGTERM or Ctrl+C (see ``workshop.ops.lifecycle``).
"""

import os

ASYNC_MODE = os.environ.get("WORKSHOP_ASYNC_MODE") or "gevent"
if ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()
elif ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()


TURN_SECONDS = 1e-6  # any wait above zero: the green thread resumes only after the event loop has polled


def no_delay_handler():
    """gevent's request handler with Nagle's algorithm off, and keep-alive connections served in turn.

    Nagle: pywsgi writes a response's headers and body in separate sends; with
    Nagle on, the body waits for the client's delayed ACK, adding ~40 ms to
    every keep-alive request.

    Turns: a green thread runs until it has to wait. A keep-alive client that
    sends its next request as soon as it has the response (a benchmark, a
    browser fetching a page's parts) often has it there before the server
    reads, so the read does not wait and one connection was served request
    after request (120 in a row, measured) while every other connection
    waited: stalls of 1.5-2 s under ``wrk -c8``, even for a bare page. After each request on a connection
    that stays open, the handler steps aside until the event loop has polled
    for I/O once, so each connection with a request waiting gets its turn. A
    timer, not ``sleep(0)``: gevent runs zero-second sleeps again before it
    polls (up to 50 in a row), which would let the same connection go on.
    """
    import socket

    import gevent
    from gevent.pywsgi import WSGIHandler

    class NoDelayHandler(WSGIHandler):
        def handle(self):
            if self.socket.family in (socket.AF_INET, socket.AF_INET6):
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return super().handle()

        def handle_one_request(self):
            result = super().handle_one_request()
            if result is True:  # answered, and the connection stays open for its next request
                gevent.sleep(TURN_SECONDS)
            return result

    return NoDelayHandler


def main() -> None:
    from workshop import create_app
    from workshop.certificates.rendering import prepare_fonts_in_background
    from workshop.extensions import socketio
    from workshop.ops.lifecycle import freeze_startup_objects, start_serving

    app = create_app()
    prepare_fonts_in_background(app)  # the certificates' fonts: never made inside a request
    host = os.environ.get("WORKSHOP_HOST", "127.0.0.1")
    port = int(os.environ.get("WORKSHOP_PORT", "5000"))
    print(f"Serving the workshop app on http://{host}:{port}/ ({ASYNC_MODE}); stop with Ctrl+C", flush=True)
    start_serving(app)
    freeze_startup_objects()
    if ASYNC_MODE == "gevent":
        serve_with_gevent(app, host, port)
    else:  # no graceful stop here: gevent is the mode to serve with
        socketio.run(app, host=host, port=port, log_output=False, allow_unsafe_werkzeug=ASYNC_MODE == "threading")


def serve_with_gevent(app, host: str, port: int) -> None:
    """Serve until SIGTERM or Ctrl+C, then stop gracefully (see workshop.ops.lifecycle) and return."""
    import signal

    import gevent
    from gevent.event import Event
    from gevent.pool import Pool
    from gevent.pywsgi import WSGIServer

    from workshop.ops.lifecycle import drain

    # The request log is the app's (WORKSHOP_ACCESS_LOG), one format whichever server runs it, with the
    # tokens of invite, calendar and password links redacted: gevent's own (log=None) would write them. A
    # pool, so that stop() can end the connections still open at the very end.
    server = WSGIServer((host, port), app, handler_class=no_delay_handler(), log=None, spawn=Pool())
    stopped = Event()

    def stop():
        # Not serve_forever(): closing the listener would make it end every request after a second.
        server.close()  # accept no more connections: new ones are refused, and nginx tries another worker
        drain(app)
        server.stop(timeout=1)  # what is left: connections idle between keep-alive requests
        stopped.set()

    def on_signal():
        if not stop_task:
            stop_task.append(gevent.spawn(stop))

    stop_task = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, on_signal)
    server.start()
    stopped.wait()


if __name__ == "__main__":
    main()
