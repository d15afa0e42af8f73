"""The floor for bench/live_polls.py: a bare python-socketio server on the same gevent server.

No database, no sign-in, no templates: votes are counted in memory, each
acknowledged with the count's new version, and the counts are broadcast to
everyone at most once per flush interval, as the app's coalescer does. A
connection gets the current counts when it arrives, as on the app's session page.

    python bench/floor_server.py PORT [FLUSH_SECONDS]
"""

import sys

from gevent import monkey

monkey.patch_all()

import socketio  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402

from workshop.serve import no_delay_handler  # noqa: E402

POLL_ID = 1
FLUSH_SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 0.15

server = socketio.Server(async_mode="gevent")
counts: dict[int, int] = {}
state = {"version": 0, "pending": False, "flushing": False}


def results_fragment() -> str:
    voters = sum(counts.values())
    bars = "".join(f'<li data-option="{option}">{count}</li>' for option, count in sorted(counts.items()))
    return (f'<div id="poll-results-{POLL_ID}" class="poll-results" data-version="{state["version"]}" '
            f'hx-swap-oob="outerHTML"><p class="voters"><span data-testid="voters">{voters}</span></p>'
            f'<ol>{bars}</ol></div>')


@server.event
def connect(sid, environ, auth=None):
    server.emit("fragment", results_fragment(), to=sid)


@server.event
def vote(sid, data):
    option = data.get("answer", {}).get("option") if isinstance(data, dict) else None
    if data.get("poll") != POLL_ID or not isinstance(option, int):
        return {"ok": False, "message": "Choose one of the poll's options."}
    counts[option] = counts.get(option, 0) + 1
    state["version"] += 1
    state["pending"] = True
    if not state["flushing"]:
        state["flushing"] = True
        server.start_background_task(flush_loop)
    return {"ok": True, "version": state["version"]}


def flush_loop() -> None:
    """Broadcast the counts one interval after a change, and again while changes keep coming."""
    while True:
        server.sleep(FLUSH_SECONDS)
        state["pending"] = False
        server.emit("fragment", results_fragment())
        if not state["pending"]:
            state["flushing"] = False
            return


if __name__ == "__main__":
    WSGIServer(("127.0.0.1", int(sys.argv[1])), socketio.WSGIApp(server), log=None,
               handler_class=no_delay_handler()).serve_forever()
