"""Live Q&A benchmark: N signed-in participants ask questions and upvote them over Socket.IO, timed on every page,
beside a bare python-socketio floor.

Starts the real server as `make run` does (one gevent process; SQLite in a
fresh instance folder, or a fresh database made on the PostgreSQL server given
with --database and dropped afterwards), creates a workshop with N participants
and a moderator, and an agenda session per run (not pre-moderated, so every
question is approved and goes to the whole session room), and connects N + 2
pages over websocket, each signed in with its own session cookie: the N
participants' session pages, the moderators' desk (the question queue) and the
projector (see bench/live_storm.py), spread over several load processes
(bench/qa_participants.py: gevent, one bench/socket_client.py client per page).

Within T seconds the participants send Q `qa_ask` and U `qa_upvote` events with
an acknowledgement, as the browser does. --arrival burst (the default): half of
the questions within 2 s of the start and the rest evenly over the first half of
T, half of the upvotes within 2 s of the start and the rest evenly over T;
--arrival even: the questions evenly over the first half, the upvotes evenly over
T. One asker after another (the app allows 3 questions a minute per person);
U / Q upvotes per question, each by a different person (never the asker), on a
question asked at least a second before if there is one still short of its
upvotes, else on the oldest such question. A participant upvotes only a question
its page shows (the text carries the question's number), and waits for it if
need be (counted: `upvotes_waiting_for_question`). --reconnect S: a share S of the
pages drops its socket during the storm and reconnects.

Every page records when it first shows each acknowledged action, by the page's
rule for versions (bench/live_page.py): once it holds the question at the
acknowledged version or above, `question-<id>` on the session page and the
projector, `queue-question-<id>` on the desk (qa/_question.html,
qa/_queue_card.html), whether the version came with the question's fragment or
with a `qa_counts` entry. A pair's latency runs from sending the action; a pair
not shown within 5 s after the last action was sent counts as infinitely late
("inf"). `lost`: acknowledged questions and upvotes missing from the database
plus the pairs never shown; `refused` apart. `final_ms`: from the last action
sent until every page shows every question at its highest acknowledged version.
Server CPU: during the action phase, in all and per acknowledged action.

The floor is bench/floor_server.py (qa: questions and counts in memory, the same
flush interval and message shapes), driven by the same pages with the same plan
and drops in the same run.

    .venv/bin/python bench/live_qa.py                 # --clients 1000 --seconds 30 --questions 200 --upvotes 5000
    .venv/bin/python bench/live_qa.py --reconnect 0.05
    .venv/bin/python bench/live_qa.py --clients 200 --seconds 10 --questions 40 --upvotes 1000   # the smaller run
    .venv/bin/python bench/live_qa.py --clients 100 --seconds 5 --questions 20 --upvotes 300 --repeat 3
    .venv/bin/python bench/live_qa.py --arrival even --database postgresql://127.0.0.1:5432/test
    .venv/bin/python bench/live_qa.py --workers 2     # through nginx: 1 worker, then 2 (PostgreSQL, Redis)

The last line of output is a JSON summary (an infinite figure is "inf").
"""

from __future__ import annotations

import argparse
import random

from common import (PYTHON, ROOT, add_moderator, add_server_options, arrival_offsets, migrated_instance, release,
                    seed_session, server_backend)
from live_storm import (app_served, cluster_env, floor_served, plan_pages, play_storm, print_summary, show_line,
                        summarize)

CODE = "BENCH-LIVE-QA"
LEAD_SECONDS = 1.0  # an upvote goes to a question asked at least this long before, if there is one
RATE_LIMIT = 3  # questions a person may ask in a minute (workshop/config.py, QUESTION_LIMIT)
LOAD_COMMAND = [PYTHON, str(ROOT / "bench" / "qa_participants.py")]
NOUN, FINAL = "actions", ("final_ms", "clients_with_final_counts")
BASELINE_KEYS = ("clients", "actions_acked", "lost", "p50_ms", "p95_ms", "p99_ms", "pairs_p50_ms", "pairs_p95_ms",
                 "pairs_p99_ms", "final_ms", "ack_p50_ms", "ack_p95_ms", "server_cpu_s", "server_cpu_ms_per_event",
                 "connect_cpu_ms_per_connection", "server_peak_rss_mb", "load_cpu_s", "reconnected")
RATIO_KEYS = ("p50_ms", "p95_ms", "p99_ms", "pairs_p50_ms", "pairs_p95_ms", "pairs_p99_ms", "final_ms", "server_cpu_s",
              "server_cpu_ms_per_event", "connect_cpu_ms_per_connection", "server_peak_rss_mb")


# The plan: who does what when ----------------------------------------------------------------------------------

def plan_actions(clients: int, options) -> list[dict]:
    """Every action: when (seconds from the start), what, on which question (by number), by which participant."""
    questions, upvotes = options.questions, options.upvotes
    wanted = [upvotes // questions + (1 if j < upvotes % questions else 0) for j in range(questions)]
    asked_at = arrival_offsets(questions, options.seconds / 2, options.arrival)
    askers = [j % clients for j in range(questions)]
    actions = [{"at": asked_at[j], "kind": "ask", "number": j, "index": askers[j]} for j in range(questions)]
    lead = min(LEAD_SECONDS, options.seconds / 10)
    given = [0] * questions
    for at in arrival_offsets(upvotes, options.seconds, options.arrival):
        eligible = [j for j in range(questions) if given[j] < wanted[j] and asked_at[j] <= at - lead]
        if not eligible:  # no question old enough still wants upvotes: the oldest that does
            eligible = [next(j for j in range(questions) if given[j] < wanted[j])]
        j = max(eligible, key=lambda q: (wanted[q] - given[q], -q))
        actions.append({"at": at, "kind": "upvote", "number": j, "index": (askers[j] + 1 + given[j]) % clients})
        given[j] += 1
    return actions


# The database and the people in it -----------------------------------------------------------------------------

def seed(env: dict, clients: int):
    """Workshop, participants, a moderator; returns the app, what the pages need, the participants' cookies and the
    moderator's."""
    app, setup, cookies = seed_session(env, clients, code=CODE, who="Asker", session_title="Plenary with questions")
    return app, setup, cookies, add_moderator(app, setup)


def fresh_session(app, setup: dict) -> dict:
    """A new running session in the workshop: each run's questions on a page of their own."""
    from workshop.agenda.models import AgendaSession
    from workshop.db import db

    with app.app_context():
        seeded = db.session.get(AgendaSession, setup["session"])
        session = AgendaSession(workshop_id=seeded.workshop_id, kind=seeded.kind, title=seeded.title,
                                starts_at=seeded.starts_at, ends_at=seeded.ends_at)
        db.session.add(session)
        db.session.commit()
        fresh = {**setup, "session": session.id}
        db.session.remove()
    return fresh


def stored(app, session_id: int, actions: list[dict], people: list[int]) -> dict:
    """What the database holds of the session, and the acknowledged actions it lacks."""
    from sqlalchemy import select

    from workshop.db import db
    from workshop.qa.models import Question, QuestionVote

    with app.app_context():
        questions = set(db.session.scalars(select(Question.id).where(Question.session_id == session_id)))
        upvotes = {(question_id, person_id) for question_id, person_id in db.session.execute(
            select(QuestionVote.question_id, QuestionVote.person_id).join(Question)
            .where(Question.session_id == session_id))}
        db.session.remove()
    acked = [action for action in actions if action["ok"]]
    missing = sum(1 for a in acked if a["kind"] == "ask" and a["key"] not in questions)
    missing += sum(1 for a in acked if a["kind"] == "upvote" and (a["key"], people[a["index"]]) not in upvotes)
    return {"questions_stored": len(questions), "upvotes_stored": len(upvotes),
            "actions_stored": len(questions) + len(upvotes), "missing": missing}


# One run --------------------------------------------------------------------------------------------------------

def qa_figures(storm, clients: int, missing: int) -> dict:
    figures = summarize(storm, clients, NOUN, FINAL, missing)
    sent = [action for action in storm.actions if action["sent_at"] is not None]
    return {**figures, "questions": sum(1 for a in sent if a["kind"] == "ask"),
            "upvotes": sum(1 for a in sent if a["kind"] == "upvote"),
            "upvotes_waiting_for_question": sum(1 for a in sent if a["kind"] == "upvote" and a["waited"])}


def measure_floor(setup: dict, cookies: list[str], staff_cookie: str, pages: list[dict], plan: list[dict],
                  options) -> dict:
    with floor_served("qa", staff_cookie) as served:
        storm = play_storm(LOAD_COMMAND, setup, pages, plan, served, options)
    return qa_figures(storm, len(cookies), missing=0)


def measure_app(env: dict, app, setup: dict, cookies: list[str], pages: list[dict], plan: list[dict], options,
                workers: int) -> dict:
    session = fresh_session(app, setup)
    if workers:
        env = cluster_env(env, options.redis, "bench-live-qa")
    with app_served(env, workers) as served:
        storm = play_storm(LOAD_COMMAND, session, pages, plan, served, options)
    database = stored(app, session["session"], storm.actions, setup["people"])
    figures = qa_figures(storm, len(cookies), database.pop("missing"))
    return {**figures, **database, **({"workers": workers} if workers else {})}


def one_run(number: int, env: dict, app, setup: dict, cookies: list[str], staff_cookie: str, options) -> dict:
    """The floor, then the app (with --workers: on 1 worker, then on N), with the same plan, pages and drops."""
    def pages(spread_sources: bool) -> list[dict]:
        return plan_pages(cookies, staff_cookie, options, random.Random(number), spread_sources)

    plan = plan_actions(len(cookies), options)
    floor = measure_floor(setup, cookies, staff_cookie, pages(False), plan, options)
    print(show_line("floor", floor, NOUN, FINAL), flush=True)
    runs = {}
    if options.workers:
        for workers in (1, options.workers):
            runs[workers] = measure_app(env, app, setup, cookies, pages(True), plan, options, workers)
            print(show_line(f"{workers} worker(s)", runs[workers], NOUN, FINAL), flush=True)
    else:
        runs[0] = measure_app(env, app, setup, cookies, pages(False), plan, options, 0)
        print(show_line("app", runs[0], NOUN, FINAL), flush=True)
    summary = {**runs[options.workers], "baseline": {key: floor[key] for key in BASELINE_KEYS}}
    if options.workers:
        summary["one_worker"] = runs[1]
    return summary


# Report -----------------------------------------------------------------------------------------------------------

def parse_options():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--upvotes", type=int, default=5000)
    parser.add_argument("--arrival", choices=("burst", "even"), default="burst",
                        help="burst: half of the questions and of the upvotes within 2 s of the start; even: evenly")
    parser.add_argument("--reconnect", type=float, default=0.0,
                        help="the share of the pages that drops its socket during the storm and reconnects")
    parser.add_argument("--repeat", type=int, default=1, help="runs; medians reported, lost the worst")
    add_server_options(parser, processes=4,
                       workers_help="run through nginx onto this many gevent workers (PostgreSQL and a Redis queue), "
                                    "and the same load on 1 worker")
    parser.add_argument("--connect-concurrency", type=int, default=20, help="connections opened at once per process")
    options = parser.parse_args()
    if min(options.clients, options.questions, options.processes, options.repeat) < 1 or options.seconds <= 0 \
            or options.upvotes < 0 or options.workers < 0:
        parser.error("--clients, --questions, --seconds, --processes and --repeat must be positive")
    if not 0 <= options.reconnect <= 1:
        parser.error("--reconnect is a share, from 0 to 1")
    if options.questions > RATE_LIMIT * options.clients:
        parser.error(f"at most {RATE_LIMIT} questions per client (the app's rate limit)")
    if -(-options.upvotes // options.questions) > options.clients - 1:
        parser.error("more upvotes per question than there are other clients")
    return options


def main() -> None:
    options = parse_options()
    backend = server_backend(options)
    print(f"{options.clients} participants + desk + projector in {options.processes} load processes, "
          f"{options.questions} questions and {options.upvotes} upvotes over {options.seconds:g} s "
          f"({options.arrival}), "
          f"{options.reconnect:.0%} reconnecting, {backend}"
          + (", through nginx with a Redis queue" if options.workers else "") + f", {options.repeat} run(s)",
          flush=True)
    with migrated_instance("bench-live-qa-", options.database) as env:
        app, setup, cookies, staff_cookie = seed(env, options.clients)
        summaries = [one_run(number, env, app, setup, cookies, staff_cookie, options)
                     for number in range(options.repeat)]
        release(app)
    print_summary(summaries, RATIO_KEYS, backend, options)


if __name__ == "__main__":
    main()
