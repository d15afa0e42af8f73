"""send_stored: downloads as attachments with an RFC 5987 name, never sniffed, streamed from disk."""

from __future__ import annotations

import email.utils
import io
import re
from urllib.parse import unquote

import pytest

from tests.uploads import files
from tests.uploads.helpers import upload_of
from workshop.db import db
from workshop.uploads.storage import ALL_KINDS, KINDS, open_stored, store_upload


def stored_file(data: bytes, filename: str):
    stored = store_upload(upload_of(data, filename), allowed_kinds=ALL_KINDS, max_bytes=1_000_000, uploader=None)
    db.session.commit()
    return stored


def disposition(response) -> tuple[str, str]:
    """The disposition type and the RFC 5987 ``filename*``, decoded by the standard library's RFC 2231 code."""
    header = response.headers["Content-Disposition"]
    kind = header.split(";", 1)[0]
    extended = re.search(r"filename\*=([^;\s]+)", header)
    assert extended, f"no filename* in {header!r}"
    charset, _language, encoded = email.utils.decode_rfc2231(extended.group(1))
    assert charset.lower() == "utf-8"
    return kind, unquote(encoded, encoding=charset, errors="strict")


@pytest.mark.parametrize("name", ["국가보고서 2023.pdf", "Hyvä käytäntö.pdf"])
def test_a_download_has_the_type_the_name_and_nosniff(client, routes, uploads, name):
    data = files.pdf(name)
    stored = stored_file(data, name)
    response = client.get(f"/test-uploads/{stored.id}")
    assert response.status_code == 200
    assert response.get_data() == data
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in response.headers["Cache-Control"]
    raw = response.headers["Content-Disposition"]
    assert raw.startswith("attachment;") and "filename*=UTF-8''" in raw
    raw.encode("ascii")  # a header must be ASCII: the name travels percent-encoded
    kind, decoded = disposition(response)
    assert (kind, decoded) == ("attachment", name)


def test_the_ascii_fallback_name_is_readable(client, routes, uploads):
    stored = stored_file(files.office("docx"), "Hyvä käytäntö.docx")
    response = client.get(f"/test-uploads/{stored.id}")
    assert 'filename="Hyva kaytanto.docx"' in response.headers["Content-Disposition"]
    assert response.mimetype == KINDS["docx"].content_type


def test_a_download_name_given_by_the_caller_is_made_safe(client, routes, uploads):
    stored = stored_file(files.pdf(), "report.pdf")
    response = client.get(f"/test-uploads/{stored.id}", query_string={"as": "../../Nepal — 국가보고서"})
    assert disposition(response)[1] == "Nepal — 국가보고서.pdf"


def test_a_repeated_download_can_be_answered_not_modified(client, routes, uploads):
    stored = stored_file(files.pdf(), "report.pdf")
    first = client.get(f"/test-uploads/{stored.id}")
    again = client.get(f"/test-uploads/{stored.id}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_blob_missing_on_disk_is_a_clear_404(app, client, routes, uploads):
    stored = stored_file(files.pdf(), "Lost report.pdf")
    open_stored(stored).unlink()
    response = client.get(f"/test-uploads/{stored.id}")
    assert response.status_code == 404
    assert "Lost report.pdf" in response.get_data(as_text=True)
    assert "missing" in response.get_data(as_text=True)


def test_an_upload_through_a_form_is_stored_and_comes_back_whole(client, make, routes, uploads):
    data = files.office("xlsx")
    response = make.post(client, "/test-uploads", {"file": (io.BytesIO(data), "국가 통계.xlsx")},
                         content_type="multipart/form-data")
    assert response.status_code == 200
    download = client.get(f"/test-uploads/{response.get_json()['id']}")
    assert download.get_data() == data
    assert disposition(download)[1] == "국가 통계.xlsx"


def test_a_file_over_the_limit_through_a_form_gets_a_friendly_413(client, make, routes, uploads):
    response = make.post(client, "/test-uploads?max=1000", {"file": (io.BytesIO(files.pdf(padding=5000)), "big.pdf")},
                         content_type="multipart/form-data")
    assert response.status_code == 413
    assert "larger than the limit" in response.get_data(as_text=True)


def test_a_wrong_type_through_a_form_gets_a_clear_400(client, make, routes, uploads):
    response = make.post(client, "/test-uploads", {"file": (io.BytesIO(files.jar()), "tool.docx")},
                         content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Java archive" in response.get_data(as_text=True)


def test_an_upload_without_the_csrf_token_is_refused(client, routes, uploads):
    response = client.post("/test-uploads", data={"file": (io.BytesIO(files.pdf()), "report.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert not uploads.exists()
