"""Certificate PDFs read back with pypdf: the text is there, every glyph of the name comes from an embedded font
that has it (shaped Arabic, Thai, Devanagari, Korean and Chinese), and the QR code reads as the verify URL."""

from __future__ import annotations

import os
from datetime import date

import pytest

from tests.certificates.pdf_reading import drawn_glyphs, qr_codes, text_of
from workshop.certificates import fonts, pdf

NAMES = {
    "korean": ("김민준", "KR", "Korea, Republic of"),
    "thai": ("สมชาย ใจดี", "TH", "Thailand"),
    "chinese": ("王小明", "CN", "China"),
    "arabic": ("محمد عبد الله", "IR", "Iran"),
    "devanagari": ("अनुराधा क्षत्रिय", "NP", "Nepal"),
    "latin": ("Ana María Núñez-Ødegård", "PH", "Philippines"),
}
URL = "http://localhost/verify/ABCDEFGHIJKLMNOPQRSTUVWX"


@pytest.fixture(scope="module")
def font_folder():
    return fonts.cache_folder(os.environ["WORKSHOP_CERTIFICATE_FONT_CACHE"])  # set by tests/conftest.py


def certificate(name: str, country: str, country_name: str) -> pdf.CertificateText:
    return pdf.CertificateText(
        name=name, country=country, country_name=country_name,
        workshop_title="Workshop on Innovative Public Procurement", workshop_code="23-IP-02-GE-WSP-A",
        starts_on=date(2023, 7, 18), ends_on=date(2023, 7, 20), modality="online",
        implementing_organizations="National Productivity Secretariat, Sri Lanka and APO Secretariat",
        code="ABCDEFGHIJKLMNOPQRSTUVWX", verify_url=URL, issued_on=date(2023, 7, 21))


@pytest.fixture(scope="module")
def rendered(font_folder):
    cache = {}

    def render(script: str) -> bytes:
        if script not in cache:
            cache[script] = pdf.render(certificate(*NAMES[script]), font_folder)
        return cache[script]

    return render


@pytest.mark.parametrize("script", NAMES)
def test_the_name_is_in_the_text(rendered, script):
    name = NAMES[script][0]
    text = text_of(rendered(script))
    if script == "arabic":
        # Extracted in visual order (right to left on the page): each word whole, the words reversed.
        assert " ".join(reversed(name.split())) in text or name in text
    else:
        assert name in text
    assert "Workshop on Innovative Public Procurement" in text
    assert "18\u201320 July 2023" in text and "23-IP-02-GE-WSP-A" in text
    assert "National Productivity Secretariat, Sri Lanka and APO Secretariat" in text
    assert "ABCD-EFGH-IJKL-MNOP-QRST-UVWX" in text


@pytest.mark.parametrize("script", NAMES)
def test_every_glyph_comes_from_an_embedded_font_that_has_it(rendered, script):
    glyphs = drawn_glyphs(rendered(script))
    assert all(glyph.font.program is not None for glyph in glyphs), "every font is embedded"
    missing = [glyph for glyph in glyphs if not glyph.text.isspace() and not glyph.genuine]
    assert not missing, [(glyph.font.base_name, glyph.cid, glyph.text) for glyph in missing]
    # The name's own line (the largest size, which these names fit at): the same letters elsewhere on the page
    # (a Latin name's in the workshop's title) must not stand in for glyphs missing from it.
    name_glyphs = [glyph for glyph in glyphs if glyph.size == pdf.NAME_SIZES[0]]
    assert name_glyphs, "the name is drawn at the largest size"
    name_text = "".join(glyph.text for glyph in name_glyphs if glyph.genuine)
    assert set(NAMES[script][0].replace(" ", "")) <= set(name_text)
    assert set(name_text) <= set(NAMES[script][0]), "nothing but the name is drawn at its size"


def test_shaping_forms_conjuncts_and_joins(rendered):
    """HarfBuzz, not one glyph per character: क्ष and त्रि are conjuncts (one glyph for several characters),
    and Arabic letters take their joined forms (glyphs the unshaped characters would not give)."""
    devanagari = [glyph for glyph in drawn_glyphs(rendered("devanagari")) if len(glyph.text) > 1]
    assert any("\u094d" in glyph.text for glyph in devanagari), "a conjunct glyph carries the virama"
    arabic_name = NAMES["arabic"][0].replace(" ", "")
    arabic = [glyph for glyph in drawn_glyphs(rendered("arabic")) if glyph.text and glyph.text[0] in arabic_name]
    font = arabic[0].font.program
    isolated = {font.getBestCmap().get(ord(char)) for char in arabic_name}
    assert {font.getGlyphOrder()[arabic[0].font.gid(glyph.cid)] for glyph in arabic} - isolated, \
        "some letters are drawn in joined forms"


def test_the_qr_code_reads_as_the_verify_url(rendered):
    assert qr_codes(rendered("latin")) == [URL]


def test_fonts_are_chosen_per_script_and_han_by_country():
    assert fonts.fonts_for("Ana María", "PH") == []
    assert fonts.fonts_for("김민준", "KR") == ["noto-sans-kr"]
    assert fonts.fonts_for("王小明", "CN") == ["noto-sans-sc"]
    assert fonts.fonts_for("王小明", "TW") == ["noto-sans-tc"]
    assert fonts.fonts_for("محمد", "IR") == ["noto-sans-arabic"]
    assert fonts.fonts_for("สมชาย 王", "TH") == ["noto-sans-thai", "noto-sans-sc"]


def test_date_ranges_read_naturally():
    assert pdf.date_range(date(2023, 7, 18), date(2023, 7, 20)) == "18\u201320 July 2023"
    assert pdf.date_range(date(2023, 6, 30), date(2023, 7, 2)) == "30 June \u2013 2 July 2023"
    assert pdf.date_range(date(2023, 12, 30), date(2024, 1, 2)) == "30 December 2023 \u2013 2 January 2024"
    assert pdf.date_range(date(2023, 7, 18), date(2023, 7, 18)) == "18 July 2023"
