"""autobahn's debug log text, formatted only when a debug line is written.

autobahn builds the arguments of its debug log calls before the logger decides whether debug
is on (it is not), on paths the server runs all the time:

- For each new WebSocket, `_connectionMade` formats its configuration attributes with
  `pprint.pformat`: 0.39 ms a connection, of the 8-9 ms of server CPU a phone's connection
  costs (docs/performance.md, "Connecting"), which sets how fast a full room comes back
  after a restart.
- For every frame sent, `sendData` highlights the method, the peer and the length with
  `autobahn.util.hltype` and `hlval`. With `click` installed (any tool in the same
  environment may bring it), each is a `click.style` call: a vote burst ran 15% slower,
  ack p95 about 105 ms against 88 ms (`make bench`, --mode burst).

`install()` gives autobahn's protocol modules a `pformat`, an `hltype` and an `hlval` that
return `Lazy` text, computed when the log line is written: with debug logging on, the lines
read as before; with it off, nothing is formatted. Nothing else in autobahn changes.
"""

from pprint import pformat

from autobahn import util
from autobahn.twisted import websocket as twisted_websocket
from autobahn.websocket import protocol


class Lazy:
    """`func(*args, **kwargs)`, computed when the text is asked for (str, format, repr)."""

    __slots__ = ("args", "func", "kwargs")

    def __init__(self, func, *args, **kwargs):
        self.func, self.args, self.kwargs = func, args, kwargs

    def __str__(self) -> str:
        return self.func(*self.args, **self.kwargs)

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def lazy_pformat(value) -> Lazy:
    return Lazy(pformat, value)


def lazy_hltype(obj) -> Lazy:
    return Lazy(util.hltype, obj)


def lazy_hlval(val, color="white", bold=True) -> Lazy:
    return Lazy(util.hlval, val, color=color, bold=bold)


def install() -> None:
    protocol.pformat = lazy_pformat
    for module in (protocol, twisted_websocket):
        module.hltype, module.hlval = lazy_hltype, lazy_hlval


def installed() -> bool:
    return (
        protocol.pformat is lazy_pformat
        and protocol.hltype is lazy_hltype
        and twisted_websocket.hlval is lazy_hlval
    )
