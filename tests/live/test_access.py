"""Refusals say why, and ending a person's access ends their open sockets (one process; workers: tests/scale)."""

from __future__ import annotations

import threading
import time

import pytest
from flask.sessions import SecureCookieSessionInterface
from socketio import packet
from sqlalchemy import delete, event, func, select

from tests.breakouts.conftest import add_session as add_breakout_session
from tests.polls.conftest import add_session
from workshop.breakouts import services as breakouts
from workshop.db import db, utcnow
from workshop.errors import Reason
from workshop.extensions import socketio
from workshop.live import handlers, identity
from workshop.live.access import ACCESS_ENDED_EVENT, REFUSALS, end_live_access
from workshop.polls import services as polls
from workshop.accounts.models import Invite
from workshop.polls.models import Ballot
from workshop.workshops.models import Membership, Role
from workshop.workshops.permissions import Refused

DISCONNECTED_WITHIN = 5.0  # seconds: the budget; in one process it takes milliseconds


@pytest.fixture
def workshop(make):
    return make.workshop()


@pytest.fixture
def refusals(app, monkeypatch):
    """What the server sent with each refused connection, in order: ``{"message": ..., "data": ...}``.

    Flask-SocketIO's test client only notes that a connection was refused; the packet the
    server builds for it carries what socket.io-client hands to ``connect_error``.
    """
    seen: list[dict] = []

    class Recording(packet.Packet):
        def __init__(self, packet_type=packet.EVENT, data=None, *args, **kwargs):
            super().__init__(packet_type, data, *args, **kwargs)
            if packet_type == packet.CONNECT_ERROR:
                seen.append(data)

    monkeypatch.setattr(socketio.server, "packet_class", Recording)
    return seen


@pytest.fixture
def wire(app):
    """``wire()``: from now on, every packet the server sends as ``(eio_sid, type, event name or None)``, in order."""
    sent: list[tuple[str, int, str | None]] = []

    def record():
        server = socketio.server
        send_packet, send_eio_packet = server._send_packet, server._send_eio_packet

        def on_packet(eio_sid, pkt):
            sent.append((eio_sid, pkt.packet_type, pkt.data[0] if pkt.packet_type == packet.EVENT else None))
            send_packet(eio_sid, pkt)

        def on_eio_packet(eio_sid, eio_pkt):
            decoded = packet.Packet(encoded_packet=eio_pkt.data)
            sent.append((eio_sid, decoded.packet_type,
                         decoded.data[0] if decoded.packet_type == packet.EVENT else None))
            send_eio_packet(eio_sid, eio_pkt)

        # The test client replaces these when it is made: record after the last socket was opened.
        server._send_packet, server._send_eio_packet = on_packet, on_eio_packet
        return sent

    return record


def refused_with(socket, refusals) -> dict:
    assert not socket.connected, "the connection was accepted"
    assert refusals, "refused without a word"
    return refusals[-1]


def online(app, workshop) -> set[int]:
    return app.extensions["presence"].online(workshop.id)[0]


def custom_rooms() -> list[str]:
    """The rooms of this process other than each socket's own (python-socketio keeps one per sid)."""
    rooms = socketio.server.manager.rooms.get("/", {})
    return sorted(room for room in rooms if isinstance(room, str) and ":" in room)


# Refusals say why -----------------------------------------------------------------------

def test_every_reason_has_words_for_the_page():
    assert set(Reason) <= REFUSALS.keys()
    for refusal in REFUSALS.values():
        assert refusal.message.endswith("."), refusal
        assert "refused" not in refusal.message.lower(), "words for a participant, not for a developer"


@pytest.mark.parametrize("reason", list(Reason))
def test_each_refusal_of_the_access_check_reaches_the_page_with_its_reason(connect, make, workshop, refusals,
                                                                          monkeypatch, reason):
    def refuse(code, action):
        raise Refused(403, "what the route would say", reason)

    monkeypatch.setattr(handlers, "authorize", refuse)
    socket = connect(make.member(workshop), workshop.code)
    said = refused_with(socket, refusals)
    assert said == {"message": REFUSALS[reason].message,
                    "data": {"reason": reason.value, "retry": False, "action": REFUSALS[reason].action}}


def test_a_page_that_is_not_signed_in_is_told_to_sign_in(app, connect, workshop, refusals):
    anonymous = app.test_client()
    anonymous.get("/login")
    said = refused_with(connect(code=workshop.code, signed_in_client=anonymous), refusals)
    assert said["data"] == {"reason": "signed out", "retry": False, "action": "sign in"}
    assert said["message"].startswith("You were signed out")


def test_a_revoked_invite_link_is_named_as_such(app, connect, make, workshop, invite_path, refusals):
    participant = make.member(workshop)
    browser = app.test_client()
    link = invite_path(participant, workshop)
    browser.post(link, data={"csrf_token": make.csrf_token(browser, link)})
    assert connect(code=workshop.code, signed_in_client=browser).connected, "the invite's session works at first"
    for invite in db.session.scalars(select(Invite).where(Invite.person_id == participant.id)):
        invite.revoked_at = utcnow()
    db.session.commit()
    said = refused_with(connect(code=workshop.code, signed_in_client=browser), refusals)
    assert said["data"] == {"reason": "invite revoked", "retry": False, "action": None}
    assert "withdrawn by the organizers" in said["message"]


def test_an_outsider_and_an_unknown_workshop_are_told_apart(connect, make, workshop, refusals):
    outsider = make.member(make.workshop())
    assert refused_with(connect(outsider, workshop.code), refusals)["data"]["reason"] == "not a member"
    member = make.member(workshop)
    assert refused_with(connect(member, "NO-SUCH-CODE"), refusals)["data"]["reason"] == "no workshop"


@pytest.mark.parametrize("auth", [None, {"workshop": ""}, {"workshop": 42}, "garbage"])
def test_a_connection_that_does_not_say_its_workshop_is_told_to_reload(connect, make, workshop, refusals, auth):
    said = refused_with(connect(make.member(workshop), auth=auth), refusals)
    assert said["data"] == {"reason": "bad request", "retry": False, "action": "reload"}


# A refused connection joins nothing and counts nowhere -------------------------------------

def test_a_connection_refused_on_its_session_leaves_no_one_online_and_no_room(app, connect, make, workshop,
                                                                             refusals):
    watcher = connect(make.member(workshop, Role.ORGANIZER), workshop.code)
    rooms_before = custom_rooms()
    late = make.member(workshop)
    for session in (999_999, True, "1"):
        said = refused_with(connect(late, auth={"workshop": workshop.code, "session": session}), refusals)
        assert said["data"] == {"reason": "no session", "retry": False, "action": "reload"}
    assert custom_rooms() == rooms_before
    assert late.id not in online(app, workshop)

    other = make.member(workshop)
    connect(other, workshop.code)
    watcher.wait_for(lambda s: s.last_count() == 2, what="the next arrival counted")
    time.sleep(3 * app.config["LIVE_FLUSH_SECONDS"])  # a count of 3 could only show after another flush
    watcher.collect()
    assert max(watcher.counts()) == 2, "the refused person was counted online"


def test_a_connection_refused_on_its_breakout_room_leaves_no_one_online_and_no_room(app, connect, make, refusals):
    workshop = make.workshop()
    session = add_breakout_session(workshop)
    participant = make.member(workshop)
    for _ in range(3):
        make.member(workshop)
    round_ = breakouts.create_round(session, {"mode": "diverse", "rooms_by": "count", "room_count": "2",
                                              "duration_minutes": "20"})
    db.session.commit()
    breakouts.generate_preview(round_)
    db.session.commit()
    db.session.refresh(round_)
    auth = {"workshop": workshop.code, "session": session.id, "breakout_room": round_.rooms[0].id}

    said = refused_with(connect(participant, auth=auth), refusals)  # the round has not started
    assert said["data"] == {"reason": "breakout room", "retry": False, "action": "reload"}
    assert said["message"].startswith("This breakout round is not running.")
    assert custom_rooms() == []
    assert online(app, workshop) == set()
    assert app.extensions["presence"].in_session(session.id) == 0


def test_a_connection_refused_on_its_workshop_leaves_no_one_online_and_no_room(app, connect, make, workshop,
                                                                              refusals):
    outsider = make.member(make.workshop())
    refused_with(connect(outsider, workshop.code), refusals)
    assert custom_rooms() == []
    assert online(app, workshop) == set()
    assert app.extensions["presence"].online(workshop.id)[1] == 0, "presence was never touched"


# Ending access --------------------------------------------------------------------------

def test_ending_access_in_a_workshop_tells_and_disconnects_only_that_workshops_pages(app, connect, make, wire):
    here, there = make.workshop(), make.workshop()
    person = make.member(here)
    db.session.add(Membership(workshop_id=there.id, person_id=person.id, role=Role.PARTICIPANT))
    db.session.commit()
    session = add_session(here)
    browser = app.test_client()
    make.sign_in(browser, person)
    tabs_here = [connect(code=here.code, signed_in_client=browser),
                 connect(auth={"workshop": here.code, "session": session.id}, signed_in_client=browser)]
    tab_there = connect(code=there.code, signed_in_client=browser)
    watcher = connect(make.member(here), here.code)
    watcher.wait_for(lambda s: s.last_count() == 2, what="both people online")
    sent = wire()

    started = time.monotonic()
    end_live_access(person.id, here.id, Reason.REMOVED)
    assert time.monotonic() - started < DISCONNECTED_WITHIN
    for tab in tabs_here:
        assert not tab.connected
        assert [m for m in tab.client.queue if m["name"] == ACCESS_ENDED_EVENT] == [
            {"name": ACCESS_ENDED_EVENT, "args": [REFUSALS[Reason.REMOVED].event()], "namespace": "/"}]
        mine = [(kind, event) for eio_sid, kind, event in sent if eio_sid == tab.client.eio_sid]
        assert mine == [(packet.EVENT, ACCESS_ENDED_EVENT), (packet.DISCONNECT, None)], "the reason comes first"
    assert tab_there.connected and watcher.connected
    assert not any(m["name"] == ACCESS_ENDED_EVENT for m in tab_there.client.queue + watcher.client.queue)
    assert person.id not in online(app, here) and person.id in online(app, there)
    watcher.wait_for(lambda s: s.last_count() == 1, what="the person gone from the online count")


def test_ending_access_everywhere_disconnects_every_page_of_the_person_and_no_one_else(app, connect, make):
    first, second = make.workshop(), make.workshop()
    person = make.member(first)
    db.session.add(Membership(workshop_id=second.id, person_id=person.id, role=Role.MODERATOR))
    db.session.commit()
    tabs = [connect(person, first.code), connect(person, second.code)]
    other = connect(make.member(first), first.code)

    end_live_access(person.id, None, Reason.SIGNED_OUT)
    for tab in tabs:
        assert not tab.connected
        assert [m["args"] for m in tab.client.queue if m["name"] == ACCESS_ENDED_EVENT] == [
            [{"reason": "signed out", "retry": False, "action": "sign in",
              "message": REFUSALS[Reason.SIGNED_OUT].message}]]
    assert other.connected
    assert person.id not in online(app, first) | online(app, second)


def test_access_given_again_after_it_ended_connects(connect, make, workshop):
    person = make.member(workshop)
    end_live_access(person.id, workshop.id, Reason.INVITE_REVOKED)  # say a new link was issued: still a member
    assert connect(person, workshop.code).connected


def test_a_connection_checked_just_before_the_revocation_is_refused_when_it_joins(app, connect, make, workshop,
                                                                                  refusals, monkeypatch):
    """The check read the membership; the organizer's removal committed and ended access before the join."""
    person = make.member(workshop)
    real_authorize = handlers.authorize

    def authorize_then_removed(code, action):
        found = real_authorize(code, action)
        db.session.execute(delete(Membership).where(Membership.person_id == person.id))
        db.session.commit()
        end_live_access(person.id, workshop.id, Reason.REMOVED)
        return found

    monkeypatch.setattr(handlers, "authorize", authorize_then_removed)
    said = refused_with(connect(person, workshop.code), refusals)
    assert said == {"message": REFUSALS[Reason.REMOVED].message,
                    "data": {"reason": "removed", "retry": False, "action": None}}
    assert custom_rooms() == [] and online(app, workshop) == set()


def test_a_connection_still_connecting_when_access_ends_is_ended_once_connected(app, connect, make, workshop,
                                                                                monkeypatch):
    person = make.member(workshop)
    real_render = handlers.render_online

    def render_and_meanwhile_removed(*args, **kwargs):
        end_live_access(person.id, workshop.id, Reason.REMOVED)  # while the connect handler still runs
        return real_render(*args, **kwargs)

    monkeypatch.setattr(handlers, "render_online", render_and_meanwhile_removed)
    socket = connect(person, workshop.code)
    deadline = time.monotonic() + DISCONNECTED_WITHIN
    while socket.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not socket.connected
    assert [m["args"][0]["reason"] for m in socket.client.queue if m["name"] == ACCESS_ENDED_EVENT] == ["removed"]
    assert online(app, workshop) == set()


def open_poll_page(connect, person, workshop):
    session = add_session(workshop)
    poll = polls.create_poll(session, {"kind": "single choice", "question": "Which?", "options": "A\nB",
                                       "allow_change": "y"})
    db.session.commit()
    polls.open_poll(poll)
    db.session.commit()
    return connect(person, auth={"workshop": workshop.code, "session": session.id}), poll


def vote(socket, poll, option: int = 0) -> dict:
    return socket.client.emit("vote", {"poll": poll.id, "answer": {"option": poll.options[option].id}}, callback=True)


def statements_during(action) -> list[str]:
    """What ``action`` asks the database in this thread (the test client runs the handlers here; broadcasts run
    in threads of their own)."""
    seen, here = [], threading.get_ident()

    def listener(conn, cursor, statement, *rest):
        if threading.get_ident() == here:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return seen


def test_the_events_of_a_connection_check_access_with_the_person_and_membership_read_when_it_connected(
        connect, make, workshop):
    person = make.member(workshop)
    socket, poll = open_poll_page(connect, person, workshop)
    statements = statements_during(lambda: vote(socket, poll))
    assert not [s for s in statements if "FROM person" in s or "FROM membership" in s or "FROM invite" in s]
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1


def test_the_events_of_a_connection_use_its_session_without_reading_the_cookie_again(connect, make, workshop,
                                                                                    monkeypatch):
    person = make.member(workshop)
    socket, poll = open_poll_page(connect, person, workshop)
    vote(socket, poll)  # the first event keeps the connection's session
    decoded = []
    real = SecureCookieSessionInterface.open_session
    monkeypatch.setattr(SecureCookieSessionInterface, "open_session",
                        lambda self, app, request: decoded.append(request.path) or real(self, app, request))
    assert [vote(socket, poll, option)["ok"] for option in (1, 0)] == [True, True]
    assert [path for path in decoded if path.startswith("/socket.io")] == []  # broadcasts run requests of their own


def test_a_membership_ended_unannounced_refuses_the_events_once_the_identity_is_read_again(
        connect, make, workshop, monkeypatch):
    """Should a worker miss the order (the queue away), the connection's identity is read again within
    IDENTITY_SECONDS, and from then on its events are refused."""
    person = make.member(workshop)
    socket, poll = open_poll_page(connect, person, workshop)
    db.session.execute(delete(Membership).where(Membership.person_id == person.id))
    db.session.commit()
    monkeypatch.setattr(identity, "IDENTITY_SECONDS", 0)

    answer = vote(socket, poll)
    assert answer["ok"] is False and answer["reason"] == "not a member", answer
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def test_an_invite_link_that_expires_while_connected_refuses_the_next_event(app, connect, make, workshop,
                                                                              invite_path, monkeypatch):
    from datetime import timedelta

    from workshop.accounts import services as accounts

    participant = make.member(workshop)
    browser = app.test_client()
    link = invite_path(participant, workshop)
    browser.post(link, data={"csrf_token": make.csrf_token(browser, link)})
    socket, poll = open_poll_page(lambda *args, **kwargs: connect(signed_in_client=browser, **kwargs),
                                  participant, workshop)
    assert vote(socket, poll)["ok"] is True
    expires_at = db.session.scalar(select(Invite.expires_at).where(Invite.person_id == participant.id))
    later = lambda: expires_at + timedelta(seconds=1)  # noqa: E731
    monkeypatch.setattr(identity, "utcnow", later)
    monkeypatch.setattr(accounts, "utcnow", later)

    answer = vote(socket, poll, option=1)
    assert answer["ok"] is False and answer["reason"] == "invite expired", answer


def test_a_connection_refused_after_it_was_counted_is_taken_off_the_count(app, connect, make, workshop, refusals,
                                                                         monkeypatch):
    """The database goes away while the newcomer's state is rendered: refused (try again), and not left online."""
    from sqlalchemy.exc import OperationalError

    def database_gone(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(handlers, "render_online", database_gone)
    person = make.member(workshop)
    said = refused_with(connect(person, workshop.code), refusals)
    assert said["data"] == {"retry": True}
    assert online(app, workshop) == set()
    assert custom_rooms() == []
