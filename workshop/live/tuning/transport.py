"""Sending a socket's bytes at once, instead of on the event loop's next pass.

Twisted's TCP transport, under daphne, never sends in `write()`: it appends the bytes to a
buffer and registers the socket for writing (an `epoll_ctl`); on the event loop's next pass
the socket is reported writable, the buffer is sent and the socket unregistered (another
`epoll_ctl`). That is two system calls and a callback for every frame the server sends, a
fifth of the server's time in a vote burst, where each ballot's acknowledgement is one small
frame to one phone (docs/performance.md, "Sending at once").

`EagerServer` sends at once when nothing is waiting in the buffer, as asyncio's own
transports do, and hands whatever the kernel did not take to Twisted's buffered path, so the
order of the bytes is kept. Whenever there is any doubt (bytes already waiting, a closing or
half-closed connection, TLS started on the connection itself, an error from `send`), it
leaves the write to Twisted unchanged; an error is then seen by Twisted's own write pass,
which closes the connection as it always does, never in the middle of the caller's code.

`install()` makes every TCP port the process opens after it use `EagerServer`: the server
process's ports are daphne's. `WORKSHOP_EAGER_WRITES=0` turns it off.
"""

from __future__ import annotations

from twisted.internet import tcp


class EagerServer(tcp.Server):
    """Twisted's server-side TCP connection, with `write()` sending at once when it can."""

    def write(self, data: bytes) -> None:
        if (
            data
            and type(data) is bytes
            and self.connected
            and not self.disconnecting
            and not self._writeDisconnected
            and not self.TLS
            and not self.dataBuffer
            and not self._tempDataBuffer
        ):
            try:
                sent = self.socket.send(data)
            except OSError:  # would block, or the connection failed: Twisted's path decides
                sent = 0
            if sent == len(data):
                return
            data = data[sent:]
        super().write(data)


def install() -> None:
    """Accepted TCP connections use `EagerServer` from now on (see the module's docstring)."""
    tcp.Port.transport = EagerServer


def installed() -> bool:
    return tcp.Port.transport is EagerServer
