"""File names: the original kept for display, a safe one for headers and archives, in any script."""

from __future__ import annotations

import unicodedata

import pytest

from workshop.uploads.storage import ascii_fallback, display_name, safe_name

KOREAN = "국가보고서 2023.pdf"
FINNISH = "Hyvä käytäntö.docx"
NEPALI = "नेपाल प्रतिवेदन.pptx"


@pytest.mark.parametrize("name", [KOREAN, FINNISH, NEPALI, "Sri Lanka (final) v2.xlsx", "日本の報告書.pdf"])
def test_letters_and_digits_of_every_script_survive(name):
    assert safe_name(name) == name
    assert display_name(name) == name


def test_decomposed_letters_are_composed():
    decomposed = unicodedata.normalize("NFD", FINNISH)
    assert decomposed != FINNISH
    assert safe_name(decomposed) == FINNISH
    assert display_name(decomposed) == FINNISH


@pytest.mark.parametrize("name", ["../../x.pdf", "..\\..\\x.pdf", "C:\\Users\\ana\\Desktop\\x.pdf",
                                  "/etc/../x.pdf", "uploads/ab/../../x.pdf"])
def test_directory_parts_are_dropped(name):
    assert safe_name(name) == "x.pdf"
    assert display_name(name) == "x.pdf"


def test_control_and_bidi_characters_are_removed():
    # U+202E would display "report\u202Efdp.exe" as "reportexe.pdf".
    assert safe_name("re\x00po\nrt\u202e\x7f.pdf") == "report.pdf"
    assert display_name("re\x00po\trt.pdf") == "report.pdf"


def test_characters_with_meaning_in_headers_or_shells_are_replaced():
    name = safe_name('a"b;c:d*e?f<g>h|i.pdf')
    assert name.endswith(".pdf")
    assert not set(name) & set('"\\;:*?<>|/')
    assert name.startswith("a_b_c_d_e_f_g_h_i")


def test_a_long_name_is_cut_to_150_characters_keeping_the_extension():
    original = "Country report " + "ä" * 281 + ".pdf"
    assert len(original) == 300
    assert len(safe_name(original)) == 150
    assert safe_name(original).endswith("ä.pdf")
    assert display_name(original) == original  # the display name keeps all 300


def test_a_display_name_longer_than_its_column_is_cut_keeping_the_extension():
    shown = display_name("x" * 400 + ".docx")
    assert len(shown) == 300
    assert shown.endswith("x.docx")


@pytest.mark.parametrize("name", ["", "...", "../", "\x00\x01", "___", "?*:"])
def test_a_name_is_never_empty(name):
    assert safe_name(name) == "file"
    assert safe_name(name, ".pdf") == "file.pdf"
    assert display_name(name).strip()


def test_only_an_extension_gets_a_name_in_front():
    assert safe_name(".pdf", ".pdf") == "file.pdf"  # a leading dot would hide the file
    assert safe_name("国.pdf") == "国.pdf"


def test_the_kind_extension_is_added_when_missing():
    assert safe_name("report", ".pdf") == "report.pdf"
    assert safe_name("Report v1.2", ".pdf") == "Report v1.2.pdf"
    assert safe_name("report.PDF", ".pdf") == "report.PDF"


def test_windows_device_names_are_defused():
    assert safe_name("CON.pdf") == "_CON.pdf"
    assert safe_name("nul.docx") == "_nul.docx"


@pytest.mark.parametrize(("name", "fallback"), [
    (FINNISH, "Hyva kaytanto.docx"),
    (KOREAN, "2023.pdf"),
    ("국가보고서.pdf", "file.pdf"),
    ("report (final).pdf", "report (final).pdf"),
])
def test_the_ascii_fallback(name, fallback):
    assert ascii_fallback(name) == fallback
