"""What follows people coming and going reaches a big room at most every so often, and its last state always."""

from __future__ import annotations

import time

from flask import Flask

from workshop.live.broadcast import PRESENCE_SPACING_PER_PAGE, Coalescer, presence_spacing

INTERVAL = 0.05
SPACING = 0.4


def test_a_spaced_key_runs_at_most_once_per_spacing_and_its_last_mark_is_not_dropped():
    coalescer = Coalescer(Flask(__name__), INTERVAL)
    coalescer._running = True  # inside its flush loop: the test flushes by hand
    ran: list[tuple[str, float]] = []
    coalescer.mark("online", lambda: ran.append(("first", time.monotonic())), spacing=SPACING)
    coalescer.flush()
    coalescer.mark("online", lambda: ran.append(("second", time.monotonic())), spacing=SPACING)
    coalescer.flush()
    assert [what for what, _ in ran] == ["first"]  # too soon: kept for a later flush
    assert "online" in coalescer._pending
    time.sleep(SPACING + 0.05)
    coalescer.flush()
    assert [what for what, _ in ran] == ["first", "second"]
    assert ran[1][1] - ran[0][1] >= SPACING


def test_keys_without_spacing_run_at_every_flush_beside_a_spaced_one():
    coalescer = Coalescer(Flask(__name__), INTERVAL)
    coalescer._running = True
    ran: list[str] = []
    coalescer.mark("online", lambda: ran.append("online"), spacing=SPACING)
    coalescer.flush()
    coalescer.mark("online", lambda: ran.append("online"), spacing=SPACING)
    coalescer.mark("results", lambda: ran.append("results"))
    coalescer.flush()
    assert ran == ["online", "results"]


def test_the_spacing_grows_with_the_pages_of_the_room_up_to_its_maximum(app, make, connect):
    workshop = make.workshop()
    people = [make.member(workshop) for _ in range(3)]
    room = f"workshop:{workshop.id}"
    assert presence_spacing(room) == 0
    for person in people:
        connect(person, workshop.code)
    assert presence_spacing(room) == 3 * PRESENCE_SPACING_PER_PAGE
