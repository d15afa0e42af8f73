"""Backup and restore: the database (SQLite's online backup, or ``pg_dump``) plus the uploads folder.

A backup is a folder::

    manifest.json        what was saved, when, from which database kind and migration
    database.sqlite3     SQLite: a consistent copy made with SQLite's backup API
    database.pgdump      PostgreSQL: ``pg_dump --format=custom``
    uploads/             the uploads folder (files are stored once by content and never changed)

The database is saved first, then the files: a file uploaded in between is an
unused extra, never a row without its file. Restore replaces the database and
the uploads folder with the backup's; stop the workers first.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from workshop.db import db, utcnow
from workshop.uploads.storage import TEMP_PREFIX

MANIFEST = "manifest.json"
FORMAT = 1
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why, for the operator."""


@dataclass
class Manifest:
    format: int
    created_at: str
    database: str  # "sqlite" or "postgresql"
    migration: str | None  # the alembic revision of the schema, if migrations made it
    files: int  # in uploads/


def backup(destination: Path) -> Manifest:
    """Write a backup of the database and the uploads into ``destination`` (new or empty)."""
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty: back up into a new folder.")
    destination.mkdir(parents=True, exist_ok=True)
    kind = _database_kind()
    migration = _migration()
    if kind == "sqlite":
        _sqlite_copy(_sqlite_path(), destination / DATABASE_FILES[kind])
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(destination / DATABASE_FILES[kind])])
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    if uploads.is_dir():
        shutil.copytree(uploads, destination / "uploads", ignore=shutil.ignore_patterns(f"{TEMP_PREFIX}*"))
    else:
        (destination / "uploads").mkdir()
    manifest = Manifest(format=FORMAT, created_at=utcnow().isoformat(timespec="seconds"), database=kind,
                        migration=migration, files=_count_files(destination / "uploads"))
    (destination / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return manifest


def read_manifest(source: Path) -> Manifest:
    try:
        manifest = Manifest(**json.loads((source / MANIFEST).read_text()))
    except (OSError, ValueError, TypeError) as error:
        raise BackupError(f"{source} is not a backup made by `flask backup` ({error}).") from None
    if manifest.format != FORMAT:
        raise BackupError(f"{source} has backup format {manifest.format}; this version reads format {FORMAT}.")
    return manifest


def restore(source: Path) -> Manifest:
    """Replace this instance's database and uploads folder with the backup's."""
    manifest = read_manifest(source)
    kind = _database_kind()
    if manifest.database != kind:
        raise BackupError(f"The backup is of a {manifest.database} database; this instance uses {kind}.")
    dump = source / DATABASE_FILES[kind]
    if not dump.is_file() or not (source / "uploads").is_dir():
        raise BackupError(f"{source} is incomplete: {dump.name} or uploads/ is missing.")
    db.session.remove()
    db.engine.dispose()  # no pooled connection holds the tables being replaced
    if kind == "sqlite":
        _sqlite_copy(dump, _sqlite_path())
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
              "--dbname", _postgres_env()["PGDATABASE"], str(dump)])
    _replace_uploads(source / "uploads", Path(current_app.config["UPLOAD_FOLDER"]))
    return manifest


def _database_kind() -> str:
    name = db.engine.dialect.name
    if name not in DATABASE_FILES:
        raise BackupError(f"Backups cover SQLite and PostgreSQL, not {name}.")
    return name


def _migration() -> str | None:
    if not inspect(db.engine).has_table("alembic_version"):
        return None
    return db.session.scalar(text("SELECT version_num FROM alembic_version"))


def _sqlite_path() -> Path:
    path = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not path or path == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(path)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while the app writes (WAL included)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as reader, closing(sqlite3.connect(target)) as writer:
        reader.backup(writer)


def _postgres_env() -> dict[str, str]:
    """libpq's variables for the configured database (the password stays out of the command line)."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    variables = {"PGHOST": url.host or url.query.get("host"), "PGPORT": url.port, "PGUSER": url.username,
                 "PGPASSWORD": url.password, "PGDATABASE": url.database, "PGSSLMODE": url.query.get("sslmode")}
    return {name: str(value) for name, value in variables.items() if value}


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed: install PostgreSQL's client programs "
                          "(the same major version as the server, or newer).")
    done = subprocess.run(command, env={**os.environ, **_postgres_env()}, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip() or done.returncode}")


def _replace_uploads(backup_uploads: Path, uploads: Path) -> None:
    """Copy beside the folder, then swap: the uploads folder is never left half restored."""
    staging = uploads.with_name(uploads.name + ".restoring")
    replaced = uploads.with_name(uploads.name + ".replaced")
    for leftover in (staging, replaced):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(backup_uploads, staging)
    if uploads.exists():
        uploads.rename(replaced)
    staging.rename(uploads)
    shutil.rmtree(replaced, ignore_errors=True)


def _count_files(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file())
