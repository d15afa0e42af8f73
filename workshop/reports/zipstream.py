"""A ZIP archive written as it is sent: zipfile writes into a sink that the response generator empties.

The archive is never whole in memory: at most one chunk of one file is held
between yields, whatever the number and size of the reports.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

CHUNK_BYTES = 256 * 1024


class _Sink(io.RawIOBase):
    """A write-only, unseekable stream: zipfile then writes each entry's sizes after its data."""

    def __init__(self):
        super().__init__()
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        chunks, self._chunks = self._chunks, []
        return b"".join(chunks)


def stream_zip(entries: list[tuple[str, Path | Callable[[], bytes]]], missing: list[str] = ()) -> Iterator[bytes]:
    """The archive's bytes, chunk by chunk; ``missing`` names files the server lost, listed in a note inside.

    An entry is a stored file, or a function that makes the file's bytes when its turn comes (a PDF drawn then).
    """
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, source in entries:
            with archive.open(name, "w", force_zip64=True) as target:
                for chunk in _chunks(source):
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
        if missing:
            archive.writestr("MISSING-FILES.txt", "These files are missing from the server's storage:\n"
                             + "\n".join(missing) + "\n")
    yield sink.take()


def _chunks(source: Path | Callable[[], bytes]) -> Iterator[bytes]:
    if callable(source):
        yield source()
        return
    with open(source, "rb") as stored:
        while chunk := stored.read(CHUNK_BYTES):
            yield chunk
