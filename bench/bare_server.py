"""The floor for bench/pages.py: a bare Flask page on the same gevent server, no database, no templates."""

import sys

from gevent import monkey

monkey.patch_all()

from flask import Flask  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402

from workshop.serve import no_delay_handler  # noqa: E402

app = Flask(__name__)


@app.get("/")
def bare():
    return "ok"


if __name__ == "__main__":
    WSGIServer(("127.0.0.1", int(sys.argv[1])), app, log=None, handler_class=no_delay_handler()).serve_forever()
