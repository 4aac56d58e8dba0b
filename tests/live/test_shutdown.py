"""A worker process exits after SIGTERM even when a thread waits for an event loop that has
stopped (workshop/live/shutdown.py)."""

import subprocess
import sys
import time

from tests.processes import ROOT

# A non-daemon worker thread that never finishes, as a push waiting on a stopped loop does.
STUCK = """
import threading
from concurrent.futures import ThreadPoolExecutor
{install}
ThreadPoolExecutor(max_workers=1).submit(threading.Event().wait)
print("started", flush=True)
"""


def _run(install: str, timeout: float) -> tuple[int | None, float]:
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", STUCK.format(install=install)], cwd=ROOT,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout.readline() == "started\n"
    try:
        return proc.wait(timeout=timeout), time.monotonic() - start
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None, time.monotonic() - start


def test_a_stuck_thread_holds_a_process_at_exit_without_the_watchdog():
    code, _ = _run("", timeout=3)
    assert code is None  # still up: the interpreter joins the stuck thread for ever


def test_the_watchdog_ends_a_process_held_by_a_stuck_thread():
    code, took = _run("from workshop.live import shutdown\nshutdown.install(grace=1)", timeout=20)
    assert code == 0
    assert 1 <= took < 20
