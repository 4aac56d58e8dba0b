"""The embedded modes (burst, paced, connections, doors): one daphne on SQLite and the in-memory
layer, on a fresh database, measured in this process. And run_child: any mode in a process
of its own, since Django's settings (and so the database) are per process."""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .app import prepare
from .clients import Phone
from .config import DEADLINES, DOORS, DOORS_SCALEOUT, PACKAGE, PY, RECOVERY_TIMEOUT, ROOT
from .doors import IN_FLIGHT, doors_run, headline
from .gctrace import gc_seconds, gc_trace_env
from .phases import connections_run, run_within_deadline, vote_run
from .processes import (
    PINNED,
    Server,
    busy_neighbours,
    pin_client,
    proc_cpu_seconds,
    proc_threads_files,
)
from .report_render import report_run


def run_mode(
    mode: str, phones: int, rate: float, in_flight: int = IN_FLIGHT, per_address: int = 1
) -> dict:
    if mode == "report":  # no server: the report's render, timed in this process
        return report_run(ballots=phones)
    pinned = PINNED
    var = Path(tempfile.mkdtemp(prefix=f"wl-bench-{mode}-"))
    result: dict = {"mode": mode}
    server = None
    try:
        result["other_busy_processes_start"] = busy_neighbours(exclude={os.getpid()})
        t = time.perf_counter()
        # doors: the phones join by themselves, through the page and its join POST.
        env, info = prepare(var, 0 if mode == DOORS else phones)
        result["setup_seconds"] = round(time.perf_counter() - t, 1)
        server = Server(gc_trace_env(env, var), var, "0" if pinned else None)
        server.start()
        if pinned:
            pin_client()
        phones_ = [Phone(a, c, server.port) for a, c in info["cookies"]]
        if mode == DOORS:
            result.update({"phones_requested": phones, "phones_per_address": per_address})
            result["server_rss_mb_before"] = server.memory().get("VmRSS")
            meters = {"server": lambda: proc_cpu_seconds(server.pid), "client": time.process_time}
            runner = doors_run(
                "127.0.0.1", server.port, phones, in_flight, meters, result,
                per_address=per_address,
            )  # fmt: skip
        elif mode == "connections":
            runner = connections_run(server, info, phones_, result)
        else:
            runner = vote_run(mode, [server], info, rate, phones_, result)

        spy = server.profile_start(DOORS) if mode == DOORS else None
        if spy:
            time.sleep(1.0)  # py-spy attaches
        run_within_deadline(mode, runner, [server], phones_, result)
        if mode == DOORS:
            result["profile"] = server.profile_stop(spy)
            result["headline"] = headline(result)
            result["server_rss_mb_end"] = server.memory().get("VmRSS")
            time.sleep(2.0)  # the phones' closed connections reach the server
            result["server_at_end"] = proc_threads_files(server.pid)
        result["server_hwm_mb"] = server.memory().get("VmHWM", result.get("server_hwm_mb"))
        if found := gc_seconds(var, server.pid, result.get("voting_window_epoch")):
            result["gc_while_voting"] = found
        result["server_open_files_limit"] = server.nofile()
        result["client_open_files_limit"] = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        result["cpu_pinning"] = "server CPU 0, client CPU 1 (taskset)" if pinned else "none"
        result["other_busy_processes_end"] = busy_neighbours(exclude={os.getpid(), server.pid})
        result["loadavg_1min_end"] = round(os.getloadavg()[0], 2)
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"[:2000]
    finally:
        if server:
            server.stop()
            result["server_log"] = server.tracebacks()
        if os.environ.get("BENCH_KEEP_VAR"):
            print(f"kept {var}", file=sys.stderr)
        else:
            shutil.rmtree(var, ignore_errors=True)
    return result


def run_child(mode: str, args, extra: list[str] = (), phones: int | None = None) -> dict:
    """Each mode in its own process: Django settings (and so the database) are per process."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = Path(out.name)
    command = [
        PY,
        str(PACKAGE),
        "--mode",
        mode,
        "--rate",
        str(args.rate),
        "--child-json",
        str(path),
    ]
    if phones or args.phones:
        command += ["--phones", str(phones or args.phones)]
    if mode in (DOORS, DOORS_SCALEOUT):
        command += ["--in-flight", str(args.in_flight)]
        command += ["--phones-per-address", str(args.phones_per_address)]
    child = subprocess.Popen([*command, *extra], cwd=ROOT)
    try:
        child.wait(timeout=DEADLINES[mode] + 2 * RECOVERY_TIMEOUT + 300)
    except BaseException as stop:  # a timeout, or this process told to stop: the child first
        child.terminate()  # its finally stops its servers
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=10)
        if not isinstance(stop, subprocess.TimeoutExpired):
            raise
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {"mode": mode, "error": f"child exited with {child.returncode} and no result"}
    finally:
        path.unlink(missing_ok=True)
