"""The gevent server serves keep-alive connections in turn: one client's requests, however fast they come,
never keep another waiting until they are all answered.

Runs in a process of its own, patched by gevent first as the served app is (the test process runs threads).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

# Client A sends 30 requests at once on one connection (each is there before the server reads it, as when a
# client sends its next request as soon as it has a response); once A's first answer has come, client B sends
# one. The app notes the order in which it answers.
PIPELINED = """
from workshop.serve import no_delay_handler  # patches the standard library first, as the served app is

import json, socket
import gevent
from gevent.pywsgi import WSGIServer

answered = []

def app(environ, start_response):
    answered.append(environ["PATH_INFO"])
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]

def read_responses(connection, count, data=b""):
    while data.count(b"HTTP/1.1 200") < count or not data.endswith(b"ok"):
        data += connection.recv(65536)

server = WSGIServer(("127.0.0.1", 0), app, handler_class=no_delay_handler(), log=None)
server.start()
address = ("127.0.0.1", server.server_port)
a, b = socket.create_connection(address), socket.create_connection(address)
a.sendall(b"".join(b"GET /a%d HTTP/1.1\\r\\nHost: test\\r\\n\\r\\n" % n for n in range(30)))
first = a.recv(65536)  # the server has begun answering A
b.sendall(b"GET /b HTTP/1.1\\r\\nHost: test\\r\\n\\r\\n")
gevent.joinall([gevent.spawn(read_responses, a, 30, first), gevent.spawn(read_responses, b, 1)], timeout=30,
               raise_error=True)
print(json.dumps(answered))
"""


def test_a_client_sending_requests_back_to_back_does_not_keep_another_waiting(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_")}
    env.update(WORKSHOP_INSTANCE_PATH=str(tmp_path), WORKSHOP_ASYNC_MODE="gevent")
    done = subprocess.run([sys.executable, "-c", PIPELINED], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    answered = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(answered) == sorted([f"/a{n}" for n in range(30)] + ["/b"])
    assert [path for path in answered if path != "/b"] == [f"/a{n}" for n in range(30)]
    # Served in turn, B's request comes after a few of A's; one connection served until it had nothing left
    # to ask (gevent's handler alone) answers it last, behind all 30.
    assert answered.index("/b") < 10, answered
