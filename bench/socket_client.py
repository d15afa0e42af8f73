"""A lean Socket.IO client for the load processes: websocket only, one greenlet per connection.

It speaks the same wire protocol as the browser's socket.io-client (Engine.IO 4
over a websocket: ``40`` + auth to join, ``42[event, data]`` events, ``42<id>``
with ``43<id>`` acknowledgements, ``2``/``3`` ping and pong), so the server
sees exactly what a browser sends. python-socketio's client does the same but
starts a thread per received message and decodes every packet twice, which
made the load generator, not the server, the busiest process on a 2-core
machine. Callers must have monkey-patched with gevent.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import gevent
import websocket


class ConnectRefused(Exception):
    pass


class SocketClient:
    def __init__(self):
        self._handlers: dict[str, Callable] = {}
        self._acks: dict[int, Callable] = {}
        self._next_ack = 0
        self._socket: websocket.WebSocket | None = None
        self._reader: gevent.Greenlet | None = None

    def on(self, event: str, handler: Callable) -> None:
        """``handler(data)`` for a server event; ``disconnect`` is called with no argument when the connection ends."""
        self._handlers[event] = handler

    def connect(self, url: str, cookie: str, auth: dict, timeout: float = 60, source: str | None = None) -> None:
        """Open the connection and join; ``source`` is a local address to connect from (say 127.0.3.7)."""
        parts = urlsplit(url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        options = {}
        if source is not None:
            # Clients from many loopback addresses, as a crowd from many machines: nginx's
            # `hash $remote_addr` spreads them over the workers.
            options["socket"] = tcp = socket.create_connection((parts.hostname, parts.port), timeout=timeout,
                                                               source_address=(source, 0))
            tcp.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket = websocket.create_connection(
            f"{scheme}://{parts.netloc}/socket.io/?EIO=4&transport=websocket", timeout=timeout,
            header=[f"Cookie: {cookie}"], skip_utf8_validation=True, enable_multithread=False, **options)
        opening = self._socket.recv()
        if not opening.startswith("0"):
            raise ConnectRefused(f"unexpected opening packet {opening[:40]!r}")
        self._socket.send("40" + json.dumps(auth))
        early = []  # the server may send what its connect handler emits before it confirms the connection
        answer = self._socket.recv()
        while not answer.startswith(("40", "44")):
            early.append(answer)
            answer = self._socket.recv()
        if answer.startswith("44"):
            self._socket.close()
            raise ConnectRefused(answer[2:])
        self._socket.settimeout(None)
        for packet in early:
            self._dispatch(packet)
        self._reader = gevent.spawn(self._read)

    def emit(self, event: str, data, callback: Callable | None = None) -> None:
        ack = ""
        if callback is not None:
            self._next_ack += 1
            ack = str(self._next_ack)
            self._acks[self._next_ack] = callback
        self._socket.send(f"42{ack}" + json.dumps([event, data]))

    def disconnect(self) -> None:
        if self._socket is not None:
            self._socket.close()

    def drop(self) -> None:
        """Lose the connection as a network does: no close handshake, the server sees the TCP connection end."""
        if self._socket is not None:
            self._socket.sock.shutdown(socket.SHUT_RDWR)

    def _read(self) -> None:
        try:
            while True:
                packet = self._socket.recv()
                if not packet:
                    break
                self._dispatch(packet)
        except (websocket.WebSocketException, OSError):
            pass
        handler = self._handlers.get("disconnect")
        if handler is not None:
            handler()

    def _dispatch(self, packet: str) -> None:
        kind = packet[0]
        if kind == "2":
            self._socket.send("3")
        elif kind == "4" and packet[1:2] == "2":
            name, *args = json.loads(packet[2:])
            handler = self._handlers.get(name)
            if handler is not None:
                handler(*args)
        elif kind == "4" and packet[1:2] == "3":
            bracket = packet.index("[")
            callback = self._acks.pop(int(packet[2:bracket]), None)
            if callback is not None:
                callback(*json.loads(packet[bracket:]))
        elif kind == "1" or packet.startswith("41"):
            self._socket.close()
