"""The application factory: the app built from ``WORKSHOP_*`` settings and the features registered."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from workshop import config
from workshop.extensions import compress, csrf, db, limiter, login_manager, migrate, socketio
from workshop.ops.logs import configure_logging

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def create_app(overrides: dict | None = None) -> Flask:
    instance_path = os.environ.get("WORKSHOP_INSTANCE_PATH") or None
    app = Flask(__name__, static_folder=None, instance_path=instance_path, instance_relative_config=True)
    app.config.update(config.FIXED)
    app.config.update(config.settings_from_env(Path(app.instance_path)))
    app.config.update(overrides or {})
    configure_logging(app.config["LOG_FORMAT"])

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Green threads queue for a pooled connection beyond these (SQLite writes serialize anyway); a wait
        # longer than the pool timeout, or a server that does not answer a connect, is a 503, not a hang. A
        # pooled connection is tried before use, since the server may have restarted (a file never does: SQLite
        # skips that round trip on every request and socket event).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
                                                   "pool_pre_ping": True,
                                                   "pool_size": app.config["DB_POOL_SIZE"],
                                                   "max_overflow": app.config["DB_POOL_OVERFLOW"],
                                                   "pool_timeout": app.config["DB_POOL_TIMEOUT"],
                                                   "connect_args": {"connect_timeout": app.config["DB_CONNECT_TIMEOUT"]}}
    if app.config["BEHIND_PROXY"]:
        # nginx in front: take the client's address and scheme from the headers it sets.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    csrf.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    _init_login(app)
    socketio.init_app(app, async_mode=app.config["ASYNC_MODE"], cors_allowed_origins=app.config.get("SOCKET_ALLOWED_ORIGINS"),
                      **_message_queue(app.config["MESSAGE_QUEUE"]))

    from workshop.assets import init_assets
    from workshop.errors import register_error_pages
    from workshop.security import register_security_headers
    from workshop.templating import init_templating

    init_assets(app)
    init_templating(app)
    register_error_pages(app)
    register_security_headers(app)
    _register_features(app)
    return app


def _message_queue(url: str | None) -> dict:
    """Redis through RedisQueue, whose failed publish raises so that the broadcast is sent again; others as given."""
    if config.is_redis_url(url):
        from workshop.live.queue import RedisQueue

        return {"client_manager": RedisQueue(url)}
    return {"message_queue": url}


def _init_login(app: Flask) -> None:
    from workshop.accounts.services import load_signed_in

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_signed_in)


def _register_features(app: Flask) -> None:
    from workshop import (accounts, agenda, attendance, audit, audit_log, breakouts, certificates, demo, evaluation,
                          live, ops, polls, qa, reports, run_of_show, uploads, workshops)

    # ops last: its in-flight counter wraps the whole WSGI app, Socket.IO's middleware included.
    for feature in (accounts, workshops, audit, audit_log, uploads, agenda, polls, qa, breakouts, run_of_show, reports,
                    attendance, certificates, evaluation, live, demo, ops):
        feature.init_app(app)
