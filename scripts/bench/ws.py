"""A lean WebSocket client for the benchmark's simulated phones (RFC 6455, text frames only).

Real phones are separate devices; here they share the machine with the server, so every
microsecond the client spends on a frame is taken from the server it measures. The
`websockets` library costs about 0.1 ms of CPU per vote and acknowledgement; in the
scale-out mode, where the client is not pinned to its own CPU, that is a third of what one
worker needs per ballot. This client does the minimum: one handshake, masked text frames out,
frames in split by their header, pings answered. It is not a general client: no extensions,
no fragmented messages, text only.

For a burst, the benchmark does not run a task per phone: it builds each phone's frame
beforehand (`Socket.frame`), writes them from one loop (`Socket.send_frame`) and reads the
answers in a callback (`Socket.listen`), so no future, task wake-up or timer is spent per
vote. In the burst mode the client spends 0.03 s of CPU per 1,000 votes this way against
0.09-0.13 s with a task per phone; in the scale-out mode, where the kernel's loopback work is
most of it, the difference barely shows (docs/performance.md).
"""

import asyncio
import base64
import collections
import os
import struct
from urllib.parse import urlsplit

OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA


class Closed(Exception):
    """The connection is closed (by the server, the network or this side)."""


def _masked(opcode: int, payload: bytes) -> bytes:
    """A client frame (clients must mask). One random mask per frame, XORed as integers."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    if n:
        keys = (mask * (n // 4 + 1))[:n]
        payload = (int.from_bytes(payload) ^ int.from_bytes(keys)).to_bytes(n)
    return header + mask + payload


class _Protocol(asyncio.Protocol):
    def __init__(self):
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.handshake: asyncio.Future = asyncio.get_running_loop().create_future()
        self.frames: collections.deque[str] = collections.deque()
        self.waiter: asyncio.Future | None = None
        self.closed = False
        self.close_code: int | None = None  # the server's, when it closed the connection
        self.upgraded = False
        self.listener = None  # called with each text frame, and None when closed

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = bytes(self.buffer[:end]), self.buffer[end + 4 :]
            self.upgraded = True
            if not head.startswith(b"HTTP/1.1 101"):
                self.handshake.set_exception(Closed(head.split(b"\r\n", 1)[0].decode()))
                self.transport.close()
                return
            self.handshake.set_result(None)
        self._frames()

    def _frames(self):
        buf = self.buffer
        while len(buf) >= 2:
            first, second = buf[0], buf[1]
            n, at = second & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, at = struct.unpack_from("!H", buf, 2)[0], 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, at = struct.unpack_from("!Q", buf, 2)[0], 10
            if len(buf) < at + n:
                return
            payload = bytes(buf[at : at + n])
            del buf[: at + n]
            opcode = first & 0x0F
            if opcode == OP_TEXT:
                self._deliver(payload.decode())
            elif opcode == OP_PING:
                self.transport.write(_masked(OP_PONG, payload))
            elif opcode == OP_CLOSE:
                if len(payload) >= 2:
                    self.close_code = struct.unpack_from("!H", payload)[0]
                if not self.closed:
                    self.transport.write(_masked(OP_CLOSE, payload[:2]))
                self._lost()
                self.transport.close()
                return

    def _deliver(self, text: str):
        if self.listener is not None:
            self.listener(text)
        elif self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(text)
            self.waiter = None
        else:
            self.frames.append(text)

    def _lost(self):
        self.closed = True
        if not self.handshake.done():
            self.handshake.set_exception(Closed("closed during the handshake"))
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(Closed("closed"))
        if self.listener is not None:
            listener, self.listener = self.listener, None
            listener(None)

    def connection_lost(self, exc):
        self._lost()


class Socket:
    """The part of websockets' client API the benchmark uses: send, recv, close, async for."""

    def __init__(self, protocol: _Protocol):
        self._p = protocol

    async def send(self, text: str) -> None:
        self.send_frame(self.frame(text))

    @staticmethod
    def frame(text: str) -> bytes:
        """A masked text frame, built ahead of sending it."""
        return _masked(OP_TEXT, text.encode())

    def send_frame(self, frame: bytes) -> None:
        """Writes a frame built by `frame`; no await, so one loop can send many."""
        if self._p.closed:
            raise Closed("closed")
        self._p.transport.write(frame)

    def listen(self, listener) -> None:
        """Hands each text frame to `listener` instead of `recv`, and None when the connection
        closes; `listen(None)` goes back to `recv`. For many sockets at once: a callback costs
        less than a waiting task each."""
        self._p.listener = listener
        if listener is not None and self._p.closed:
            self._p.listener = None
            listener(None)

    async def recv(self) -> str:
        p = self._p
        if p.frames:
            return p.frames.popleft()
        if p.closed:
            raise Closed("closed")
        p.waiter = asyncio.get_running_loop().create_future()
        return await p.waiter

    @property
    def close_code(self) -> int | None:
        return self._p.close_code

    async def close(self) -> None:
        p = self._p
        if not p.closed:
            p.closed = True
            p.transport.write(_masked(OP_CLOSE, struct.pack("!H", 1000)))
            p.transport.close()

    def __aiter__(self):
        return self

    async def __anext__(self) -> str:
        try:
            return await self.recv()
        except Closed:
            raise StopAsyncIteration from None


async def connect(
    url: str, *, headers: list[tuple[str, str]], timeout: float, source: str | None = None
) -> Socket:
    """Open a WebSocket to ws://host:port/path; raises Closed (or OSError) on failure.
    source: the local address to connect from (a phone of its own on loopback)."""
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        transport, protocol = await loop.create_connection(
            _Protocol, parts.hostname, parts.port or 80,
            local_addr=(source, 0) if source else None,
        )  # fmt: skip
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {parts.path or '/'} HTTP/1.1",
            f"Host: {parts.hostname}:{parts.port or 80}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in headers),
        ]
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            await protocol.handshake
        except BaseException:
            transport.close()
            raise
    return Socket(protocol)
