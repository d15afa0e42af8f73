"""Small helpers shared by the upload tests."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from workshop.db import db
from workshop.uploads.models import StoredFile


def upload_of(data: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename)


def everything_under(folder: Path) -> list[str]:
    """Every file and folder below ``folder``, as relative paths; empty if it does not exist."""
    if not folder.exists():
        return []
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def blobs_under(folder: Path) -> list[str]:
    return [name for name in everything_under(folder) if (folder / name).is_file()]


def stored_count() -> int:
    return db.session.scalar(select(func.count(StoredFile.id)))
