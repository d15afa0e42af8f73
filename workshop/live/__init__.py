"""The live pipe: authenticated socket connections, rooms, coalesced broadcasts, presence and timers."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.errors import register_socket_errors
    from workshop.live import handlers
    from workshop.live.broadcast import Coalescer
    from workshop.live.presence import make_presence

    app.extensions["live_coalescer"] = Coalescer(app, interval=app.config.get("LIVE_FLUSH_SECONDS", 0.15))
    app.extensions["presence"] = make_presence(app.config)
    handlers.register()
    register_socket_errors()
