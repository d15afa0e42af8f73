"""The live pipe over Socket.IO: who may connect, and the online count and names it keeps up to date."""

from __future__ import annotations

import time

import pytest

from workshop.workshops.models import Role


@pytest.fixture
def workshop(make):
    return make.workshop()


# Who may connect ----------------------------------------------------------------------

def test_connect_without_any_session_is_refused(connect, workshop):
    socket = connect(None, workshop.code)
    assert not socket.connected


def test_connect_with_a_client_that_is_not_signed_in_is_refused(app, connect, workshop):
    anonymous = app.test_client()
    anonymous.get("/login")  # has a session cookie, but nobody is signed in with it
    socket = connect(code=workshop.code, signed_in_client=anonymous)
    assert not socket.connected


def test_connect_into_a_workshop_the_person_is_not_a_member_of_is_refused(connect, make, workshop):
    other = make.workshop()
    outsider = make.member(other, Role.ORGANIZER)
    socket = connect(outsider, workshop.code)
    assert not socket.connected


def test_connect_with_an_unknown_workshop_code_is_refused(connect, make, workshop):
    participant = make.member(workshop)
    socket = connect(participant, "NO-SUCH-WORKSHOP")
    assert not socket.connected


@pytest.mark.parametrize("auth", [None, {}, {"workshop": ""}, {"workshop": 42}, {"workshop": None},
                                  {"workshop": ["x"]}, "garbage", ["TEST"], {"other": "x"}],
                         ids=["none", "empty-dict", "empty-code", "number", "null", "list-code", "string",
                              "list", "other-key"])
def test_connect_with_missing_or_garbage_auth_is_refused(connect, make, workshop, auth):
    participant = make.member(workshop)
    socket = connect(participant, auth=auth)
    assert not socket.connected


def test_a_refused_connection_is_not_counted_online(connect, make, workshop):
    outsider = make.member(make.workshop())
    connect(outsider, workshop.code)
    member = make.member(workshop)
    socket = connect(member, workshop.code)
    socket.wait_for(lambda s: s.counts(), what="the first fragment")
    assert socket.counts()[0] == 1


# What a member receives ----------------------------------------------------------------

def test_a_member_gets_the_online_fragment_at_once_on_connect(connect, make, workshop):
    participant = make.member(workshop)
    socket = connect(participant, workshop.code)
    assert socket.connected
    first = socket.collect()  # no waiting: sent during the connect itself
    assert first, "no fragment on connect"
    assert f'id="online-count-{workshop.id}"' in first[0]
    assert 'hx-swap-oob="outerHTML"' in first[0]
    assert socket.counts()[0] == 1


def test_two_participants_connected_both_see_two(connect, make, workshop):
    first = connect(make.member(workshop), workshop.code)
    second = connect(make.member(workshop), workshop.code)
    first.wait_for(lambda s: s.last_count() == 2, what="count 2 on the first socket")
    second.wait_for(lambda s: s.last_count() == 2, what="count 2 on the second socket")


def test_the_same_person_in_two_tabs_counts_once(app, connect, make, workshop):
    participant = make.member(workshop)
    browser = app.test_client()
    make.sign_in(browser, participant)
    tab1 = connect(code=workshop.code, signed_in_client=browser)
    tab2 = connect(code=workshop.code, signed_in_client=browser)
    assert tab1.connected and tab2.connected
    tab2.collect()
    assert tab2.counts() == [1], "the second tab of the same person must not count twice"
    other = connect(make.member(workshop), workshop.code)
    tab1.wait_for(lambda s: s.last_count() == 2, what="the second person counted")
    other.wait_for(lambda s: s.last_count() == 2, what="the newcomer sees both")
    tab2.collect()
    for socket in (tab1, tab2, other):
        assert max(socket.counts()) == 2, "two people, however many tabs"


def test_closing_one_tab_keeps_the_person_online_and_the_last_removes_them(app, connect, make, workshop):
    presence = app.extensions["presence"]
    watcher = connect(make.member(workshop), workshop.code)
    participant = make.member(workshop)
    browser = app.test_client()
    make.sign_in(browser, participant)
    tab1 = connect(code=workshop.code, signed_in_client=browser)
    tab2 = connect(code=workshop.code, signed_in_client=browser)
    watcher.wait_for(lambda s: s.last_count() == 2, what="both people online")

    tab1.disconnect()
    after_one_tab = presence.online(workshop.id)[1]
    watcher.wait_for(lambda s: s.versions()[-1] >= after_one_tab, what="the broadcast after one tab closed")
    assert watcher.last_count() == 2, "one tab closing must not take the person offline"

    tab2.disconnect()
    after_last_tab = presence.online(workshop.id)[1]
    watcher.wait_for(lambda s: s.versions()[-1] >= after_last_tab, what="the broadcast after the last tab closed")
    assert watcher.last_count() == 1


def test_staff_receive_the_names_and_participants_never_do(app, connect, make, workshop):
    organizer = make.member(workshop, Role.ORGANIZER, name="Olga Organizer")
    moderator = make.member(workshop, Role.MODERATOR, name="Mona Moderator")
    participant = make.member(workshop, name="Pita Participant")
    organizer_socket = connect(organizer, workshop.code)
    moderator_socket = connect(moderator, workshop.code)
    participant_socket = connect(participant, workshop.code)
    everyone = ["Mona Moderator", "Olga Organizer", "Pita Participant"]
    for staff in (organizer_socket, moderator_socket):
        staff.wait_for(lambda s: s.names_lists() and s.names_lists()[-1] == everyone,
                       what="all three names for staff")
        assert f'id="online-names-{workshop.id}"' in "".join(staff.fragments)
    participant_socket.wait_for(lambda s: s.last_count() == 3, what="count 3 for the participant")

    participant_fragments = participant_socket.collect()
    participant_socket.disconnect()
    organizer_socket.wait_for(lambda s: s.names_lists()[-1] == ["Mona Moderator", "Olga Organizer"],
                              what="the participant's name gone")

    later = connect(make.member(workshop, name="Lena Later"), workshop.code)
    organizer_socket.wait_for(lambda s: "Lena Later" in s.names_lists()[-1], what="the newcomer's name")
    later.wait_for(lambda s: s.last_count() == 3, what="count 3 for the newcomer")
    time.sleep(3 * app.config["LIVE_FLUSH_SECONDS"])  # absence can only be shown by waiting past a flush
    for fragment in later.collect() + participant_fragments:
        assert "online-names" not in fragment
        for name in everyone + ["Lena Later"]:
            assert name not in fragment


def test_versions_only_grow_across_arrivals_and_departures(connect, make, workshop):
    watcher = connect(make.member(workshop, Role.ORGANIZER), workshop.code)
    sockets = []
    for _ in range(3):
        sockets.append(connect(make.member(workshop), workshop.code))
    watcher.wait_for(lambda s: s.last_count() == 4, what="four online")
    for socket in sockets:
        socket.disconnect()
    watcher.wait_for(lambda s: s.last_count() == 1, what="back to one online")

    versions = watcher.versions()
    assert versions == sorted(versions), f"a fragment went back in version: {versions}"
    # The count and the names sent in one broadcast share a version; successive broadcasts differ.
    per_broadcast = sorted(set(versions))
    assert len(per_broadcast) >= 3
    for socket in sockets:
        assert socket.versions() == sorted(socket.versions())
