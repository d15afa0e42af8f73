"""The response rate reaches the organizers' pages live, and no one else's; the sweep's opening too."""

from __future__ import annotations

import re

from tests.evaluation.conftest import answer_form
from workshop.db import db
from workshop.evaluation import services

RATE = re.compile(r'id="evaluation-rate" class="evaluation-rate" data-version="(\d+)"[^>]*>.*?'
                  r'data-testid="responded">(\d+)</strong>', re.S)


def rates(socket) -> list[tuple[int, int]]:
    return [(int(version), int(count)) for fragment in socket.collect() for version, count in RATE.findall(fragment)]


def test_each_response_raises_the_organizers_rate(scene, prepared, connect):
    organizer = connect(scene.organizer, scene.code)
    participant = connect(scene.participants[5], scene.code)
    moderator = connect(scene.moderator, scene.code)
    for n, person in enumerate(scene.participants[:2], 1):
        services.respond(scene.evaluation(), person, scene.membership(person), answer_form(prepared))
        organizer.wait_for(lambda s: any(count == n for _, count in rates(s)), what=f"the rate at {n}")
    seen = rates(organizer)
    assert [version for version, _ in seen] == sorted(version for version, _ in seen)  # versions only grow
    assert 'hx-swap-oob="true"' in next(f for f in organizer.fragments if "evaluation-rate" in f)
    assert not rates(participant) and not rates(moderator)


def test_the_sweep_opening_it_reaches_the_organizers(scene, connect):
    evaluation = services.prepare(scene.workshop, scene.organizer)
    services.update_settings(evaluation, True, True, scene.organizer)
    db.session.commit()
    organizer = connect(scene.organizer, scene.code)
    assert services.open_due_evaluations() == [evaluation.id]
    organizer.wait_for(lambda s: any('data-testid="evaluation-state">open<' in f for f in s.collect()),
                       what="the evaluation opened")
