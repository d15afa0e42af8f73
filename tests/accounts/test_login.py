"""Password sign-in, its rate limit, and sign-out, through real HTTP requests."""

import pytest

from tests.accounts.conftest import is_signed_in
from tests.factories import PASSWORD


@pytest.fixture
def staff(make):
    return make.person("Sam Staff", password=PASSWORD)


def test_right_password_signs_in_and_redirects(client, make, staff):
    response = make.post(client, "/login", {"email": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_signed_in(client, staff)


def test_email_is_matched_whatever_its_case_and_spaces(client, make, staff):
    response = make.post(client, "/login", {"email": f"  {staff.email.upper()} ", "password": PASSWORD})
    assert response.status_code == 302
    assert is_signed_in(client, staff)


def test_safe_next_path_is_followed(client, make, staff):
    response = make.post(client, "/login?next=/w/ABC/", {"email": staff.email, "password": PASSWORD})
    assert response.headers["Location"] == "/w/ABC/"


def test_next_pointing_elsewhere_is_not_followed(app, make, staff):
    for target in ("//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)"):
        browser = app.test_client()
        response = make.post(browser, "/login", {"email": staff.email, "password": PASSWORD},
                             query_string={"next": target})
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target
        assert is_signed_in(browser, staff)


def test_wrong_password_is_refused_with_401(client, make, staff):
    response = make.post(client, "/login", {"email": staff.email, "password": PASSWORD + "x"})
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_unknown_email_gets_the_same_answer(client, make, staff):
    wrong = make.post(client, "/login", {"email": staff.email, "password": "not the password"})
    unknown = make.post(client, "/login", {"email": "nobody@example.org", "password": PASSWORD})
    assert unknown.status_code == wrong.status_code == 401
    assert "Wrong email or password" in unknown.get_data(as_text=True)
    assert "nobody@example.org" in unknown.get_data(as_text=True)  # the form keeps what was typed
    assert not is_signed_in(client)


def test_person_without_password_cannot_sign_in_with_any_password(client, make):
    participant = make.person("Pat Participant")  # participants use invite links
    response = make.post(client, "/login", {"email": participant.email, "password": ""})
    assert response.status_code == 400
    response = make.post(client, "/login", {"email": participant.email, "password": "anything at all"})
    assert response.status_code == 401
    assert not is_signed_in(client)


def test_missing_or_overlong_fields_are_a_400_with_the_form(client, make):
    for fields in ({"email": "", "password": PASSWORD}, {"password": PASSWORD}, {"email": "a@b.org"},
                   {"email": "x" * 300 + "@example.org", "password": PASSWORD}):
        response = make.post(client, "/login", fields)
        assert response.status_code == 400, fields
        assert "<form" in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_login_without_csrf_token_is_refused(client, staff):
    response = client.post("/login", data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)
    assert not is_signed_in(client)


# Rate limit -----------------------------------------------------------------------------

def _attempt(client, token, email, password="wrong password", address="127.0.0.1"):
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_default_limit_is_ten_attempts_a_minute(app, client, make, staff):
    assert app.config["LOGIN_ATTEMPTS_PER_MINUTE"] == 10
    token = make.csrf_token(client)
    # An empty password spares the slow hash; the attempt counts all the same.
    statuses = [_attempt(client, token, staff.email, password="").status_code for _ in range(11)]
    assert statuses == [400] * 10 + [429]


def test_too_many_attempts_get_a_friendly_429_even_with_the_right_password(app, client, make, staff):
    app.config["LOGIN_ATTEMPTS_PER_MINUTE"] = 3
    token = make.csrf_token(client)
    for _ in range(3):
        assert _attempt(client, token, staff.email).status_code == 401
    response = _attempt(client, token, staff.email, password=PASSWORD)
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Too many attempts" in page
    assert "Retry-After" in response.headers
    assert not is_signed_in(client)


def test_limit_counts_per_address_across_emails(app, client, make, staff):
    app.config["LOGIN_ATTEMPTS_PER_MINUTE"] = 3
    token = make.csrf_token(client)
    for n in range(3):
        assert _attempt(client, token, f"guess{n}@example.org").status_code == 401
    assert _attempt(client, token, staff.email, password=PASSWORD).status_code == 429
    # Someone else, from another address, is not locked out.
    assert _attempt(client, token, staff.email, password=PASSWORD, address="10.0.0.9").status_code == 302


def test_limit_counts_per_email_across_addresses(app, client, make, staff):
    app.config["LOGIN_ATTEMPTS_PER_MINUTE"] = 3
    token = make.csrf_token(client)
    for n in range(3):
        assert _attempt(client, token, staff.email, address=f"192.0.2.{n + 1}").status_code == 401
    assert _attempt(client, token, staff.email, password=PASSWORD, address="192.0.2.99").status_code == 429


def test_page_views_do_not_count_against_the_limit(app, client, make, staff):
    app.config["LOGIN_ATTEMPTS_PER_MINUTE"] = 2
    for _ in range(5):
        assert client.get("/login").status_code == 200
    assert make.post(client, "/login", {"email": staff.email, "password": PASSWORD}).status_code == 302


# Sign-out -------------------------------------------------------------------------------

def test_logout_ends_the_session(client, make, staff):
    make.post(client, "/login", {"email": staff.email, "password": PASSWORD})
    token = make.csrf_token(client, "/")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert not is_signed_in(client)


def test_logout_without_csrf_token_is_refused_and_keeps_the_session(client, make, staff):
    make.post(client, "/login", {"email": staff.email, "password": PASSWORD})
    response = client.post("/logout")
    assert response.status_code == 400
    assert is_signed_in(client, staff)


def test_logout_by_get_is_not_allowed(client, make, staff):
    make.sign_in(client, staff)
    assert client.get("/logout").status_code == 405
    assert is_signed_in(client, staff)
