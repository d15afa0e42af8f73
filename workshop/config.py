"""Configuration read from ``WORKSHOP_*`` environment variables.

Every setting has a default that makes ``make run`` work on a laptop: SQLite
in ``instance/``, one process, no message queue, no SMTP.
"""

import os
import secrets
from pathlib import Path

ASYNC_MODES = ("gevent", "eventlet", "threading")
LOG_FORMATS = ("text", "json")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"WORKSHOP_{name}")
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise RuntimeError(f"WORKSHOP_{name} must be a whole number, got {value!r}") from None


def load_secret_key(instance_path: Path) -> str:
    """The configured secret, else one generated once and kept in instance/.

    Keeping it on disk means sessions and invite links survive a restart
    without anyone having to invent a secret for a laptop install.
    """
    configured = _env("SECRET_KEY")
    if configured:
        return configured
    key_file = instance_path / "secret_key"
    if key_file.exists():
        kept = key_file.read_text().strip()
        if kept:
            return kept
        key_file.unlink()  # left empty by a first start that died before writing: an empty key signs nothing
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def is_redis_url(url: str | None) -> bool:
    return bool(url) and url.startswith(REDIS_SCHEMES)


def _presence_settings() -> dict:
    """Who is online: kept in Redis when there is one (every worker sees it), else in the process."""
    queue = _env("MESSAGE_QUEUE")
    url = _env("PRESENCE_URL", queue if is_redis_url(queue) else None)
    if url is not None and not is_redis_url(url):
        raise RuntimeError(f"WORKSHOP_PRESENCE_URL must be a redis:// URL, got {url!r}")
    heartbeat = _env_int("PRESENCE_HEARTBEAT_SECONDS", 15)
    expiry = _env_int("PRESENCE_EXPIRY_SECONDS", 45)
    if heartbeat < 1 or expiry < 2 * heartbeat:
        # A connection must survive a missed heartbeat (a worker busy for a moment) without blinking out.
        raise RuntimeError("WORKSHOP_PRESENCE_EXPIRY_SECONDS must be at least twice "
                           f"WORKSHOP_PRESENCE_HEARTBEAT_SECONDS (>= 1), got {expiry} and {heartbeat}")
    return {
        "PRESENCE_URL": url,
        "PRESENCE_PREFIX": _env("PRESENCE_PREFIX", "workshop:presence:"),
        "PRESENCE_HEARTBEAT_SECONDS": heartbeat,
        "PRESENCE_EXPIRY_SECONDS": expiry,
    }


ACTION_LIMITS = {  # per person, in the ``limits`` notation; workshop.action_limits counts them
    "VOTE_LIMIT": "20 per 10 seconds",
    "QUESTION_LIMIT": "3 per minute",
    "UPVOTE_LIMIT": "60 per minute",
    "NOTE_SAVE_LIMIT": "120 per minute",
    "HELP_REQUEST_LIMIT": "3 per minute",
}


def _action_limit_settings() -> dict:
    """How often one person may repeat an action: each default is more than a real session ever needs."""
    from limits import parse

    settings = {"ACTION_LIMIT_PREFIX": _env("ACTION_LIMIT_PREFIX", "workshop-actions")}
    for name, default in ACTION_LIMITS.items():
        value = _env(name, default)
        try:
            allows_any = parse(value).amount >= 1  # "0 per minute" would forbid the action altogether
        except ValueError:
            allows_any = False
        if not allows_any:
            raise RuntimeError(f"WORKSHOP_{name} must be a limit like {default!r}, got {value!r}")
        settings[name] = value
    return settings


def settings_from_env(instance_path: Path) -> dict:
    """Flask config keys derived from the environment."""
    async_mode = _env("ASYNC_MODE", "gevent")
    if async_mode not in ASYNC_MODES:
        raise RuntimeError(f"WORKSHOP_ASYNC_MODE must be one of {', '.join(ASYNC_MODES)}, got {async_mode!r}")
    log_format = _env("LOG_FORMAT", "text")
    if log_format not in LOG_FORMATS:
        raise RuntimeError(f"WORKSHOP_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    secure = _env_bool("SECURE_COOKIES", False)
    return {
        "SECRET_KEY": load_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _env("DATABASE_URL", f"sqlite:///{instance_path / 'workshop.db'}"),
        "MESSAGE_QUEUE": _env("MESSAGE_QUEUE"),
        "ASYNC_MODE": async_mode,
        "MAX_UPLOAD_MB": _env_int("MAX_UPLOAD_MB", 25),
        "MAX_CONTENT_LENGTH": _env_int("MAX_UPLOAD_MB", 25) * 1024 * 1024 + 64 * 1024,
        "UPLOAD_FOLDER": _env("UPLOAD_FOLDER", str(instance_path / "uploads")),
        "BASE_URL": (_env("BASE_URL") or "").rstrip("/") or None,
        # Flask refuses (400) a request whose Host is none of these (".example.org": it and its subdomains).
        "TRUSTED_HOSTS": [name.strip() for name in (_env("TRUSTED_HOSTS") or "").split(",") if name.strip()] or None,
        "INVITE_DAYS": _env_int("INVITE_DAYS", 30),
        # How long an invite link's sign-in is remembered by the browser (never beyond the link's own life).
        "INVITE_SESSION_DAYS": _env_int("INVITE_SESSION_DAYS", 30),
        "PASSWORD_LINK_MINUTES": _env_int("PASSWORD_LINK_MINUTES", 60),
        "PASSWORD_LINKS_PER_HOUR": _env_int("PASSWORD_LINKS_PER_HOUR", 5),
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
        "PREFERRED_URL_SCHEME": "https" if secure else "http",
        "SMTP_HOST": _env("SMTP_HOST"),
        "SMTP_PORT": _env_int("SMTP_PORT", 25),
        "SMTP_USER": _env("SMTP_USER"),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _env_bool("SMTP_STARTTLS", False),
        "MAIL_FROM": _env("MAIL_FROM", "workshop@localhost"),
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", _env("MESSAGE_QUEUE", "memory://")),
        "LOGIN_ATTEMPTS_PER_MINUTE": _env_int("LOGIN_ATTEMPTS_PER_MINUTE", 10),
        # Lookups of certificate codes on the public verification page, per client address.
        "CERTIFICATE_VERIFY_PER_MINUTE": _env_int("CERTIFICATE_VERIFY_PER_MINUTE", 30),
        # Static fonts made from the font packages' variable fonts (workshop/certificates/fonts.py).
        "CERTIFICATE_FONT_CACHE": _env("CERTIFICATE_FONT_CACHE", str(instance_path / "fonts")),
        "BEHIND_PROXY": _env_bool("BEHIND_PROXY", False),
        "DB_POOL_SIZE": _env_int("DB_POOL_SIZE", 10),
        "DB_POOL_OVERFLOW": _env_int("DB_POOL_OVERFLOW", 20),
        "DB_POOL_TIMEOUT": _env_int("DB_POOL_TIMEOUT", 10),
        "DB_CONNECT_TIMEOUT": _env_int("DB_CONNECT_TIMEOUT", 5),
        "LOG_FORMAT": log_format,
        "ACCESS_LOG": _env_bool("ACCESS_LOG", False),
        "GRACEFUL_TIMEOUT": _env_int("GRACEFUL_TIMEOUT", 20),
        # Off only where another process sweeps the same database and this one must not (the test servers).
        "DEADLINE_SWEEPS": _env_bool("DEADLINE_SWEEPS", True),
        **_presence_settings(),
        **_action_limit_settings(),
    }


FIXED = {
    # werkzeug's default; the test suite sets a cheap one, since it hashes thousands of passwords.
    "PASSWORD_HASH_METHOD": "scrypt",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "WTF_CSRF_SSL_STRICT": True,
    "COMPRESS_MIMETYPES": [
        "text/html", "text/css", "text/csv", "text/calendar", "text/plain",
        "application/javascript", "text/javascript", "application/json", "image/svg+xml",
    ],
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_MIN_SIZE": 500,
    "RATELIMIT_HEADERS_ENABLED": True,
}
