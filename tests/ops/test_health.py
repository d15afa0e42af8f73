"""/healthz: 200 when the database (and the message queue, if any) answer; 503 naming what failed."""

from __future__ import annotations

import pytest

from workshop import create_app


def test_healthy_database_answers_200_with_a_small_json_body(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers, "a probe gets no session"


def test_health_checks_are_never_rate_limited(client):
    assert {client.get("/healthz").status_code for _ in range(60)} == {200}


def _app(database_url: str, **config):
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "ASYNC_MODE": "threading", "TESTING": True,
                       **config})


@pytest.mark.parametrize("url", ["sqlite:////nonexistent-folder/workshop.db",
                                 "postgresql+psycopg://127.0.0.1:1/workshop"], ids=["sqlite", "postgresql"])
def test_a_database_that_does_not_answer_is_a_503_naming_it(url):
    response = _app(url).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "failed: OperationalError"}


def test_the_message_queue_is_checked_when_it_is_redis(app, redis_url):
    # Set after the app is made: checking the queue needs only its URL, not a Socket.IO listener thread.
    app.config["MESSAGE_QUEUE"] = redis_url
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "ok"}


def test_a_message_queue_that_does_not_answer_is_a_503_naming_it(app):
    app.config["MESSAGE_QUEUE"] = "redis://127.0.0.1:1/0"
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "ok", "queue": "failed: ConnectionError"}


def test_presence_in_a_redis_of_its_own_is_checked_too(app, redis_url):
    app.config.update(MESSAGE_QUEUE=redis_url, PRESENCE_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["presence"] == "failed: ConnectionError"
    assert response.get_json()["queue"] == "ok"
