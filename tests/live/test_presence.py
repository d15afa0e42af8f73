"""Presence bookkeeping on its own: people counted once however many tabs, versions that only grow."""

from workshop.live.presence import Presence


def test_people_are_counted_once_per_workshop_however_many_tabs():
    presence = Presence()
    presence.arrive("tab-1", workshop_id=1, person_id=10)
    presence.arrive("tab-2", workshop_id=1, person_id=10)
    presence.arrive("tab-3", workshop_id=1, person_id=11)
    presence.arrive("elsewhere", workshop_id=2, person_id=12)
    assert presence.online(1)[0] == {10, 11}
    assert presence.leave("tab-1") == 1
    assert presence.online(1)[0] == {10, 11}
    presence.leave("tab-2")
    assert presence.online(1)[0] == {11}
    assert presence.online(2)[0] == {12}


def test_leaving_an_unknown_connection_changes_nothing():
    presence = Presence()
    presence.arrive("tab", workshop_id=1, person_id=10)
    before = presence.online(1)
    assert presence.leave("never-connected") is None
    assert presence.online(1) == before


def test_versions_only_grow():
    presence = Presence()
    versions = []
    for n in range(50):
        presence.arrive(f"tab-{n}", workshop_id=1, person_id=n)
        versions.append(presence.online(1)[1])
    for n in range(50):
        presence.leave(f"tab-{n}")
        versions.append(presence.online(1)[1])
    assert all(later > earlier for earlier, later in zip(versions, versions[1:]))


def test_versions_after_a_restart_are_above_those_before_it():
    """Open pages reconnect to a restarted server still showing the old versions; new fragments must win."""
    before = Presence()
    for n in range(1000):
        before.arrive(f"tab-{n}", workshop_id=1, person_id=n)
    old_version = before.online(1)[1]
    restarted = Presence()
    restarted.arrive("tab-0", workshop_id=1, person_id=0)
    assert restarted.online(1)[1] > old_version


def test_a_place_counts_the_people_on_that_page_only():
    presence = Presence()
    presence.arrive("room-tab-1", workshop_id=1, person_id=10, session_id=5, place="breakout-room:3")
    presence.arrive("room-tab-2", workshop_id=1, person_id=10, session_id=5, place="breakout-room:3")
    presence.arrive("other-room", workshop_id=1, person_id=11, session_id=5, place="breakout-room:4")
    presence.arrive("plenary", workshop_id=1, person_id=12, session_id=5)

    assert presence.at_place("breakout-room:3") == {10}
    presence.leave("room-tab-1")
    assert presence.at_place("breakout-room:3") == {10}
    presence.leave("room-tab-2")
    assert presence.at_place("breakout-room:3") == set()
    assert presence.in_session(5) == 2
