"""Doors open through the scale-out setup: scripts/serve.py (nginx in front, serving
/static/ itself) with 1 worker and then 2 on Redis + PostgreSQL, each measurement in a
process of its own on a fresh database and a flushed Redis, the same doors run against
nginx's one address (doors.py); then the ratio of their pages a second and of their CPU
per page. serve.py is started as the rebalance measurement starts it."""

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from .app import app_fingerprint, prepare
from .config import DEADLINES, DEFAULT_PHONES, DOORS_SCALEOUT, PY, ROOT
from .doors import doors_run, headline
from .modes import run_child
from .postgres import drop_database, pg_admin
from .processes import (
    busy_neighbours,
    child_pids,
    free_port,
    pid_from,
    proc_cpu_seconds,
    proc_status,
    proc_threads_files,
    tree_cpu_seconds,
)
from .services import services_env, services_versions, throwaway_services
from serve import listening, worker_pid

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


def nginx_master(serve_pid: int) -> int | None:
    for pid in child_pids(serve_pid):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() == "nginx":
                return pid
    return None


def run_doors_scaleout(
    workers: int, phones: int, services: Path, in_flight: int, per_address: int
) -> dict:
    """One measurement: a fresh PostgreSQL database, a flushed Redis, serve.py with
    `workers` daphne workers behind nginx, and the doors run against nginx."""
    var = Path(tempfile.mkdtemp(prefix=f"wl-bench-doors-{workers}w-"))
    var.chmod(0o755)  # nginx's workers (nobody, when this runs as root) read the statics
    result: dict = {
        "mode": DOORS_SCALEOUT,
        "worker_processes": workers,
        "phones_requested": phones,
        "phones_per_address": per_address,
    }
    serve = server_url = database = None
    serve_log = var / "serve.log"
    try:
        result["other_busy_processes_start"] = busy_neighbours(exclude={os.getpid()})
        t = time.perf_counter()
        urls = services_env(services)
        server_url = urls["DATABASE_URL"].rsplit("/", 1)[0]
        database = f"wl_bench_{uuid.uuid4().hex[:10]}"
        pg_admin(server_url, f'CREATE DATABASE "{database}"')
        import redis

        with redis.Redis.from_url(urls["REDIS_URL"], socket_timeout=10) as client:
            client.flushdb()  # no join counters or group members from an earlier measurement
        env, _ = prepare(
            var, 0, {"DATABASE_URL": f"{server_url}/{database}", "REDIS_URL": urls["REDIS_URL"]}
        )
        static = Path(env["DJANGO_STATIC_ROOT"])
        for directory in (static, *static.parents):
            if directory == Path("/tmp") or directory == Path("/"):
                break
            directory.chmod(directory.stat().st_mode | 0o005)
        result["setup_seconds"] = round(time.perf_counter() - t, 1)
        port = free_port()
        ports = [free_port() for _ in range(workers)]
        with serve_log.open("w") as log:
            serve = subprocess.Popen(
                [PY, "scripts/serve.py", "--workers", str(workers), "--port", str(port),
                 "--worker-ports", ",".join(map(str, ports))],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while not listening(port):
            if serve.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("serve.py did not start:\n" + serve_log.read_text()[-1500:])
            time.sleep(0.2)
        result["app_code"] = app_fingerprint()
        pids = [worker_pid(p) for p in ports]
        nginx = nginx_master(serve.pid)
        pg_pid = pid_from(services / "pg" / "data" / "postmaster.pid")
        redis_pid = pid_from(services / "redis" / "redis.pid")
        meters = {
            "server": lambda: sum(proc_cpu_seconds(p) for p in pids),
            "nginx": lambda: tree_cpu_seconds(nginx) if nginx else 0.0,
            "redis": lambda: proc_cpu_seconds(redis_pid) if redis_pid else 0.0,
            "postgres": lambda: tree_cpu_seconds(pg_pid) if pg_pid else 0.0,
            "client": time.process_time,
        }
        result["workers"] = [
            {"port": p, "rss_mb_before": proc_status(pid).get("VmRSS")}
            for p, pid in zip(ports, pids, strict=True)
        ]
        cpu0 = [proc_cpu_seconds(p) for p in pids]

        async def bounded():
            async with asyncio.timeout(DEADLINES[DOORS_SCALEOUT]):
                await doors_run(
                    "127.0.0.1", port, phones, in_flight, meters, result, per_address=per_address
                )

        try:
            asyncio.run(bounded())
        except TimeoutError:
            result["error"] = f"deadline of {DEADLINES[DOORS_SCALEOUT]:.0f} s reached"
        result["headline"] = headline(result)
        time.sleep(2.0)  # the phones' closed connections reach the workers
        for w, pid, c0 in zip(result["workers"], pids, cpu0, strict=True):
            mem = proc_status(pid)
            w.update(
                {
                    "rss_mb_end": mem.get("VmRSS"),
                    "hwm_mb": mem.get("VmHWM"),
                    "cpu_seconds": round(proc_cpu_seconds(pid) - c0, 2),
                    **proc_threads_files(pid),
                }
            )
        result["cpu_pinning"] = "none (kernel scheduling for workers, nginx, client and services)"
        ours = {os.getpid(), serve.pid, *pids, nginx or 0, redis_pid or 0}
        if nginx:
            ours |= child_pids(nginx)
        if pg_pid:
            ours |= {pg_pid, *child_pids(pg_pid)}
        result["other_busy_processes_end"] = busy_neighbours(exclude=ours)
        result["loadavg_1min_end"] = round(os.getloadavg()[0], 2)
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"[:2000]
    finally:
        if serve is not None and serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                serve.kill()
                serve.wait(timeout=10)
        with contextlib.suppress(OSError):
            text = serve_log.read_text(errors="replace")
            first = text.find("Traceback")
            result["server_log"] = {
                "tracebacks": text.count("Traceback"),
                "first_traceback": text[first:][:1500] if first >= 0 else "",
                # where it ended: the exception itself (the head is the handler's stack)
                "first_traceback_end": text[first:].split("\n\n")[0][-600:] if first >= 0 else "",
            }
        if database:
            drop_database(server_url, database)
        if os.environ.get("BENCH_KEEP_VAR"):
            print(f"kept {var}", file=sys.stderr)
        else:
            shutil.rmtree(var, ignore_errors=True)
    return result


def doors_scaleout_all(args) -> dict:
    """Start Redis and PostgreSQL, then 1 worker and 2 workers behind nginx, each in a
    process of its own; compare their pages a second and their CPU per page."""
    out: dict = {
        "mode": DOORS_SCALEOUT,
        "phones_per_measurement": args.phones or DEFAULT_PHONES[DOORS_SCALEOUT],
        "in_flight_limit": args.in_flight,
        "plan": ["1 worker", "2 workers"],
        "setup": "scripts/serve.py: nginx (serves /static/ itself, least_conn to the workers) "
        "in front of N daphne workers on PostgreSQL and Redis; nothing pinned",
    }
    measurements: list[dict] = []
    try:
        with throwaway_services() as services:
            out["services"] = services_versions(services)
            for n in (1, 2):
                print(f"==> doors-scaleout: {n} worker(s) ...", file=sys.stderr, flush=True)
                extra = ["--services", str(services), "--workers", str(n)]
                measurements.append(run_child(DOORS_SCALEOUT, args, extra))
    except Exception as error:
        out["error"] = f"{type(error).__name__}: {error}"[:2000]
    out["measurements"] = measurements
    out.update(doors_scaleout_figures(measurements))
    return out


def doors_scaleout_figures(measurements: list[dict]) -> dict:
    """Pages a second and server CPU per page (summed over the workers) of 1 and 2 workers,
    and their ratios 2 : 1."""
    by = {m.get("worker_processes"): m for m in measurements if not m.get("error")}

    def figure(n, *path):
        value = by.get(n)
        for key in path:
            value = (value or {}).get(key)
        return value

    def ratio(a, b):
        return round(a / b, 2) if a and b else None

    pages = {n: figure(n, "arrival", "pages_per_second") for n in (1, 2)}
    first = {n: figure(n, "headline", "server_cpu_ms_per_first_page") for n in (1, 2)}
    back = {n: figure(n, "headline", "server_cpu_ms_per_returning_page") for n in (1, 2)}
    phone = {n: figure(n, "headline", "server_cpu_ms_per_phone_arrival") for n in (1, 2)}
    # Every arrived phone loads the page again: N pages, against the calibration's 200.
    after = {
        n: figure(n, "headline", "server_cpu_ms_per_returning_page_after_arrival") for n in (1, 2)
    }
    codes = {m.get("app_code") for m in measurements}
    failed = [m.get("error") for m in measurements if m.get("error")]
    return {
        "pages_per_second": {"1 worker": pages[1], "2 workers": pages[2]},
        "ratio_2_vs_1_pages_per_second": ratio(pages[2], pages[1]),
        "server_cpu_ms_per_first_page": {"1 worker": first[1], "2 workers": first[2]},
        "server_cpu_ms_per_returning_page": {"1 worker": back[1], "2 workers": back[2]},
        "server_cpu_ms_per_phone_arrival": {"1 worker": phone[1], "2 workers": phone[2]},
        "server_cpu_ms_per_returning_page_after_arrival": {
            "1 worker": after[1], "2 workers": after[2]
        },
        # The verdict's figure: CPU per page over every phone's returning page (thousands of
        # pages); the calibration's first pages (200, 20 at a time) are the second figure.
        "cpu_per_page_ratio_2_vs_1": ratio(after[2], after[1]),
        "cpu_per_first_page_calibration_ratio_2_vs_1": ratio(first[2], first[1]),
        "cpu_per_phone_arrival_ratio_2_vs_1": ratio(phone[2], phone[1]),
        "same_app_code_throughout": len(codes) == 1,
        **({"error": f"{len(failed)} measurement(s) failed; first: {failed[0]}"[:2000]}
           if failed else {}),
    }  # fmt: skip
