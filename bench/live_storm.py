"""The coordinator of the live benchmarks (bench/live_polls.py, bench/live_qa.py): the pages, one storm played
against one server (the app, or the floor), and its figures.

The pages are the N participants' session pages, the moderators' desk and the
projector. The desk and the projector are a moderator's pages (polls/control.html
or qa/moderate.html, and the projector page); each opens its socket with the same
``auth`` as the session page, ``{"workshop", "session"}``, so the server puts it in
the session's room and, as staff, in the desk room. With --reconnect S a random
share S of the pages drops its socket at a random moment of the storm and comes
back 0.25 to 0.75 s later (live.js's first reconnection delay), with the same
cookie and auth, and must end on the final state.

A storm, once every page is connected and the arrivals' broadcasts have died
down: at the start each participant acts at its turn (bench/common.arrival_offsets);
each load process (bench/live_page.py) reports its actions once they are
answered; every page is then told the acknowledged actions and waits until it
shows the highest acknowledged version of every key, or until the cut, 5 s after
the last action was sent; then it reports, for every acknowledged action, when it
first showed it (every action x page pair). The figures:

- ``pairs_p50_ms`` ... ``pairs_p99_ms``: over every pair, from the moment the action
  was sent until the page first showed it; a pair not shown by the cut counts as
  infinitely late ("inf" in the JSON). ``p50_ms`` ... ``p99_ms``: the sender's own page.
- ``lost``: acknowledged actions missing from the database, plus the pairs never
  shown by the cut. ``refused`` (answered ok: false), ``unanswered`` (the
  acknowledgement never came, say the socket dropped meanwhile) and ``never_sent``
  (the page never showed what the action acts on) are apart.
- ``desk_p95_ms``, ``projector_p95_ms``: the pairs of those two pages; with several
  kinds of action, ``<kind>_pairs_p95_ms`` (``ask_pairs_p95_ms``) the pairs of each.
- The final state: every page shows the highest acknowledged version of every key;
  ``final`` runs from the last action sent until the last page got there (with
  --reconnect, a page that comes back after the last action brings its time away).
- What breaks the page's rule: ``unversioned_ids`` (top-level elements without a
  version), ``rollbacks`` (a page made to show an older version), and
  ``pairs_shown_before_send`` (a page already held a version at or above the
  acknowledged one before the action was sent: the two versions do not count the
  same thing; such a pair counts from the first newer version kept after sending).
- ``server_cpu_s`` from the start until every page settled, and per acknowledged
  action (``server_cpu_ms_per_event``); ``load_cpu_s``, the load processes' over the
  same time. ``connect_cpu_ms_per_connection``: the server's CPU while the pages
  connect (each page's snapshot and the presence updates it causes included),
  per page.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import statistics
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from common import (DESK, PARTICIPANT, PROJECTOR, PYTHON, ROOT, combine_runs, cpu_seconds, free_port, jsonable,
                    nearest_rank, peak_rss_mb, percentile, start_server, stop, stop_loads, wait_for)

FLUSH_SECONDS = 0.15  # the app's LIVE_FLUSH_SECONDS; the floors flush at the same interval
SETTLE_AFTER_END = 5.0  # a pair not shown this long after the last action was sent is never shown
ANSWER_SECONDS = 30.0  # how long after the planned end a load process waits for its acknowledgements
START_DELAY = 0.5  # from telling the load processes to go until the first action
WORST_OF_RUNS = {"lost", "missing_from_database", "pairs_never_shown", "refused", "unanswered", "never_sent",
                 "connections_dropped", "reconnect_failed", "rollbacks", "pairs_shown_before_send"}


# The pages --------------------------------------------------------------------------------------------------

def plan_pages(cookies: list[str], staff_cookie: str, options, rng, spread_sources: bool = False) -> list[dict]:
    """Every page: the participants' (index = participant), then the desk and the projector; some will reconnect."""
    pages = [{"index": n, "role": PARTICIPANT, "cookie": cookie} for n, cookie in enumerate(cookies)]
    pages += [{"index": len(cookies), "role": DESK, "cookie": staff_cookie},
              {"index": len(cookies) + 1, "role": PROJECTOR, "cookie": staff_cookie}]
    for page in rng.sample(pages, round(options.reconnect * len(pages))):
        page["drop_at"], page["away_for"] = rng.uniform(0, options.seconds), rng.uniform(0.25, 0.75)
    if spread_sources:
        for page in pages:
            page["source"] = loopback_source(page["index"])
    return pages


def loopback_source(index: int) -> str:
    """A loopback address of its own for page ``index`` (127.1.0.1, 127.1.0.2, ...): a crowd from many hosts,
    which nginx's `hash $remote_addr consistent` spreads over the workers."""
    return f"127.1.{index // 250}.{index % 250 + 1}"


# The servers ------------------------------------------------------------------------------------------------

@dataclass
class Served:
    url: str
    pids: list[int]  # the server's processes (the workers)
    nginx_pids: list[int] = field(default_factory=list)
    worker_ports: list[int] = field(default_factory=list)


def cluster_env(env: dict, redis_url: str, name: str) -> dict:
    """The app's environment for several workers: the Redis queue, and presence and action limits under keys of
    this run's own (a run's limits must not refuse the next run's actions)."""
    prefix = f"{name}:{os.getpid()}:{secrets.token_hex(3)}:"
    return {**env, "WORKSHOP_MESSAGE_QUEUE": redis_url, "WORKSHOP_PRESENCE_PREFIX": f"{prefix}presence:",
            "WORKSHOP_ACTION_LIMIT_PREFIX": f"{prefix}limits"}


@contextmanager
def app_served(env: dict, workers: int = 0, output=subprocess.DEVNULL):
    """The app as `make run` starts it (one gevent process), or with ``workers`` as `python -m workshop.cluster`
    does (gevent workers behind nginx; ``env`` names the database and the Redis queue). Its output (and nginx's)
    goes to ``output``, a file descriptor or an open file; by default nowhere."""
    if not workers:
        server = start_server(env, output)
        try:
            yield Served(f"http://127.0.0.1:{env['WORKSHOP_PORT']}", [server.pid])
        finally:
            stop(server)
        return
    from workshop.cluster import Cluster

    cluster = Cluster([free_port() for _ in range(workers)], "127.0.0.1", free_port(), environ=env, output=output)
    try:
        cluster.start()
        yield Served(f"http://127.0.0.1:{cluster.port}", [process.pid for process in cluster.processes.values()],
                     [cluster.nginx.pid, *child_pids(cluster.nginx.pid)], cluster.worker_ports)
    finally:
        cluster.stop()


@contextmanager
def floor_served(feature: str, staff_cookie: str):
    """bench/floor_server.py for ``feature`` (polls or qa), the moderator's cookie marking staff connections."""
    port = free_port()
    floor = subprocess.Popen([PYTHON, str(ROOT / "bench" / "floor_server.py"), feature, str(port), str(FLUSH_SECONDS)],
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "FLOOR_STAFF_COOKIE": staff_cookie})
    try:
        wait_for(port, floor)
        yield Served(f"http://127.0.0.1:{port}", [floor.pid])
    finally:
        stop(floor)


def child_pids(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def total_cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def connections_per_worker(ports: list[int]) -> list[int]:
    """Established connections on each worker's port (nginx's upstream connections): how the pages spread."""
    counts = []
    for port in ports:
        listing = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"],
                                 capture_output=True, text=True).stdout
        counts.append(len(listing.splitlines()))
    return counts


# The storm --------------------------------------------------------------------------------------------------

@dataclass
class Storm:
    actions: list[dict]
    pairs: list[dict]  # one report per load process
    messages: int
    connect_s: float
    connect_cpu_s: float
    server_cpu_s: float
    load_cpu_s: float
    peak_rss_mb: float
    load_average: list[float]
    nginx_cpu_s: float | None
    spread: list[int] | None


def play_storm(load_command: list[str], setup: dict, pages: list[dict], plan: list[dict], served: Served, options,
               at_start=None) -> Storm:
    """Connect every page, play the plan (each action names its page by ``index``), wait until the pages settle.
    ``at_start()`` runs at the start (the moderator opens the poll)."""
    loads = []
    for p in range(options.processes):
        mine = {page["index"] for page in pages if page["index"] % options.processes == p}
        worker = subprocess.Popen(load_command, cwd=ROOT, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        send(worker, {**setup, "url": served.url, "seconds": options.seconds, "answer_seconds": ANSWER_SECONDS,
                      "connect_concurrency": options.connect_concurrency,
                      "pages": [page for page in pages if page["index"] in mine],
                      "plan": [action for action in plan if action["index"] in mine]})
        loads.append(worker)
    try:
        connect_started, cpu_before_connect = time.monotonic(), total_cpu(served.pids)
        ready = [receive(worker) for worker in loads]
        connect_s = time.monotonic() - connect_started
        if sum(r.get("connected", 0) for r in ready) != len(pages):
            raise SystemExit(f"only {sum(r.get('connected', 0) for r in ready)} of {len(pages)} pages connected: "
                             f"{[f for r in ready for f in r.get('failures', [])]}")
        spread = connections_per_worker(served.worker_ports) if served.worker_ports else None
        cpu_before, nginx_before = total_cpu(served.pids), total_cpu(served.nginx_pids)
        load_average_before = os.getloadavg()[0]
        start = time.monotonic() + START_DELAY
        for worker in loads:
            send(worker, {"start": start})
        if at_start is not None:
            time.sleep(max(0.0, start - time.monotonic()))
            at_start()
        played = [receive(worker) for worker in loads]
        actions = [action for report in played for action in report.get("actions", [])]
        told = outcome(actions)
        for worker in loads:
            send(worker, told)
        settled = [receive(worker) for worker in loads]
        server_cpu = total_cpu(served.pids) - cpu_before
        nginx_cpu = total_cpu(served.nginx_pids) - nginx_before if served.nginx_pids else None
        load_average_after = os.getloadavg()[0]
        peak = round(sum(peak_rss_mb(pid) for pid in served.pids), 1)
        for worker in loads:
            send(worker, {"report": True})
        pairs = [receive(worker) for worker in loads]
    finally:
        stop_loads(loads)
    return Storm(actions, pairs, sum(report.get("messages", 0) for report in settled), connect_s,
                 cpu_before - cpu_before_connect, server_cpu, sum(report.get("load_cpu_s", 0.0) for report in settled),
                 peak,
                 [round(load_average_before, 2), round(load_average_after, 2)], nginx_cpu, spread)


def outcome(actions: list[dict]) -> dict:
    """What every page is told after the storm: the acknowledged actions (the same list, in the same order, for
    every load process), the highest acknowledged version of each key, and the cut."""
    acked = [action for action in actions if action["ok"]]
    for action in acked:
        if not isinstance(action["version"], int):
            raise SystemExit(f"an acknowledgement without a version breaks the protocol: {action}")
    expected: dict = {}
    for action in acked:
        expected[action["key"]] = max(expected.get(action["key"], 0), action["version"])
    sent = [action["sent_at"] for action in actions if action["sent_at"] is not None]
    return {"acked": [[a["key"], a["version"], a["sent_at"], a["index"], a["kind"]] for a in acked],
            "expected": [[key, version] for key, version in expected.items()],
            "cut": max(sent, default=time.monotonic()) + SETTLE_AFTER_END}


def send(worker: subprocess.Popen, message: dict) -> None:
    worker.stdin.write(json.dumps(message) + "\n")
    worker.stdin.flush()


def receive(worker: subprocess.Popen) -> dict:
    return json.loads(worker.stdout.readline() or "{}")


# The figures ------------------------------------------------------------------------------------------------

def histogram_percentile(histogram: dict[int, int], never: int, share: float) -> float:
    """The nearest-rank percentile of latencies counted per whole millisecond, ``never`` of them infinite."""
    total = sum(histogram.values()) + never
    if not total:
        return math.inf
    rank, seen = nearest_rank(total, share), 0
    for milliseconds in sorted(histogram):
        seen += histogram[milliseconds]
        if seen >= rank:
            return float(milliseconds)
    return math.inf


def pairs_of(reports: list[dict], role: str | None = None, kind: str | None = None) -> tuple[dict[int, int], int]:
    """The load processes' latency histograms and never-shown counts merged, of one role of page or kind of
    action, or of all."""
    def chosen(group: str) -> bool:
        group_role, group_kind = group.split(" ")
        return role in (None, group_role) and kind in (None, group_kind)

    merged: dict[int, int] = {}
    never = 0
    for report in reports:
        for group, histogram in report.get("histograms", {}).items():
            if chosen(group):
                for milliseconds, count in histogram.items():
                    merged[int(milliseconds)] = merged.get(int(milliseconds), 0) + count
        never += sum(count for group, count in report.get("never", {}).items() if chosen(group))
    return merged, never


def pairs_p95(reports: list[dict], **which) -> float:
    return histogram_percentile(*pairs_of(reports, **which), 0.95)


def summarize(storm: Storm, clients: int, noun: str, final: tuple[str, str], missing: int) -> dict:
    """The storm's figures. ``noun`` names the actions in the keys ("votes_sent"), ``final`` the keys of the final
    state's moment and of the pages that reached it; ``missing``: acknowledged actions the database does not hold."""
    sent = [action for action in storm.actions if action["sent_at"] is not None]
    acked = [action for action in sent if action["ok"]]
    refused = [action["message"] or "no answer" for action in sent if action["answered"] and not action["ok"]]
    histogram, never = pairs_of(storm.pairs)
    kinds = sorted({action["kind"] for action in acked})
    own = [math.inf] * len(acked)
    for report in storm.pairs:
        for position, latency in report.get("own", []):
            own[position] = math.inf if latency is None else latency
    own.sort()
    acks = sorted(action["ack_ms"] for action in sent if action["ack_ms"] is not None)
    pages = [page for report in storm.pairs for page in report.get("pages", [])]
    finals = [page["final_at"] for page in pages]
    last_sent = max((action["sent_at"] for action in sent), default=0.0)
    reached_final = len(pages) > 0 and all(moment is not None for moment in finals)
    dropped = [page for page in pages if page["dropped"]]
    return {
        "clients": clients,
        "pages": len(pages),
        f"{noun}_sent": len(sent),
        "never_sent": len(storm.actions) - len(sent),
        f"{noun}_acked": len(acked),
        "refused": len(refused),
        "refusals": sorted(set(refused))[:3],
        "unanswered": sum(1 for action in sent if not action["answered"]),
        "waited_to_see": sum(1 for action in sent if action["waited"]),
        "missing_from_database": missing,
        "pairs": sum(histogram.values()) + never,
        "pairs_never_shown": never,
        "lost": missing + never,
        "with_latency": sum(1 for latency in own if not math.isinf(latency)),
        "p50_ms": figure(statistics.median(own)) if own else math.inf,
        "p95_ms": figure(percentile(own, 0.95)),
        "p99_ms": figure(percentile(own, 0.99)),
        "max_ms": figure(own[-1]) if own else math.inf,
        "pairs_p50_ms": histogram_percentile(histogram, never, 0.5),
        "pairs_p95_ms": histogram_percentile(histogram, never, 0.95),
        "pairs_p99_ms": histogram_percentile(histogram, never, 0.99),
        "pairs_max_ms": histogram_percentile(histogram, never, 1.0),
        "desk_p95_ms": pairs_p95(storm.pairs, role=DESK),
        "projector_p95_ms": pairs_p95(storm.pairs, role=PROJECTOR),
        **({f"{kind}_pairs_p95_ms": pairs_p95(storm.pairs, kind=kind) for kind in kinds} if len(kinds) > 1 else {}),
        "pairs_shown_before_send": sum(report.get("before_send", 0) for report in storm.pairs),
        "ack_p50_ms": figure(statistics.median(acks)) if acks else math.inf,
        "ack_p95_ms": figure(percentile(acks, 0.95)),
        final[1]: sum(1 for moment in finals if moment is not None),
        final[0]: figure((max(max(finals), last_sent) - last_sent) * 1000) if reached_final else math.inf,
        "reconnected": sum(1 for page in dropped if page["reconnected"]),
        "reconnect_failed": sum(1 for page in dropped if not page["reconnected"]),
        "reconnected_on_final_state": sum(1 for page in dropped if page["reconnected"] and page["on_final_state"]),
        "connections_dropped": sum(1 for page in pages if page["connection_lost"]),
        "unversioned_ids": sorted({name for report in storm.pairs for name in report.get("unversioned", [])}),
        "rollbacks": sum(report.get("rollbacks", 0) for report in storm.pairs),
        "fragments_received": storm.messages,
        "connect_s": round(storm.connect_s, 2),
        "connect_cpu_s": round(storm.connect_cpu_s, 2),
        "server_cpu_s": round(storm.server_cpu_s, 2),
        "server_cpu_ms_per_event": round(storm.server_cpu_s * 1000 / len(acked), 2) if acked else None,
        "connect_cpu_ms_per_connection": round(storm.connect_cpu_s * 1000 / len(pages), 2) if pages else None,
        "server_peak_rss_mb": storm.peak_rss_mb,
        "load_cpu_s": round(storm.load_cpu_s, 2),
        "load_average": storm.load_average,
        **({"connections_per_worker": storm.spread} if storm.spread else {}),
        **({"nginx_cpu_s": round(storm.nginx_cpu_s, 2)} if storm.nginx_cpu_s is not None else {}),
    }


def figure(milliseconds: float) -> float:
    return round(milliseconds, 1)


def ratio(app_value, floor_value):
    """App over floor; infinite if the app never showed what the floor did."""
    if not isinstance(app_value, (int, float)) or not isinstance(floor_value, (int, float)):
        return None
    if math.isinf(app_value) or math.isinf(floor_value) or not floor_value:
        return math.inf if math.isinf(app_value) and not math.isinf(floor_value) else None
    return round(app_value / floor_value, 2)


def show_line(name: str, figures: dict, noun: str, final: tuple[str, str]) -> str:
    """One run in words, for the human summary."""
    return (f"  {name:12}  acked {figures[f'{noun}_acked']:5}  lost {figures['lost']}"
            f" (missing {figures['missing_from_database']}, pairs never shown {figures['pairs_never_shown']}"
            f" of {figures['pairs']})  refused {figures['refused']} {figures['refusals']}"
            f"  unanswered {figures['unanswered']}  never sent {figures['never_sent']}\n"
            f"  {'':12}  pairs p50/p95/p99 {figures['pairs_p50_ms']}/{figures['pairs_p95_ms']}/"
            f"{figures['pairs_p99_ms']} ms  own p50/p95/p99 {figures['p50_ms']}/{figures['p95_ms']}/"
            f"{figures['p99_ms']} ms  {final[0]} {figures[final[0]]} ({figures[final[1]]} pages)"
            f"  ack p50/p95 {figures['ack_p50_ms']}/{figures['ack_p95_ms']} ms"
            f"  desk p95 {figures['desk_p95_ms']} ms  projector p95 {figures['projector_p95_ms']} ms"
            + "".join(f"  {key.removesuffix('_pairs_p95_ms')} pairs p95 {value} ms" for key, value in figures.items()
                      if key.endswith("_pairs_p95_ms")) + "\n"
            f"  {'':12}  server cpu {figures['server_cpu_s']} s ({figures['server_cpu_ms_per_event']} ms per event)"
            f"  load cpu {figures['load_cpu_s']} s  peak rss {figures['server_peak_rss_mb']} MB"
            f"  reconnected {figures['reconnected']} ({figures['reconnected_on_final_state']} on the final state,"
            f" {figures['reconnect_failed']} not back)"
            f"  dropped {figures['connections_dropped']}  waited to see {figures['waited_to_see']}"
            f"  unversioned {figures['unversioned_ids']}  rollbacks {figures['rollbacks']}"
            f"  shown before sent {figures['pairs_shown_before_send']}"
            f"  (connect {figures['connect_s']} s, {figures['connect_cpu_s']} cpu s,"
            f" {figures['connect_cpu_ms_per_connection']} ms per connection)"
            + (f"  connections per worker {figures['connections_per_worker']}, nginx cpu {figures['nginx_cpu_s']} s"
               if "connections_per_worker" in figures else ""))


def print_summary(summaries: list[dict], ratio_keys: tuple[str, ...], backend: str, options) -> None:
    """The runs combined (medians; the worst run for what is lost), the app's ratios to the floor, and the JSON
    summary as the last line."""
    summary = combine_runs(summaries, WORST_OF_RUNS)
    ratios = {key: ratio(summary[key], summary["baseline"][key]) for key in ratio_keys}
    print("  app over floor: " + ", ".join(f"{key} x{value}" for key, value in ratios.items()))
    print(json.dumps(jsonable({**summary, "database": backend, "seconds": options.seconds, "arrival": options.arrival,
                               "reconnect": options.reconnect, "repeat": options.repeat, "processes": options.processes,
                               "cores": os.cpu_count(), "app_over_floor": ratios,
                               **({"runs": summaries} if options.repeat > 1 else {})})))
