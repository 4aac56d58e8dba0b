"""EagerServer (workshop/live/tuning/transport.py) on a real Twisted reactor and real loopback
sockets: bytes leave at once when nothing is waiting, keep their order when the kernel takes
only part of them, and a failed connection is closed by Twisted, not in the writer's code."""

import socket
import time

import pytest
from twisted.internet import protocol, tcp
from twisted.internet.selectreactor import SelectReactor

from workshop.live.tuning import transport


class Recorder(protocol.Protocol):
    def __init__(self, seen):
        self.seen = seen

    def connectionMade(self):
        self.seen["transport"] = self.transport

    def connectionLost(self, reason):
        self.seen["lost"] = reason


@pytest.fixture
def served(monkeypatch):
    """A connection accepted by a private reactor (never run; stepped by the test) with
    EagerServer installed, and the plain client socket at the other end."""
    monkeypatch.setattr(tcp.Port, "transport", tcp.Port.transport)  # restored afterwards
    transport.install()
    reactor = SelectReactor()
    seen = {}
    factory = protocol.Factory.forProtocol(lambda: Recorder(seen))
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # small, so a send can fill it
    client.settimeout(5)
    client.connect(("127.0.0.1", port.getHost().port))
    step(reactor, until=lambda: "transport" in seen)
    yield reactor, seen, client
    client.close()
    port.stopListening()
    seen["transport"].abortConnection()
    step(reactor, until=lambda: "lost" in seen)


def step(reactor, until, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < deadline, "the reactor did not get there in time"
        reactor.iterate(0.01)


def receive(client, size, reactor=None):
    """Read exactly `size` bytes, stepping the reactor (if given) so that it can send the rest."""
    client.setblocking(False)
    chunks, got = [], 0
    deadline = time.monotonic() + 10
    while got < size:
        assert time.monotonic() < deadline, f"received {got} of {size} bytes"
        if reactor is not None:
            reactor.iterate(0)
        try:
            chunk = client.recv(1 << 20)
        except BlockingIOError:
            time.sleep(0.001)
            continue
        assert chunk, "the server closed the connection"
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def test_installed_for_accepted_connections(served):
    _reactor, seen, _client = served
    assert transport.installed()
    assert type(seen["transport"]) is transport.EagerServer


def test_a_write_leaves_at_once_without_waiting_for_the_reactor(served):
    reactor, seen, client = served
    seen["transport"].write(b"frame one")
    seen["transport"].write(b"frame two")
    # The reactor is not stepped: Twisted's own transport would still hold these bytes.
    assert receive(client, 18) == b"frame oneframe two"
    assert seen["transport"] not in reactor.getWriters()


def test_what_the_kernel_does_not_take_is_sent_later_in_order(served):
    reactor, seen, client = served
    server = seen["transport"]
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    big = bytes(range(256)) * 16_384  # 4 MiB: far more than the kernel's buffers take
    server.write(big)
    assert server in reactor.getWriters(), "the rest should wait in Twisted's buffer"
    server.write(b"after")  # must not overtake the waiting bytes
    server.write(b" and more")
    assert receive(client, len(big) + 14, reactor) == big + b"after and more"
    step(reactor, until=lambda: server not in reactor.getWriters())
    server.write(b"again at once")
    assert receive(client, 13) == b"again at once"


def test_a_write_to_a_reset_connection_is_left_to_twisted(served):
    reactor, seen, client = served
    server = seen["transport"]
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    client.close()  # a reset, as when a phone drops off the network
    time.sleep(0.05)
    for _ in range(3):
        server.write(b"x" * 1000)  # no exception here, in the writer's code
    assert "lost" not in seen
    step(reactor, until=lambda: "lost" in seen)


def test_writes_after_lose_connection_go_through_twisted(served):
    reactor, seen, client = served
    server = seen["transport"]
    server.write(b"bye")
    server.loseConnection()
    server.write(b"late")  # Twisted decides, as without EagerServer: it waits in the buffer
    assert receive(client, 3) == b"bye"
    time.sleep(0.05)
    with pytest.raises(BlockingIOError):
        client.recv(100)  # nothing more until the reactor runs
    step(reactor, until=lambda: "lost" in seen)
    assert client.recv(100) == b"late"
    assert client.recv(100) == b""  # and then closed
