"""The fonts a certificate is set in: Noto, from registry packages that ``make run`` installs, chosen per script.

The packages ship variable fonts (one file for every weight). A PDF viewer draws a variable font's default
instance, which for the CJK fonts is Thin, so each (font, weight) used is made once into a static font with
fontTools' instancer and kept in a cache folder (``CERTIFICATE_FONT_CACHE``, by default ``instance/fonts``).
Making one takes seconds (the CJK ones ten or more), so it never happens inside a request: the served process
makes them before it listens (``workshop.serve`` and the gunicorn hook call ``prepare_all``), as does
``flask certificate-fonts``; a request that finds one missing gets FontsNotReady (a 503). fpdf2 subsets what it
embeds.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import fontpkg
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer
from fpdf.unicode_script import UnicodeScript, get_unicode_script

log = logging.getLogger("workshop.certificates")

REGULAR, BOLD = 400, 700


def _fontpkg(family: str) -> Callable[[], Path]:
    return lambda: Path(fontpkg.path(family))


def _cjk(folder: str, filename: str) -> Callable[[], Path]:
    return lambda: Path(str(resources.files("justmytype_intl_cjk") / "fonts" / "ofl" / folder / filename))


@dataclass(frozen=True)
class FontSource:
    key: str  # the family name given to fpdf2
    package: str  # the registry package that ships it (docs/certificates.md lists them with their licence)
    variable_file: Callable[[], Path]


SOURCES = {source.key: source for source in (
    FontSource("noto-sans", "fontpkg-noto-sans", _fontpkg("Noto Sans")),
    FontSource("noto-sans-arabic", "fontpkg-noto-sans-arabic", _fontpkg("Noto Sans Arabic")),
    FontSource("noto-sans-devanagari", "fontpkg-noto-sans-devanagari", _fontpkg("Noto Sans Devanagari")),
    FontSource("noto-sans-thai", "fontpkg-noto-sans-thai", _fontpkg("Noto Sans Thai")),
    FontSource("noto-sans-kr", "justmytype-intl-cjk", _cjk("notosanskr", "NotoSansKR[wght].ttf")),
    FontSource("noto-sans-sc", "justmytype-intl-cjk", _cjk("notosanssc", "NotoSansSC[wght].ttf")),
    FontSource("noto-sans-tc", "justmytype-intl-cjk", _cjk("notosanstc", "NotoSansTC[wght].ttf")),
    FontSource("noto-sans-jp", "justmytype-intl-cjk", _cjk("notosansjp", "NotoSansJP[wght].ttf")),
)}
BASE = "noto-sans"  # Latin, Greek, Cyrillic, Vietnamese, digits and punctuation

SCRIPT_FONTS = {
    UnicodeScript.ARABIC: "noto-sans-arabic",
    UnicodeScript.DEVANAGARI: "noto-sans-devanagari",
    UnicodeScript.THAI: "noto-sans-thai",
    UnicodeScript.HANGUL: "noto-sans-kr",
    UnicodeScript.HIRAGANA: "noto-sans-jp",
    UnicodeScript.KATAKANA: "noto-sans-jp",
}
# Han characters are drawn differently in each region: the person's country picks the font.
HAN_FONT_BY_COUNTRY = {"TW": "noto-sans-tc", "HK": "noto-sans-tc", "MO": "noto-sans-tc", "JP": "noto-sans-jp",
                       "KR": "noto-sans-kr"}
HAN_DEFAULT = "noto-sans-sc"


def fonts_for(text: str, country: str = "") -> list[str]:
    """The fonts that ``text`` needs after the base font, in the order of first use: fpdf2's fallback chain."""
    needed: list[str] = []
    for char in text:
        if char.isascii():
            continue
        script = get_unicode_script(char)
        key = HAN_FONT_BY_COUNTRY.get(country, HAN_DEFAULT) if script == UnicodeScript.HAN else SCRIPT_FONTS.get(script)
        if key and key not in needed:
            needed.append(key)
    return needed


def cache_folder(configured: str) -> Path:
    folder = Path(configured)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class FontsNotReady(RuntimeError):
    """A static font is missing: the process was started without preparing them (``prepare_all``)."""


def _target(key: str, weight: int, folder: Path) -> tuple[Path, Path]:
    source = SOURCES[key].variable_file()
    # The source's size names its version: a new package release makes a new file.
    return source, folder / f"{key}-{weight}-{source.stat().st_size}.ttf"


def static_font(key: str, weight: int, folder: Path) -> Path:
    """The prepared static font ``key`` at ``weight``; FontsNotReady if it was not made ahead."""
    _, target = _target(key, weight, folder)
    if not target.exists():
        raise FontsNotReady(f"the static font {target.name} is missing from {folder}")
    return target


def prepared_font(key: str, weight: int, folder: Path) -> Path:
    """The static font ``key`` at ``weight``, made now if it is not there yet (before serving, never in a request)."""
    source, target = _target(key, weight, folder)
    if not target.exists():
        log.info("making the static font %s from %s", target.name, source.name)
        _instantiate(source, weight, target)
    return target


def _instantiate(source: Path, weight: int, target: Path) -> None:
    font = TTFont(source)
    axes = {axis.axisTag: axis.defaultValue for axis in font["fvar"].axes}
    axes["wght"] = weight
    static = instancer.instantiateVariableFont(font, axes)
    # Written beside the target and renamed: another process making the same font never reads half a file.
    handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
    os.close(handle)
    try:
        static.save(partial)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def prepare_all(folder: Path) -> list[Path]:
    """Every font at every weight a certificate may use, made where missing (later runs find them made)."""
    return [prepared_font(key, weight, folder) for key in SOURCES for weight in (REGULAR, BOLD)]


def prepare_for(app) -> list[Path]:
    """What a served process calls before it listens: no certificate request then waits for a font."""
    return prepare_all(cache_folder(app.config["CERTIFICATE_FONT_CACHE"]))
