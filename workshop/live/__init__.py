"""The live pipe: authenticated socket connections, rooms, coalesced broadcasts, presence, timers, and ending access."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.errors import register_socket_errors
    from workshop.extensions import socketio
    from workshop.live import handlers
    from workshop.live.access import init_gate
    from workshop.config import is_redis_url
    from workshop.live.broadcast import Coalescer, FlushLeases
    from workshop.live.presence import make_presence

    interval = app.config.get("LIVE_FLUSH_SECONDS", 0.15)
    queue = app.config["MESSAGE_QUEUE"]
    app.extensions["live_coalescer"] = Coalescer(app, interval,
                                                 FlushLeases(queue if is_redis_url(queue) else None, interval))
    app.extensions["presence"] = make_presence(app.config)
    init_gate(app, socketio.server)
    handlers.register()
    register_socket_errors()
