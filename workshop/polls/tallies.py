"""Results of each kind of poll, computed from counts taken from the ballots: pure functions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    percent: float  # of voters (choice polls) or of answers (ratings)


@dataclass(frozen=True)
class Word:
    text: str
    count: int
    size: int  # 1 (rarest) to 5 (most frequent)


@dataclass(frozen=True)
class Ranked:
    label: str
    mean_rank: float
    borda: int


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def choice_bars(options: list[tuple[int, str]], counts: dict[int, int], voters: int) -> list[Bar]:
    """One bar per option in the poll's order; percent of voters (multiple choice may pass 100 in total)."""
    return [Bar(text, counts.get(option_id, 0), _percent(counts.get(option_id, 0), voters))
            for option_id, text in options]


def rating_summary(values: dict[int, int], scale_max: int) -> tuple[list[Bar], float | None]:
    """The distribution over 1..scale_max and the mean (None without answers)."""
    total = sum(values.values())
    bars = [Bar(str(value), values.get(value, 0), _percent(values.get(value, 0), total))
            for value in range(1, scale_max + 1)]
    mean = round(sum(value * count for value, count in values.items()) / total, 2) if total else None
    return bars, mean


def word_cloud(counts: dict[str, int], limit: int = 60) -> list[Word]:
    """The most frequent answers, alphabetically, each with a size from 1 to 5 by its count."""
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    if not top:
        return []
    highest = top[0][1]
    return sorted((Word(text, count, 1 + round(4 * (count - 1) / (highest - 1)) if highest > 1 else 3)
                   for text, count in top), key=lambda word: word.text)


def ranking_results(options: list[tuple[int, str]], ballots: list[list[int]]) -> list[Ranked]:
    """Mean rank (1 is best) and Borda points (n-1 for a first place ... 0 for last) per option, best first.

    ``ballots`` holds each ballot's option ids from first to last place.
    """
    n = len(options)
    ranks: dict[int, list[int]] = {option_id: [] for option_id, _ in options}
    for order in ballots:
        # An id that is not the poll's must not push the others down (a last place below 0 points).
        for place, option_id in enumerate((o for o in order if o in ranks), start=1):
            ranks[option_id].append(place)
    results = [Ranked(text, round(sum(ranks[option_id]) / len(ranks[option_id]), 2) if ranks[option_id] else 0.0,
                      sum(n - place for place in ranks[option_id]))
               for option_id, text in options]
    return sorted(results, key=lambda r: (-r.borda, r.mean_rank, r.label))


def normalize_word(text: str) -> str:
    """Word-cloud answers count together regardless of case and spacing."""
    return " ".join(text.split()).casefold()
