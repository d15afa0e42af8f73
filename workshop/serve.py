"""``python -m workshop.serve``: the app on gevent (or eventlet), as ``make run`` starts it.

The async library must patch the standard library before anything else is
imported, so this module does that first and imports the app afterwards.
"""

import os

ASYNC_MODE = os.environ.get("WORKSHOP_ASYNC_MODE") or "gevent"
if ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()
elif ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()


def no_delay_handler():
    """gevent's request handler with Nagle's algorithm off.

    pywsgi writes a response's headers and body in separate sends; with Nagle
    on, the body waits for the client's delayed ACK, adding ~40 ms to every
    keep-alive request.
    """
    import socket

    from gevent.pywsgi import WSGIHandler

    class NoDelayHandler(WSGIHandler):
        def handle(self):
            if self.socket.family in (socket.AF_INET, socket.AF_INET6):
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return super().handle()

    return NoDelayHandler


def main() -> None:
    from workshop import create_app
    from workshop.extensions import socketio

    app = create_app()
    host = os.environ.get("WORKSHOP_HOST", "127.0.0.1")
    port = int(os.environ.get("WORKSHOP_PORT", "5000"))
    print(f"Serving the workshop app on http://{host}:{port}/ ({ASYNC_MODE}); stop with Ctrl+C", flush=True)
    server_options = {"handler_class": no_delay_handler()} if ASYNC_MODE == "gevent" else {}
    socketio.run(app, host=host, port=port, log_output=os.environ.get("WORKSHOP_ACCESS_LOG") == "1",
                 allow_unsafe_werkzeug=ASYNC_MODE == "threading", **server_options)


if __name__ == "__main__":
    main()
