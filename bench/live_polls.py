"""Live poll benchmark: N signed-in participants vote over Socket.IO as a poll opens, timed on every page, beside a
bare python-socketio floor.

Starts the real server as `make run` does (one gevent process; SQLite in a
fresh instance folder, or a fresh database made on the PostgreSQL server given
with --database and dropped afterwards), creates a workshop with N participants
and a moderator, an agenda session and a draft single-choice poll, and connects
N + 2 pages over websocket, each signed in with its own session cookie: the N
participants' session pages, the moderators' desk and the projector (see
bench/live_storm.py), spread over several load processes (bench/poll_voters.py,
gevent, one bench/socket_client.py client per page).

At the start the moderator opens the poll, as the desk does (the open request,
with its CSRF token); its card reaches the session's room and each participant
votes at its turn once its page shows the card, as the browser votes: `vote`
with an acknowledgement. --arrival burst (the default): half of the votes within
2 s of the opening, the rest evenly over the remaining T; --arrival even: evenly
over T. --reconnect S: a share S of the pages drops its socket during the storm
and reconnects.

Every page records when it first shows each acknowledged vote, by the page's
rule for versions (bench/live_page.py): once it keeps the poll's results at the
acknowledged version or above (`poll-results-<id>` on the session page and the
projector, `poll-staff-results-<id>` on the desk). A pair's latency runs from
sending the vote; a pair not shown within 5 s after the last vote was sent counts
as infinitely late ("inf"). `lost`: acknowledged votes without a ballot in the
database plus the pairs never shown; `refused` apart. `final_tally_ms`: from the
last vote sent until every page shows the highest acknowledged version. Server
CPU: during the vote phase, in all and per acknowledged vote.

The floor is bench/floor_server.py (polls: no database, no sign-in, no
templates, same flush interval, the poll opened by `POST /open` at the start),
driven by the same pages with the same arrivals and drops in the same run.

    .venv/bin/python bench/live_polls.py                       # --clients 1000 --seconds 10 --arrival burst, SQLite
    .venv/bin/python bench/live_polls.py --reconnect 0.05      # 5% of the pages drop their socket and come back
    .venv/bin/python bench/live_polls.py --clients 100 --seconds 5 --repeat 3   # medians of 3 runs, lost the worst
    .venv/bin/python bench/live_polls.py --arrival even --database postgresql://127.0.0.1:5432/test
    .venv/bin/python bench/live_polls.py --workers 2           # through nginx: 1 worker, then 2 (PostgreSQL, Redis)

With --workers N the app runs as `python -m workshop.cluster` does (N gevent
workers behind nginx, PostgreSQL, a Redis message queue), the pages connect
through nginx from many loopback addresses (127.1.x.y) so that its
`hash $remote_addr consistent` spreads them, and the same load runs first on
1 worker; the JSON adds `workers` and `one_worker`.

The last line of output is a JSON summary (an infinite figure is "inf").
"""

from __future__ import annotations

import argparse
import random

from common import (PYTHON, ROOT, StaffForm, add_moderator, add_server_options, arrival_offsets, migrated_instance,
                    release, seed_session, server_backend)
from live_storm import (app_served, cluster_env, floor_served, plan_pages, play_storm, print_summary, show_line,
                        summarize)

CODE = "BENCH-LIVE-POLLS"
OPTIONS = 3
LOAD_COMMAND = [PYTHON, str(ROOT / "bench" / "poll_voters.py")]
NOUN, FINAL = "votes", ("final_tally_ms", "clients_with_final_tally")
BASELINE_KEYS = ("clients", "votes_acked", "lost", "p50_ms", "p95_ms", "p99_ms", "pairs_p50_ms", "pairs_p95_ms",
                 "pairs_p99_ms", "final_tally_ms", "ack_p50_ms", "ack_p95_ms", "server_cpu_s",
                 "server_cpu_ms_per_event", "connect_cpu_ms_per_connection", "server_peak_rss_mb", "load_cpu_s",
                 "reconnected")
RATIO_KEYS = ("p50_ms", "p95_ms", "p99_ms", "pairs_p50_ms", "pairs_p95_ms", "pairs_p99_ms", "final_tally_ms",
              "server_cpu_s", "server_cpu_ms_per_event", "connect_cpu_ms_per_connection", "server_peak_rss_mb")


# The database and the people in it -------------------------------------------------------------------------

def seed(env: dict, clients: int):
    """Workshop, participants, a moderator and a session; returns the app, what the pages need, the
    participants' cookies and the moderator's."""
    app, setup, cookies = seed_session(env, clients, code=CODE, who="Voter", session_title="Plenary with a poll")
    return app, setup, cookies, add_moderator(app, setup)


def draft_poll(app, setup: dict) -> dict:
    """Close the session's open polls and make a draft single-choice poll: each run opens a poll of its own."""
    from sqlalchemy import select

    from workshop.agenda.models import AgendaSession
    from workshop.db import db
    from workshop.polls import services as polls
    from workshop.polls.models import Poll, PollState

    with app.app_context():
        session = db.session.get(AgendaSession, setup["session"])
        for poll in db.session.scalars(select(Poll).where(Poll.session_id == session.id, Poll.state == PollState.OPEN)):
            polls.close_poll(poll)
        poll = polls.create_poll(session, {"kind": "single choice", "question": "Which option?", "results_visible": "y",
                                           "options": "\n".join(f"Option {n + 1}" for n in range(OPTIONS))})
        db.session.commit()
        fresh = {**setup, "poll": poll.id, "options": [option.id for option in poll.options]}
        db.session.remove()
    return fresh


def ballots(app, poll_id: int, actions: list[dict], people: list[int]) -> tuple[int, int]:
    """Ballots stored for the poll, and acknowledged votes whose voter has none."""
    from sqlalchemy import select

    from workshop.db import db
    from workshop.polls.models import Ballot

    with app.app_context():
        voters = set(db.session.scalars(select(Ballot.person_id).where(Ballot.poll_id == poll_id)))
        db.session.remove()
    acked = {people[action["index"]] for action in actions if action["ok"]}
    return len(voters), len(acked - voters)


# One run ------------------------------------------------------------------------------------------------------

def plan_votes(clients: int, options) -> list[dict]:
    """Each participant votes once, at its offset from the poll's opening."""
    return [{"index": n, "at": at} for n, at in enumerate(arrival_offsets(clients, options.seconds, options.arrival))]


def measure_floor(setup: dict, cookies: list[str], staff_cookie: str, pages: list[dict], options) -> dict:
    import requests

    with floor_served("polls", staff_cookie) as served:
        storm = play_storm(LOAD_COMMAND, {**setup, "poll": 1, "options": [1, 2, 3]}, pages,
                           plan_votes(len(cookies), options), served, options,
                           at_start=lambda: requests.post(served.url + "/open", timeout=60).raise_for_status())
    return summarize(storm, len(cookies), NOUN, FINAL, missing=0)


def measure_app(env: dict, app, setup: dict, cookies: list[str], staff_cookie: str, pages: list[dict], options,
                workers: int) -> dict:
    poll = draft_poll(app, setup)
    desk = f"/w/{setup['code']}/s/{setup['session']}/polls"
    if workers:
        env = cluster_env(env, options.redis, "bench-live-polls")
    with app_served(env, workers) as served:
        moderator = StaffForm(served.url, staff_cookie, desk)
        storm = play_storm(LOAD_COMMAND, poll, pages, plan_votes(len(cookies), options), served, options,
                           at_start=lambda: moderator.post(f"{desk}/{poll['poll']}/open"))
    stored, missing = ballots(app, poll["poll"], storm.actions, setup["people"])
    figures = summarize(storm, len(cookies), NOUN, FINAL, missing)
    return {**figures, "ballots_stored": stored, **({"workers": workers} if workers else {})}


def one_run(number: int, env: dict, app, setup: dict, cookies: list[str], staff_cookie: str, options) -> dict:
    """The floor, then the app (with --workers: on 1 worker, then on N), with the same pages and drops."""
    def pages(spread_sources: bool) -> list[dict]:
        return plan_pages(cookies, staff_cookie, options, random.Random(number), spread_sources)

    floor = measure_floor(setup, cookies, staff_cookie, pages(False), options)
    print(show_line("floor", floor, NOUN, FINAL), flush=True)
    runs = {}
    if options.workers:
        for workers in (1, options.workers):
            runs[workers] = measure_app(env, app, setup, cookies, staff_cookie, pages(True), options, workers)
            print(show_line(f"{workers} worker(s)", runs[workers], NOUN, FINAL), flush=True)
    else:
        runs[0] = measure_app(env, app, setup, cookies, staff_cookie, pages(False), options, 0)
        print(show_line("app", runs[0], NOUN, FINAL), flush=True)
    result = runs[options.workers]
    summary = {**result, "baseline": {key: floor[key] for key in BASELINE_KEYS}}
    if options.workers:
        summary["one_worker"] = runs[1]
    return summary


# Report -------------------------------------------------------------------------------------------------------

def parse_options():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--arrival", choices=("burst", "even"), default="burst",
                        help="burst: half of the votes within 2 s of the opening; even: evenly over the time")
    parser.add_argument("--reconnect", type=float, default=0.0,
                        help="the share of the pages that drops its socket during the storm and reconnects")
    parser.add_argument("--repeat", type=int, default=1, help="runs; medians reported, lost the worst")
    add_server_options(parser, processes=4,
                       workers_help="run through nginx onto this many gevent workers (PostgreSQL and a Redis queue), "
                                    "and the same load on 1 worker")
    parser.add_argument("--connect-concurrency", type=int, default=20, help="connections opened at once per process")
    options = parser.parse_args()
    if min(options.clients, options.processes, options.repeat) < 1 or options.seconds <= 0 or options.workers < 0:
        parser.error("--clients, --seconds, --processes and --repeat must be positive, --workers not negative")
    if not 0 <= options.reconnect <= 1:
        parser.error("--reconnect is a share, from 0 to 1")
    return options


def main() -> None:
    options = parse_options()
    backend = server_backend(options)
    print(f"{options.clients} participants + desk + projector in {options.processes} load processes, votes over "
          f"{options.seconds:g} s ({options.arrival}), {options.reconnect:.0%} reconnecting, {backend}"
          + (", through nginx with a Redis queue" if options.workers else "") + f", {options.repeat} run(s)",
          flush=True)
    with migrated_instance("bench-live-polls-", options.database) as env:
        app, setup, cookies, staff_cookie = seed(env, options.clients)
        summaries = [one_run(number, env, app, setup, cookies, staff_cookie, options)
                     for number in range(options.repeat)]
        release(app)
    print_summary(summaries, RATIO_KEYS, backend, options)


if __name__ == "__main__":
    main()
