"""Breakout benchmark: assign N participants to rooms (diversity and rotation), then push each their own room.

Part one, in-process against the database: a workshop of N participants from 20 countries (a few large
delegations) and 100 organizations, a session, and round 1 split with `diverse` into N/10 rooms under the
rules a real workshop brings (one facilitator per room, at most one facilitator per room, 20 keep-apart
groups of three, 10 keep-together pairs), opened and closed. Round 2 is then previewed with `rotation`
against round 1: `assign_ms` is that whole service call (reading people and rules, splitting, storing N
assignments), `assign_core_ms` the pure function alone, each the median of --runs runs; `repeat_pairs`
counts round 2's pairs who already met in round 1, `repeat_pairs_random` the same for balanced_random
with the same seed and rules, the split rotation starts from. The 10 keep-together pairs meet in every
round: no split goes below 10.

Part two, against the real server as `make run` starts it (one gevent process, SQLite in a fresh instance
folder): N clients over websocket, each signed in with its own session cookie and on the session's page,
spread over several load processes (this script with --load-process). The moderator opens round 2 through
the desk (an HTTP POST, as the browser sends it); `all_received_ms` runs from sending that request until
the last client has received its card, and each card must name the room that client was assigned.
The baseline in the same run: the moderator's message to every room, one fragment emitted once to the
session's room (`message_all_received_ms`), against the open's one card per room sent to each person.

    .venv/bin/python bench/breakouts.py [--clients 1000] [--rooms 100] [--processes 4]

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
import random  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from common import (PYTHON, ROOT, cpu_seconds, migrated_instance, peak_rss_mb, percentile, release,  # noqa: E402
                    seed_session, start_server, stop, stop_loads, wait_until_quiet)

CODE = "BENCH-BREAKOUTS"
SETTLE_SECONDS = 30
COUNTRIES = ["NP", "LK", "IN", "BD", "PK", "PH", "VN", "TH", "MY", "ID", "KH", "LA", "MN", "IR", "FJ", "JP", "KR",
             "SG", "TW", "TR"]
ANNOUNCE = re.compile(r"You are in <strong>([^<]+)</strong>")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MESSAGE = "Benchmark message to every room"


# Part one: the people, the rules and the assignment ----------------------------------------------------

def seed(env: dict, clients: int, rooms: int, rng: random.Random):
    """Participants of uneven delegations, a moderator, and round 1 (diverse, opened and closed)."""

    def people_and_rounds(session) -> dict:
        from sqlalchemy import select

        from workshop.accounts import services as accounts
        from workshop.accounts.models import Person
        from workshop.db import db
        from workshop.workshops.models import Membership, Origin, Role

        weights = [1 / (rank + 1) ** 0.7 for rank in range(len(COUNTRIES))]
        people = list(db.session.scalars(select(Person).join(Membership, Membership.person_id == Person.id)
                                         .where(Membership.workshop_id == session.workshop_id).order_by(Person.id)))
        for person in people:
            person.country = rng.choices(COUNTRIES, weights)[0]
            person.organization = f"{person.country} ministry {rng.randrange(5)}"
        moderator = accounts.create_person(email="moderator@bench.example.org", name="Bench Moderator",
                                           country="PH", organization="Secretariat")
        db.session.add(Membership(workshop_id=session.workshop_id, person=moderator, role=Role.MODERATOR,
                                  origin=Origin.LOCAL))
        db.session.flush()
        return {"moderator": moderator.id, "people": [p.id for p in people]}

    return seed_session(env, clients, code=CODE, who="Member", session_title="Country groups",
                        prepare=people_and_rounds)


def rules(emails: list[str], rooms: int, rng: random.Random) -> dict:
    """One facilitator per room, 20 keep-apart groups of three and 10 keep-together pairs, as the desk's form."""
    facilitators, rest = emails[:rooms], emails[rooms:]
    rest = rng.sample(rest, len(rest))
    apart = [", ".join(rest[k:k + 3]) for k in range(0, 60, 3)]
    together = [", ".join(rest[k:k + 2]) for k in range(60, 80, 2)]
    return {"facilitators": "\n".join(facilitators), "keep_apart": "\n".join(apart),
            "keep_together": "\n".join(together)}


def timed(runs: int, action) -> float:
    """The median time of ``action`` in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def assign(app, setup: dict, rooms: int, rng: random.Random, runs: int) -> dict:
    """Round 1 (diverse) opened and closed; round 2 (rotation) previewed, timed; the quality figures."""
    from sqlalchemy import select

    from workshop.accounts.models import Person
    from workshop.agenda.models import AgendaSession
    from workshop.breakouts import assignment as core
    from workshop.breakouts import services
    from workshop.db import db

    settings = {"rooms_by": "count", "room_count": str(rooms), "duration_minutes": "30", "spread_leads": "y",
                "max_one_roles": ["facilitator"], "notes_by_members": "y"}
    with app.app_context():
        session = db.session.get(AgendaSession, setup["session"])
        emails = list(db.session.scalars(select(Person.email).where(Person.id.in_(setup["people"]))
                                         .order_by(Person.id)))
        given = rules(emails, rooms, rng)
        first = services.create_round(session, {**settings, "mode": "diverse"})
        services.save_rules(first, given)
        db.session.commit()
        started = time.perf_counter()
        services.generate_preview(first)
        db.session.commit()
        diverse_ms = (time.perf_counter() - started) * 1000
        services.start_round(first)
        db.session.commit()
        services.close_round(first)
        db.session.commit()

        second = services.create_round(session, {**settings, "mode": "rotation"})
        services.save_rules(second, given)
        db.session.commit()

        def preview_round_two():
            services.generate_preview(second)  # the same seed each time: the same split, stored again
            db.session.commit()

        assign_ms = timed(runs, preview_round_two)
        people, _ = services.round_people(second)
        constraints, earlier = services.constraints_of(second), services.history(second)
        core_ms = timed(runs, lambda: core.rotation(people, core.Rooms(count=rooms), second.seed, constraints,
                                                    earlier))
        random_split = core.balanced_random(people, core.Rooms(count=rooms), second.seed, constraints)
        shown = services.preview(second)
        quality = shown.quality
        expected = {person.id: view.room.label for view in shown.rooms for person in view.members}
        figures = {
            "round": second.id,
            "assign_ms": round(assign_ms, 1),
            "assign_core_ms": round(core_ms, 1),
            "diverse_ms": round(diverse_ms, 1),
            "repeat_pairs": quality.repeated_pairs,
            "repeat_pairs_random": core.quality(random_split, people, earlier).repeated_pairs,
            "room_sizes": [min(quality.sizes), max(quality.sizes)],
            "countries_per_room": round(statistics.mean(quality.countries), 2),
            "countries_per_room_random": round(statistics.mean(core.quality(random_split, people).countries), 2),
            "rule_problems": len(quality.notes),
        }
        db.session.remove()
    return figures, expected


# Part two: the clients, and the moderator's requests ------------------------------------------------------

def moderator_post(base_url: str, cookie: str, page_path: str, action_path: str, data: dict | None = None):
    """A form posted as the browser does: the page's CSRF token, and the session cookie that page set."""
    import requests

    browser = requests.Session()
    browser.headers["Cookie"] = cookie
    page = browser.get(base_url + page_path, timeout=60)
    token = CSRF.search(page.text).group(1)
    name = cookie.split("=", 1)[0]
    if name in page.cookies:
        browser.headers["Cookie"] = f"{name}={page.cookies[name]}"
    started = time.monotonic()
    answer = browser.post(base_url + action_path, data={"csrf_token": token, **(data or {})}, timeout=60,
                          allow_redirects=False)
    if answer.status_code != 303:
        raise SystemExit(f"{action_path} answered {answer.status_code}: {answer.text[-500:]}")
    return started, (time.monotonic() - started) * 1000


def run(env: dict, setup: dict, cookies: list[str], expected: dict, moderator_cookie: str, options) -> dict:
    server = start_server(env)
    port = int(env["WORKSHOP_PORT"])
    base_url = f"http://127.0.0.1:{port}"
    people = setup["people"]
    loads = []
    try:
        for p in range(options.processes):
            mine = range(p, len(cookies), options.processes)
            worker = subprocess.Popen([PYTHON, __file__, "--load-process"], cwd=ROOT, text=True,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            send(worker, {"url": base_url, "code": setup["code"], "session": setup["session"],
                          "connect_concurrency": options.connect_concurrency,
                          "clients": [{"index": i, "cookie": cookies[i], "room": expected[people[i]]} for i in mine]})
            loads.append(worker)
        connect_started = time.monotonic()
        ready = [receive(worker) for worker in loads]
        connect_s = time.monotonic() - connect_started
        connected = sum(r.get("connected", 0) for r in ready)
        if connected != len(cookies):
            raise SystemExit(f"only {connected} of {len(cookies)} clients connected: "
                             f"{[f for r in ready for f in r.get('failures', [])]}")
        page = f"/w/{setup['code']}/s/{setup['session']}/breakouts/{setup['round']}"
        cpu_before = cpu_seconds(server.pid)
        sent_at, open_request_ms = moderator_post(base_url, moderator_cookie, page, f"{page}/open")
        for worker in loads:
            send(worker, {"wait_for": "room", "settle_seconds": SETTLE_SECONDS})
        opened = [r for worker in loads for r in receive(worker)["clients"]]
        open_cpu = cpu_seconds(server.pid) - cpu_before
        time.sleep(1.0)  # the desk's presence and the arrivals' broadcasts are long done; start quiet
        message_at, _ = moderator_post(base_url, moderator_cookie, page, f"{page}/message", {"text": MESSAGE})
        for worker in loads:
            send(worker, {"wait_for": "message", "settle_seconds": SETTLE_SECONDS})
        messaged = [r for worker in loads for r in receive(worker)["clients"]]
        peak = peak_rss_mb(server.pid)
    finally:
        stop_loads(loads)
        stop(server)
    room_ms = sorted((r["room_at"] - sent_at) * 1000 for r in opened if r["room_at"] is not None)
    message_ms = sorted((r["message_at"] - message_at) * 1000 for r in messaged if r["message_at"] is not None)
    return {
        "clients": len(cookies),
        "received": len(room_ms),
        "wrong_room": sum(1 for r in opened if r["room"] is not None and not r["right_room"]),
        "all_received_ms": round(room_ms[-1], 1) if len(room_ms) == len(cookies) else None,
        "p50_received_ms": round(statistics.median(room_ms), 1) if room_ms else None,
        "p95_received_ms": round(percentile(room_ms, 0.95), 1),
        "open_request_ms": round(open_request_ms, 1),
        "open_server_cpu_s": round(open_cpu, 2),
        "message_all_received_ms": round(message_ms[-1], 1) if len(message_ms) == len(cookies) else None,
        "connect_s": round(connect_s, 2),
        "server_peak_rss_mb": peak,
    }


def send(worker: subprocess.Popen, message: dict) -> None:
    worker.stdin.write(json.dumps(message) + "\n")
    worker.stdin.flush()


def receive(worker: subprocess.Popen) -> dict:
    return json.loads(worker.stdout.readline() or '{"clients": []}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rooms", type=int, help="rooms in each round (default: clients / 10)")
    parser.add_argument("--processes", type=int, default=4, help="load processes the clients are spread over")
    parser.add_argument("--connect-concurrency", type=int, default=20, help="connections opened at once per process")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5, help="assignments timed; the median is reported")
    options = parser.parse_args()
    rooms = options.rooms or max(2, options.clients // 10)
    if options.clients < 100 or rooms * 3 > options.clients or options.processes < 1:
        parser.error("--clients must be at least 100 (the rules name 80 people), with three people per room at least")
    rng = random.Random(options.seed)
    with migrated_instance("bench-breakouts-") as env:
        app, setup, cookies = seed(env, options.clients, rooms, rng)
        assignment, expected = assign(app, setup, rooms, rng, options.runs)
        setup["round"] = assignment.pop("round")
        signer = app.session_interface.get_signing_serializer(app)
        moderator_session = {"_user_id": f"{setup['moderator']}.1", "_fresh": True}
        moderator_cookie = f"session={signer.dumps(moderator_session)}"
        live = run(env, setup, cookies, expected, moderator_cookie, options)
        release(app)

    print(f"{options.clients} participants, {rooms} rooms, SQLite, {options.processes} load processes, "
          f"{os.cpu_count()} cores")
    print(f"  assignment: rotation {assignment['assign_ms']} ms as a service call ({assignment['assign_core_ms']} ms "
          f"the pure function; diverse round 1 {assignment['diverse_ms']} ms); repeated pairs "
          f"{assignment['repeat_pairs']} (balanced random, same seed and rules: {assignment['repeat_pairs_random']}); "
          f"{assignment['countries_per_room']} countries per room (random: "
          f"{assignment['countries_per_room_random']}); sizes {assignment['room_sizes']}")
    print(f"  open: every client had its own room after {live['all_received_ms']} ms (p50 {live['p50_received_ms']}, "
          f"p95 {live['p95_received_ms']}; {live['received']} received, {live['wrong_room']} wrong); "
          f"the open request took {live['open_request_ms']} ms, {live['open_server_cpu_s']} server CPU s")
    ratio = (round(live["all_received_ms"] / live["message_all_received_ms"], 2)
             if live["all_received_ms"] and live["message_all_received_ms"] else None)
    print(f"  baseline: one message to every room reached all after {live['message_all_received_ms']} ms "
          f"(open / message x{ratio})")
    print(json.dumps({**assignment, **live, "rooms": rooms, "open_over_message": ratio, "cores": os.cpu_count()}))


# One load process: many Socket.IO participants on gevent, driven over stdin and stdout -----------------------

class Participant:
    def __init__(self, entry: dict, setup: dict):
        import socketio

        self.index = entry["index"]
        self.cookie = entry["cookie"]
        self.expected = entry["room"]
        self.setup = setup
        self.client = socketio.Client(reconnection=False, request_timeout=60)
        self.client.on("fragment", self.on_fragment)
        self.room: str | None = None
        self.room_at: float | None = None
        self.message_at: float | None = None
        self.last_fragment_at = time.monotonic()

    def connect(self) -> str | None:
        try:
            self.client.connect(self.setup["url"], headers={"Cookie": self.cookie}, transports=["websocket"],
                                auth={"workshop": self.setup["code"], "session": self.setup["session"]},
                                wait_timeout=60)
        except Exception as error:  # noqa: BLE001 - counted and reported by the coordinator process
            return f"{error.__class__.__name__}: {error}"
        return None

    def on_fragment(self, html):
        now = time.monotonic()
        self.last_fragment_at = now
        html = html if isinstance(html, str) else ""
        found = ANNOUNCE.findall(html)
        if found and self.room_at is None:
            self.room, self.room_at = found[-1], now
        if self.message_at is None and MESSAGE in html:
            self.message_at = now

    def report(self) -> dict:
        return {"index": self.index, "room": self.room, "room_at": self.room_at, "message_at": self.message_at,
                "right_room": self.room == self.expected}


def load_process() -> None:
    import gevent
    import gevent.pool

    setup = json.loads(sys.stdin.readline())
    participants = [Participant(entry, setup) for entry in setup["clients"]]
    pool = gevent.pool.Pool(setup["connect_concurrency"])
    failures = [error for error in pool.imap(Participant.connect, participants) if error]
    wait_until_quiet(participants)
    print(json.dumps({"connected": len(participants) - len(failures), "failures": failures[:5]}), flush=True)
    while True:
        line = sys.stdin.readline()
        if not line or line.strip() == "done":
            break
        order = json.loads(line)
        field = "room_at" if order["wait_for"] == "room" else "message_at"
        deadline = time.monotonic() + order["settle_seconds"]
        while time.monotonic() < deadline and not all(getattr(p, field) for p in participants):
            gevent.sleep(0.02)
        print(json.dumps({"clients": [p.report() for p in participants]}), flush=True)
    os._exit(0)


if __name__ == "__main__":
    load_process() if "--load-process" in sys.argv else main()
