"""Reading a certificate PDF back as a reader would: its text, its fonts and the glyphs each string draws,
and its QR code from the page drawn to pixels."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

import pypdf
import pypdfium2
import zxingcpp
from fontTools.ttLib import TTFont
from pypdf.generic import ContentStream

HEX_PAIR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


@dataclass
class DrawnFont:
    resource: str
    base_name: str
    program: TTFont | None  # the embedded font program, None if not embedded
    cid_to_gid: bytes | None  # None: Identity
    to_unicode: dict[int, str]

    def gid(self, cid: int) -> int:
        if self.cid_to_gid is None:
            return cid
        return int.from_bytes(self.cid_to_gid[2 * cid:2 * cid + 2], "big")

    def has_outline(self, gid: int) -> bool:
        """The embedded font really has this glyph: not .notdef, in range, and drawn with at least one contour."""
        if self.program is None or gid == 0 or gid >= self.program["maxp"].numGlyphs:
            return False
        name = self.program.getGlyphOrder()[gid]
        glyph = self.program["glyf"][name]
        return glyph.numberOfContours != 0


@dataclass(frozen=True)
class DrawnGlyph:
    font: DrawnFont
    cid: int
    size: float  # the font size it is drawn at: tells the name's line from the rest

    @property
    def text(self) -> str:
        return self.font.to_unicode.get(self.cid, "")

    @property
    def genuine(self) -> bool:
        return self.font.has_outline(self.font.gid(self.cid))


def _to_unicode(stream) -> dict[int, str]:
    mapping = {}
    for source, target in HEX_PAIR.findall(stream.get_data()):
        if len(source) <= 4:
            mapping[int(source, 16)] = bytes.fromhex(target.decode()).decode("utf-16-be")
    return mapping


def _font(resource: str, font) -> DrawnFont:
    descendant = font["/DescendantFonts"][0].get_object()
    descriptor = descendant["/FontDescriptor"].get_object()
    program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data())) if "/FontFile2" in descriptor \
        else None
    mapping = descendant.get("/CIDToGIDMap")
    cid_to_gid = None if mapping is None or mapping == "/Identity" else mapping.get_object().get_data()
    return DrawnFont(resource, str(font["/BaseFont"]), program, cid_to_gid, _to_unicode(font["/ToUnicode"]))


def _raw(operand) -> bytes:
    return operand.original_bytes if hasattr(operand, "original_bytes") else bytes(operand)


def drawn_glyphs(data: bytes) -> list[DrawnGlyph]:
    """Every glyph shown on the first page, with the font it is shown in (two-byte CIDs, Identity-H)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    page = reader.pages[0]
    fonts = {name: _font(name, ref.get_object()) for name, ref in page["/Resources"]["/Font"].items()}
    glyphs, current, size = [], None, 0.0
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"Tf":
            current, size = fonts[operands[0]], float(operands[1])
        elif operator in (b"Tj", b"TJ"):
            strings = operands[0] if operator == b"TJ" else [operands[0]]
            for item in strings:
                if isinstance(item, (int, float)) or not hasattr(item, "__len__"):
                    continue
                raw = _raw(item)
                glyphs += [DrawnGlyph(current, int.from_bytes(raw[i:i + 2], "big"), size) for i in range(0, len(raw), 2)]
    return glyphs


def text_of(data: bytes) -> str:
    """The page's text. A glyph that shaping adds without a character of its own (the dot of a dotless Arabic
    letter's body) has no Unicode mapping, and pypdf gives its code, a control character: dropped."""
    text = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    return "".join(char for char in text if char == "\n" or unicodedata.category(char) != "Cc")


def qr_codes(data: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(data)[0]
    image = page.render(scale=3).to_pil()
    return [found.text for found in zxingcpp.read_barcodes(image)]


def to_png(data: bytes, path) -> None:
    pypdfium2.PdfDocument(data)[0].render(scale=2).to_pil().save(path)
