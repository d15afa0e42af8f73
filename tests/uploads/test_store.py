"""store_upload: files checked by content, streamed with a size limit, kept once by sha256."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import ClientDisconnected

from tests.uploads import files
from tests.uploads.helpers import blobs_under, everything_under, stored_count, upload_of
from workshop.db import db
from workshop.errors import ValidationError
from workshop.uploads.models import StoredFile
from workshop.uploads.storage import ALL_KINDS, CHUNK_BYTES, KINDS, store_upload

LIMIT = 1_000_000


def store(data: bytes, filename: str, *, allowed=ALL_KINDS, max_bytes=LIMIT, uploader=None) -> StoredFile:
    return store_upload(upload_of(data, filename), allowed_kinds=allowed, max_bytes=max_bytes, uploader=uploader)


def refused(data: bytes, filename: str, **options) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        store(data, filename, **options)
    return caught.value


def assert_nothing_kept(folder) -> None:
    assert blobs_under(folder) == []
    assert stored_count() == 0


@pytest.mark.parametrize(("kind", "make_file"), [
    ("pdf", files.pdf),
    ("docx", lambda: files.office("docx")),
    ("pptx", lambda: files.office("pptx")),
    ("xlsx", lambda: files.office("xlsx")),
])
def test_each_accepted_kind_is_stored_by_hash_with_its_facts(app, uploads, make, kind, make_file):
    data = make_file()
    uploader = make.person()
    stored = store(data, f"Country report.{kind}", uploader=uploader)
    db.session.commit()

    digest = hashlib.sha256(data).hexdigest()
    row = db.session.scalars(select(StoredFile)).one()
    assert (row.sha256, row.size, row.kind) == (digest, len(data), kind)
    assert row.content_type == KINDS[kind].content_type
    assert (row.original_name, row.safe_name) == (f"Country report.{kind}", f"Country report.{kind}")
    assert row.uploaded_by == uploader and row.uploaded_at is not None
    assert (uploads / digest[:2] / digest).read_bytes() == data
    assert everything_under(uploads) == [digest[:2], f"{digest[:2]}/{digest}"]  # no temporary file left
    assert stored.id == row.id


def test_identical_content_twice_makes_two_rows_and_one_blob(app, uploads):
    data = files.pdf()
    first = store(data, "report.pdf")
    second = store(data, "report (copy).pdf")
    db.session.commit()
    assert first.id != second.id and first.sha256 == second.sha256
    assert blobs_under(uploads) == [f"{first.sha256[:2]}/{first.sha256}"]


def test_a_blob_left_truncated_on_disk_is_replaced_by_the_whole_file(app, uploads):
    data = files.pdf()
    digest = hashlib.sha256(data).hexdigest()
    (uploads / digest[:2]).mkdir(parents=True)
    (uploads / digest[:2] / digest).write_bytes(data[:100])
    store(data, "report.pdf")
    assert (uploads / digest[:2] / digest).read_bytes() == data


def test_an_empty_file_is_refused(app, uploads):
    error = refused(b"", "report.pdf")
    assert error.status == 400 and "empty" in error.errors["file"]
    assert_nothing_kept(uploads)


def test_no_file_chosen_is_refused(app, uploads):
    with pytest.raises(ValidationError) as caught:
        store_upload(FileStorage(), allowed_kinds=ALL_KINDS, max_bytes=LIMIT, uploader=None)
    assert caught.value.status == 400 and "Choose a file" in caught.value.errors["file"]


BAD_CONTENT = [
    ("plain ZIP", files.plain_zip, "report.docx", "ZIP archive"),
    ("JAR", files.jar, "report.docx", "Java archive"),
    ("JAR with Office parts", lambda: files.office("docx", extra={"META-INF/MANIFEST.MF": "Main-Class: X\n"}),
     "report.docx", "Java archive"),
    ("ZIP with a main part but no [Content_Types].xml",
     lambda: files.zip_of({"word/document.xml": "<document/>"}), "report.docx", "ZIP archive"),
    ("macro-enabled Word file named .docx",
     lambda: files.office("docx", part_type=files.MACRO_ENABLED_WORD), "report.docx", "macro-enabled"),
    ("ELF executable named .pdf", files.elf, "report.pdf", "not a PDF, Word, PowerPoint or Excel"),
    ("Windows executable named .pdf", files.windows_exe, "report.pdf", "not a PDF, Word, PowerPoint or Excel"),
    ("self-extracting executable named .docx", lambda: files.windows_exe(files.office("docx")), "report.docx",
     "not a PDF, Word, PowerPoint or Excel"),
    ("text named .pdf", lambda: "Country report\n".encode() * 40, "report.pdf", "not a PDF, Word"),
    ("%PDF- then garbage", lambda: b"%PDF-1.7\n" + b"this is not a PDF body " * 100, "report.pdf",
     "cannot be opened"),
    ("PDF cut in half", lambda: files.pdf()[:200], "report.pdf", "cannot be opened"),
    ("password-protected PDF", lambda: files.pdf(user_password="secret"), "report.pdf", "password"),
    ("ZIP header then garbage", lambda: b"PK\x03\x04" + bytes(500), "report.xlsx", "cannot be opened"),
    ("old Word document", files.old_word_document, "report.doc", "old-format Office file"),
    ("Word file with an encrypted part", lambda: files.office_with_unreadable_content_types(encrypted=True),
     "report.docx", "encrypted or packed in a way that cannot be read"),
    ("Word file packed with an unknown method",
     files.office_with_unreadable_content_types, "report.docx", "encrypted or packed in a way that cannot be read"),
]


@pytest.mark.parametrize(("make_file", "filename", "says"), [case[1:] for case in BAD_CONTENT],
                         ids=[case[0] for case in BAD_CONTENT])
def test_content_that_is_not_an_accepted_document_is_refused(app, uploads, make_file, filename, says):
    error = refused(make_file(), filename)
    assert error.status == 400
    assert says in error.errors["file"]
    assert_nothing_kept(uploads)


def test_a_pdf_without_a_user_password_is_accepted(app, uploads):
    assert store(files.pdf(user_password=""), "locked for editing.pdf").kind == "pdf"


def test_a_word_file_named_pdf_is_refused_naming_both(app, uploads):
    message = refused(files.office("docx"), "report.pdf").errors["file"]
    assert "PDF" in message and "Word (.docx)" in message
    assert_nothing_kept(uploads)


def test_a_pdf_named_xlsx_is_refused_naming_both(app, uploads):
    message = refused(files.pdf(), "figures.xlsx").errors["file"]
    assert "Excel (.xlsx)" in message and "PDF" in message


def test_a_pdf_named_exe_is_refused(app, uploads):
    message = refused(files.pdf(), "report.exe").errors["file"]
    assert ".exe" in message and "PDF" in message


def test_a_name_without_extension_gets_the_kind_extension(app, uploads):
    stored = store(files.pdf(), "report")
    assert (stored.original_name, stored.safe_name) == ("report", "report.pdf")


def test_a_kind_not_allowed_here_is_refused_listing_the_allowed_ones(app, uploads):
    message = refused(files.office("pptx"), "slides.pptx", allowed={"pdf", "docx"}).errors["file"]
    assert "PowerPoint (.pptx) files are not accepted" in message
    assert "PDF" in message and "Word (.docx)" in message
    assert_nothing_kept(uploads)


def test_an_unknown_allowed_kind_is_a_programming_error(app, uploads):
    with pytest.raises(ValueError, match="exe"):
        store(files.pdf(), "report.pdf", allowed={"pdf", "exe"})


class CountingStream(io.RawIOBase):
    """A client body that counts what was read from it, and can break off after some bytes."""

    def __init__(self, data: bytes, *, break_after: int | None = None, error: Exception | None = None):
        self.data, self.position, self.break_after, self.error = data, 0, break_after, error

    def read(self, size: int = -1) -> bytes:
        if self.break_after is not None and self.position >= self.break_after:
            raise self.error
        size = len(self.data) - self.position if size < 0 else size
        chunk = self.data[self.position:self.position + size]
        self.position += len(chunk)
        return chunk


def test_a_file_over_the_limit_is_refused_with_413_before_reading_it_all(app, uploads):
    limit = 100_000
    stream = CountingStream(files.pdf(padding=5_000_000))
    with pytest.raises(ValidationError) as caught:
        store_upload(FileStorage(stream=stream, filename="big.pdf"), allowed_kinds=ALL_KINDS, max_bytes=limit,
                     uploader=None)
    assert caught.value.status == 413
    assert "larger than the limit" in caught.value.errors["file"]
    assert stream.position <= limit + CHUNK_BYTES
    assert_nothing_kept(uploads)


def test_a_file_exactly_at_the_limit_is_accepted(app, uploads):
    data = files.pdf()
    assert store(data, "report.pdf", max_bytes=len(data)).size == len(data)
    assert refused(data, "report.pdf", max_bytes=len(data) - 1).status == 413


@pytest.mark.parametrize("error", [ClientDisconnected(), OSError("connection reset by peer")],
                         ids=["client disconnected", "stream OSError"])
def test_an_upload_interrupted_halfway_leaves_nothing(app, uploads, error):
    data = files.pdf(padding=300_000)
    stream = CountingStream(data, break_after=len(data) // 2, error=error)
    with pytest.raises(ValidationError) as caught:
        store_upload(FileStorage(stream=stream, filename="report.pdf"), allowed_kinds=ALL_KINDS, max_bytes=LIMIT,
                     uploader=None)
    assert caught.value.status == 400
    assert "The upload was interrupted" in caught.value.errors["file"]
    assert everything_under(uploads) == []
    assert stored_count() == 0


def test_a_path_traversal_name_is_stored_inside_the_folder_under_its_base_name(app, uploads, tmp_path):
    stored = store(files.pdf(), "../../x.pdf")
    db.session.commit()
    assert (stored.original_name, stored.safe_name) == ("x.pdf", "x.pdf")
    assert [path for path in tmp_path.rglob("x.pdf")] == []
    assert len(blobs_under(uploads)) == 1


def test_a_300_character_name_is_kept_for_display_and_cut_for_headers(app, uploads):
    original = "국가보고서 " + "Hyvä käytäntö " * 20 + "x" * 9 + ".docx"
    assert len(original) == 300
    stored = store(files.office("docx"), original)
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(StoredFile, stored.id)
    assert row.original_name == original
    assert len(row.safe_name) == 150 and row.safe_name.endswith(".docx")


@pytest.mark.parametrize("name", ["국가보고서 2023.pdf", "Hyvä käytäntö.pdf"])
def test_korean_and_finnish_names_survive_the_database(app, uploads, name):
    stored = store(files.pdf(name), name)
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(StoredFile, stored.id)
    assert (row.original_name, row.safe_name) == (name, name)
