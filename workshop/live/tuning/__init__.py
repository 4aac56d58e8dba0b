"""Performance patches to the libraries the live layer runs on, each behind one switch.

Each module patches one thing, says why with the figures it was measured by, and can be
turned off with its environment variable (settings.py reads them; all default to on):

============================  ==============================  ===============================
Patch                         Switch                          What it replaces
============================  ==============================  ===============================
loop.py: message loop         WORKSHOP_TUNE_MESSAGE_LOOP      channels' await_many_dispatch
                                                              and AsyncConsumer.dispatch's
                                                              connection-closing thread hop
transport.py: eager writes    WORKSHOP_EAGER_WRITES           twisted tcp.Server.write
autobahn_log.py: lazy log     WORKSHOP_TUNE_AUTOBAHN_LOG      autobahn's debug log text:
text                                                          pformat at each connection,
                                                              hltype/hlval at each frame
layers.py: lean layers        WORKSHOP_TUNE_LAYERS            channels' InMemoryChannelLayer,
                                                              channels-redis' pub/sub layer
socket_memory.py: less        WORKSHOP_TUNE_SOCKET_MEMORY     daphne's input queue per
memory per socket                                             connection, and the handshake
                                                              request it keeps
gc.py: garbage collection     WORKSHOP_TUNE_GC                CPython's gc thresholds
============================  ==============================  ===============================

The patches lean on the internals of the versions in PATCHED; tests/live/test_tuning.py
fails when an installed version differs, so an upgrade is a prompt to re-read the patched
code (and to re-measure with `make bench`).
"""

from django.conf import settings

from workshop.live.tuning import autobahn_log, gc, socket_memory, transport

PATCHED = {
    "channels": "4.3.2",
    "channels-redis": "4.3.0",
    "twisted": "26.10.0",
    "autobahn": "26.10.2",
    "daphne": "4.2.3",
}


def install() -> None:
    """Install the process-wide patches that are switched on. Called once, by workshop/asgi.py,
    after the application is built. (The message loop is chosen per consumer and the layers
    in CHANNEL_LAYERS: both read their switch themselves.)"""
    if settings.TUNE_EAGER_WRITES:
        transport.install()
    if settings.TUNE_AUTOBAHN_LOG:
        autobahn_log.install()
    if settings.TUNE_SOCKET_MEMORY:
        socket_memory.install()
    if settings.TUNE_GC:
        gc.install()
