"""Questions (3 a minute) and upvotes (60 a minute) are limited per person: the next is refused in the
acknowledgement with a clear message, nothing of it is stored, and the socket stays connected. The count is
atomic: twenty asks at the same instant by one person against the real server store exactly three.
Both come only over the socket."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import socketio

from tests.live.server import running_server
from tests.polls.test_load import session_cookie
from tests.qa.conftest import question_count, questions_revision, stored, vote_count
from tests.qa.test_sockets import ask
from workshop.qa.models import QuestionStatus

QUESTION_LIMIT, UPVOTE_LIMIT = 3, 60
TABS = 20


def test_the_question_after_the_limit_is_refused_and_the_socket_stays(room, join, send):
    socket = join(room.participants[0])
    for n in range(QUESTION_LIMIT):
        assert ask(send, socket, room, f"Question number {n}?")["ok"] is True

    ack = ask(send, socket, room, "One too many?")

    assert ack["ok"] is False and ack["status"] == 429
    assert ack["message"].startswith("You are asking questions too fast; wait ")
    assert question_count() == QUESTION_LIMIT
    assert socket.connected
    # The socket still works: an upvote, counted apart from questions, goes through.
    question = room.ask(room.participants[1])
    assert send(socket, "qa_upvote", {"question": question.id, "on": True})["ok"] is True


def test_the_upvote_after_the_limit_is_refused_and_nothing_changes(room, join, send):
    question = room.ask(room.participants[1])
    socket = join(room.participants[0])
    for n in range(UPVOTE_LIMIT):  # adding and taking back: each is an upvote action
        assert send(socket, "qa_upvote", {"question": question.id, "on": n % 2 == 0})["ok"] is True, n
    revision = questions_revision(room.session.id)

    ack = send(socket, "qa_upvote", {"question": question.id, "on": True})

    assert ack["ok"] is False and ack["status"] == 429
    assert ack["message"].startswith("You are upvoting too fast; wait ")
    assert vote_count(question.id) == 0
    assert stored(question.id).votes == 0 and questions_revision(room.session.id) == revision
    assert socket.connected


def test_twenty_simultaneous_asks_by_one_person_against_the_real_server_store_exactly_three(
        app, room, database_url, tmp_path):
    cookie = session_cookie(app, room.participants[0])
    auth = {"workshop": room.workshop.code, "session": room.session.id}
    start = threading.Barrier(TABS)

    def open_tab(base_url: str) -> socketio.Client:
        tab = socketio.Client(reconnection=False, request_timeout=20, websocket_extra_options={"origin": base_url})
        tab.connect(base_url, headers={"Cookie": cookie}, auth=auth, transports=["websocket"], wait_timeout=20)
        return tab

    def ask_at_once(n: int) -> dict:
        start.wait(timeout=20)
        return tabs[n].call("qa_ask", {"session": room.session.id, "text": f"Simultaneous question {n}?"},
                            timeout=30)

    with running_server(database_url, tmp_path) as base_url, ThreadPoolExecutor(max_workers=TABS) as pool:
        # Its own server: the shared one would keep this person's count for the next test with their id.
        tabs = list(pool.map(lambda _: open_tab(base_url), range(TABS)))
        try:
            acks = list(pool.map(ask_at_once, range(TABS)))
            connected = [tab.connected for tab in tabs]
        finally:
            # All at once: each client's disconnect waits for its reader thread to end.
            list(pool.map(lambda tab: tab.disconnect(), tabs))

    assert sorted(ack["ok"] for ack in acks) == [False] * (TABS - QUESTION_LIMIT) + [True] * QUESTION_LIMIT
    refused = [ack for ack in acks if not ack["ok"]]
    assert {ack["status"] for ack in refused} == {429}
    assert all(ack["message"].startswith("You are asking questions too fast") for ack in refused)
    assert question_count() == QUESTION_LIMIT
    assert all(stored(ack["question"]).status == QuestionStatus.APPROVED for ack in acks if ack["ok"])
    assert all(connected)
