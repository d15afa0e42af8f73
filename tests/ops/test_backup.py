"""Backup and restore with ``flask backup DIR`` / ``flask restore DIR``: a workshop and an uploaded file survive a wipe.

Each test has a database of its own (a fresh PostgreSQL database, or an SQLite
file) and uploads folder, since restoring replaces them whole.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import empty_postgres_database, unavailable
from tests.uploads.files import pdf
from tests.uploads.helpers import upload_of
from workshop import create_app
from workshop.db import db
from workshop.uploads.models import StoredFile
from workshop.uploads.storage import open_stored, store_upload
from workshop.workshops.models import Workshop


@pytest.fixture
def postgres_url():
    with empty_postgres_database("workshop_backup_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def instance(request, tmp_path):
    """An app on an empty database of its own, with its own uploads folder; yields (app, uploads folder)."""
    if request.param == "postgresql":
        if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
            unavailable("pg_dump and pg_restore are not installed")
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'workshop.db'}"
    uploads = tmp_path / "uploads"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ASYNC_MODE": "threading", "TESTING": True,
                      "UPLOAD_FOLDER": str(uploads)})
    with app.app_context():
        db.create_all()
        yield app, uploads
        db.session.remove()
        db.engine.dispose()


def _invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_a_workshop_and_its_uploaded_file_survive_backup_wipe_and_restore(instance, make, tmp_path):
    app, uploads = instance
    workshop = make.workshop(title="APO Workshop on Innovative Public Procurement")
    document = pdf("Country report of Nepal")
    stored = store_upload(upload_of(document, "Nepal.pdf"), allowed_kinds={"pdf"}, max_bytes=10**6, uploader=None)
    db.session.commit()
    stored_id, code = stored.id, workshop.code

    backup_dir = tmp_path / "backup"
    result = _invoke(app, "backup", str(backup_dir))
    assert result.exit_code == 0, result.output
    assert "1 uploaded files" in result.output
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["database"] == db.engine.dialect.name and manifest["files"] == 1

    # Everything lost: the tables and the uploads folder.
    db.session.remove()
    db.drop_all()
    shutil.rmtree(uploads)

    result = _invoke(app, "restore", "--yes", str(backup_dir))
    assert result.exit_code == 0, result.output
    restored = db.session.scalar(select(Workshop).where(Workshop.code == code))
    assert restored is not None and restored.title == "APO Workshop on Innovative Public Procurement"
    assert open_stored(db.session.get(StoredFile, stored_id)).read_bytes() == document
    # The restored database takes new rows (ids carry on after the restored ones).
    later = make.workshop()
    assert later.id > restored.id


def test_restore_asks_first_and_keeps_everything_when_told_no(instance, make, tmp_path):
    app, _ = instance
    make.workshop(code="KEEP-ME")
    backup_dir = tmp_path / "backup"
    assert _invoke(app, "backup", str(backup_dir)).exit_code == 0
    make.workshop(code="AFTER-BACKUP")
    result = app.test_cli_runner().invoke(args=["restore", str(backup_dir)], input="n\n")
    assert result.exit_code != 0 and "Aborted" in result.output
    assert db.session.scalar(select(Workshop).where(Workshop.code == "AFTER-BACKUP")) is not None


def test_a_backup_goes_into_a_new_folder_only(instance, tmp_path):
    app, _ = instance
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "something").write_text("keep")
    result = _invoke(app, "backup", str(occupied))
    assert result.exit_code != 0 and "is not empty" in result.output
    assert (occupied / "something").read_text() == "keep"


def test_a_folder_that_is_not_a_backup_or_of_another_database_kind_is_refused(instance, tmp_path):
    app, _ = instance
    not_a_backup = tmp_path / "random"
    not_a_backup.mkdir()
    result = _invoke(app, "restore", "--yes", str(not_a_backup))
    assert result.exit_code != 0 and "is not a backup made by `flask backup`" in result.output

    other_kind = tmp_path / "other"
    other_kind.mkdir()
    other = "postgresql" if db.engine.dialect.name == "sqlite" else "sqlite"
    (other_kind / "manifest.json").write_text(json.dumps(
        {"format": 1, "created_at": "2026-11-24T00:00:00+00:00", "database": other, "migration": None, "files": 0}))
    result = _invoke(app, "restore", "--yes", str(other_kind))
    assert result.exit_code != 0 and f"The backup is of a {other} database" in result.output


def test_the_uploads_being_written_are_left_out(instance, tmp_path):
    """A ``.partial-`` file is an upload in progress, not a stored file."""
    app, uploads = instance
    (uploads / "ab").mkdir(parents=True)
    (uploads / "ab" / ".partial-xyz").write_bytes(b"half")
    assert _invoke(app, "backup", str(tmp_path / "backup")).exit_code == 0
    assert not list(Path(tmp_path / "backup" / "uploads").rglob(".partial-*"))
