"""A certificate of participation as a PDF (A4 landscape), drawn with fpdf2.

fpdf2 shapes text with HarfBuzz (Arabic joining, Thai and Devanagari reordering and conjuncts) and lays
right-to-left runs out with its Unicode bidi algorithm; each script's characters come from a font of the
fallback chain that fonts.py chooses for the text, and only the glyphs used are embedded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from fpdf import FPDF

from workshop.certificates import fonts

PAGE_WIDTH, PAGE_HEIGHT = 297, 210  # mm, A4 landscape
MARGIN = 22
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
QR_SIZE = 34
INK = (25, 40, 65)
ACCENT = (30, 90, 140)
NAME_SIZES = (32, 28, 24, 20, 16, 13)  # the largest that fits on one line


@dataclass(frozen=True)
class CertificateText:
    """What a certificate says, as issued."""

    name: str
    country: str  # ISO code, or "": it chooses the Han font
    country_name: str
    workshop_title: str
    workshop_code: str
    starts_on: date
    ends_on: date
    modality: str
    implementing_organizations: str
    code: str
    verify_url: str
    issued_on: date


def date_range(first: date, last: date) -> str:
    """"18-20 July 2023", "30 June - 2 July 2023", "30 December 2023 - 2 January 2024" (with en dashes)."""
    if first == last:
        return f"{first.day} {first:%B %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}\u2013{last.day} {last:%B %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%B} \u2013 {last.day} {last:%B %Y}"
    return f"{first.day} {first:%B %Y} \u2013 {last.day} {last:%B %Y}"


def grouped(code: str) -> str:
    """The code in groups of four, easier to read and type (the verification page ignores the dashes)."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def render(text: CertificateText, font_folder: Path) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"Certificate of participation: {text.name}")
    pdf.set_author(text.implementing_organizations or text.workshop_title)
    pdf.set_lang("en")
    pdf.set_auto_page_break(False)
    _load_fonts(pdf, text, font_folder)
    pdf.add_page()
    _frame(pdf)
    pdf.set_text_color(*INK)

    pdf.set_y(30)
    _line(pdf, "CERTIFICATE OF PARTICIPATION", 26, bold=True, color=ACCENT)
    pdf.ln(8)
    _line(pdf, "This is to certify that", 13)
    pdf.ln(3)
    _name(pdf, text.name)
    if text.country_name:
        _line(pdf, text.country_name, 14)
    pdf.ln(6)
    _line(pdf, "took part in the", 13)
    pdf.ln(2)
    _paragraph(pdf, text.workshop_title, 19, bold=True)
    pdf.ln(2)
    _line(pdf, f"{text.workshop_code}  \u00b7  {text.modality.capitalize()}  \u00b7  "
               f"{date_range(text.starts_on, text.ends_on)}", 12)
    if text.implementing_organizations:
        pdf.ln(3)
        _paragraph(pdf, f"Implemented by {text.implementing_organizations}", 11)
    _verification(pdf, text)
    return bytes(pdf.output())


def _load_fonts(pdf: FPDF, text: CertificateText, folder: Path) -> None:
    """The base font in both weights, and each script's font in the weights its text is set in."""
    bold_text = text.name + text.workshop_title
    regular_text = " ".join((text.country_name, text.workshop_code, text.implementing_organizations))
    wanted = {(fonts.BASE, fonts.REGULAR), (fonts.BASE, fonts.BOLD)}
    wanted |= {(key, fonts.BOLD) for key in fonts.fonts_for(bold_text, text.country)}
    wanted |= {(key, fonts.REGULAR) for key in fonts.fonts_for(regular_text, text.country)}
    for key, weight in sorted(wanted):
        pdf.add_font(key, "B" if weight == fonts.BOLD else "", fonts.static_font(key, weight, folder))
    chain = fonts.fonts_for(bold_text + regular_text, text.country)
    if chain:
        # A script's font loaded only in one weight stands in for the other (exact_match=False).
        pdf.set_fallback_fonts(chain, exact_match=False)
    pdf.set_text_shaping(True)


def _frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, PAGE_WIDTH - 16, PAGE_HEIGHT - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, PAGE_WIDTH - 22, PAGE_HEIGHT - 22)


def _line(pdf: FPDF, words: str, size: float, *, bold: bool = False, color=INK) -> None:
    pdf.set_font(fonts.BASE, "B" if bold else "", size)
    pdf.set_text_color(*color)
    pdf.set_x(MARGIN)
    pdf.cell(TEXT_WIDTH, size * 0.5, words, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)


def _paragraph(pdf: FPDF, words: str, size: float, *, bold: bool = False) -> None:
    pdf.set_font(fonts.BASE, "B" if bold else "", size)
    pdf.set_x(MARGIN)
    pdf.multi_cell(TEXT_WIDTH, size * 0.5, words, align="C", new_x="LMARGIN", new_y="NEXT")


def _name(pdf: FPDF, name: str) -> None:
    for size in NAME_SIZES:
        pdf.set_font(fonts.BASE, "B", size)
        if pdf.get_string_width(name) <= TEXT_WIDTH:
            break
    pdf.set_x(MARGIN)
    if pdf.get_string_width(name) <= TEXT_WIDTH:
        pdf.cell(TEXT_WIDTH, 16, name, align="C", new_x="LMARGIN", new_y="NEXT")
    else:  # 200 characters at the smallest size: two lines
        pdf.multi_cell(TEXT_WIDTH, 7, name, align="C", new_x="LMARGIN", new_y="NEXT")


def _verification(pdf: FPDF, text: CertificateText) -> None:
    bottom = PAGE_HEIGHT - MARGIN
    qr_x = PAGE_WIDTH - MARGIN - QR_SIZE
    image = io.BytesIO()
    segno.make(text.verify_url, error="m").save(image, kind="png", scale=8, border=2)
    pdf.image(image, x=qr_x, y=bottom - QR_SIZE, w=QR_SIZE, h=QR_SIZE, alt_text="QR code of the verification address")
    pdf.set_font(fonts.BASE, "", 9)
    left_width = qr_x - MARGIN - 6
    pdf.set_xy(MARGIN, bottom - 17)
    pdf.cell(left_width, 5, f"Issued on {text.issued_on.day} {text.issued_on:%B %Y}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(MARGIN)
    pdf.cell(left_width, 5, f"Verification code: {grouped(text.code)}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(MARGIN)
    pdf.cell(left_width, 5, f"Verify at {text.verify_url}", link=text.verify_url)
