"""workshop/live/tuning/autobahn_log.py: autobahn's debug log text, formatted only when written."""

import logging
from pprint import pformat

from autobahn import util
from autobahn.twisted import websocket as twisted_websocket
from autobahn.websocket import protocol

from workshop.live.tuning import autobahn_log


class Counted:
    """A value that counts how often it is turned into text."""

    calls = 0

    def __repr__(self) -> str:
        Counted.calls += 1
        return "Counted()"

    __str__ = __repr__


def test_the_app_installs_it_for_autobahn():
    import workshop.asgi  # noqa: F401 (installs at import, as daphne loads it)

    assert autobahn_log.installed()
    assert protocol.pformat is autobahn_log.lazy_pformat
    assert protocol.hltype is autobahn_log.lazy_hltype
    assert protocol.hlval is autobahn_log.lazy_hlval
    assert twisted_websocket.hltype is autobahn_log.lazy_hltype


def test_nothing_is_formatted_until_the_text_is_asked_for():
    Counted.calls = 0
    value = [("openHandshakeTimeout", Counted(), "WebSocketServerFactory")] * 40

    lazy = autobahn_log.lazy_pformat(value)
    val = autobahn_log.lazy_hlval(Counted())

    assert Counted.calls == 0
    assert str(lazy) == pformat(value)
    assert Counted.calls >= 40
    assert str(val) == util.hlval(Counted())


def test_the_debug_lines_read_as_with_autobahns_own_formatting():
    value = [("autoPingInterval", 0, "WebSocketServerFactory"), ("trackTimings", False, "X")]
    # autobahn logs `self.log.debug("\n{attrs}", attrs=pformat(...))`; the logger formats it
    assert "\n{attrs}".format(attrs=autobahn_log.lazy_pformat(value)) == "\n" + pformat(value)  # noqa: UP032
    assert repr(autobahn_log.lazy_pformat(value)) == pformat(value)
    line = "{func} sent {data_len} bytes".format(  # noqa: UP032
        func=autobahn_log.lazy_hltype(test_nothing_is_formatted_until_the_text_is_asked_for),
        data_len=autobahn_log.lazy_hlval(12),
    )
    expected = "{} sent {} bytes".format(  # noqa: UP032
        util.hltype(test_nothing_is_formatted_until_the_text_is_asked_for), util.hlval(12)
    )
    assert line == expected


def test_with_debug_logging_on_a_sent_frame_is_logged_as_before(caplog):
    """txaio's logger formats the lazy text when debug is on, through the same str.format."""
    with caplog.at_level(logging.DEBUG):
        text = "{peer} {n}".format(
            peer=autobahn_log.lazy_hlval("tcp:1"), n=autobahn_log.lazy_hlval(3)
        )
    assert text == f"{util.hlval('tcp:1')} {util.hlval(3)}"
