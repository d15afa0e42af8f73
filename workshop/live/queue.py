"""The Socket.IO message queue between workers (Redis), losing nothing when Redis restarts.

Two gaps of python-socketio's Redis manager are closed here. It logs and
drops a message it cannot publish; here a failed publish raises
:class:`QueueUnavailable`, and the coalescer sends that broadcast again once
the queue answers (see ``workshop/live/broadcast.py``). And Redis keeps no
messages for a subscriber that is away: whatever other workers published
while this one was resubscribing never reaches its pages. So when this
worker's subscription comes back, it tells its own pages to resync
(``RESYNC_EVENT``, sent past the queue): each reconnects, and the connect
handler sends it the whole current state, as after any reconnect.

Some orders are not messages to pass on but work for every worker to do
on its own connections: ending a person's access disconnects the sockets
each worker holds. They travel as emits of an event named in
``worker_events``, whose handler runs on each worker (the sender included)
in place of the send.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import socketio

log = logging.getLogger(__name__)


RESYNC_EVENT = "resync"


class QueueUnavailable(ConnectionError):
    pass


class RedisQueue(socketio.RedisManager):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.worker_events: dict[str, Callable[[str, object], None]] = {}  # event -> handler(room, data)

    def _handle_emit(self, message):
        handler = self.worker_events.get(message.get("event"))
        if handler is None:
            return super()._handle_emit(message)
        handler(message.get("room"), message["data"][0])

    def _publish(self, data):
        receivers = super()._publish(data)
        if receivers is None:  # the base class gave up after its retry
            raise QueueUnavailable("The message queue (Redis) is not answering.")
        return receivers

    def _redis_listen_with_retries(self):
        """Messages from the queue, subscribing again (after 1, 2, 4... up to 60 s) whenever Redis goes away.

        Replaces the base class's loop to know when a subscription is a renewed one: from then
        on this worker hears the others again, and its pages are told to resync.
        """
        delay, renewed = 1, False
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                if renewed:
                    log.warning("message queue back: telling this worker's pages to resync")
                    self.server.emit(RESYNC_EVENT, {}, ignore_queue=True)
                delay, renewed = 1, True
                yield from self.pubsub.listen()
            except Exception as error:  # noqa: BLE001 - whatever Redis raised, the answer is to try again
                log.error("cannot receive from the message queue (%s); again in %s s", error, delay)
                time.sleep(delay)
                delay = min(delay * 2, 60)
