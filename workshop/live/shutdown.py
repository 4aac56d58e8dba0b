"""A worker that is told to stop exits, even with a push still waiting for the event loop.

A service's push runs after commit in the ORM's thread and waits there (async_to_sync) for
daphne's event loop to send it. When SIGTERM stops the loop first, that wait never ends, and
the interpreter, which joins every worker thread before it exits, waits with it: the process
stays up for good and a restart (serve.py, systemd, a deploy) hangs. What was committed is
in the database; only that push is lost, and clients reconnecting are sent the current state.

`install()` registers, for interpreter shutdown, a daemon watchdog that ends the process
after `grace` seconds if the threads have not finished by then.
"""

import os
import threading
import time

GRACE_SECONDS = 15.0


def _watchdog(grace: float) -> None:
    time.sleep(grace)
    os._exit(0)  # the threads still running are stuck; nothing left to flush


def install(grace: float = GRACE_SECONDS) -> None:
    def start_watchdog() -> None:
        threading.Thread(
            target=_watchdog, args=(grace,), name="shutdown-watchdog", daemon=True
        ).start()

    # Called by threading at interpreter shutdown, before it joins the non-daemon threads
    # (concurrent.futures registers its own shutdown the same way).
    threading._register_atexit(start_watchdog)
