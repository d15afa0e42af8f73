"""Security headers on every response, cookie flags, and no inline script anywhere."""

import re

import pytest

from tests.factories import PASSWORD
from workshop.accounts import services as accounts
from workshop.db import db
from workshop.workshops.models import Role


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    directives = (part.strip().split(None, 1) for part in policy.split(";") if part.strip())
    return {name: (rest[0] if rest else "") for name, *rest in directives}


def assert_security_headers(response):
    csp = _csp(response)
    assert csp["script-src"] == "'self'"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert response.headers["Referrer-Policy"] in ("no-referrer", "same-origin", "strict-origin",
                                                   "strict-origin-when-cross-origin")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_headers_on_a_page_a_404_a_static_asset_and_a_redirect(app, client):
    asset = app.extensions["assets"].url("css/app.css")
    responses = {
        "page": client.get("/login"),
        "404": client.get("/no/such/page"),
        "asset": client.get(asset),
        "redirect": client.get("/"),
        "405": client.get("/logout"),
        "400": client.post("/login"),
    }
    assert [r.status_code for r in responses.values()] == [200, 404, 200, 302, 405, 400]
    for name, response in responses.items():
        assert_security_headers(response)


def test_html_is_not_cached_but_assets_are(app, client):
    assert "no-store" in client.get("/login").headers["Cache-Control"]
    assert "immutable" in client.get(app.extensions["assets"].url("css/app.css")).headers["Cache-Control"]


def _set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def _sign_in(client, make):
    person = make.person(password=PASSWORD)
    response = make.post(client, "/login", {"email": person.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def test_session_cookie_is_httponly_and_lax_and_not_secure_on_plain_http(client, make):
    cookie = _set_cookies(_sign_in(client, make))["session"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_session_cookie_is_secure_when_configured(app, client, make):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    response = _sign_in(client, make)
    cookie = _set_cookies(response)["session"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("secure", [False, True])
def test_remember_cookie_from_an_invite_link_has_the_same_flags(app, client, make, secure):
    app.config.update(SESSION_COOKIE_SECURE=secure, REMEMBER_COOKIE_SECURE=secure)
    workshop = make.workshop()
    invite = accounts.issue_invite(make.member(workshop, Role.PARTICIPANT), workshop)
    db.session.commit()
    response = make.post(client, f"/invite/{accounts.invite_token(invite)}")
    cookies = _set_cookies(response)
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name]
        assert "SameSite=Lax" in cookies[name]
        assert ("Secure" in cookies[name]) is secure


# No inline script ---------------------------------------------------------------------------

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def assert_no_inline_script(html: str, where: str) -> None:
    tags = SCRIPT_TAG.findall(html)
    assert len(tags) == html.lower().count("<script"), f"unclosed <script> on {where}"
    for attributes, body in tags:
        assert re.search(r"\ssrc=", attributes), f"inline <script> on {where}"
        assert not body.strip(), f"<script src> with a body on {where}"
    assert not EVENT_HANDLER.search(html), f"inline event handler on {where}"
    assert not re.search(r"<style\b", html, re.IGNORECASE), f"inline <style> on {where}"
    assert not re.search(r"\sstyle=", html, re.IGNORECASE), f"style attribute on {where}"
    assert "javascript:" not in html.lower(), f"javascript: URL on {where}"


def test_no_page_has_inline_script_or_style(app, client, make):
    workshop = make.workshop(join_enabled=True, join_code="JOIN-1234")
    organizer = make.member(workshop, Role.ORGANIZER)
    organizer.can_create_workshops = True
    participant = make.member(workshop, Role.PARTICIPANT)
    invite = accounts.issue_invite(participant, workshop)
    db.session.commit()
    code = workshop.code
    anonymous_pages = ["/login", f"/invite/{accounts.invite_token(invite)}", "/invite/garbage",
                       f"/join/{code}", "/no/such/page"]
    organizer_pages = ["/", f"/w/{code}/", f"/w/{code}/people", f"/w/{code}/edit", "/workshops/new",
                       "/w/NO-SUCH/"]
    participant_pages = [f"/w/{code}/", f"/w/{code}/people"]
    checked = 0
    for person, pages in ((None, anonymous_pages), (organizer, organizer_pages), (participant, participant_pages)):
        browser = app.test_client()
        if person is not None:
            make.sign_in(browser, person)
        for path in pages:
            response = browser.get(path)
            assert response.mimetype == "text/html", path
            assert_no_inline_script(response.get_data(as_text=True), path)
            assert_security_headers(response)
            checked += 1
    assert checked == len(anonymous_pages) + len(organizer_pages) + len(participant_pages)


@pytest.mark.parametrize("html", [
    "<script>alert(1)</script>",
    '<script type="module">x()</script>',
    '<SCRIPT\nsrc="/a.js">x()</SCRIPT>',
    '<button onclick="x()">',
    '<p style="color:red">',
    "<style>p{}</style>",
])
def test_the_inline_script_check_catches_what_the_csp_would_block(html):
    with pytest.raises(AssertionError):
        assert_no_inline_script(html, "sample")
