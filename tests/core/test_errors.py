"""Friendly error pages, and the request id that ties a 500 page to its log line."""

import logging

import pytest
from sqlalchemy import func, select

from workshop.accounts.models import Person
from workshop.db import db
from workshop.workshops.models import Role


def _page(response) -> str:
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_404_is_a_friendly_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = _page(response)
    assert "<h1>Not found</h1>" in page
    assert "Error 404" in page
    assert "Back to your workshops" in page
    assert "Traceback" not in page and "Werkzeug" not in page


def test_403_is_a_friendly_page(client, make):
    workshop = make.workshop()
    make.sign_in(client, make.member(workshop, Role.PARTICIPANT))
    response = client.get(f"/w/{workshop.code}/people")
    assert response.status_code == 403
    page = _page(response)
    assert "<h1>You do not have access to this</h1>" in page
    assert "Error 403" in page


def test_error_inside_htmx_request_is_a_fragment_not_a_whole_page(client, make):
    workshop = make.workshop()
    make.sign_in(client, make.member(workshop, Role.PARTICIPANT))
    response = client.get(f"/w/{workshop.code}/people", headers={"HX-Request": "true"})
    assert response.status_code == 403
    page = _page(response)
    assert "<html" not in page
    assert "You do not have access to this" in page


@pytest.fixture
def broken_route(app):
    """A test-only route that writes a row and then fails, as a bug would."""

    @app.get("/test-only/boom")
    def boom():
        db.session.add(Person(email="half-written@example.org", name="Half Written"))
        db.session.flush()
        raise RuntimeError("something unexpected")

    return "/test-only/boom"


def test_500_shows_the_request_id_that_is_in_the_header_and_the_log(client, broken_route, caplog):
    caplog.set_level(logging.ERROR, logger="workshop")
    response = client.get(broken_route)
    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    assert request_id
    page = _page(response)
    assert "Something went wrong on our side" in page
    assert f"<code>{request_id}</code>" in page
    assert "something unexpected" not in page and "Traceback" not in page
    logged = [record for record in caplog.records if request_id in record.getMessage()]
    assert logged, caplog.text
    assert logged[0].exc_info and "something unexpected" in str(logged[0].exc_info[1])


def test_500_rolls_back_what_the_request_half_wrote(client, broken_route):
    assert client.get(broken_route).status_code == 500
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0


def test_each_request_gets_its_own_id(client):
    first, second = client.get("/login"), client.get("/login")
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_request_id_from_a_proxy_is_kept_short_and_escaped(client, broken_route):
    response = client.get(broken_route, headers={"X-Request-Id": "<b>proxy-id</b>" + "x" * 100})
    request_id = response.headers["X-Request-Id"]
    assert len(request_id) <= 64
    page = _page(response)
    assert "<b>proxy-id</b>" not in page
    assert "&lt;b&gt;proxy-id&lt;/b&gt;" in page


def test_request_too_large_is_a_friendly_413_and_nothing_is_read(app, client, make):
    app.config.update(MAX_UPLOAD_MB=1, MAX_CONTENT_LENGTH=1024 * 1024)
    token = make.csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "email": "a@example.org",
                                           "password": "x" * (1024 * 1024 + 1)})
    assert response.status_code == 413
    page = _page(response)
    assert "That upload is too large" in page
    assert "limit of 1 MB" in page
    assert "Error 413" in page


def test_default_upload_limit_leaves_room_for_the_form_around_the_file(app):
    assert app.config["MAX_CONTENT_LENGTH"] > app.config["MAX_UPLOAD_MB"] * 1024 * 1024
