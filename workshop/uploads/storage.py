"""Uploaded files checked by their content and kept once, by sha256, under the uploads folder.

An upload is streamed in chunks into a temporary file inside the uploads
folder (so the final rename stays on one filesystem and is atomic), hashed
and measured on the way, checked by content, fsynced and renamed to
``<UPLOAD_FOLDER>/<sha[:2]>/<sha>``. Whatever goes wrong, the temporary file
is removed: a failed upload leaves nothing behind and never touches a blob
that is already stored.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app, send_file
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import ClientDisconnected, NotFound

from workshop.accounts.models import Person
from workshop.db import db
from workshop.errors import ValidationError
from workshop.uploads.models import StoredFile

log = logging.getLogger("workshop.uploads")

CHUNK_BYTES = 64 * 1024
SAFE_NAME_MAX = 150
DISPLAY_NAME_MAX = 300  # StoredFile.original_name
TEMP_PREFIX = ".partial-"
CONTENT_TYPES_PART = "[Content_Types].xml"
OLD_OFFICE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the OLE2 compound file of .doc, .xls, .ppt
CONTENT_TYPES_MAX_BYTES = 1024 * 1024

# Disk full, quota, or a folder we may not write: the storage's fault, not the file's.
STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}

WINDOWS_DEVICE_NAMES = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)),
                        *(f"LPT{n}" for n in range(1, 10))}


@dataclass(frozen=True)
class FileKind:
    name: str  # stored in StoredFile.kind
    label: str  # for people
    extension: str
    content_type: str
    main_part: str | None = None  # Office Open XML: the part that makes the archive this kind of document
    main_content_type: str | None = None  # that part's type, as [Content_Types].xml declares it


KINDS: dict[str, FileKind] = {kind.name: kind for kind in (
    FileKind("pdf", "PDF", ".pdf", "application/pdf"),
    FileKind("docx", "Word (.docx)", ".docx",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "word/document.xml",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    FileKind("pptx", "PowerPoint (.pptx)", ".pptx",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation",
             "ppt/presentation.xml",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
    FileKind("xlsx", "Excel (.xlsx)", ".xlsx",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "xl/workbook.xml",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
)}
ALL_KINDS = frozenset(KINDS)
EXTENSION_KINDS = {kind.extension: kind for kind in KINDS.values()}


# ---------------------------------------------------------------- file names

def display_name(original: str) -> str:
    """The name as the uploader's computer gave it, for display: any script kept, paths and controls dropped."""
    name = _without_controls(_last_path_part(unicodedata.normalize("NFC", original or ""))).strip()
    return _cap_keeping_extension(name, DISPLAY_NAME_MAX) or "file"


def safe_name(original: str, extension: str | None = None) -> str:
    """A name safe in Content-Disposition and ZIP entries: letters and digits of any script survive.

    werkzeug's secure_filename drops every non-Latin letter, which would turn a
    Korean report into ".pdf"; this keeps letters, marks and digits of every
    script and a few harmless punctuation marks, and replaces the rest.
    With ``extension`` (such as ".pdf"), the name is made to end with it.
    """
    name = _last_path_part(unicodedata.normalize("NFC", original or ""))
    name = "".join(char if _is_safe_char(char) else "_" for char in _without_controls(name))
    name = re.sub(r"\s+", " ", re.sub(r"_{2,}", "_", name))
    stem, ext = _split_extension(name)
    if extension and ext.lower() != extension.lower():
        stem, ext = name, extension
    stem = stem.strip(" ._") or "file"  # no hidden file, no "..", no trailing dot that Windows would drop
    if stem.upper() in WINDOWS_DEVICE_NAMES:
        stem = f"_{stem}"
    return _cap_keeping_extension(stem + ext, SAFE_NAME_MAX)


def _last_path_part(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def _without_controls(name: str) -> str:
    # Category C holds control characters and also the invisible bidi overrides
    # (U+202E) that make "report\u202Efdp.exe" look like a PDF.
    return "".join(char for char in name if not unicodedata.category(char).startswith("C"))


def _is_safe_char(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LMN" or category == "Pd" or char in " _.()+,"  # Pd: dashes of every script


def _split_extension(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if dot and 0 < len(ext) <= 10 and ext.isalnum() and not ext.isdigit():  # "Report v1.2" has none
        return stem, f".{ext}"
    return name, ""


def _cap_keeping_extension(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    stem, ext = _split_extension(name)
    return stem[:limit - len(ext)].rstrip(" ._") + ext


# ---------------------------------------------------------------- storing

def store_upload(file_storage: FileStorage, *, allowed_kinds: set[str] | frozenset[str], max_bytes: int,
                 uploader: Person | None) -> StoredFile:
    """Check and store an uploaded file; a new StoredFile row, added and flushed, for the caller to commit.

    Raises ValidationError on the "file" field: 400 for an empty, damaged,
    disguised or not-accepted file or an interrupted upload, 413 past
    ``max_bytes``, 507 when the uploads folder is full or cannot be written.
    The same bytes uploaded twice share one blob on disk; deciding whether a
    second row is wanted is the caller's job.
    """
    unknown = set(allowed_kinds) - ALL_KINDS
    if unknown:
        raise ValueError(f"unknown file kinds {sorted(unknown)}; known: {sorted(ALL_KINDS)}")
    folder = upload_folder()
    temp_path = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
        temp_path = Path(temp_name)
        with open(descriptor, "wb") as temp:
            sha256, size = _copy_limited(file_storage.stream, temp, max_bytes)
            temp.flush()
            os.fsync(temp.fileno())
        if size == 0:
            message = "The file is empty. Nothing was saved." if file_storage.filename \
                else "Choose a file to upload."
            raise ValidationError({"file": message})
        kind = _checked_kind(temp_path, file_storage.filename or "", allowed_kinds)
        _move_into_place(temp_path, _blob_path(folder, sha256))
        temp_path = None
    except OSError as error:
        if error.errno not in STORAGE_ERRNOS:
            raise
        raise _storage_error(error, folder) from error
    finally:
        if temp_path is not None:
            temp_path.unlink(missing_ok=True)
    stored = StoredFile(sha256=sha256, size=size, kind=kind.name, content_type=kind.content_type,
                        original_name=display_name(file_storage.filename or ""),
                        safe_name=safe_name(file_storage.filename or "", kind.extension), uploaded_by=uploader)
    db.session.add(stored)
    db.session.flush()
    return stored


def store_generated(data: bytes, *, kind: str, name: str, creator: Person | None) -> StoredFile:
    """Store a file the app made itself (a certificate's PDF) like an upload: by sha256, written to a temporary
    name, synced and renamed. A new StoredFile row, added and flushed, for the caller to commit."""
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    sha256 = hashlib.sha256(data).hexdigest()
    descriptor, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
    temp_path = Path(temp_name)
    try:
        with open(descriptor, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        _move_into_place(temp_path, _blob_path(folder, sha256))
    finally:
        temp_path.unlink(missing_ok=True)
    file_kind = KINDS[kind]
    stored = StoredFile(sha256=sha256, size=len(data), kind=file_kind.name, content_type=file_kind.content_type,
                        original_name=display_name(name), safe_name=safe_name(name, file_kind.extension),
                        uploaded_by=creator)
    db.session.add(stored)
    db.session.flush()
    return stored


def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _copy_limited(stream, temp, max_bytes: int) -> tuple[str, int]:
    """Copy chunk by chunk, hashing; stop at the first chunk past the limit, before reading the rest."""
    digest = hashlib.sha256()
    size = 0
    while True:
        try:
            chunk = stream.read(CHUNK_BYTES)
        except (ClientDisconnected, OSError) as error:
            raise ValidationError({"file": "The upload was interrupted. Nothing was saved; please try again."}) \
                from error
        if not chunk:
            return digest.hexdigest(), size
        size += len(chunk)
        if size > max_bytes:
            raise ValidationError({"file": f"The file is larger than the limit of {_human_size(max_bytes)}. "
                                           "Nothing was saved."}, status=413)
        digest.update(chunk)
        temp.write(chunk)


def _human_size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.3g} MB"
    return f"{max(1, round(count / 1024))} kB"


def _move_into_place(temp_path: Path, blob: Path) -> None:
    """Rename the synced temp file to its blob, unless an identical whole blob is already there."""
    if blob.exists() and blob.stat().st_size == temp_path.stat().st_size:
        temp_path.unlink()
        return
    blob.parent.mkdir(exist_ok=True)
    os.replace(temp_path, blob)
    _fsync_directory(blob.parent)
    _fsync_directory(blob.parent.parent)  # the shard directory may be new


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _storage_error(error: OSError, folder: Path) -> ValidationError:
    log.error("upload not stored in %s: %s", folder, error)
    if error.errno in FULL_ERRNOS:
        message = "The server's storage for uploads is full. Nothing was saved; please tell the organizers."
    else:
        message = "The server cannot write to its uploads folder. Nothing was saved; please tell the organizers."
    return ValidationError({"file": message}, status=507)


# ---------------------------------------------------------------- content checks

def _checked_kind(path: Path, filename: str, allowed_kinds) -> FileKind:
    kind = detect_kind(path)
    if kind.name not in allowed_kinds:
        accepted = ", ".join(KINDS[name].label for name in sorted(allowed_kinds))
        raise ValidationError({"file": f"{kind.label} files are not accepted here; accepted: {accepted}."})
    _, extension = _split_extension(_last_path_part(filename))
    if extension and extension.lower() != kind.extension:
        named_as = EXTENSION_KINDS.get(extension.lower())
        claimed = named_as.label if named_as else extension
        raise ValidationError({"file": f"The file is named as {claimed} but its content is {kind.label}. "
                                       f"Rename it to {kind.extension} or choose the right file."})
    return kind


def detect_kind(path: Path) -> FileKind:
    """The kind of document the bytes really are, or ValidationError(400) saying what is wrong."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF-"):
        _check_pdf(path)
        return KINDS["pdf"]
    if head.startswith(b"PK\x03\x04"):  # at offset 0: a program with a ZIP appended is not a document
        return _office_kind(path)
    if head.startswith(OLD_OFFICE_SIGNATURE):
        raise ValidationError({"file": "This is an old-format Office file (.doc, .xls or .ppt). Save it as "
                                       ".docx, .xlsx, .pptx or PDF and upload that. Nothing was saved."})
    raise ValidationError({"file": "This file is not a PDF, Word, PowerPoint or Excel document "
                                   "(its content was checked, not only its name). Nothing was saved."})


def _check_pdf(path: Path) -> None:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    try:
        pages = len(PdfReader(path).pages)
    except FileNotDecryptedError:
        raise ValidationError({"file": "The PDF is protected by a password. "
                                       "Upload a copy without the password."}) from None
    except Exception:  # noqa: BLE001 - a damaged PDF makes pypdf raise almost any error type
        pages = 0
    if pages == 0:
        raise ValidationError({"file": "The file starts like a PDF but cannot be opened as one; "
                                       "it may be damaged. Nothing was saved."})


def _office_kind(path: Path) -> FileKind:
    names, declared_types = _zip_contents(path)
    if "META-INF/MANIFEST.MF" in names or any(name.endswith(".class") for name in names):
        raise ValidationError({"file": "The file is a Java archive (JAR), not a document. Nothing was saved."})
    kind = next((kind for kind in KINDS.values() if kind.main_part in names), None)
    if kind is None or CONTENT_TYPES_PART not in names:
        raise ValidationError({"file": "The file is a ZIP archive, not a Word, PowerPoint or Excel document. "
                                       "Nothing was saved."})
    if kind.main_content_type not in declared_types:
        # A macro-enabled (.docm, .xlsm) or template file has the same parts with another declared type.
        raise ValidationError({"file": f"The file has the parts of {kind.label} but declares another type "
                                       "(macro-enabled files and templates are not accepted). Nothing was saved."})
    return kind


# What zipfile can unpack; an entry flagged encrypted needs a password it does not have.
READABLE_ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})
ZIP_ENCRYPTED = 0x1


def _zip_contents(path: Path) -> tuple[set[str], str]:
    """The archive's entry names and its [Content_Types].xml (the first MB: a real one is a few kB)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if CONTENT_TYPES_PART not in names:
                return names, ""
            info = archive.getinfo(CONTENT_TYPES_PART)
            readable = not info.flag_bits & ZIP_ENCRYPTED and info.compress_type in READABLE_ZIP_METHODS
            if readable:
                with archive.open(info) as part:
                    return names, part.read(CONTENT_TYPES_MAX_BYTES).decode("utf-8", "replace")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError) as error:
        raise ValidationError({"file": "The file looks like a ZIP or Office document but cannot be opened; "
                                       "it may be damaged. Nothing was saved."}) from error
    raise ValidationError({"file": "The document is encrypted or packed in a way that cannot be read. "
                                   "Save it again without a password. Nothing was saved."})


# ---------------------------------------------------------------- reading back

def _blob_path(folder: Path, sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return folder / sha256[:2] / sha256


def open_stored(stored: StoredFile) -> Path:
    """The path of a stored file's bytes; NotFound if they are missing on disk."""
    path = _blob_path(upload_folder(), stored.sha256)
    if not path.is_file():
        log.error("stored file %s (%s) is missing on disk at %s", stored.id, stored.safe_name, path)
        raise NotFound(f"The file “{stored.original_name}” is missing from the server's storage. "
                       "Please tell the organizers.")
    return path


def send_stored(stored: StoredFile, *, download_name: str | None = None) -> Response:
    """A download of the stored file, streamed from disk, always as an attachment and never sniffed."""
    name = safe_name(download_name, KINDS[stored.kind].extension) if download_name else stored.safe_name
    response = send_file(open_stored(stored), mimetype=stored.content_type, as_attachment=True,
                         download_name=name, etag=stored.sha256, last_modified=stored.uploaded_at,
                         conditional=True, max_age=None)
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True  # unpublished reports are for some people only
    return response


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and the exact name as RFC 5987 ``filename*``."""
    return f"attachment; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def ascii_fallback(name: str) -> str:
    """The name reduced to ASCII letters and digits: "Hyvä käytäntö.docx" -> "Hyva kaytanto.docx"."""
    stem, ext = _split_extension(name)
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    ascii_stem = re.sub(r"[^A-Za-z0-9 ._()+,-]", "", ascii_stem)
    ascii_stem = re.sub(r"\s+", " ", ascii_stem).strip(" ._")
    ascii_ext = re.sub(r"[^A-Za-z0-9.]", "", ext)
    return (ascii_stem or "file") + ascii_ext
