"""autobahn's formatting of every connection's configuration, made lazy.

For each new WebSocket, autobahn's `_connectionMade` lists its configuration attributes
and formats the list with `pprint.pformat` for a debug log line. The formatting happens
before the logger decides whether debug is on (it is not): 0.39 ms a connection, timed on
its own, of the 8-9 ms of server CPU a phone's connection costs (docs/performance.md,
"Connecting"), which sets how fast a full room comes back after a restart.

`install()` gives autobahn's protocol module a `pformat` that formats only when the message
is written: with debug logging on, the line reads as before; with it off, nothing is
formatted. Nothing else in autobahn changes.
"""

from pprint import pformat

from autobahn.websocket import protocol


class LazyFormat:
    """`pformat(value)`, computed when the text is asked for (str, format, repr)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return pformat(self.value)

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def install() -> None:
    protocol.pformat = LazyFormat


def installed() -> bool:
    return protocol.pformat is LazyFormat
