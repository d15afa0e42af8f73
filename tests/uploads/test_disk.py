"""A full disk or a read-only uploads folder: a clear 507, nothing half-written, earlier files intact.

As root, chmod does not stop writes, so the full and read-only disks are a real
64 kB tmpfs (remounted read-only for the second case).
"""

from __future__ import annotations

import io

import pytest

from tests.uploads import files
from tests.uploads.conftest import remount_read_only
from tests.uploads.helpers import blobs_under, stored_count, upload_of
from workshop.db import db
from workshop.errors import ValidationError
from workshop.uploads.storage import ALL_KINDS, store_upload

LIMIT = 1_000_000


def store(data: bytes, filename: str = "report.pdf"):
    return store_upload(upload_of(data, filename), allowed_kinds=ALL_KINDS, max_bytes=LIMIT, uploader=None)


@pytest.fixture
def small_disk_uploads(app, tiny_disk):
    folder = tiny_disk / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    return folder


@pytest.fixture
def earlier(small_disk_uploads):
    """A report stored before the disk fills up, and its bytes."""
    data = files.pdf("Earlier version")
    stored = store(data)
    db.session.commit()
    return stored, data


def assert_earlier_intact(folder, earlier) -> None:
    stored, data = earlier
    assert blobs_under(folder) == [f"{stored.sha256[:2]}/{stored.sha256}"]
    assert (folder / stored.sha256[:2] / stored.sha256).read_bytes() == data
    assert stored_count() == 1


def test_a_full_disk_refuses_with_507_and_keeps_the_earlier_file(app, small_disk_uploads, earlier):
    with pytest.raises(ValidationError) as caught:
        store(files.pdf("Bigger version", padding=200_000))
    assert caught.value.status == 507
    assert "full" in caught.value.errors["file"]
    db.session.rollback()
    assert_earlier_intact(small_disk_uploads, earlier)


def test_a_full_disk_shows_a_clear_page(app, client, make, routes, small_disk_uploads, earlier):
    response = make.post(client, "/test-uploads", {"file": (io.BytesIO(files.pdf(padding=200_000)), "big.pdf")},
                         content_type="multipart/form-data")
    assert response.status_code == 507
    assert "storage for uploads is full" in response.get_data(as_text=True)
    assert_earlier_intact(small_disk_uploads, earlier)


def test_a_read_only_uploads_folder_refuses_with_507_and_keeps_the_earlier_file(app, tiny_disk,
                                                                                small_disk_uploads, earlier):
    remount_read_only(tiny_disk)
    for data in (files.pdf("Another version"), earlier[1]):  # new bytes, and bytes already stored
        with pytest.raises(ValidationError) as caught:
            store(data)
        assert caught.value.status == 507
        assert "cannot write" in caught.value.errors["file"]
    db.session.rollback()
    assert_earlier_intact(small_disk_uploads, earlier)


def test_an_uploads_folder_that_cannot_be_created_refuses_with_507(app, tiny_disk, small_disk_uploads):
    remount_read_only(tiny_disk)
    with pytest.raises(ValidationError) as caught:
        store(files.pdf())
    assert caught.value.status == 507
    assert not small_disk_uploads.exists()
    assert stored_count() == 0
