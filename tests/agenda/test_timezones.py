"""Placing sessions on the viewer's local days: properties checked by hypothesis against a brute-force answer,
over zones with :30 and :45 offsets and daylight saving time, then worked examples."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.agenda.timezones import group_by_local_day, local_days_of, utc_offset_label

ZONES = ["Asia/Kathmandu", "Asia/Colombo", "Australia/Adelaide", "Pacific/Chatham", "America/St_Johns",
         "Europe/Paris", "Pacific/Fiji", "UTC"]


@dataclass(frozen=True)
class Item:
    name: int
    starts_at: datetime
    ends_at: datetime


def utc_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight of ``day`` as a UTC instant (no listed zone skips or repeats midnight in 2023-2025)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def brute_force_days(item: Item, zone: ZoneInfo) -> list[date]:
    """Every local date whose [midnight, next midnight) the session overlaps, found by trying each candidate."""
    found = []
    day = item.starts_at.astimezone(zone).date() - timedelta(days=2)
    while utc_midnight(day, zone) <= item.ends_at:
        day_start, day_end = utc_midnight(day, zone), utc_midnight(day + timedelta(days=1), zone)
        if item.starts_at == item.ends_at:
            overlaps = day_start <= item.starts_at < day_end
        else:
            overlaps = item.starts_at < day_end and item.ends_at > day_start
        if overlaps:
            found.append(day)
        day += timedelta(days=1)
    return found


instants = st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2025, 12, 31),
                        timezones=st.just(UTC))
durations = st.integers(min_value=0, max_value=30 * 60).map(lambda minutes: timedelta(minutes=minutes))


@st.composite
def sessions(draw):
    count = draw(st.integers(min_value=0, max_value=6))
    items = []
    for n in range(count):
        start = draw(instants)
        items.append(Item(n, start, start + draw(durations)))
    return items


@settings(max_examples=300, deadline=None)
@given(sessions(), st.sampled_from(ZONES))
def test_every_session_is_on_exactly_the_local_days_it_overlaps(items, zone_name):
    zone = ZoneInfo(zone_name)
    days = group_by_local_day(items, zone)
    placed = {item.name: [] for item in items}
    for day in days:
        for piece in day.slices:
            placed[piece.item.name].append(day.date)
    for item in items:
        assert placed[item.name] == brute_force_days(item, zone), item
        assert local_days_of(item.starts_at, item.ends_at, zone) == brute_force_days(item, zone)


@settings(max_examples=300, deadline=None)
@given(sessions(), st.sampled_from(ZONES))
def test_days_are_sorted_distinct_and_never_empty(items, zone_name):
    days = group_by_local_day(items, ZoneInfo(zone_name))
    dates = [day.date for day in days]
    assert dates == sorted(set(dates))
    assert all(day.slices for day in days)
    for day in days:  # within a day, in order of start (as instants)
        starts = [piece.starts.astimezone(UTC) for piece in day.slices]
        assert starts == sorted(starts)


@settings(max_examples=300, deadline=None)
@given(instants, durations, st.sampled_from(ZONES))
def test_slices_cover_the_session_exactly_and_meet_at_local_midnight(start, length, zone_name):
    zone = ZoneInfo(zone_name)
    item = Item(0, start, start + length)
    pieces = [piece for day in group_by_local_day([item], zone) for piece in day.slices]
    assert pieces[0].starts.astimezone(UTC) == item.starts_at
    assert pieces[-1].ends.astimezone(UTC) == item.ends_at
    for earlier, later in zip(pieces, pieces[1:], strict=False):
        assert earlier.ends.astimezone(UTC) == later.starts.astimezone(UTC)
        midnight = later.starts.astimezone(zone)
        assert (midnight.hour, midnight.minute, midnight.second) == (0, 0, 0)
        assert midnight.astimezone(UTC) == utc_midnight(midnight.date(), zone)
    for day, piece in zip(group_by_local_day([item], zone), pieces, strict=True):
        # Every slice lies inside its own local day and is printed in the viewer's zone.
        assert piece.starts.tzinfo is zone and piece.ends.tzinfo is zone
        assert utc_midnight(day.date, zone) <= piece.starts.astimezone(UTC)
        assert piece.ends.astimezone(UTC) <= utc_midnight(day.date + timedelta(days=1), zone)


@settings(max_examples=300, deadline=None)
@given(instants, durations, st.sampled_from(ZONES))
def test_continuation_flags(start, length, zone_name):
    zone = ZoneInfo(zone_name)
    item = Item(0, start, start + length)
    days = group_by_local_day([item], zone)
    for index, day in enumerate(days):
        (piece,) = day.slices
        assert piece.from_previous_day == (index > 0)
        assert piece.into_next_day == (index < len(days) - 1)
        assert piece.from_previous_day == (item.starts_at < utc_midnight(day.date, zone))
        assert piece.into_next_day == (item.ends_at > utc_midnight(day.date + timedelta(days=1), zone))


# Worked examples ------------------------------------------------------------------------------------

KATHMANDU, COLOMBO, PARIS = ZoneInfo("Asia/Kathmandu"), ZoneInfo("Asia/Colombo"), ZoneInfo("Europe/Paris")


def test_a_session_crosses_midnight_in_kathmandu_but_not_in_colombo():
    # 23:00-23:50 in Colombo is 23:15-00:05 in Kathmandu, 15 minutes ahead.
    starts = datetime(2023, 7, 18, 23, 0, tzinfo=COLOMBO)
    item = Item(1, starts.astimezone(UTC), (starts + timedelta(minutes=50)).astimezone(UTC))

    (colombo_day,) = group_by_local_day([item], COLOMBO)
    assert colombo_day.date == date(2023, 7, 18)
    assert not colombo_day.slices[0].into_next_day

    first, second = group_by_local_day([item], KATHMANDU)
    assert (first.date, second.date) == (date(2023, 7, 18), date(2023, 7, 19))
    assert first.slices[0].starts.strftime("%H:%M") == "23:15" and first.slices[0].into_next_day
    assert first.slices[0].ends.strftime("%H:%M") == "00:00"
    assert second.slices[0].from_previous_day and second.slices[0].ends.strftime("%H:%M") == "00:05"


def test_a_session_ending_exactly_at_local_midnight_stays_on_its_day():
    starts = datetime(2023, 7, 18, 22, 0, tzinfo=KATHMANDU)
    item = Item(1, starts, starts + timedelta(hours=2))
    (day,) = group_by_local_day([item], KATHMANDU)
    assert day.date == date(2023, 7, 18) and not day.slices[0].into_next_day


def test_daylight_saving_days_in_paris_last_23_and_25_hours():
    spring, autumn = date(2024, 3, 31), date(2024, 10, 27)
    assert utc_midnight(spring + timedelta(days=1), PARIS) - utc_midnight(spring, PARIS) == timedelta(hours=23)
    assert utc_midnight(autumn + timedelta(days=1), PARIS) - utc_midnight(autumn, PARIS) == timedelta(hours=25)

    for day, hours in ((spring, 23), (autumn, 25)):
        # A 30-hour session from local midnight: the whole DST day, then the rest on the next one.
        starts = utc_midnight(day, PARIS)
        item = Item(1, starts, starts + timedelta(hours=30))
        first, second = group_by_local_day([item], PARIS)
        assert first.date == day and second.date == day + timedelta(days=1)
        whole = first.slices[0].ends.astimezone(UTC) - first.slices[0].starts.astimezone(UTC)
        assert whole == timedelta(hours=hours)
        rest = second.slices[0].ends.astimezone(UTC) - second.slices[0].starts.astimezone(UTC)
        assert rest == timedelta(hours=30 - hours)
        assert second.slices[0].ends.strftime("%H:%M") == f"{30 - hours:02d}:00"


def test_a_session_across_the_autumn_change_keeps_its_real_length():
    # 01:30-03:30 local on 27 Oct 2024 is three real hours: 02:00-03:00 happens twice.
    starts = datetime(2024, 10, 26, 23, 30, tzinfo=UTC)
    item = Item(1, starts, starts + timedelta(hours=3))
    (day,) = group_by_local_day([item], PARIS)
    piece = day.slices[0]
    assert piece.starts.strftime("%H:%M") == "01:30" and piece.ends.strftime("%H:%M") == "03:30"
    assert utc_offset_label(piece.starts) == "UTC+2" and utc_offset_label(piece.ends) == "UTC+1"


def test_utc_offset_labels():
    moment = datetime(2023, 7, 18, 12, 0, tzinfo=UTC)
    assert utc_offset_label(moment.astimezone(KATHMANDU)) == "UTC+5:45"
    assert utc_offset_label(moment.astimezone(COLOMBO)) == "UTC+5:30"
    assert utc_offset_label(datetime(2023, 1, 10, tzinfo=ZoneInfo("America/St_Johns"))) == "UTC-3:30"
    assert utc_offset_label(datetime(2023, 7, 10, tzinfo=ZoneInfo("America/St_Johns"))) == "UTC-2:30"
    assert utc_offset_label(moment) == "UTC"
    assert utc_offset_label(datetime(2023, 1, 10, tzinfo=ZoneInfo("Pacific/Chatham"))) == "UTC+13:45"
    assert utc_offset_label(datetime(2023, 7, 10, tzinfo=ZoneInfo("Pacific/Chatham"))) == "UTC+12:45"
    assert utc_offset_label(moment.astimezone(PARIS)) == "UTC+2"
    assert utc_offset_label(datetime(2023, 7, 10, tzinfo=ZoneInfo("America/New_York"))) == "UTC-4"
