"""The CSV helpers, without a database."""

from __future__ import annotations

import pytest

from workshop.csvio import csv_text, neutralize, read_csv
from workshop.errors import ValidationError


@pytest.mark.parametrize(("cell", "written"), [
    ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    ("+1", "'+1"),
    ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("Sita Sharma", "Sita Sharma"),
    ("a=b", "a=b"),
    ("김민준", "김민준"),
    ("", ""),
    (None, ""),
    (42, "42"),
    (-3, "'-3"),
])
def test_neutralize(cell, written):
    assert neutralize(cell) == written


def test_csv_text_neutralizes_every_cell_and_quotes_properly():
    out = csv_text(["name", "note"], [["=1+1", 'says "hi", twice'], ["Nguyễn Thị Hương", "@home"]])
    assert out == "name,note\r\n'=1+1,\"says \"\"hi\"\", twice\"\r\nNguyễn Thị Hương,'@home\r\n"


def test_read_csv_gives_lower_cased_header_and_line_numbers():
    header, rows = read_csv(b"Name,EMAIL\r\n\r\n Sita , sita@example.org\r\nShort\r\n")
    assert header == ["name", "email"]
    assert rows == [{"_line": "3", "name": "Sita", "email": "sita@example.org"},
                    {"_line": "4", "name": "Short", "email": ""}]


def test_read_csv_refuses_too_many_rows():
    with pytest.raises(ValidationError, match="more than 3 rows"):
        read_csv(b"name\n" + b"x\n" * 4, max_rows=3)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "binary data"),
    ("name\nŞükrü\n".encode("cp1254"), "not UTF-8"),
])
def test_read_csv_explains_what_is_wrong(data, message):
    with pytest.raises(ValidationError, match=message):
        read_csv(data)


@pytest.mark.parametrize("data", [
    b"name,email,country\nO'Brien Sean,sean@example.org,IE\nD'Souza Ann,ann@example.org,IN\n",
    b'name,email,country\n"Perera, Nimal",nimal@example.org,LK\n',
    b'name;email;country\n"Perera, Nimal";nimal@example.org;LK\n',
])
def test_read_csv_guesses_the_delimiter_without_being_fooled_by_the_content(data):
    header, rows = read_csv(data)
    assert header == ["name", "email", "country"]
    assert all(row["email"].endswith("@example.org") and len(row["country"]) == 2 for row in rows)
