"""The live pipe: authenticated socket connections, rooms, revisions, announced changes turned into coalesced
broadcasts, presence, timers, and ending access. It knows no feature: features register their topics,
pages and deadlines with it."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.errors import register_socket_errors
    from workshop.extensions import socketio
    from workshop.live import handlers
    from workshop.live.access import init_gate
    from workshop.config import is_redis_url
    from workshop import changes
    from workshop.live import revisions  # noqa: F401 - its table
    from workshop.live.access import end_live_access
    from workshop.live.identity import ConnectionSessionInterface
    from workshop.live.broadcast import Coalescer, FlushLeases, deliver, on_change
    from workshop.live.presence import make_presence, online_state

    interval = app.config.get("LIVE_FLUSH_SECONDS", 0.15)
    queue = app.config["MESSAGE_QUEUE"]
    app.extensions["live_coalescer"] = Coalescer(app, interval,
                                                 FlushLeases(queue if is_redis_url(queue) else None, interval))
    app.extensions["presence"] = make_presence(app.config)
    app.session_interface = ConnectionSessionInterface()
    init_gate(app, socketio.server)
    handlers.register()
    changes.subscribe(deliver)
    on_change(changes.ACCESS_ENDED, end_live_access, whole_state=False, immediate=True)
    app.add_template_global(online_state)
    register_socket_errors()
