"""Cross-site WebSocket hijacking: a page on another site may not open a socket with a person's cookie.

Against the real gevent server, with a real Socket.IO client over the WebSocket transport.
"""

from __future__ import annotations

import pytest
import socketio
import websocket

from tests.live.server import cookie_header, sign_in_with_invite
from workshop.workshops.models import Role


def open_socket(base_url: str, cookies: str, origin: str, code: str) -> socketio.Client:
    # websocket-client sends an Origin of its own; its "origin" option replaces it rather than adding a second.
    client = socketio.Client(reconnection=False, request_timeout=1, websocket_extra_options={"origin": origin})
    client.connect(base_url, headers={"Cookie": cookies}, auth={"workshop": code}, transports=["websocket"],
                   wait_timeout=5)
    return client


@pytest.fixture
def signed_in(live_server, make, invite_path):
    workshop = make.workshop()
    participant = make.member(workshop, Role.PARTICIPANT)
    browser = sign_in_with_invite(live_server, invite_path(participant, workshop))
    return workshop, cookie_header(browser)


def test_the_servers_own_origin_connects(live_server, signed_in):
    workshop, cookies = signed_in
    client = open_socket(live_server, cookies, live_server, workshop.code)
    try:
        assert client.connected
    finally:
        client.disconnect()


def test_another_origin_is_refused_even_with_a_valid_session(live_server, signed_in):
    workshop, cookies = signed_in
    with pytest.raises(socketio.exceptions.ConnectionError):
        open_socket(live_server, cookies, "http://evil.example", workshop.code)


def test_the_real_server_refuses_a_socket_without_a_session(app, live_server, make):
    workshop = make.workshop()
    with pytest.raises(socketio.exceptions.ConnectionError):
        open_socket(live_server, "", live_server, workshop.code)


def test_the_refusal_is_for_the_origin(live_server, signed_in):
    """The same handshake at the Engine.IO level: refused with the reason, before any Socket.IO handler runs."""
    workshop, cookies = signed_in
    url = live_server.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(url, origin="http://evil.example", cookie=cookies, timeout=5)
    assert refused.value.status_code == 400
    assert b"Not an accepted origin" in refused.value.resp_body
