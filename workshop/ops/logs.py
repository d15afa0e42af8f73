"""Logging: readable text by default, one JSON object per line with ``WORKSHOP_LOG_FORMAT=json``.

Every record logged while a request is handled carries its request id, method
and path; with ``WORKSHOP_ACCESS_LOG=1`` each request also logs one line with
its status and duration. Paths are logged through ``redacted_path``
(``workshop.redaction``): the secret in an invite, calendar feed or password
link never reaches a log.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request

from workshop.redaction import REDACTED, redacted_path, secret_in

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
REQUEST_FIELDS = ("request_id", "method", "path")
EXTRA_FIELDS = ("status", "duration_ms")

request_log = logging.getLogger("workshop.request")


class RequestContextFilter(logging.Filter):
    """Adds the request id, method and (redacted) path to records logged during a request.

    Also notes the path's secret, if any, for _WorkshopHandler to hide wherever else it appears: an
    error's text can quote it (a failed query prints its parameters).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id")
            record.method = request.method
            record.path = redacted_path(request.path)
            record.secret = secret_in(request.path)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request's fields when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in REQUEST_FIELDS + EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(log_format: str) -> None:
    """Install (once) the handler on the root logger; each app made sets its format."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _WorkshopHandler)), None)
    if handler is None:
        handler = _WorkshopHandler()
        handler.addFilter(RequestContextFilter())
        root.addHandler(handler)
        if root.level > logging.INFO:
            root.setLevel(logging.INFO)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))


class _WorkshopHandler(logging.StreamHandler):
    """The app's own handler (stderr), told apart from those a test runner or server adds."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        secret = getattr(record, "secret", None)
        return text.replace(secret, REDACTED) if secret else text


def init_request_log(app: Flask) -> None:
    """With ``ACCESS_LOG``: one line per request, with status and duration."""
    if not app.config["ACCESS_LOG"]:
        return

    @app.before_request
    def note_start():
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
        request_log.info("%s %s %s %s ms", request.method, redacted_path(request.path), response.status_code,
                         duration_ms, extra={"status": response.status_code, "duration_ms": duration_ms})
        return response
