"""Garbage collection tuned for a server that holds thousands of sockets.

Everything loaded when the ASGI application is built lives as long as the process: freezing
it means the collector never scans it again. The youngest generation is collected after
20,000 new container objects rather than CPython's 2,000: a vote burst allocates quickly,
and at the default the collector ran eight times in each burst of a thousand ballots and
took a fifth of the server's time (docs/performance.md). Memory freed by reference counting,
nearly all of it, is unaffected.
"""

import gc

THRESHOLDS = (20_000, 10, 10)


def install() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


def installed() -> bool:
    return gc.get_threshold() == THRESHOLDS
