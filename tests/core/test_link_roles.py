"""Links announce themselves as links: no template gives an <a> the role of a button (a link goes somewhere; an
action that changes something is a <button>). A link that should stand out has the class call-to-action."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "workshop" / "templates"
LINK_TAG = re.compile(r"<a\b[^>]*>", re.IGNORECASE)
BUTTON_ROLE = re.compile(r"""\brole\s*=\s*["']?button\b""", re.IGNORECASE)


def links_as_buttons(text: str) -> list[str]:
    return [tag for tag in LINK_TAG.findall(text) if BUTTON_ROLE.search(tag)]


def test_the_check_finds_a_link_dressed_as_a_button():
    assert links_as_buttons('<p><a href="/x" class="secondary" role="button">Run polls</a></p>') != []
    assert links_as_buttons("<a role='button' href='/x'>Join</a>") != []
    assert links_as_buttons('<a href="/x" class="call-to-action">Join</a><button role="button">Vote</button>') == []


def test_no_template_gives_a_link_the_role_of_a_button():
    found = {str(path.relative_to(TEMPLATES)): tags for path in sorted(TEMPLATES.rglob("*.html"))
             if (tags := links_as_buttons(path.read_text(encoding="utf-8")))}
    assert found == {}
