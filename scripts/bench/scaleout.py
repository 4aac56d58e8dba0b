"""The scale-out mode: 1 and 2 daphne workers on PostgreSQL and Redis, alternated, each
measurement in a process of its own on a fresh database and a flushed Redis; then the ratio
of their ballots/s and what it rests on (which measurements count, the CPU ceiling)."""

import os
import re
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from .app import app_fingerprint, prepare
from .clients import Phone
from .config import DEFAULT_PHONES, RECOVERY_TIMEOUT, SCALEOUT
from .doors import source_address
from .gctrace import gc_seconds, gc_trace_env
from .modes import run_child
from .phases import run_within_deadline, vote_run
from .postgres import PgProbe, drop_database, pg_admin
from .processes import (
    PINNED,
    Server,
    busy_neighbours,
    child_pids,
    machine_busy_seconds,
    machine_steal_seconds,
    pid_from,
    proc_cpu_seconds,
    tree_cpu_seconds,
)
from .services import services_env, services_restart_redis, services_versions, throwaway_services
from .stats import median

OTHER_CPU_LIMIT = 0.25  # cores used by other processes while voting: above, not in the ratio
CONNECTED_SHARE = 0.99  # phones that must connect for a measurement to count in the ratio
SENT_BACK_RE = re.compile(r"^(.*); asking (\d+) sockets to reconnect within", re.M)


def scaleout_pinning(pin: str) -> str:
    if pin == "workers" and PINNED:
        return (
            "worker i on CPU i mod 2 (taskset), so two workers never share a core; the load "
            "client, PostgreSQL and Redis unpinned (the kernel places them) - same rule for "
            "1 and 2 workers"
        )
    return "none (kernel scheduling for workers, client, PostgreSQL and Redis)"


def run_scaleout(
    workers: int, phones: int, voters: int | None, services: Path, pin: str,
    redis_restart: bool = False, kill_worker: bool = False,
) -> dict:  # fmt: skip
    """One measurement: a fresh PostgreSQL database, a flushed Redis, `workers` daphne
    processes; phones dealt to the workers in turn (client-side, no nginx), then a burst."""
    var = Path(tempfile.mkdtemp(prefix=f"wl-bench-scaleout-{workers}w-"))
    result: dict = {"mode": SCALEOUT, "worker_processes": workers}
    servers: list[Server] = []
    server_url = database = None
    try:
        result["other_busy_processes_start"] = busy_neighbours(exclude={os.getpid()})
        t = time.perf_counter()
        urls = services_env(services)
        server_url = urls["DATABASE_URL"].rsplit("/", 1)[0]
        database = f"wl_bench_{uuid.uuid4().hex[:10]}"
        pg_admin(server_url, f'CREATE DATABASE "{database}"')
        import redis

        with redis.Redis.from_url(urls["REDIS_URL"], socket_timeout=10) as client:
            client.flushdb()  # no group members left over from an earlier measurement
        env, info = prepare(
            var,
            phones,
            {"DATABASE_URL": f"{server_url}/{database}", "REDIS_URL": urls["REDIS_URL"]},
        )
        result["setup_seconds"] = round(time.perf_counter() - t, 1)
        cpus = sorted(os.sched_getaffinity(0))
        for i in range(workers):
            cpu = str(cpus[i % len(cpus)]) if pin == "workers" and PINNED else None
            servers.append(Server(gc_trace_env(env, var), var, cpu, name=f"daphne-{i}"))
        for server in servers:
            server.start()
        result["app_code"] = app_fingerprint()  # the code the workers have just imported
        phones_ = [
            # Each phone from a loopback address of its own, as a hall's phones are: one
            # address would meet the per-address ballot limit (WORKSHOP_VOTES_PER_ADDRESS).
            Phone(a, c, servers[i % workers].port, source_address(i, network=3))
            for i, (a, c) in enumerate(info["cookies"])
        ]
        pg_pid = pid_from(services / "pg" / "data" / "postmaster.pid")
        redis_pid = pid_from(services / "redis" / "redis.pid")
        services_cpu = {
            "postgres": lambda: tree_cpu_seconds(pg_pid) if pg_pid else 0.0,
            "redis": lambda: proc_cpu_seconds(redis_pid) if redis_pid else 0.0,
            "steal": machine_steal_seconds,
            "machine": machine_busy_seconds,
        }
        runner = vote_run(
            SCALEOUT, servers, info, 0.0, phones_, result,
            voters=voters, services_cpu=services_cpu,
            probe=PgProbe(f"{server_url}/{database}", info["poll_id"]),
            restart_redis=(lambda: services_restart_redis(services)) if redis_restart else None,
            kill_worker=kill_worker,
        )  # fmt: skip

        run_within_deadline(
            SCALEOUT, runner, servers, phones_, result,
            extra=RECOVERY_TIMEOUT * (redis_restart + kill_worker),
        )  # fmt: skip
        for worker, server in zip(result.get("workers") or [], servers, strict=False):
            if found := gc_seconds(var, server.pid, result.get("voting_window_epoch")):
                worker["gc_while_voting"] = found
        result["server_open_files_limit"] = servers[0].nofile()
        result["client_open_files_limit"] = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        result["cpu_pinning"] = scaleout_pinning(pin)
        ours = {os.getpid(), *(s.pid for s in servers), redis_pid or 0}
        if pg_pid:
            ours |= {pg_pid, *child_pids(pg_pid)}
        result["other_busy_processes_end"] = busy_neighbours(exclude=ours)
        result["loadavg_1min_end"] = round(os.getloadavg()[0], 2)
        if app_fingerprint() != result.get("app_code"):
            result["app_code_changed_during_measurement"] = True
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"[:2000]
    finally:
        for server in servers:
            server.stop()
        logs = [s.tracebacks() for s in servers]
        texts = [s.log_text() for s in servers]
        first = next((t[t.find("Traceback") :] for t in texts if "Traceback" in t), "")
        result["server_log"] = {
            "tracebacks": sum(log["tracebacks"] for log in logs),
            "first_traceback": next(
                (log["first_traceback"] for log in logs if log["tracebacks"]), ""
            ),
            # where it ended: the exception itself (the head is mostly the middleware stack)
            "first_traceback_end": first.split("\n\n")[0][-1500:] if first else "",
            # each time a worker sent its sockets back (workshop/live/sockets.py logs it):
            # [worker, sockets, reason]; after a Redis restart, once per worker is the aim
            "sent_back": [
                [i, int(m.group(2)), m.group(1)[:120]]
                for i, text in enumerate(texts)
                for m in SENT_BACK_RE.finditer(text)
            ],
        }
        if database:
            drop_database(server_url, database)
        if os.environ.get("BENCH_KEEP_VAR"):
            print(f"kept {var}", file=sys.stderr)
        else:
            shutil.rmtree(var, ignore_errors=True)
    return result


def scaleout_all(args) -> dict:
    """Start Redis and PostgreSQL, then alternate 1 and 2 workers (each measurement in its own
    process, on its own database), optionally the embedded default too; compare as ratios."""
    plan = [1, 2] * args.rounds
    voters = args.voters or args.phones or DEFAULT_PHONES[SCALEOUT]
    out: dict = {
        "mode": SCALEOUT,
        "phones_per_measurement": args.phones or DEFAULT_PHONES[SCALEOUT],
        "voters_per_measurement": voters,
        "plan": [f"{n} worker{'s' * (n > 1)}" for n in plan],
        "cpu_pinning": scaleout_pinning(args.pin),
        "phones_spread": "client-side: phone i connects to worker i mod N's port (no nginx)",
        "redis_layer": os.environ.get("WORKSHOP_REDIS_LAYER", "pubsub"),  # settings.py default
    }
    measurements: list[dict] = []
    try:
        with throwaway_services() as services:
            out["services"] = services_versions(services)
            extra = ["--services", str(services), "--pin", args.pin]
            if args.redis_restart:
                extra.append("--redis-restart")
            if args.kill_worker:
                extra.append("--kill-worker")
            if args.voters:
                extra += ["--voters", str(args.voters)]
            for i, n in enumerate(plan, 1):
                print(
                    f"==> scaleout: {n} worker(s), {i}/{len(plan)} ...", file=sys.stderr, flush=True
                )
                measurements.append(run_child(SCALEOUT, args, [*extra, "--workers", str(n)]))
            if args.with_embedded:
                print("==> scaleout: the embedded default (burst) ...", file=sys.stderr, flush=True)
                out["embedded"] = run_child("burst", args, phones=voters)
    except Exception as error:
        out["error"] = f"{type(error).__name__}: {error}"[:2000]
    out["measurements"] = measurements
    scaleout_figures(out, measurements)
    return out


def scaleout_figures(out: dict, measurements: list[dict]) -> None:
    """The ratio and its context, from the measurements (1 and 2 workers alternated)."""
    # A measurement counts towards the ratio only if (nearly) every phone connected and voted,
    # and nothing else on the machine used a noticeable share of the CPUs while it voted.
    excluded = {}
    for i, m in enumerate(measurements):
        other = (m.get("cpu_share_voting") or {}).get("other") or 0
        connected, requested = m.get("phones_connected") or 0, m.get("phones_requested") or 0
        if m.get("error") or not m.get("ballots_per_second"):
            excluded[i] = "failed"
        elif connected < CONNECTED_SHARE * requested:
            excluded[i] = f"only {connected}/{requested} connected"
        elif other > OTHER_CPU_LIMIT:
            excluded[i] = f"other processes used {other} cores while it voted"
    out["excluded_from_ratio"] = {
        f"{i + 1} ({measurements[i]['worker_processes']} worker(s))": why
        for i, why in excluded.items()
    }
    rates: dict[int, list[float]] = {1: [], 2: []}
    for i, m in enumerate(measurements):
        if i not in excluded:
            rates[m["worker_processes"]].append(m["ballots_per_second"])
    one, two = median(rates[1]), median(rates[2])
    out["ballots_per_second"] = {"1 worker": rates[1], "2 workers": rates[2]}
    # The headline: the median of the ratios of each round (1 worker, then 2, back to back);
    # when no round is complete, the ratio of the median rates.
    out["ratio_2_vs_1_per_round"] = [
        round(measurements[i + 1]["ballots_per_second"] / measurements[i]["ballots_per_second"], 2)
        for i in range(0, len(measurements) - 1, 2)
        if i not in excluded and i + 1 not in excluded
    ]
    out["ratio_of_median_rates"] = round(two / one, 2) if one and two else None
    per_round = median(out["ratio_2_vs_1_per_round"])
    out["ratio_2_vs_1"] = round(per_round, 2) if per_round else out["ratio_of_median_rates"]
    if (e := out.get("embedded")) and e.get("ballots_per_second") and two:
        out["ratio_2_workers_vs_embedded"] = round(two / e["ballots_per_second"], 2)
    # If each ballot cost the CPU it cost with one worker (workers + client + PostgreSQL +
    # Redis), the machine's CPUs could carry at most this multiple of the 1-worker rate. An
    # estimate, not a limit: a ballot's cost varies from run to run (docs/performance.md),
    # and ratios above it happen.
    cores = len(os.sched_getaffinity(0))
    ceilings = [
        cores
        / sum(v for k, v in m["cpu_share_voting"].items() if k not in ("other", "machine", "steal"))
        for i, m in enumerate(measurements)
        if m.get("worker_processes") == 1 and m.get("cpu_share_voting") and i not in excluded
    ]
    out["ratio_ceiling_from_1_worker_cpu"] = round(median(ceilings), 2) if ceilings else None
    out["ballots_lost"] = sum(m.get("ballots_lost") or 0 for m in measurements)
    # Efficiency, which a 2-core machine shared with the client and PostgreSQL can show where
    # the ratio cannot: CPU per acknowledged ballot, of the workers together and of each
    # service, with 1 worker and with 2 (medians over the measurements that count).
    per_ballot: dict[str, dict[str, list[float]]] = {"1 worker": {}, "2 workers": {}}
    for i, m in enumerate(measurements):
        acked, share = m.get("ballots_acked"), m.get("cpu_share_voting") or {}
        wall = (
            (m.get("server_cpu_seconds_voting") or 0) / share["workers"]
            if share.get("workers")
            else None
        )
        if i in excluded or not acked or not wall:
            continue
        key = "1 worker" if m["worker_processes"] == 1 else "2 workers"
        for part in ("workers", "postgres", "redis", "client"):
            if share.get(part) is not None:
                ms_each = share[part] * wall * 1000 / acked
                per_ballot[key].setdefault(part, []).append(round(ms_each, 3))
    out["cpu_ms_per_ballot"] = per_ballot
    one_each = median(per_ballot["1 worker"].get("workers", []))
    two_each = median(per_ballot["2 workers"].get("workers", []))
    out["workers_cpu_per_ballot_2_vs_1"] = (
        round(two_each / one_each, 2) if one_each and two_each else None
    )
    pushes: dict[str, list] = {"1 worker": [], "2 workers": []}
    for m in measurements:
        if push := m.get("state_push"):
            key = "1 worker" if m.get("worker_processes") == 1 else "2 workers"
            pushes[key].append(push.get("all_phones_ms"))
    out["state_push_all_phones_ms"] = pushes
    codes = {m.get("app_code") for m in measurements} | {
        "changed" for m in measurements if m.get("app_code_changed_during_measurement")
    }
    out["same_app_code_throughout"] = len(codes) == 1
    if len(codes) > 1:
        out["warning"] = "the app's code changed during the run: the ratio compares different code"
    failed = [m.get("error") for m in measurements if m.get("error")]
    if failed and "error" not in out:
        out["error"] = f"{len(failed)} measurement(s) failed; first: {failed[0]}"[:2000]
