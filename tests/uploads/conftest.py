"""Fixtures for the upload module: a fresh uploads folder, a tiny tmpfs, and routes that upload and download."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from flask import abort, request
from werkzeug.datastructures import FileStorage

from workshop.db import db
from workshop.uploads.models import StoredFile
from workshop.uploads.storage import ALL_KINDS, send_stored, store_upload


@pytest.fixture
def uploads(app, tmp_path) -> Path:
    """The app's uploads folder, not yet created: store_upload must make it."""
    folder = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    return folder


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=10)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 kB tmpfs mounted for the test, unmounted after it; skipped where mounting is impossible."""
    mountpoint = tmp_path / "tiny"
    mountpoint.mkdir()
    mounted = _run("mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(mountpoint))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root and mount rights): {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        if _run("umount", str(mountpoint)).returncode != 0:
            _run("umount", "-l", str(mountpoint))


def remount_read_only(mountpoint: Path) -> None:
    result = _run("mount", "-o", "remount,ro", str(mountpoint))
    if result.returncode != 0:
        pytest.skip(f"cannot remount the tmpfs read-only: {result.stderr.strip()}")


@pytest.fixture
def routes(app):
    """An upload and a download route like the ones the features add, to go through the real error pages."""

    def upload():
        chosen = request.files.get("file") or FileStorage()
        stored = store_upload(chosen, allowed_kinds=ALL_KINDS, max_bytes=int(request.args.get("max", 1_000_000)),
                              uploader=None)
        db.session.commit()
        return {"id": stored.id}

    def download(file_id: int):
        stored = db.session.get(StoredFile, file_id) or abort(404)
        return send_stored(stored, download_name=request.args.get("as"))

    app.add_url_rule("/test-uploads", "test_upload", upload, methods=["POST"])
    app.add_url_rule("/test-uploads/<int:file_id>", "test_download", download)
