"""The live pipe: authenticated socket connections, rooms, coalesced broadcasts and presence."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.live import handlers
    from workshop.live.broadcast import Coalescer
    from workshop.live.presence import Presence

    app.extensions["live_coalescer"] = Coalescer(app, interval=app.config.get("LIVE_FLUSH_SECONDS", 0.15))
    app.extensions["presence"] = Presence()
    handlers.register()
