"""The union of intervals, counted the plain way: the oracle the database's count is checked against."""

from __future__ import annotations

from datetime import datetime


def union_seconds(intervals: list[tuple[datetime, datetime]], bounds: tuple[datetime, datetime]) -> float:
    lower, upper = bounds
    covered, reach = 0.0, None
    for start, end in sorted((max(start, lower), min(end, upper)) for start, end in intervals):
        if end <= start:
            continue
        if reach is not None and start < reach:
            start = reach
        if end > start:
            covered += (end - start).total_seconds()
        reach = max(reach, end) if reach is not None else end
    return covered
