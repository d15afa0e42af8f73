"""Real small files made in the test: documents, archives and impostors."""

from __future__ import annotations

import io
import struct
import zipfile

from pypdf import PdfWriter

MAIN_PARTS = {
    "docx": ("word/document.xml",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "pptx": ("ppt/presentation.xml",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
    "xlsx": ("xl/workbook.xml",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}
MACRO_ENABLED_WORD = "application/vnd.ms-word.document.macroEnabled.main+xml"


def pdf(title: str = "Country report", *, user_password: str | None = None, padding: int = 0) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title + " " * padding})
    if user_password is not None:
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_of(entries: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def content_types(part: str, part_type: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{part}" ContentType="{part_type}"/></Types>')


def office(kind: str, *, part_type: str | None = None, extra: dict[str, bytes | str] | None = None) -> bytes:
    """A minimal Office Open XML package: [Content_Types].xml, the relationships and the main part."""
    part, declared = MAIN_PARTS[kind]
    return zip_of({
        "[Content_Types].xml": content_types(part, part_type or declared),
        "_rels/.rels": ('<?xml version="1.0" encoding="UTF-8"?><Relationships '
                        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                        '<Relationship Id="rId1" Target="' + part + '" Type="http://schemas.openxmlformats.org/'
                        'officeDocument/2006/relationships/officeDocument"/></Relationships>'),
        part: '<?xml version="1.0" encoding="UTF-8"?><document/>',
        **(extra or {}),
    })


def office_with_unreadable_content_types(*, encrypted: bool = False, method: int = 99) -> bytes:
    """A Word package whose [Content_Types].xml (its first entry) is flagged encrypted, or packed with a
    compression method zipfile cannot unpack (99 is WinZip's AES): the headers are patched, as such tools write them."""
    data = bytearray(office("docx"))
    local, central = 0, data.find(b"PK\x01\x02")
    if encrypted:
        data[local + 6] |= 0x1
        data[central + 8] |= 0x1
    else:
        struct.pack_into("<H", data, local + 8, method)
        struct.pack_into("<H", data, central + 10, method)
    return bytes(data)


def plain_zip() -> bytes:
    return zip_of({"notes.txt": "Just some notes\n", "data/figures.csv": "a,b\n1,2\n"})


def jar() -> bytes:
    return zip_of({"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\r\nMain-Class: Evil\r\n\r\n",
                   "Evil.class": b"\xca\xfe\xba\xbe\x00\x00\x00\x34"})


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + bytes(56) + b"\x90" * 4000


def windows_exe(appended_zip: bytes = b"") -> bytes:
    """A PE header (MZ ... PE), optionally with a ZIP after it, as self-extracting archives are made."""
    header = bytearray(b"MZ" + bytes(62))
    header[0x3C:0x40] = (64).to_bytes(4, "little")
    return bytes(header) + b"PE\x00\x00" + b"\x90" * 2000 + appended_zip


def old_word_document() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2040)
