"""Placing sessions on the days of a viewer's timezone: pure functions, no database, no Flask.

A session belongs to every local day it overlaps, so one that crosses
midnight for the viewer shows on both days, marked as continuing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo


class Timed(Protocol):
    starts_at: datetime
    ends_at: datetime


T = TypeVar("T", bound=Timed)


@dataclass(frozen=True)
class Slice(Generic[T]):
    """The part of a session that falls on one local day."""

    item: T
    starts: datetime
    ends: datetime
    from_previous_day: bool
    into_next_day: bool


@dataclass(frozen=True)
class Day(Generic[T]):
    date: date
    slices: tuple[Slice[T], ...]


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def local_days_of(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> list[date]:
    """Every local date the interval [starts_at, ends_at) touches (an empty interval: its start date)."""
    first = starts_at.astimezone(zone).date()
    if ends_at <= starts_at:
        return [first]
    last = (ends_at.astimezone(zone) - timedelta(microseconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def group_by_local_day(items: Iterable[T], zone: ZoneInfo) -> list[Day[T]]:
    """Days in order, each with the slices of the sessions on it, in order of start then end."""
    by_day: dict[date, list[Slice[T]]] = {}
    for item in sorted(items, key=lambda i: (i.starts_at, i.ends_at)):
        start_local = item.starts_at.astimezone(zone)
        end_local = item.ends_at.astimezone(zone)
        for day in local_days_of(item.starts_at, item.ends_at, zone):
            day_start = local_midnight(day, zone)
            day_end = local_midnight(day + timedelta(days=1), zone)
            by_day.setdefault(day, []).append(Slice(
                item=item,
                starts=max(start_local, day_start),
                ends=min(end_local, day_end),
                from_previous_day=start_local < day_start,
                into_next_day=end_local > day_end,
            ))
    return [Day(day, tuple(slices)) for day, slices in sorted(by_day.items())]


def utc_offset_label(moment: datetime) -> str:
    """'UTC+5:45', 'UTC-3', 'UTC' for the offset of an aware datetime."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
