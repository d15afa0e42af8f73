"""One load process of bench/live_polls.py: many Socket.IO voters on gevent, driven over stdin and stdout.

Reads a JSON line with the server, the poll and this process's voters, connects
them all (websocket only, signed in by their session cookie, on the session's
page as a browser is), prints a JSON line saying how many connected, then
reads a JSON line with the start time and casts each voter's vote at its
turn, as the browser does, and prints what every voter saw as one JSON line.
The same code drives the app and the floor server.
"""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import gevent.pool  # noqa: E402
from common import wait_until_quiet  # noqa: E402
from socket_client import SocketClient  # noqa: E402

RESULTS = re.compile(r'id="poll-results-(\d+)"[^>]*?data-version="(\d+)".*?data-testid="voters">(\d+)<', re.S)


class Voter:
    def __init__(self, index: int, cookie: str, setup: dict, source: str | None = None):
        self.index = index
        self.cookie = cookie
        self.source = source
        self.setup = setup
        self.client = SocketClient()
        self.client.on("fragment", self.on_fragment)
        self.seen: list[tuple[float, int]] = []  # (when, version) of every results fragment since the vote
        self.sent_at: float | None = None
        self.acked_version: int | None = None
        self.ack: dict | None = None
        self.ack_ms: float | None = None
        self.latency_ms: float | None = None
        self.final_at: float | None = None
        self.fragments = 0
        self.last_fragment_at = time.monotonic()

    def connect(self) -> str | None:
        try:
            self.client.connect(self.setup["url"], self.cookie,
                                {"workshop": self.setup["code"], "session": self.setup["session"]},
                                source=self.source)
        except Exception as error:  # noqa: BLE001 - counted and reported by the coordinator process
            return f"{error.__class__.__name__}: {error}"
        return None

    def on_fragment(self, html):
        now = time.monotonic()
        self.fragments += 1
        self.last_fragment_at = now
        for poll, version, voters in RESULTS.findall(html if isinstance(html, str) else ""):
            if int(poll) != self.setup["poll"]:
                continue
            if self.sent_at is not None:
                self.seen.append((now, int(version)))
                self.settle()
            if int(voters) >= self.setup["expect"] and self.final_at is None:
                self.final_at = now

    def vote(self) -> None:
        option = self.setup["options"][self.index % len(self.setup["options"])]
        self.sent_at = time.monotonic()
        self.client.emit("vote", {"poll": self.setup["poll"], "answer": {"option": option}}, callback=self.on_ack)

    def on_ack(self, answer):
        self.ack_ms = (time.monotonic() - self.sent_at) * 1000
        self.ack = answer if isinstance(answer, dict) else {"ok": False, "message": repr(answer)}
        if self.ack.get("ok"):
            self.acked_version = self.ack["version"]
            self.settle()

    def settle(self) -> None:
        """The vote's latency: until the first results fragment whose version includes it."""
        if self.latency_ms is not None or self.acked_version is None:
            return
        for when, version in self.seen:
            if version >= self.acked_version:
                self.latency_ms = (when - self.sent_at) * 1000
                return

    def done(self) -> bool:
        """Answered, shown the final tally, and (if counted) shown a tally that includes the vote."""
        return self.final_at is not None and self.ack is not None and (
            self.latency_ms is not None or not self.ack.get("ok"))

    def report(self) -> dict:
        return {"index": self.index, "sent_at": self.sent_at, "ok": bool(self.ack and self.ack.get("ok")),
                "message": None if not self.ack or self.ack.get("ok") else self.ack.get("message"),
                "latency_ms": self.latency_ms, "ack_ms": self.ack_ms, "final_at": self.final_at, "fragments": self.fragments}


def main() -> None:
    setup = json.loads(sys.stdin.readline())
    voters = [Voter(entry["index"], entry["cookie"], setup, entry.get("source")) for entry in setup["voters"]]
    started = time.monotonic()
    pool = gevent.pool.Pool(setup["connect_concurrency"])
    failures = [error for error in pool.imap(Voter.connect, voters) if error]
    wait_until_quiet(voters)
    for voter in voters:
        voter.fragments = 0  # count what the votes cause
    print(json.dumps({"connected": len(voters) - len(failures), "failures": failures[:5],
                      "connect_s": round(time.monotonic() - started, 2)}), flush=True)

    go = json.loads(sys.stdin.readline())
    for voter in sorted(voters, key=lambda v: v.index):  # each vote at its turn, spread evenly over the time
        gevent.sleep(max(0.0, go["start"] + voter.index * go["spacing"] - time.monotonic()))
        voter.vote()
    deadline = time.monotonic() + go["settle_seconds"]
    while time.monotonic() < deadline and not all(v.done() for v in voters):
        gevent.sleep(0.05)
    print(json.dumps({"voters": [v.report() for v in voters]}), flush=True)
    sys.stdin.readline()  # the coordinator has read the server's figures: the connections may drop now
    os._exit(0)


if __name__ == "__main__":
    main()
