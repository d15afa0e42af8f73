"""Compressed responses, content-hashed static files cached for a year, and a light first load."""

import gzip
import re
from pathlib import Path

import brotli
import pytest
from flask import Flask

from workshop.assets import Assets
from workshop.workshops.models import Role

STATIC = Path(__file__).resolve().parents[2] / "workshop" / "static"
FIRST_LOAD_BUDGET = 100 * 1024


def _decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(response.data)
    if encoding == "gzip":
        return gzip.decompress(response.data)
    assert encoding is None, encoding
    return response.data


@pytest.mark.parametrize("accept, encoding", [("gzip, br", "br"), ("br", "br"), ("gzip", "gzip"),
                                              ("gzip, deflate", "gzip")])
def test_html_pages_are_compressed(plain_client, accept, encoding):
    response = plain_client.get("/login", headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert b"<h1>Sign in</h1>" in _decoded(response)
    assert len(response.data) < len(_decoded(response))


def test_no_compression_when_the_browser_asks_for_none(plain_client):
    response = plain_client.get("/login", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in response.headers
    assert b"<h1>Sign in</h1>" in response.data


def test_asset_names_carry_a_hash_of_the_content(tmp_path):
    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "site.css"
    sheet.write_text("body { color: black; }")
    before = Assets(tmp_path).url("css/site.css")
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", before)
    assert Assets(tmp_path).url("css/site.css") == before
    sheet.write_text("body { color: navy; }")
    assert Assets(tmp_path).url("css/site.css") != before


def test_assets_are_served_with_a_year_of_immutable_caching(plain_app, plain_client):
    url = plain_app.extensions["assets"].url("css/app.css")
    response = plain_client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    cache = [part.strip() for part in response.headers["Cache-Control"].split(",")]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache


@pytest.mark.parametrize("relative", ["css/app.css", "vendor/htmx.min.js", "vendor/socket.io.min.js",
                                      "vendor/pico.min.css", "favicon.svg", "js/live.js"])
@pytest.mark.parametrize("accept, encoding", [("br, gzip", "br"), ("gzip", "gzip"), ("", None)])
def test_assets_are_served_precompressed_and_decode_to_the_file(plain_app, plain_client, relative, accept, encoding):
    response = plain_client.get(plain_app.extensions["assets"].url(relative), headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == encoding
    assert _decoded(response) == (STATIC / relative).read_bytes()



def test_assets_are_answered_before_the_request_reaches_flask():
    """A page's dozen assets skip the request cycle (session, sign-in, limits, request id): a first visit's CPU."""
    from workshop import create_app

    plain_app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "ASYNC_MODE": "threading", "TESTING": True})
    reached = []
    plain_app.before_request(lambda: reached.append(1))
    client = plain_app.test_client()
    url = plain_app.extensions["assets"].url("js/live.js")
    assert client.get(url).status_code == 200
    head = client.head(url, headers={"Accept-Encoding": "br"})
    assert head.status_code == 200 and head.data == b"" and head.headers["Content-Encoding"] == "br"
    assert int(head.headers["Content-Length"]) == len(client.get(url, headers={"Accept-Encoding": "br"}).data)
    assert reached == []
    assert client.get(url.replace(".js", ".map")).status_code == 404 and reached == [1]

def test_precompressed_bodies_are_made_once_not_per_request(tmp_path):
    (tmp_path / "app.js").write_text("console.log('hello');\n" * 50)
    assets = Assets(tmp_path)
    asset = next(iter(assets.files.values()))
    assert gzip.decompress(asset.gzip) == asset.body
    assert brotli.decompress(asset.brotli) == asset.body


@pytest.mark.parametrize("path", ["/static/css/app.css", "/static/css/app.000000000000.css", "/static/nope.js",
                                  "/static/../workshop/config.py", "/static/vendor/VERSIONS"])
def test_unknown_asset_is_404(plain_client, path):
    response = plain_client.get(path)
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_asset_helper_refuses_a_file_that_does_not_exist(tmp_path):
    app = Flask(__name__)
    with app.app_context(), pytest.raises(KeyError):
        Assets(tmp_path).url("missing.css")


# First load ---------------------------------------------------------------------------

LINKED = re.compile(r'<(?:link|script)\b[^>]*?\s(?:href|src)="(/static/[^"]+)"', re.IGNORECASE)


def _first_load_bytes(browser, path) -> tuple[int, list[str]]:
    """Bytes on the wire for a page and every stylesheet, script and icon it links, as a browser asks."""
    headers = {"Accept-Encoding": "br, gzip"}
    page = browser.get(path, headers=headers)
    assert page.status_code == 200
    linked = LINKED.findall(_decoded(page).decode())
    total = len(page.data)
    for url in linked:
        response = browser.get(url, headers=headers)
        assert response.status_code == 200, url
        total += len(response.data)
    return total, linked


def test_sign_in_page_first_load_is_under_100_kb(plain_client):
    total, linked = _first_load_bytes(plain_client, "/login")
    assert any(url.endswith(".css") for url in linked) and any(url.endswith(".js") for url in linked)
    assert total <= FIRST_LOAD_BUDGET, f"{total} bytes"


def test_participant_workshop_home_first_load_is_under_100_kb(client, make):
    workshop = make.workshop()
    make.sign_in(client, make.member(workshop, Role.PARTICIPANT))
    total, linked = _first_load_bytes(client, f"/w/{workshop.code}/")
    assert any("socket.io" in url for url in linked)
    assert total <= FIRST_LOAD_BUDGET, f"{total} bytes"
