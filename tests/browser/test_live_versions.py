"""The page keeps the newest state whatever order fragments arrive in: a reconnecting page's snapshot, read
before a vote but emitted after the vote's broadcast reached the page, does not roll the page back; and a
page whose network drops out for ten seconds of a vote storm ends on the final tally and its own room.

The race is made for real on the server: the snapshot of a connecting socket is held between its reads and
its emit while a vote is committed and its broadcast is delivered to that socket. What that socket received,
in the order received, is then handed to a real session page in Chromium through its own fragment handler,
so the page's own rule for versions (live.js) decides what it shows.
"""

from __future__ import annotations

import re
import threading
import time

import pytest
import socketio
from playwright.sync_api import expect

from tests.breakouts.conftest import scene  # noqa: F401  (fixture)
from tests.live.conftest import connect  # noqa: F401  (fixture)
from tests.polls.conftest import room  # noqa: F401  (fixture)
from workshop.breakouts import services
from workshop.db import db
from workshop.live.broadcast import coalescer
from workshop.polls import live as polls_live
from workshop.polls import services as polls
from workshop.polls.models import Poll, PollKind

pytestmark = pytest.mark.browser
HOLD_SECONDS = 10  # the held snapshot waits at most this long for the test to release it

VERSION_OF = r'id="{}"[^>]*data-version="(\d+)"'


def version(fragment: str, element_id: str) -> int:
    return int(re.search(VERSION_OF.format(element_id), fragment).group(1))


def test_a_snapshot_overtaken_by_a_broadcast_leaves_the_page_on_the_newer_tally(app, room, make, connect,
                                                                              open_context, sign_in, monkeypatch):
    poll = room.poll(PollKind.SINGLE.value, results_visible="y")
    reader, voter = room.participants[:2]
    voters = f"#poll-results-{poll.id} [data-testid=voters]"
    context = open_context()
    sign_in(context, reader)
    page = context.new_page()
    page.goto(f"/w/{room.workshop.code}/s/{room.session.id}")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator(voters)).to_have_text("0")
    page.evaluate("window.workshopSocket.disconnect()")  # from now on the page hears only what the test hands it

    rendered, release = threading.Event(), threading.Event()
    render_snapshot = polls_live.render_session_polls

    def held_snapshot(session, person):
        html = render_snapshot(session, person)  # every read of the snapshot is done
        rendered.set()
        assert release.wait(HOLD_SECONDS), "the test never released the snapshot"
        return html

    monkeypatch.setattr(polls_live, "render_session_polls", held_snapshot)
    flask_client = app.test_client()
    make.sign_in(flask_client, reader)
    joined = []
    joining = threading.Thread(target=lambda: joined.append(connect(
        reader, auth={"workshop": room.workshop.code, "session": room.session.id}, signed_in_client=flask_client)))
    joining.start()
    assert rendered.wait(HOLD_SECONDS), "the connecting socket never rendered its snapshot"
    polls.cast_vote(poll.id, voter, {"option": poll.options[0].id})
    coalescer().flush()  # the vote's broadcast reaches the socket, which joined its rooms before the snapshot
    release.set()
    joining.join(HOLD_SECONDS)
    received = joined[0].collect()

    results = f"poll-results-{poll.id}"
    broadcast = next(i for i, f in enumerate(received) if f'id="{results}"' in f and 'id="session-polls"' not in f)
    snapshot = next(i for i, f in enumerate(received) if 'id="session-polls"' in f)
    assert broadcast < snapshot, "the race happened: the newer broadcast arrived before the older snapshot"
    assert version(received[snapshot], results) < version(received[broadcast], results)

    for fragment in received:
        page.evaluate("html => window.workshopSocket.listeners('fragment').forEach(apply => apply(html))", fragment)
    expect(page.locator(voters)).to_have_text("1")
    assert int(page.locator(f"#{results}").get_attribute("data-version")) == version(received[broadcast], results)
    assert context.console.errors == []


# A network that drops out during a vote storm ------------------------------------------------------------

OFFLINE_SECONDS = 10
STORM_PAUSE_SECONDS = 0.5  # a vote each half second, the pace one person may vote at (WORKSHOP_VOTE_LIMIT)


def voter_tab(app, live_server: str, person, workshop, session) -> socketio.Client:
    """Another participant's page on the real server: a Socket.IO client with that person's session cookie."""
    cookie = app.session_interface.get_signing_serializer(app).dumps({"_user_id": person.get_id(), "_fresh": True})
    client = socketio.Client(reconnection=False)
    client.connect(live_server, headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"},
                   auth={"workshop": workshop.code, "session": session.id}, transports=["websocket"],
                   wait_timeout=10)
    return client


def test_a_page_offline_for_ten_seconds_of_a_vote_storm_ends_on_the_final_tally_and_its_room(
        app, scene, live_server, open_context, sign_in):
    person, voters = scene.participants[0], scene.participants[1:]
    poll = polls.create_poll(scene.session, {"kind": PollKind.SINGLE.value, "question": "Which method first?",
                                             "options": "Open tender\nFramework agreement\nDirect award",
                                             "results_visible": "y", "allow_change": "y"})
    db.session.commit()
    polls.open_poll(poll)
    db.session.commit()
    round_ = scene.round()
    context = open_context()
    sign_in(context, person)
    page = context.new_page()
    page.goto(f"/w/{scene.code}/s/{scene.session.id}")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator(f"#poll-results-{poll.id} [data-testid=voters]")).to_have_text("0")
    tabs = [voter_tab(app, live_server, voter, scene.workshop, scene.session) for voter in voters]

    # The network goes: no new connection gets through, and the open one breaks as a dropped line does.
    context.set_offline(True)
    page.evaluate("window.workshopSocket.io.engine.close()")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "offline")
    went_offline = time.monotonic()
    acks = []
    while time.monotonic() - went_offline < OFFLINE_SECONDS:
        for n, tab in enumerate(tabs):
            option = poll.options[(n + len(acks)) % len(poll.options)].id
            acks.append(tab.call("vote", {"poll": poll.id, "answer": {"option": option}}, timeout=10))
        if len(acks) == len(tabs):  # meanwhile the round opens, and the person is moved to another room
            services.start_round(round_)
            db.session.commit()
            first_room = services.room_of(round_.id, person.id)
            services.move_person(round_, person.id, next(r for r in round_.rooms if r.id != first_room.id).id)
            db.session.commit()
        time.sleep(STORM_PAUSE_SECONDS)
    assert all(ack["ok"] for ack in acks), [ack for ack in acks if not ack["ok"]]
    context.set_offline(False)

    expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=15_000)
    expect(page.locator(f"#poll-results-{poll.id} [data-testid=voters]")).to_have_text(str(len(voters)))
    final_room = services.room_of(round_.id, person.id)
    expect(page.get_by_test_id("breakout-announce")).to_have_text(f"You are in {final_room.label}.")
    final = polls.results(db.session.get(Poll, poll.id))
    expect(page.locator(f"#poll-results-{poll.id} .bar-figure")).to_have_text(
        [f"{bar.count} · {bar.percent}%" for bar in final.bars])
    for tab in tabs:
        tab.disconnect()
