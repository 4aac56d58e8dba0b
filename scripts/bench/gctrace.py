"""Garbage collections of the daphne workers, timed: a hook that logs each collection in the
worker, and the time the workers spent collecting while the vote ran."""

import contextlib
import os
from pathlib import Path

GC_TRACE = """\
# Written by scripts/bench/gctrace.py: logs each garbage collection of this process.
import gc, os, time
_log = open(os.path.join(os.environ["BENCH_GC_DIR"], f"gc-{os.getpid()}.log"), "a", 1)
_started = [0.0]
def _collect(phase, info):
    if phase == "start":
        _started[0] = time.perf_counter()
    else:
        spent = time.perf_counter() - _started[0]
        _log.write(f"{time.time():.4f} {info['generation']} {spent:.5f}\\n")  # line-buffered
gc.callbacks.append(_collect)
"""


def gc_trace_env(env: dict, var: Path) -> dict:
    """Workers log their garbage collections (a sitecustomize on their PYTHONPATH, in the
    measurement's temporary directory; nothing in the repository). BENCH_GC_TRACE=0: off.
    A full collection of a worker holding thousands of sockets pauses it for a second or so;
    whether one falls inside a burst is much of the run-to-run variance."""
    if os.environ.get("BENCH_GC_TRACE") == "0":
        return env
    hook = var / "gc-hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(GC_TRACE)
    path = os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")]))
    return {**env, "PYTHONPATH": path, "BENCH_GC_DIR": str(var)}


def gc_seconds(var: Path, pid: int, window: list) -> dict | None:
    """Time a worker spent in garbage collection while the vote ran, per generation."""
    path = var / f"gc-{pid}.log"
    if not path.exists() or not window or None in window:
        return None
    spent, counts = [0.0, 0.0, 0.0], [0, 0, 0]
    for line in path.read_text().splitlines():
        with contextlib.suppress(ValueError, IndexError):
            at, generation, seconds = line.split()
            if window[0] <= float(at) <= window[1] + 0.5:
                spent[int(generation)] += float(seconds)
                counts[int(generation)] += 1
    return {f"gen{g}": {"collections": counts[g], "seconds": round(spent[g], 3)} for g in range(3)}
