"""Domain errors, friendly error pages and the request id that ties a 500 page to its log line."""

from __future__ import annotations

import enum
import logging
import uuid

from flask import Flask, Response, g, render_template, request
from flask_socketio import ConnectionRefusedError as SocketRefused
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, SecurityError

from workshop.db import db
from workshop.extensions import login_manager, socketio
from workshop.inputs import is_htmx
from workshop.redaction import redacted_path

log = logging.getLogger("workshop")


class ValidationError(ValueError):
    """Input that breaks a rule; ``errors`` maps a field name to a message for the person."""

    def __init__(self, errors: dict[str, str], status: int = 400):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors
        self.status = status


class Reason(enum.StrEnum):
    """Why access was refused, in words a page can act on (live.js shows a message and says whether to retry).

    Here, below the features, because two of them give reasons: accounts (the session ended) and
    workshops' permissions (not a member, removed, the role), and live pages show them all.
    """

    SIGNED_OUT = "signed out"            # no session, or it ended (password changed, signed out everywhere)
    INVITE_REVOKED = "invite revoked"    # the invite link that opened the session was withdrawn or replaced
    INVITE_EXPIRED = "invite expired"
    OTHER_WORKSHOP = "other workshop"    # an invite link's session reaches only that link's workshop
    REMOVED = "removed"                  # the person was removed from the workshop
    NOT_MEMBER = "not a member"
    NO_WORKSHOP = "no workshop"
    ROLE = "role"                        # a member whose role does not allow the action


TITLES = {
    400: "That request could not be understood",
    401: "Please sign in",
    403: "You do not have access to this",
    404: "Not found",
    405: "That action is not allowed here",
    409: "That conflicts with what is already there",
    410: "This link no longer works",
    413: "That upload is too large",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "The workshop is briefly unavailable",
    507: "The server's storage is full",
}

DATABASE_UNAVAILABLE = "The database is not answering just now. Please try again in a moment."
RETRY_AFTER_SECONDS = 5


def database_unavailable(error: BaseException) -> bool:
    """The database could not be reached or was too busy (a pool wait timed out): a 503, not a bug.

    OperationalError is the DB-API's class for "the database, not the statement":
    connection refused or lost, server shutting down, SQLite's locked or missing file.
    """
    if isinstance(error, (sa_exc.OperationalError, sa_exc.TimeoutError)):
        return True
    return isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated


def _rollback_quietly() -> None:
    """Roll back what the request half wrote; with the database gone the rollback may fail too."""
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:
        db.session.remove()


def _render(status: int, message: str | None, headers=()):
    title = TITLES.get(status, "Error")
    context = {"status": status, "title": title, "message": message, "request_id": g.get("request_id")}
    headers = [h for h in headers if h[0].lower() != "content-type"]
    if is_htmx():
        # An htmx request: the message goes to the page's alert area, not in place of what was targeted.
        headers += [("HX-Retarget", "#htmx-errors"), ("HX-Reswap", "innerHTML")]
        return render_template("errors/fragment.html", **context), status, headers
    return render_template("errors/page.html", **context), status, headers


def register_error_pages(app: Flask) -> None:
    @app.before_request
    def assign_request_id():
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:12]

    @app.after_request
    def echo_request_id(response):
        if "request_id" in g:
            response.headers["X-Request-Id"] = g.request_id
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(400, "The form had expired or came from elsewhere. Reload the page and try again.")

    @app.errorhandler(ValidationError)
    def validation_error(error: ValidationError):
        return _render(error.status, " ".join(error.errors.values()))

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        # A Host outside TRUSTED_HOSTS, refused before routing: no link can be built, so no page around it.
        return Response("This server does not answer to that host name.", 400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        message = error.description if error.description != type(error).description else None
        if error.code == 413 and message is None:
            limit = app.config["MAX_UPLOAD_MB"]
            message = f"The file is larger than the limit of {limit} MB. Nothing was saved."
        return _render(error.code, message, error.get_headers())

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if database_unavailable(error):
            log.warning("database unavailable, request id %s, %s %s: %s", g.get("request_id"), request.method,
                        redacted_path(request.path), _first_line(error))
            _rollback_quietly()
            if "_login_user" not in g:
                # Flask-Login's cache of who is signed in: the page's header would ask the database again.
                g._login_user = login_manager.anonymous_user()
            return _render(503, DATABASE_UNAVAILABLE, [("Retry-After", str(RETRY_AFTER_SECONDS))])
        log.exception("unhandled error, request id %s, %s %s", g.get("request_id"), request.method,
                      redacted_path(request.path))
        _rollback_quietly()
        return _render(500, None)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def register_socket_errors() -> None:
    """A socket action that fails because the database is unavailable answers with a message, not silence.

    An event's acknowledgement becomes ``{"ok": False, "message": ...}``, which the
    live view shows where it shows any refusal; a connection is refused with the
    message and ``{"retry": True}``, and the page tries again. Other errors go on
    as before (logged by Socket.IO, and raised in tests).
    """

    def on_socket_error(error: Exception):
        if not database_unavailable(error):
            raise error
        log.warning("database unavailable, socket event %r: %s", request.event["message"], _first_line(error))
        _rollback_quietly()
        if request.event["message"] == "connect":
            raise SocketRefused(DATABASE_UNAVAILABLE, {"retry": True})
        return {"ok": False, "message": DATABASE_UNAVAILABLE}

    socketio.on_error_default(on_socket_error)
