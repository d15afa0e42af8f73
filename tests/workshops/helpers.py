"""Reading what a page says next to a form field."""

from __future__ import annotations

import html
import re


def field_error(page: str, field: str) -> str | None:
    """The error message shown under the field with this id, or None."""
    match = re.search(rf'<small id="{re.escape(field)}-error" class="field-error">(.*?)</small>', page, re.S)
    return html.unescape(match.group(1)) if match else None


def field_value(page: str, field: str) -> str | None:
    match = re.search(rf'<input[^>]*\bid="{re.escape(field)}"[^>]*>', page)
    if not match:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))
