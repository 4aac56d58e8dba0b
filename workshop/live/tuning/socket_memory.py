"""Less memory for each open socket in daphne.

With 10,000 phones connected one process held 458 MB, 37 KB a socket, most of it Python
objects that an idle socket keeps for good (docs/performance.md, "Memory"). Two of them are
daphne's, and are patched here:

- **The input queue.** daphne gives each connection an asyncio.Queue for the client's
  messages: 3.3 KB while empty, which it is nearly all the time. `create_application` here
  is daphne's own (4.2.3) with a LeanQueue (workshop/live/tuning/queues.py, about 70 bytes
  empty) in its place.
- **The handshake's HTTP request.** A WebSocket starts as an HTTP request; daphne hands its
  connection to the WebSocket protocol and is done with the request, but Twisted's HTTP
  channel, which the connection keeps as its producer, still lists it: the request, its
  headers, its parsed cookies and addresses stay for the socket's life, about 2.5 KB. After
  the hand-over, `process` here takes the request off the channel's list. The channel gets
  no more data from that connection (the WebSocket protocol does), so nothing reads the list
  again.

`install()` puts both in place; `WORKSHOP_TUNE_SOCKET_MEMORY=0` leaves daphne as it is.
"""

import asyncio
from functools import partial

from daphne import http_protocol, server
from daphne.ws_protocol import WebSocketProtocol

from workshop.live.tuning.queues import LeanQueue

_original_process = http_protocol.WebRequest.process


def create_application(self, protocol, scope):
    """daphne.server.Server.create_application, with a LeanQueue for the input queue."""
    assert "application_instance" not in self.connections[protocol]
    input_queue = LeanQueue()
    scope.setdefault("asgi", {"version": "3.0"})
    application_instance = self.application(
        scope=scope,
        receive=input_queue.get,
        send=partial(self.handle_reply, protocol),
    )
    if protocol not in self.connections:
        return None
    self.connections[protocol]["application_instance"] = asyncio.ensure_future(
        application_instance,
        loop=asyncio.get_event_loop(),
    )
    return input_queue


def process(self):
    """daphne's WebRequest.process; after a hand-over to a WebSocket, the HTTP channel
    forgets the request."""
    transport = self.transport
    result = _original_process(self)
    channel = self.channel
    if (
        transport is not None
        and self.transport is None  # daphne let go of the connection: it was handed over
        and isinstance(getattr(transport, "protocol", None), WebSocketProtocol)
        and channel is not None
        and self in channel.requests
    ):
        channel.requests.remove(self)
    return result


def install() -> None:
    server.Server.create_application = create_application
    http_protocol.WebRequest.process = process


def installed() -> bool:
    return (
        server.Server.create_application is create_application
        and http_protocol.WebRequest.process is process
    )
