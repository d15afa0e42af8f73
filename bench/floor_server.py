"""The floors of bench/live_polls.py and bench/live_qa.py: a bare python-socketio server on the same gevent server.

No database, no sign-in, no templates: actions are counted in memory, each
acknowledged at once with its new revision, and changes go out at most once per
flush interval (a change marks its key; a flush one interval later sends what
changed, and flushes go on while changes keep coming), as the app's coalescer
does. The messages have the app's shapes and ids, so the same pages time both:
fragments whose top-level elements carry ``hx-swap-oob`` (or ``data-append-to``)
and ``data-version``, and for Q&A ``qa_counts``. Every connection joins the
session's room; a connection with the moderator's session cookie (environment
FLOOR_STAFF_COOKIE) also joins the desk room. A connection first gets the current
state, each element with its version.

- polls: ``POST /open`` opens poll 1 (its card to everyone at once, as the app's
  open request does); ``vote`` counts; a flush sends the results to the room and
  the staff results (with turnout) to the desk.
- qa: ``qa_ask`` adds a question, ``qa_upvote`` counts; each question has a
  revision that grows with every change. A flush sends the new questions in one
  fragment to the room (a copy to add, a copy to swap) and their queue cards to
  the desk, and the changed counts in one ``qa_counts`` message to the room.

    python bench/floor_server.py polls|qa PORT [FLUSH_SECONDS]
"""

import os
import sys
from html import escape

from gevent import monkey

monkey.patch_all()

import socketio  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402

from workshop.serve import no_delay_handler  # noqa: E402

ROOM, DESK = "session", "desk"
server = socketio.Server(async_mode="gevent")


class Flusher:
    """Send ``flush()`` one interval after a change, and again while changes keep coming."""

    def __init__(self, interval: float, flush):
        self.interval, self.flush = interval, flush
        self.pending = self.running = False

    def mark(self) -> None:
        self.pending = True
        if not self.running:
            self.running = True
            server.start_background_task(self._run)

    def _run(self) -> None:
        while True:
            server.sleep(self.interval)
            self.pending = False
            self.flush()
            if not self.pending:
                self.running = False
                return


def join(sid: str, environ: dict, auth) -> int:
    """Into the session's room, and the desk's if staff; returns the session id the page asked for."""
    server.enter_room(sid, ROOM)
    if environ.get("HTTP_COOKIE") == os.environ.get("FLOOR_STAFF_COOKIE"):
        server.enter_room(sid, DESK)
    return auth.get("session", 0) if isinstance(auth, dict) else 0


class Polls:
    POLL = 1

    def __init__(self, interval: float):
        self.counts: dict[int, int] = {}
        self.revision = 0
        self.open = False
        self.online = 0  # the desk's turnout shows it
        self.flusher = Flusher(interval, self.flush)

    def results(self, staff: bool = False, oob: bool = True) -> str:
        prefix = "poll-staff-results" if staff else "poll-results"
        bars = "".join(f'<li data-option="{option}">{count}</li>' for option, count in sorted(self.counts.items()))
        turnout = f'<p class="turnout">{self.online} online</p>' if staff else ""
        swap = ' hx-swap-oob="outerHTML"' if oob else ""
        return (f'<div id="{prefix}-{self.POLL}" class="poll-results" data-version="{self.revision}"{swap}>'
                f'{turnout}<p class="voters"><span data-testid="voters">{sum(self.counts.values())}</span></p>'
                f'<ol>{bars}</ol></div>')

    def card(self) -> str:
        return (f'<article id="poll-{self.POLL}" class="poll" data-append-to="session-polls">'
                f'<div id="poll-body-{self.POLL}" class="poll-body" data-version="{self.revision}">'
                f'<h3>Which option?</h3></div>{self.results(oob=False)}</article>')

    def on_connect(self, sid, environ, auth=None) -> None:
        join(sid, environ, auth)
        self.online += 1
        if self.open:
            server.emit("fragment", self.card() + self.results(), to=sid)
            if environ.get("HTTP_COOKIE") == os.environ.get("FLOOR_STAFF_COOKIE"):
                server.emit("fragment", self.results(staff=True), to=sid)

    def on_disconnect(self, sid) -> None:
        self.online -= 1

    def on_vote(self, sid, data):
        data = data if isinstance(data, dict) else {}
        option = data.get("answer", {}).get("option")
        if not self.open or data.get("poll") != self.POLL or not isinstance(option, int):
            return {"ok": False, "message": "Choose one of the poll's options."}
        self.counts[option] = self.counts.get(option, 0) + 1
        self.revision += 1
        self.flusher.mark()
        return {"ok": True, "version": self.revision}

    def open_poll(self) -> None:
        self.open = True
        self.revision += 1
        server.emit("fragment", self.card() + self.results(), to=ROOM)
        self.flusher.mark()

    def flush(self) -> None:
        server.emit("fragment", self.results(), to=ROOM)
        server.emit("fragment", self.results(staff=True), to=DESK)

    def serve(self, environ, start_response):
        """``POST /open``: the moderator opens the poll."""
        if environ["PATH_INFO"] != "/open" or environ["REQUEST_METHOD"] != "POST":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        self.open_poll()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"open"]


class Questions:
    def __init__(self, interval: float):
        self.session = 0
        self.questions: dict[int, dict] = {}
        self.changed: dict[int, bool] = {}  # id -> whole (new) rather than its count only
        self.flusher = Flusher(interval, self.flush)

    def item(self, question_id: int, append: bool) -> str:
        question = self.questions[question_id]
        where = f'data-append-to="questions-{self.session}"' if append else 'hx-swap-oob="outerHTML"'
        return (f'<li id="question-{question_id}" class="question status-approved"'
                f' data-version="{question["revision"]}" data-votes="{question["votes"]}" {where}>'
                f'<p class="question-text" id="question-text-{question_id}">{escape(question["text"])}</p>'
                f'<strong data-testid="votes">{question["votes"]}</strong></li>')

    def card(self, question_id: int, append: bool) -> str:
        question = self.questions[question_id]
        where = f'data-append-to="queue-{self.session}"' if append else 'hx-swap-oob="outerHTML"'
        return (f'<li id="queue-question-{question_id}" class="queue-card" data-version="{question["revision"]}"'
                f' data-votes="{question["votes"]}" {where}><p class="question-text" id="queue-text-{question_id}">'
                f'{escape(question["text"])}</p></li>')

    def whole(self, question_ids, render) -> str:
        return "".join(render(q, True) + render(q, False) for q in question_ids)

    def on_connect(self, sid, environ, auth=None) -> None:
        self.session = join(sid, environ, auth)
        if self.questions:
            server.emit("fragment", self.whole(self.questions, self.item), to=sid)
            if environ.get("HTTP_COOKIE") == os.environ.get("FLOOR_STAFF_COOKIE"):
                server.emit("fragment", self.whole(self.questions, self.card), to=sid)

    def on_ask(self, sid, data):
        text = data.get("text") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            return {"ok": False, "message": "Write a question."}
        question_id = len(self.questions) + 1
        self.questions[question_id] = {"text": text, "votes": 0, "revision": 1}
        self.changed[question_id] = True
        self.flusher.mark()
        return {"ok": True, "question": question_id, "version": 1, "pending": False}

    def on_upvote(self, sid, data):
        question = self.questions.get(data.get("question")) if isinstance(data, dict) else None
        if question is None or not isinstance(data.get("on"), bool):
            return {"ok": False, "message": "There is no such question."}
        question["votes"] += 1 if data["on"] else -1
        question["revision"] += 1
        self.changed.setdefault(data["question"], False)
        self.flusher.mark()
        return {"ok": True, "question": data["question"], "on": data["on"], "votes": question["votes"],
                "version": question["revision"]}

    def flush(self) -> None:
        changed, self.changed = self.changed, {}
        new = [question_id for question_id, whole in changed.items() if whole]
        if new:
            server.emit("fragment", self.whole(new, self.item), to=ROOM)
            server.emit("fragment", self.whole(new, self.card), to=DESK)
        counts = [[q, self.questions[q]["revision"], self.questions[q]["votes"]] for q, whole in changed.items()
                  if not whole]
        if counts:
            server.emit("qa_counts", {"session": self.session, "counts": counts}, to=ROOM)


def main() -> None:
    feature, port = sys.argv[1], int(sys.argv[2])
    interval = float(sys.argv[3]) if len(sys.argv) > 3 else 0.15
    floor = Polls(interval) if feature == "polls" else Questions(interval)
    server.on("connect", floor.on_connect)
    if isinstance(floor, Polls):
        server.on("disconnect", floor.on_disconnect)
        server.on("vote", floor.on_vote)
        fallback = floor.serve
    else:
        server.on("qa_ask", floor.on_ask)
        server.on("qa_upvote", floor.on_upvote)
        fallback = None
    WSGIServer(("127.0.0.1", port), socketio.WSGIApp(server, fallback), log=None,
               handler_class=no_delay_handler()).serve_forever()


if __name__ == "__main__":
    main()
