"""Static files under content-hashed names, compressed once and cached for a year.

``asset("css/app.css")`` in a template gives ``/static/css/app.3f1c9a2b7d10.css``.
A changed file gets a new name, so browsers may keep the old one forever.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

import brotli
from flask import Flask, Response, abort

ONE_YEAR = 365 * 24 * 3600
_COMPRESSIBLE = (".css", ".js", ".svg", ".txt", ".json")


@dataclass(frozen=True)
class Asset:
    body: bytes
    mimetype: str
    gzip: bytes | None
    brotli: bytes | None


def _hashed_name(relative: str, digest: str) -> str:
    path = Path(relative)
    return str(path.with_name(f"{path.stem}.{digest[:12]}{path.suffix}"))


# Keyed by content digest: each app built in this process (every test builds
# one) reuses the slow brotli work instead of redoing it.
_compressed: dict[str, tuple[bytes, bytes]] = {}


def _compress(digest: str, body: bytes) -> tuple[bytes, bytes]:
    if digest not in _compressed:
        _compressed[digest] = (gzip.compress(body, 9, mtime=0), brotli.compress(body))
    return _compressed[digest]


class Assets:
    def __init__(self, folder: Path):
        self.urls: dict[str, str] = {}
        self.files: dict[str, Asset] = {}
        for file in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "VERSIONS"):
            relative = file.relative_to(folder).as_posix()
            body = file.read_bytes()
            digest = hashlib.sha256(body).hexdigest()
            hashed = _hashed_name(relative, digest)
            gzipped, brotlied = _compress(digest, body) if file.suffix in _COMPRESSIBLE else (None, None)
            self.urls[relative] = f"/static/{hashed}"
            self.files[hashed] = Asset(
                body=body,
                mimetype=mimetypes.guess_type(file.name)[0] or "application/octet-stream",
                gzip=gzipped,
                brotli=brotlied,
            )

    def url(self, relative: str) -> str:
        return self.urls[relative]

    def serve(self, filename: str) -> Response:
        """The Flask route: what the WSGI layer below did not answer, a name that is no asset, is a 404."""
        abort(404)

    def answer(self, filename: str, accepted: str) -> tuple[bytes, list[tuple[str, str]]] | None:
        """The body and headers of an asset in the encoding the browser accepts; None if there is no such asset."""
        asset = self.files.get(filename)
        if asset is None:
            return None
        body, encoding = asset.body, None
        if asset.brotli is not None and "br" in accepted:
            body, encoding = asset.brotli, "br"
        elif asset.gzip is not None and "gzip" in accepted:
            body, encoding = asset.gzip, "gzip"
        content_type = asset.mimetype + ("; charset=utf-8" if asset.mimetype.startswith("text/") else "")
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body))),
                   ("Cache-Control", f"public, max-age={ONE_YEAR}, immutable"), ("Vary", "Accept-Encoding")]
        if encoding:
            headers.append(("Content-Encoding", encoding))
        return body, headers


class StaticFiles:
    """WSGI: an asset is answered from memory before the request reaches Flask.

    A first visit asks for a dozen assets. Through Flask's request cycle (the
    session cookie, the signed-in person, limits, the request id, the access
    log) each cost about 1.2 ms of CPU: more than a fifth of what a join storm
    of a thousand arrivals costs. Anything else goes on to the app, which
    answers a name that is no asset with its 404 page.
    """

    def __init__(self, app, assets: Assets, headers):
        self.app, self.assets, self.headers = app, assets, headers

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/static/") and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            found = self.assets.answer(path.removeprefix("/static/"), environ.get("HTTP_ACCEPT_ENCODING", ""))
            if found is not None:
                body, headers = found
                start_response("200 OK", headers + list(self.headers().items()))
                return [b"" if environ["REQUEST_METHOD"] == "HEAD" else body]
        return self.app(environ, start_response)


def init_assets(app: Flask) -> None:
    from workshop.security import security_headers

    assets = Assets(Path(app.root_path) / "static")
    app.add_url_rule("/static/<path:filename>", endpoint="static", view_func=assets.serve)
    app.wsgi_app = StaticFiles(app.wsgi_app, assets, lambda: security_headers(app))
    app.jinja_env.globals["asset"] = assets.url
    app.extensions["assets"] = assets
