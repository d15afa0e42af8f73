"""Breakout assignment benchmark: 1,000 people from ~20 countries and 100 organizations into 100 rooms.

Round one is split with `diverse`; round two with `rotation` against round one (fewest repeated
pairs first, then the widest spread of countries and organizations), under the constraints a real
workshop brings: one moderator or facilitator per room, at most one rapporteur per room, people
kept apart and people kept together. Times are the median of several runs of the pure functions
(no database, no server); repeat_pairs_random is balanced_random's count for the same seed.

    .venv/bin/python bench/breakouts_assign.py [--people 1000] [--rooms 100] [--runs 5]

The last line of output is a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshop.breakouts.assignment import (Constraints, Person, Rooms, balanced_random, diverse,  # noqa: E402
                                           quality, rotation)


def crowd(count: int, rooms: int, rng: random.Random) -> tuple[list[Person], Constraints]:
    """People from 20 countries of uneven size (a few large delegations) and 100 organizations."""
    countries = [f"C{i:02}" for i in range(20)]
    weights = [1 / (rank + 1) ** 0.7 for rank in range(len(countries))]
    people = []
    for i in range(count):
        role = "facilitator" if i < rooms else "rapporteur" if i < 2 * rooms else "participant"
        country = rng.choices(countries, weights)[0]
        people.append(Person(i, country, f"{country}-org{rng.randrange(5)}", role, f"P{i}"))
    singles = list(range(2 * rooms, count))
    rng.shuffle(singles)
    keep_apart = [set(singles[k:k + 3]) for k in range(0, 60, 3)]
    keep_together = [set(singles[k:k + 2]) for k in range(60, 80, 2)]
    return people, Constraints(keep_apart=keep_apart, keep_together=keep_together,
                               max_one_of_role={"rapporteur"}, one_facilitator_per_room=True)


def timed(runs: int, action):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2)
    args = parser.parse_args()
    people, constraints = crowd(args.people, args.rooms, random.Random(args.seed))
    rooms = Rooms(count=args.rooms)

    diverse_ms, first = timed(args.runs, lambda: diverse(people, rooms, args.seed - 1, constraints))
    assign_ms, second = timed(args.runs, lambda: rotation(people, rooms, args.seed, constraints, [first]))
    random_ms, baseline = timed(args.runs, lambda: balanced_random(people, rooms, args.seed, constraints))
    rotated, randomly = quality(second, people, [first], constraints), quality(baseline, people, [first], constraints)
    spread = quality(first, people, constraints=constraints)
    summary = {
        "people": args.people, "rooms": args.rooms,
        "assign_ms": round(assign_ms, 1), "diverse_ms": round(diverse_ms, 1), "random_ms": round(random_ms, 1),
        "repeat_pairs": rotated.repeated_pairs, "repeat_pairs_random": randomly.repeated_pairs,
        # Pairs kept together meet in every round: a floor no assignment can go below.
        "repeat_pairs_kept_together": sum(len(group) * (len(group) - 1) // 2 for group in constraints.keep_together),
        "room_sizes": [min(rotated.sizes), max(rotated.sizes)],
        "countries_per_room_diverse": round(statistics.mean(spread.countries), 2),
        "countries_per_room_rotation": round(statistics.mean(rotated.countries), 2),
        "countries_per_room_random": round(statistics.mean(randomly.countries), 2),
        "organizations_per_room_diverse": round(statistics.mean(spread.organizations), 2),
        "organizations_per_room_rotation": round(statistics.mean(rotated.organizations), 2),
        "organizations_per_room_random": round(statistics.mean(randomly.organizations), 2),
        "constraint_problems": len(rotated.notes) + len(spread.notes),
    }
    print(f"round 1 diverse {diverse_ms:.0f} ms: {summary['countries_per_room_diverse']} countries, "
          f"{summary['organizations_per_room_diverse']} organizations per room")
    print(f"round 2 rotation {assign_ms:.0f} ms: {rotated.repeated_pairs} repeated pairs "
          f"(balanced random for the same seed: {randomly.repeated_pairs}; "
          f"kept together, so unavoidable: {summary['repeat_pairs_kept_together']}), "
          f"{summary['countries_per_room_rotation']} countries per room (random: "
          f"{summary['countries_per_room_random']}), sizes {min(rotated.sizes)}-{max(rotated.sizes)}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
