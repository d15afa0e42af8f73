"""Reading uploaded CSV files and writing CSV exports safely.

Every CSV the app exports goes through :func:`csv_response`, which
neutralizes cells a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

from workshop.errors import ValidationError

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value) -> str:
    """The cell as text, prefixed with ' if a spreadsheet would treat it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralize(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralize(cell) for cell in row])
    return out.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    # The BOM makes spreadsheet programs read the file as UTF-8 (names like "Şükrü" survive).
    body = "\ufeff" + csv_text(header, rows)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


def read_csv(data: bytes, *, max_rows: int = 5000) -> tuple[list[str], list[dict[str, str]]]:
    """Header (lower-cased) and rows of an uploaded CSV, or ValidationError explaining what is wrong."""
    if not data.strip():
        raise ValidationError({"file": "The file is empty."})
    if b"\x00" in data:
        raise ValidationError({"file": "This is not a CSV file (it contains binary data)."})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError({"file": f"The file is not UTF-8 text (bad byte at position {error.start}). "
                                       "Save it as 'CSV UTF-8' and upload it again."}) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [cell.strip().lower() for cell in next(reader)]
        rows = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= max_rows:
                raise ValidationError({"file": f"The file has more than {max_rows} rows; split it into parts."})
            rows.append({"_line": str(number), **{name: cells[i].strip() if i < len(cells) else ""
                                                  for i, name in enumerate(header)}})
    except csv.Error as error:
        raise ValidationError({"file": f"This is not a readable CSV file: {error}."}) from None
    return header, rows
