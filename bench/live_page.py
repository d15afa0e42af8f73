"""A live page in a load process of bench/live_polls.py and bench/live_qa.py: it keeps what the server sends by the
page's rule for versions, records when it first shows each version, and may lose its socket and come back.

The page's rule (workshop/static/js/live.js and qa.js), kept exactly:

- Every top-level element of a ``fragment`` that has an ``id`` and ``hx-swap-oob``
  carries ``data-version``. The page keeps it only if that version is strictly
  greater than the one it shows for that id (equal means the same content), and
  only if it has an element with that id at all.
- An element with ``data-append-to`` is a new list item: added if the page has
  the list and lacks the item.
- The rule holds at every level: inside a kept element, a part the page already
  shows at the same or a newer version stays as the page has it, and the newer
  parts of an element that is not newer as a whole are taken (a snapshot read
  before a broadcast that reached the page first).
- A top-level element without ``data-version`` is swapped in whatever the page
  shows, as live.js does (its comparison with a missing version fails), and its id
  is reported: it breaks the rule, and may roll the page back.
- ``qa_counts`` ``[question, revision, votes]``: qa.js keeps the newest count of
  each question and writes it into every copy the page holds, so the page shows
  that revision for ``question-<id>`` and ``queue-question-<id>`` while it holds them.

The load process talks with the coordinator (bench/live_storm.py) in JSON lines:
setup in, "connected" out; go in; the storm is played, "actions" out once every
action is answered; the acknowledged actions and the cut in, "settled" (the
process's CPU, the messages received) out once every page shows them, or at the
cut; once every process has settled, a line in and the pairs out; a last line
in, and exit.
Reading stdin and writing stdout go through a thread so that the pages keep
reading their sockets meanwhile (a blocked gevent loop would timestamp fragments late).
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import os
import re
import sys
import time
from array import array
from collections import Counter, defaultdict
from typing import NamedTuple

import gevent
import gevent.pool
import websocket

from common import wait_until_quiet
from socket_client import SocketClient

TAG = re.compile(r"""<(/?)([A-Za-z][\w-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""")
ID = re.compile(r'(?:^|\s)id="([^"]+)"')
VERSION = re.compile(r'(?:^|\s)data-version="(\d+)"')
APPEND_TO = re.compile(r'(?:^|\s)data-append-to="([^"]+)"')
OOB = re.compile(r"(?:^|\s)hx-swap-oob\b")
VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
RECONNECT_ATTEMPTS = 5  # socket.io-client keeps trying; a page that has not come back after these is lost
WAIT_STEP = 0.02  # how often an action waits to see what it acts on


class Element(NamedTuple):
    id: str
    version: int | None
    oob: bool
    append_to: str | None
    inside: tuple[tuple[str, int | None], ...]  # the ids it holds, with their versions


def _attribute(pattern: re.Pattern, attributes: str) -> str | None:
    found = pattern.search(attributes)
    return found.group(1) if found else None


def _version(attributes: str) -> int | None:
    version = _attribute(VERSION, attributes)
    return None if version is None else int(version)


@functools.lru_cache(maxsize=256)
def top_level_elements(html: str) -> tuple[Element, ...]:
    """The fragment's top-level elements that have an id. Cached: every page of a process gets the same messages."""
    elements, inside, top, depth = [], [], None, 0
    for match in TAG.finditer(html):
        closing, name, attributes = match.groups()
        if closing:
            depth -= 1
            if depth == 0 and top is not None:
                elements.append(top._replace(inside=tuple(inside)))
                top = None
            continue
        found = ID.search(attributes) if 'id="' in attributes else None
        if depth == 0:
            inside = []
            top = None if found is None else Element(found.group(1), _version(attributes), bool(OOB.search(attributes)),
                                                     _attribute(APPEND_TO, attributes), ())
        elif top is not None and found is not None:
            inside.append((found.group(1), _version(attributes)))
        if name.lower() in VOID or attributes.endswith("/"):
            if depth == 0 and top is not None:
                elements.append(top)
                top = None
        else:
            depth += 1
    return tuple(elements)


class Page:
    """What one page shows: the version of every element it holds, and for each versioned element the moments its
    version rose (a running maximum: a rollback is counted, and does not un-show what was shown)."""

    def __init__(self, skeleton: dict[str, int | None]):
        self.held: dict[str, int | None] = dict(skeleton)
        self.counts: dict[str, int] = {}  # element id -> newest qa_counts revision
        self.rises: dict[str, tuple[array, array]] = {}  # element id -> (moments, versions), both ascending
        self.rollbacks = 0
        self.unversioned: set[str] = set()

    def take_fragment(self, html: str, now: float) -> None:
        for element in top_level_elements(html):
            if element.append_to is not None:
                if element.append_to in self.held and element.id not in self.held:
                    self._keep(element, now)
            elif element.oob and element.id in self.held:
                if element.version is None:
                    self.unversioned.add(element.id)
                    self._keep(element, now)
                elif self.held[element.id] is None or element.version > self.held[element.id]:
                    self._keep(element, now)
                else:  # not newer as a whole: live.js still takes the parts of it that are newer
                    self._keep_newer_inside(element, now)

    def take_count(self, element_id: str, version: int, now: float) -> None:
        if version > self.counts.get(element_id, 0):
            self.counts[element_id] = version
            if element_id in self.held:
                self._rise(element_id, version, now)

    def shown(self, element_id: str) -> int:
        """The version the page shows for the element now (0 if it lacks it)."""
        if element_id not in self.held:
            return 0
        return max(self.held[element_id] or 0, self.counts.get(element_id, 0))

    def first_shown(self, element_id: str, version: int, since: float) -> tuple[float, bool]:
        """When the page first showed the element at ``version`` or above, counting only what it kept from
        ``since`` on (inf: never); and whether it showed such a version already before ``since`` (impossible if
        versions are comparable: an action's version exists only after it was sent)."""
        moments, versions = self.rises.get(element_id, ((), ()))
        reached = bisect.bisect_left(versions, version)
        if reached == len(versions):
            return math.inf, False
        after = max(reached, bisect.bisect_left(moments, since))
        return (moments[after] if after < len(moments) else math.inf), moments[reached] < since

    def _keep(self, element: Element, now: float) -> None:
        """As live.js: a part the page already shows at the same or a newer version stays as the page has it."""
        self._hold(element.id, element.version, now)
        self._keep_newer_inside(element, now)

    def _keep_newer_inside(self, element: Element, now: float) -> None:
        for element_id, version in element.inside:
            held = self.held.get(element_id)
            if version is None or held is None or version > held:
                self._hold(element_id, version, now)

    def _hold(self, element_id: str, version: int | None, now: float) -> None:
        before = self.held.get(element_id)
        self.held[element_id] = version
        if version is None:
            return
        if before is not None and version < before:
            self.rollbacks += 1
        self._rise(element_id, max(version, self.counts.get(element_id, 0)), now)

    def _rise(self, element_id: str, version: int, now: float) -> None:
        moments, versions = self.rises.setdefault(element_id, (array("d"), array("q")))
        if not versions or version > versions[-1]:
            moments.append(now)
            versions.append(version)


class LivePage(Page):
    """A page with its socket, as a browser tab: it connects with its person's cookie and the page's auth, and may
    drop its socket and reconnect as socket.io-client does (same cookie, same auth; what it emits while away is
    sent on reconnection, and acknowledgements due on the lost socket never come)."""

    TARGETS: dict[str, str] = {}  # role -> the id of the element showing an action on a key: "poll-results-{}"

    def __init__(self, entry: dict, setup: dict, skeleton: dict[str, int | None]):
        super().__init__(skeleton)
        self.index, self.role, self.cookie = entry["index"], entry["role"], entry["cookie"]
        self.source = entry.get("source")
        self.drop_at, self.away_for = entry.get("drop_at"), entry.get("away_for")
        self.url = setup["url"]
        self.auth = {"workshop": setup["code"], "session": setup["session"]}
        self.client: SocketClient | None = None
        self.offline: list[tuple] = []  # emits while the socket is away
        self.awaiting: set[Action] = set()
        self.reconnected = False
        self.connection_lost = False  # lost without meaning to, or not regained
        self.messages = 0
        self.last_fragment_at = time.monotonic()

    def target(self, key) -> str:
        return self.TARGETS[self.role].format(key)

    def handlers(self) -> dict:
        return {"fragment": self.on_fragment}

    def received(self) -> float:
        now = time.monotonic()
        self.messages += 1
        self.last_fragment_at = now
        return now

    def on_fragment(self, html) -> None:
        self.take_fragment(html if isinstance(html, str) else "", self.received())

    def connect(self) -> str | None:
        client = SocketClient()
        for event, handler in self.handlers().items():
            client.on(event, handler)
        client.on("disconnect", lambda: self._on_disconnect(client))
        try:
            client.connect(self.url, self.cookie, self.auth, source=self.source)
        except Exception as error:  # noqa: BLE001 - counted and reported by the coordinator process
            return f"{error.__class__.__name__}: {error}"
        self.client = client
        waiting, self.offline = self.offline, []
        for event, data, callback in waiting:
            client.emit(event, data, callback)
        return None

    def emit(self, event: str, data, callback) -> None:
        if self.client is None:
            self.offline.append((event, data, callback))
            return
        try:
            self.client.emit(event, data, callback)
        except (OSError, websocket.WebSocketException):
            self.connection_lost = True

    def drop_and_return(self, start: float) -> None:
        """At its moment, lose the socket; come back after a while, as socket.io-client's reconnection does."""
        gevent.sleep(max(0.0, start + self.drop_at - time.monotonic()))
        client, self.client = self.client, None
        for action in self.awaiting:
            action.answer_lost = True
        self.awaiting.clear()
        client.drop()
        gevent.sleep(self.away_for)
        for _ in range(RECONNECT_ATTEMPTS):
            if self.connect() is None:
                self.reconnected = True
                return
            gevent.sleep(1.0)
        self.connection_lost = True

    def _on_disconnect(self, client: SocketClient) -> None:
        if client is self.client:  # not the socket this page dropped on purpose
            self.connection_lost = True


class Action:
    """One action of a participant: sent at its turn once its page shows what it acts on, then acknowledged."""

    def __init__(self, at: float, kind: str, page: LivePage, key=None):
        self.at, self.kind, self.page, self.key = at, kind, page, key
        self.sent_at: float | None = None
        self.waited = False
        self.answer: dict | None = None
        self.answer_lost = False
        self.ack_ms: float | None = None

    def ready(self) -> bool:
        """Whether the page shows what this action acts on (a participant acts only on what it sees)."""
        return True

    def message(self) -> tuple[str, dict]:
        raise NotImplementedError

    def key_from(self, answer: dict):
        """The key the acknowledged action changed (its poll, its question)."""
        return self.key

    def send(self, deadline: float) -> None:
        """Send now, or once the page shows what the action acts on; never, if it has not by the deadline."""
        while not self.ready():
            if time.monotonic() >= deadline:
                return
            self.waited = True
            gevent.sleep(WAIT_STEP)
        event, data = self.message()
        self.sent_at = time.monotonic()
        self.page.awaiting.add(self)
        self.page.emit(event, data, self.on_answer)

    def on_answer(self, answer) -> None:
        self.ack_ms = (time.monotonic() - self.sent_at) * 1000
        self.answer = answer if isinstance(answer, dict) else {"ok": False, "message": repr(answer)}
        self.page.awaiting.discard(self)
        if self.answer.get("ok"):
            self.key = self.key_from(self.answer)

    def settled(self) -> bool:
        return self.answer is not None or self.answer_lost or self.page.connection_lost

    def report(self) -> dict:
        ok = bool(self.answer and self.answer.get("ok"))
        return {"index": self.page.index, "kind": self.kind, "key": self.key, "sent_at": self.sent_at,
                "answered": self.answer is not None, "ok": ok, "version": self.answer.get("version") if ok else None,
                "message": None if ok or not self.answer else self.answer.get("message"),
                "ack_ms": self.ack_ms, "waited": self.waited}


# The load process --------------------------------------------------------------------------------------------

def receive_line() -> str:
    return gevent.get_hub().threadpool.apply(sys.stdin.readline)


def receive() -> dict:
    return json.loads(receive_line() or "{}")


def send(message: dict) -> None:
    """Through a thread as well: a report larger than the pipe's buffer waits for the coordinator to read it."""
    gevent.get_hub().threadpool.apply(print, (json.dumps(message),), {"flush": True})


def play(actions: list[Action], start: float, deadline: float) -> None:
    """Each action at its turn; one that must first see what it acts on waits in a greenlet of its own."""
    waiting = []
    for action in sorted(actions, key=lambda a: a.at):
        gevent.sleep(max(0.0, start + action.at - time.monotonic()))
        if action.ready():
            action.send(deadline)
        else:
            waiting.append(gevent.spawn(action.send, deadline))
    gevent.joinall(waiting, timeout=max(0.0, deadline - time.monotonic()))


def wait_until(done, deadline: float) -> None:
    while time.monotonic() < deadline and not done():
        gevent.sleep(0.05)


def wait_for_final_state(pages: list[LivePage], expected: list[list], cut: float) -> None:
    """Until every page shows every key at the highest acknowledged version, or the cut."""
    missing = {page: [(page.target(key), version) for key, version in expected] for page in pages}
    while missing and time.monotonic() < cut:
        missing = {page: [(target, version) for target, version in targets if page.shown(target) < version]
                   for page, targets in missing.items()}
        missing = {page: targets for page, targets in missing.items() if targets}
        if missing:
            gevent.sleep(0.05)


def pair_report(pages: list[LivePage], acked: list[list], expected: list[list], cut: float) -> dict:
    """Every acknowledged action on every page of this process: when the page first showed it, from the moment
    it was sent, as a histogram in whole milliseconds per role of page and kind of action ("desk vote"); never (or
    after the cut) counts apart.
    The sender's own pairs are listed by action, for the sender's latency."""
    histograms, never, before_send, own = defaultdict(Counter), Counter(), 0, []
    targets = {}  # role -> each acknowledged action's element on pages of that role
    for page in pages:
        if page.role not in targets:
            targets[page.role] = [page.target(key) for key, *_ in acked]
        for position, ((_, version, sent_at, sender, kind), target) in enumerate(zip(acked, targets[page.role])):
            shown_at, early = page.first_shown(target, version, sent_at)
            before_send += early
            latency = (shown_at - sent_at) * 1000 if shown_at <= cut else math.inf
            group = f"{page.role} {kind}"
            if math.isinf(latency):
                never[group] += 1
            else:
                histograms[group][round(latency)] += 1
            if sender == page.index:
                own.append([position, None if math.isinf(latency) else latency])
    return {"histograms": histograms, "never": never, "before_send": before_send, "own": own,
            "pages": [page_report(page, expected, cut) for page in pages],
            "unversioned": sorted(set().union(*(page.unversioned for page in pages))),
            "rollbacks": sum(page.rollbacks for page in pages)}


def page_report(page: LivePage, expected: list[list], cut: float) -> dict:
    """When the page first showed the final state (every key at its highest acknowledged version), and whether it
    still shows it."""
    final_at = max((page.first_shown(page.target(key), version, -math.inf)[0] for key, version in expected),
                   default=None)
    return {"index": page.index, "role": page.role,
            "final_at": final_at if final_at is not None and final_at <= cut else None,
            "on_final_state": all(page.shown(page.target(key)) >= version for key, version in expected),
            "dropped": page.drop_at is not None, "reconnected": page.reconnected,
            "connection_lost": page.connection_lost}


def run_load_process(make_page, make_actions) -> None:
    """``make_page(entry, setup)`` builds a page, ``make_actions(pages by index, setup)`` the plan's actions."""
    setup = receive()
    pages = [make_page(entry, setup) for entry in setup["pages"]]
    started = time.monotonic()
    pool = gevent.pool.Pool(setup["connect_concurrency"])
    failures = [error for error in pool.imap(LivePage.connect, pages) if error]
    wait_until_quiet(pages)
    for page in pages:
        page.messages = 0  # count what the storm causes
    send({"connected": len(pages) - len(failures), "failures": failures[:5],
          "connect_s": round(time.monotonic() - started, 2)})

    start = receive()["start"]
    cpu_before = time.process_time()
    actions = make_actions({page.index: page for page in pages}, setup)
    returning = [gevent.spawn(page.drop_and_return, start) for page in pages if page.drop_at is not None]
    deadline = start + setup["seconds"] + setup["answer_seconds"]
    play(actions, start, deadline)
    wait_until(lambda: all(action.settled() for action in actions), deadline)
    gevent.joinall(returning, timeout=max(0.0, deadline - time.monotonic()))
    send({"actions": [action.report() for action in actions]})

    outcome = receive()
    wait_for_final_state(pages, outcome["expected"], outcome["cut"])
    send({"load_cpu_s": time.process_time() - cpu_before, "messages": sum(page.messages for page in pages)})
    receive()  # every process has settled: the reckoning no longer competes with pages still waiting
    send(pair_report(pages, outcome["acked"], outcome["expected"], outcome["cut"]))
    receive_line()  # the coordinator is done with the server: the connections may drop now
    os._exit(0)
