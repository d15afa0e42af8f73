"""Live Q&A benchmark: N signed-in participants ask questions and upvote them over Socket.IO.

Starts the real server as `make run` does (one gevent process; SQLite in a
fresh instance folder, or a fresh database made on the PostgreSQL server given
with --database and dropped afterwards), creates a workshop with N participants
and an agenda session (not pre-moderated, so every question is approved and
goes to the whole session room), and connects N clients over websocket, each
signed in with its own session cookie and on the session's page, spread over
several load processes (this script run with --load-process: gevent, one
bench/socket_client.py client per participant).

Within T seconds the clients send Q `qa_ask` and U `qa_upvote` events with an
acknowledgement, as the browser does. The questions are spread evenly over the
first half of the time, one asker after another (the app allows 3 questions a
minute per person); the upvotes evenly over the whole time but the first
second, each on a question asked at least a second before, each by a different
person on that question (a person upvotes several questions), U / Q per
question. An upvoter knows a question as a participant does, from the fragment
that showed it (its text carries the question's number); if it has not seen it
yet at its turn it waits for it, and the delay is counted.

Latency of an action: from sending it until its sender receives a fragment of
that question (`id="question-<id>"`) or a `qa_counts` entry for it whose
version is at least the version in the acknowledgement. Final: from the last
action sent until every client shows the final counts, i.e. for every question
of the session (every client follows all of them: all are approved and sent to
the session room) the vote count of the newest version it received equals the
count stored in the database; a client's moment is when the last of those
changed to its final value.

    .venv/bin/python bench/live_qa.py [--clients 1000] [--seconds 30] [--questions 200] [--upvotes 5000]

The last line of output is a JSON summary.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and "--load-process" in sys.argv:
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from common import (PYTHON, ROOT, cpu_seconds, migrated_instance, peak_rss_mb, percentile, release,  # noqa: E402
                    seed_session, start_server, stop, stop_loads, wait_until_quiet)

CODE = "BENCH-LIVE-QA"
SETTLE_SECONDS = 30  # how long the clients wait for the last fragments before giving up
LEAD_SECONDS = 1.0  # an upvote comes at least this long after its question was asked
RATE_LIMIT = 3  # questions a person may ask in a minute (workshop/qa/services.py)

# One question in a fragment: its id, version and (unless it is gone) its vote count; and its text.
QUESTION = re.compile(r'<li id="question-(\d+)" class="question[^"]*" data-version="(\d+)"(?:\s+data-votes="(\d+)")?')
TEXT = re.compile(r'id="question-text-(\d+)">Bench question (\d+):')


# The plan: who does what when -------------------------------------------------------------------

def plan_actions(clients: int, seconds: float, questions: int, upvotes: int) -> tuple[list[list], list[int]]:
    """Every action as [offset s, kind, question number, client], in time order; and each question's planned votes."""
    counts = [upvotes // questions + (1 if j < upvotes % questions else 0) for j in range(questions)]
    asked_at = [j * seconds / 2 / questions for j in range(questions)]
    askers = [j % clients for j in range(questions)]
    actions = [[asked_at[j], "ask", j, askers[j]] for j in range(questions)]
    lead = min(LEAD_SECONDS, seconds / 10)
    remaining = list(counts)
    given = [0] * questions
    for k in range(upvotes):
        at = lead + k * (seconds - lead) / upvotes
        eligible = [j for j in range(questions) if remaining[j] and asked_at[j] <= at - lead]
        if not eligible:  # the questions are not old enough yet: take the oldest one still wanting votes
            eligible = [next(j for j in range(questions) if remaining[j])]
        j = max(eligible, key=lambda q: (remaining[q], -q))
        # Each upvote of a question by another person, never its asker.
        actions.append([at, "upvote", j, (askers[j] + 1 + given[j]) % clients])
        remaining[j] -= 1
        given[j] += 1
    actions.sort(key=lambda action: action[0])
    return actions, counts


# The database and the people in it -------------------------------------------------------------

def seed(env: dict, clients: int):
    """Workshop, participants and a session; returns the app and what the clients need."""
    return seed_session(env, clients, code=CODE, who="Asker", session_title="Plenary with questions")


def stored(app, session_id: int) -> tuple[int, int, dict[int, int]]:
    """Questions and upvote rows stored for the session, and each question's vote count."""
    from sqlalchemy import func, select

    from workshop.db import db
    from workshop.qa.models import Question, QuestionVote

    with app.app_context():
        counts = dict(db.session.execute(select(Question.id, Question.votes)
                                         .where(Question.session_id == session_id)).all())
        votes = db.session.scalar(select(func.count()).select_from(QuestionVote).join(Question)
                                  .where(Question.session_id == session_id))
        db.session.remove()
    return len(counts), votes, counts


# Driving the server -------------------------------------------------------------------------------

def run_clients(server: subprocess.Popen, app, port: int, setup: dict, cookies: list[str], options) -> dict:
    """Connect every client, play the plan, wait for the fragments; the figures of this run."""
    count = len(cookies)
    actions, counts = plan_actions(count, options.seconds, options.questions, options.upvotes)
    loads = []
    for p in range(options.processes):
        mine = range(p, count, options.processes)
        worker = subprocess.Popen([PYTHON, __file__, "--load-process"], cwd=ROOT, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        send(worker, {**setup, "url": f"http://127.0.0.1:{port}", "counts": counts,
                      "clients": [{"index": i, "cookie": cookies[i]} for i in mine],
                      "actions": [a for a in actions if a[3] % options.processes == p],
                      "connect_concurrency": options.connect_concurrency})
        loads.append(worker)
    try:
        connect_started, cpu_before_connect = time.monotonic(), cpu_seconds(server.pid)
        ready = [receive(worker) for worker in loads]
        connect_s = time.monotonic() - connect_started
        connected = sum(r.get("connected", 0) for r in ready)
        if connected != count:
            raise SystemExit(f"only {connected} of {count} clients connected: "
                             f"{[f for r in ready for f in r.get('failures', [])]}")
        cpu_before = cpu_seconds(server.pid)
        load_before = sum(cpu_seconds(worker.pid) for worker in loads)
        load_average_before = os.getloadavg()[0]
        for worker in loads:
            send(worker, {"start": time.monotonic() + 0.5, "settle_seconds": SETTLE_SECONDS})
        reports = [receive(worker) for worker in loads]
        cpu_used = cpu_seconds(server.pid) - cpu_before
        load_cpu = sum(cpu_seconds(worker.pid) for worker in loads) - load_before
        load_average_after = os.getloadavg()[0]
        peak = peak_rss_mb(server.pid)
        questions_stored, upvotes_stored, final_counts = stored(app, setup["session"])
        for worker in loads:
            send(worker, {"final": final_counts})
        finals = [f for worker in loads for f in receive(worker).get("clients", [])]
    finally:
        stop_loads(loads)
    records = [r for report in reports for r in report.get("actions", [])]
    figures = summarize(records, finals, count, questions_stored, upvotes_stored)
    return {**figures, "connections_dropped": sum(r.get("dropped", 0) for r in reports),
            "fragments_received": sum(r.get("fragments", 0) for r in reports),
            "connect_s": round(connect_s, 2), "connect_cpu_s": round(cpu_before - cpu_before_connect, 2),
            "server_cpu_s": round(cpu_used, 2), "load_cpu_s": round(load_cpu, 2), "server_peak_rss_mb": peak,
            "load_average": [round(load_average_before, 2), round(load_average_after, 2)]}


def send(worker: subprocess.Popen, message: dict) -> None:
    worker.stdin.write(json.dumps(message) + "\n")
    worker.stdin.flush()


def receive(worker: subprocess.Popen) -> dict:
    return json.loads(worker.stdout.readline() or "{}")


def summarize(records: list[dict], finals: list[dict], count: int, questions_stored: int, upvotes_stored: int) -> dict:
    sent = [r for r in records if r["sent_at"] is not None]
    latencies = sorted(r["latency_ms"] for r in sent if r["latency_ms"] is not None)
    acks = sorted(r["ack_ms"] for r in sent if r["ack_ms"] is not None)
    refused = [r["message"] or "no answer" for r in sent if not r["ok"]]
    last_sent = max(r["sent_at"] for r in sent)
    final_at = [f["final_at"] for f in finals]
    all_final = len(final_at) == count and all(final_at)
    return {
        "clients": count,
        "questions": sum(1 for r in sent if r["kind"] == "ask"),
        "upvotes": sum(1 for r in sent if r["kind"] == "upvote"),
        "actions_sent": len(sent),
        "actions_acked": sum(1 for r in sent if r["ok"]),
        "actions_stored": questions_stored + upvotes_stored,
        "questions_stored": questions_stored,
        "upvotes_stored": upvotes_stored,
        "lost": len(sent) - questions_stored - upvotes_stored,
        "refused": len(refused),
        "refusals": sorted(set(refused))[:3],
        "upvotes_waiting_for_question": sum(1 for r in sent if r["waited"]),
        "with_latency": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "ack_p50_ms": round(statistics.median(acks), 1) if acks else None,
        "ack_p95_ms": round(percentile(acks, 0.95), 1),
        "clients_with_final_counts": sum(1 for f in final_at if f),
        "final_ms": round((max(max(final_at), last_sent) - last_sent) * 1000, 1) if all_final else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--upvotes", type=int, default=5000)
    parser.add_argument("--database", help="a PostgreSQL server URL; a fresh database is made on it and dropped")
    parser.add_argument("--processes", type=int, default=4, help="load processes the clients are spread over")
    parser.add_argument("--connect-concurrency", type=int, default=20, help="connections opened at once per process")
    options = parser.parse_args()
    if min(options.clients, options.questions, options.processes) < 1 or options.seconds <= 0 or options.upvotes < 0:
        parser.error("--clients, --questions, --seconds and --processes must be positive")
    if options.questions > RATE_LIMIT * options.clients:
        parser.error(f"at most {RATE_LIMIT} questions per client (the app's rate limit)")
    if -(-options.upvotes // options.questions) > options.clients - 1:
        parser.error("more upvotes per question than there are other clients")

    with migrated_instance("bench-live-qa-", options.database) as env:
        app, setup, cookies = seed(env, options.clients)
        server = start_server(env)
        try:
            result = run_clients(server, app, int(env["WORKSHOP_PORT"]), setup, cookies, options)
        finally:
            stop(server)
        release(app)

    backend = "PostgreSQL" if options.database else "SQLite"
    print(f"{options.clients} clients in {options.processes} load processes, {options.questions} questions and "
          f"{options.upvotes} upvotes over {options.seconds:g} s, {backend}, load average "
          f"{result['load_average'][0]} -> {result['load_average'][1]} on {os.cpu_count()} cores")
    print(f"  sent {result['actions_sent']}  acked {result['actions_acked']}  stored {result['actions_stored']}"
          f"  lost {result['lost']}  refused {result['refused']} {result['refusals']}"
          f"  connections dropped {result['connections_dropped']}")
    print(f"  latency p50 {result['p50_ms']} ms  p95 {result['p95_ms']} ms  p99 {result['p99_ms']} ms"
          f"  max {result['max_ms']} ms  final {result['final_ms']} ms"
          f" ({result['clients_with_final_counts']} clients with the final counts)"
          f"  ack p50/p95 {result['ack_p50_ms']}/{result['ack_p95_ms']} ms")
    print(f"  server cpu {result['server_cpu_s']} s  load cpu {result['load_cpu_s']} s"
          f"  peak rss {result['server_peak_rss_mb']} MB  (connect {result['connect_s']} s,"
          f" {result['connect_cpu_s']} cpu s)  upvotes that waited for their question"
          f" {result['upvotes_waiting_for_question']}")
    print(json.dumps({**result, "database": backend, "seconds": options.seconds, "processes": options.processes,
                      "cores": os.cpu_count()}))


# One load process: many Socket.IO participants on gevent, driven over stdin and stdout -------------

class Participant:
    def __init__(self, index: int, cookie: str, setup: dict):
        from socket_client import SocketClient

        self.index = index
        self.cookie = cookie
        self.setup = setup
        self.client = SocketClient()
        self.client.on("fragment", self.on_fragment)
        self.client.on("qa_counts", self.on_counts)
        self.client.on("disconnect", self.on_disconnect)
        self.dropped = False  # the connection went away during the run: counted, never reconnected
        self.numbers: dict[int, int] = {}  # question number (from its text) -> id
        self.planned: dict[int, int] = {}  # id -> the votes the plan gives it
        self.view: dict[int, list] = {}  # id -> [version, votes, when the votes last changed, when the version came]
        self.matching = 0  # questions whose shown votes equal the planned count
        self.planned_done_at: float | None = None
        self.waiting: list[Action] = []  # own actions sent, not yet seen reflected
        self.fragments = 0
        self.last_fragment_at = time.monotonic()

    def connect(self) -> str | None:
        try:
            self.client.connect(self.setup["url"], self.cookie,
                                {"workshop": self.setup["code"], "session": self.setup["session"]})
        except Exception as error:  # noqa: BLE001 - counted and reported by the coordinator process
            return f"{error.__class__.__name__}: {error}"
        return None

    def on_fragment(self, html):
        now = time.monotonic()
        self.fragments += 1
        self.last_fragment_at = now
        html = html if isinstance(html, str) else ""
        for question_id, number in TEXT.findall(html):
            self.numbers[int(number)] = int(question_id)
            self.planned[int(question_id)] = self.setup["counts"][int(number)]
        for question_id, version, votes in QUESTION.findall(html):
            self.shown(int(question_id), int(version), int(votes) if votes else None, now)
        self.settle_waiting()

    def on_counts(self, message):
        """Upvotes come as [id, version, votes] per question, not as rendered questions."""
        now = time.monotonic()
        self.fragments += 1
        self.last_fragment_at = now
        for question_id, version, votes in message["counts"]:
            if question_id in self.view:  # a count for a question this page shows (it always came first)
                self.shown(question_id, version, votes, now)
        self.settle_waiting()

    def settle_waiting(self) -> None:
        for action in self.waiting:
            action.settle(self)
        self.waiting = [a for a in self.waiting if a.latency_ms is None]

    def on_disconnect(self):
        self.dropped = True

    def shown(self, question_id: int, version: int, votes: int | None, now: float) -> None:
        known = self.view.get(question_id)
        if known is not None and known[0] >= version:
            return
        planned = self.planned.get(question_id)
        if known is None:
            known = self.view[question_id] = [version, None, now, now]
        elif known[1] == planned:
            self.matching -= 1
        if votes != known[1]:
            known[2] = now
        known[0], known[1], known[3] = version, votes, now
        if votes == planned:
            self.matching += 1
            if self.matching == len(self.setup["counts"]) and self.planned_done_at is None:
                self.planned_done_at = now

    def final_at(self, counts: dict[str, int]) -> float | None:
        """When this client's list last changed into the stored counts; None if it does not show them."""
        if set(self.view) != {int(q) for q in counts}:
            return None
        if any(self.view[int(q)][1] != votes for q, votes in counts.items()):
            return None
        return max((seen[2] for seen in self.view.values()), default=None)

    def done(self) -> bool:
        return self.dropped or (self.planned_done_at is not None and not self.waiting)


class Action:
    def __init__(self, at: float, kind: str, number: int, participant: Participant):
        self.at, self.kind, self.number, self.participant = at, kind, number, participant
        self.sent_at: float | None = None
        self.waited = False
        self.question_id: int | None = None
        self.ack: dict | None = None
        self.ack_ms: float | None = None
        self.version: int | None = None
        self.latency_ms: float | None = None

    def send(self) -> None:
        import gevent

        who = self.participant
        if self.kind == "ask":
            payload = {"session": who.setup["session"], "text": f"Bench question {self.number}: what comes next "
                                                                f"for client {who.index}?", "anonymous": False}
            event = "qa_ask"
        else:
            while self.number not in who.numbers:  # a participant upvotes only what it has seen
                self.waited = True
                gevent.sleep(0.02)
            self.question_id = who.numbers[self.number]
            payload, event = {"question": self.question_id, "on": True}, "qa_upvote"
        self.sent_at = time.monotonic()
        who.waiting.append(self)
        who.client.emit(event, payload, callback=self.on_ack)

    def on_ack(self, answer):
        self.ack_ms = (time.monotonic() - self.sent_at) * 1000
        self.ack = answer if isinstance(answer, dict) else {"ok": False, "message": repr(answer)}
        if self.ack.get("ok"):
            self.question_id, self.version = self.ack["question"], self.ack["version"]
            self.settle(self.participant)
        else:
            self.participant.waiting.remove(self)

    def settle(self, who: Participant) -> None:
        """The action's latency: until its sender holds a fragment of the question with the acknowledged version."""
        if self.latency_ms is not None or self.version is None:
            return
        seen = who.view.get(self.question_id)
        if seen is not None and seen[0] >= self.version:
            self.latency_ms = (seen[3] - self.sent_at) * 1000

    def report(self) -> dict:
        return {"kind": self.kind, "sent_at": self.sent_at, "ok": bool(self.ack and self.ack.get("ok")),
                "message": None if not self.ack or self.ack.get("ok") else self.ack.get("message"),
                "ack_ms": self.ack_ms, "latency_ms": self.latency_ms, "waited": self.waited}


def load_process() -> None:
    import gevent
    import gevent.pool

    setup = json.loads(sys.stdin.readline())
    participants = {c["index"]: Participant(c["index"], c["cookie"], setup) for c in setup["clients"]}
    started = time.monotonic()
    pool = gevent.pool.Pool(setup["connect_concurrency"])
    failures = [error for error in pool.imap(Participant.connect, participants.values()) if error]
    wait_until_quiet(participants.values())
    for participant in participants.values():
        participant.fragments = 0  # count what the actions cause
    print(json.dumps({"connected": len(participants) - len(failures), "failures": failures[:5],
                      "connect_s": round(time.monotonic() - started, 2)}), flush=True)

    go = json.loads(sys.stdin.readline())
    actions = [Action(at, kind, number, participants[index]) for at, kind, number, index in setup["actions"]]
    sending = []
    for action in actions:  # each at its turn; an upvote whose question is not seen yet waits in its own greenlet
        gevent.sleep(max(0.0, go["start"] + action.at - time.monotonic()))
        if action.kind == "upvote" and action.number not in action.participant.numbers:
            sending.append(gevent.spawn(action.send))
        else:
            action.send()
    gevent.joinall(sending, timeout=go["settle_seconds"])
    deadline = time.monotonic() + go["settle_seconds"]
    while time.monotonic() < deadline and not all(p.done() for p in participants.values()):
        gevent.sleep(0.05)
    print(json.dumps({"actions": [a.report() for a in actions],
                      "dropped": sum(1 for p in participants.values() if p.dropped),
                      "fragments": sum(p.fragments for p in participants.values())}), flush=True)

    counts = json.loads(sys.stdin.readline())["final"]
    print(json.dumps({"clients": [{"index": p.index, "final_at": p.final_at(counts)}
                                  for p in participants.values()]}), flush=True)
    sys.stdin.readline()  # the coordinator is done with the server: the connections may drop now
    os._exit(0)


if __name__ == "__main__":
    load_process() if "--load-process" in sys.argv else main()
