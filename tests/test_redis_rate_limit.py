"""Login attempts are counted in Redis when configured, so every worker sees the same count."""

import secrets

import pytest
import redis

from tests.conftest import app_settings
from workshop import create_app
from workshop.db import db


@pytest.fixture
def visitor(redis_url):
    """An email and client address of our own, and the Redis keys they made removed afterwards."""
    token = secrets.token_hex(4)
    email, address = f"limit-{token}@example.org", f"127.{int(token[:2], 16)}.{int(token[2:4], 16)}.{int(token[4:6], 16)}"
    yield email, address
    client = redis.Redis.from_url(redis_url)
    for pattern in (f"*{email}*", f"*/{address}/*"):
        keys = list(client.scan_iter(pattern))
        if keys:
            client.delete(*keys)
    client.close()


def _worker(database_url: str, redis_url: str):
    return create_app({**app_settings(database_url), "RATELIMIT_STORAGE_URI": redis_url,
                       "LOGIN_ATTEMPTS_PER_MINUTE": 3, "WTF_CSRF_ENABLED": False})


def _attempt(app, email: str, address: str) -> int:
    with app.app_context():
        response = app.test_client().post("/login", data={"email": email, "password": "wrong"},
                                          environ_base={"REMOTE_ADDR": address})
        db.engine.dispose()
    return response


def test_login_attempts_are_shared_between_workers_through_redis(database_url, redis_url, visitor):
    email, address = visitor
    first = _worker(database_url, redis_url)
    assert [_attempt(first, email, address).status_code for _ in range(3)] == [401, 401, 401]
    assert list(redis.Redis.from_url(redis_url).scan_iter(f"*{email}*")), "attempts were not counted in Redis"

    # A second worker starts with fresh in-process state; only Redis remembers the three attempts.
    second = _worker(database_url, redis_url)
    response = _attempt(second, email, address)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
