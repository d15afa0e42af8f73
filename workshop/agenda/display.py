"""Turning sessions into what a viewer reads: days and times in their zone and locale, each with its zone label."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from flask import request
from markupsafe import Markup, escape

from workshop import zone_names
from workshop.agenda.timezones import Day, group_by_local_day, utc_offset_label

DEFAULT_LOCALE = "en_GB"


@cache
def _locale(tag: str) -> Locale | None:
    try:
        return Locale.parse(tag, sep="-") if "-" in tag else Locale.parse(tag)
    except (UnknownLocaleError, ValueError):
        return None


def viewer_locale() -> Locale:
    """The first language of the browser's Accept-Language that Babel knows, else British English."""
    for tag, _quality in request.accept_languages:
        found = _locale(tag.replace("_", "-"))
        if found is not None:
            return found
    return _locale(DEFAULT_LOCALE)


@dataclass(frozen=True)
class Clock:
    """How to print times for one viewer: their zone, the host's zone, and their locale."""

    zone: ZoneInfo
    host_zone: ZoneInfo
    locale: Locale

    @property
    def same_zone(self) -> bool:
        return self.zone.key == self.host_zone.key

    def day(self, value: date) -> str:
        return format_date(value, "full", locale=self.locale)

    def time(self, moment: datetime, zone: ZoneInfo | None = None) -> str:
        zone = zone or self.zone
        return format_time(moment.astimezone(zone), "short", tzinfo=zone, locale=self.locale)

    def label(self, moment: datetime, zone: ZoneInfo | None = None) -> str:
        """The zone label printed beside a time: 'Asia/Kathmandu, UTC+5:45'; 'UTC' for UTC (not 'UTC, UTC')."""
        zone = zone or self.zone
        if zone.key == zone_names.UTC:
            return zone_names.UTC
        return f"{zone.key}, {utc_offset_label(moment.astimezone(zone))}"

    def span(self, starts: datetime, ends: datetime, zone: ZoneInfo | None = None) -> str:
        return f"{self.time(starts, zone)}–{self.time(ends, zone)}"

    def days(self, sessions) -> list[Day]:
        return group_by_local_day(sessions, self.zone)


def clock_for(person_timezone: str, host_timezone: str) -> Clock:
    return Clock(zone=ZoneInfo(person_timezone), host_zone=ZoneInfo(host_timezone), locale=viewer_locale())


@cache
def timezone_options() -> Markup:
    """The <option>s of every current IANA zone name, built once: the list is the same for everyone."""
    return Markup("".join(f'<option value="{escape(name)}"></option>' for name in zone_names.offered_names()))


def viewer_language() -> str:
    """The viewer's locale as a BCP 47 tag ('en-GB'), for scripts that format times as the server does."""
    return str(viewer_locale()).replace("_", "-")


class LRUCache:
    """A small least-recently-used cache of rendered fragments (one per process)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()

    def get(self, key):
        # Move first, then read: under threads another request may evict the key in between, and then this
        # answers None (render again) instead of raising KeyError.
        try:
            self._items.move_to_end(key)
        except KeyError:
            return None
        return self._items.get(key)

    def put(self, key, value) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
