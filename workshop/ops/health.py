"""``/healthz``: is this worker able to serve? The database answers ``SELECT 1``, the message queue ``PING``.

For load balancers and monitors: no sign-in, no rate limit, no session cookie,
a few milliseconds. 200 with ``{"status": "ok", ...}``, or 503 naming the part
that failed.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from workshop.config import is_redis_url
from workshop.db import db
from workshop.extensions import limiter

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

REDIS_TIMEOUT_SECONDS = 2


@bp.get("/healthz")
@limiter.exempt
def healthz():
    checks = {"database": _check_database()}
    for name, url in _redis_urls().items():
        checks[name] = _check_redis(url)
    healthy = all(result == "ok" for result in checks.values())
    if not healthy:
        log.warning("health check failed: %s", checks)
    body = {"status": "ok" if healthy else "unavailable", **checks}
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "not serving", reported by its kind
        db.session.rollback()
        return f"failed: {type(error).__name__}"
    finally:
        db.session.close()  # back to the pool at once: a probe holds no connection
    return "ok"


def _redis_urls() -> dict[str, str]:
    """The Redis servers this worker relies on: the message queue, and presence if it has its own."""
    queue, presence = current_app.config["MESSAGE_QUEUE"], current_app.config["PRESENCE_URL"]
    urls = {}
    if is_redis_url(queue):
        urls["queue"] = queue
    if presence and presence != queue:
        urls["presence"] = presence
    return urls


def _check_redis(url: str) -> str:
    import redis  # installed with the production extra, where a Redis is configured

    clients = current_app.extensions.setdefault("health_redis", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                            socket_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        clients[url].ping()
    except redis.RedisError as error:
        return f"failed: {type(error).__name__}"
    return "ok"
