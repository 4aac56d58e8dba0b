"""workshop/live/tuning/handshake.py: autobahn's debug formatting of each connection, made lazy."""

from pprint import pformat

from autobahn.websocket import protocol

from workshop.live.tuning import handshake


class Counted:
    """A value that counts how often it is turned into text."""

    calls = 0

    def __repr__(self) -> str:
        Counted.calls += 1
        return "Counted()"


def test_the_app_installs_it_for_autobahn():
    import workshop.asgi  # noqa: F401 (installs at import, as daphne loads it)

    assert handshake.installed()
    assert protocol.pformat is handshake.LazyFormat


def test_nothing_is_formatted_until_the_text_is_asked_for():
    Counted.calls = 0
    value = [("openHandshakeTimeout", Counted(), "WebSocketServerFactory")] * 40

    lazy = handshake.LazyFormat(value)

    assert Counted.calls == 0
    assert str(lazy) == pformat(value)
    assert Counted.calls >= 40


def test_the_debug_line_reads_as_with_autobahns_own_pformat():
    value = [("autoPingInterval", 0, "WebSocketServerFactory"), ("trackTimings", False, "X")]
    # autobahn logs `self.log.debug("\n{attrs}", attrs=pformat(...))`; the logger formats it
    assert "\n{attrs}".format(attrs=handshake.LazyFormat(value)) == "\n" + pformat(value)  # noqa: UP032
    assert repr(handshake.LazyFormat(value)) == pformat(value)
