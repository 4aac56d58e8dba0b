"""The report: the targets and whether each was met, the printed summary, and the JSON
document with the machine and versions it was measured on, written to bench/results/."""

import contextlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from .clients import CONNECT_CONCURRENCY
from .config import (
    DEADLINES,
    DOORS,
    DOORS_SCALEOUT,
    MODES,
    REPORT_RENDER_MS,
    RESULTS,
    ROOT,
    SCALEOUT,
)
from .processes import PINNED

TARGETS = {
    "burst_lost": 0,
    "burst_ack_p95_ms": 250,
    "burst_last_ballot_to_full_tally_ms": 300,
    "paced_ack_p95_ms": 25,
    "connections_rss_mb": 300,
    "scaleout_lost": 0,
    "scaleout_ratio_2_vs_1": 1.7,
    "scaleout_cpu_per_ballot_2_vs_1": 1.15,
    "doors_first_page_cpu_ms": 3.0,
    "doors_returning_page_cpu_ms": 3.0,
    "doors_all_connected_s": 10.0,
    "doors_first_page_p95_ms": 1000.0,
    "doors_scaleout_ratio_2_vs_1": 1.6,
    "doors_scaleout_cpu_per_page_2_vs_1": 1.15,
}


def at_most(name: str, value, **more) -> dict:
    target = TARGETS[name]
    return {"target": target, "value": value, **more, "met": value is not None and value <= target}


def doors_verdicts(d: dict) -> dict:
    head, arrival = d.get("headline") or {}, d.get("arrival") or {}
    p95 = (arrival.get("first_page_ms") or {}).get("p95")
    everyone = arrival.get("phones_connected") == d.get("phones_requested")
    found = {
        "doors_first_page_cpu_ms": at_most(
            "doors_first_page_cpu_ms", head.get("server_cpu_ms_per_first_page")
        ),
        "doors_returning_page_cpu_ms": at_most(
            "doors_returning_page_cpu_ms", head.get("server_cpu_ms_per_returning_page")
        ),
        "doors_all_connected_s": at_most(
            "doors_all_connected_s", arrival.get("all_connected_seconds"), all_connected=everyone
        ),
        "doors_first_page_p95_ms": at_most("doors_first_page_p95_ms", p95),
    }
    if not everyone:
        found["doors_first_page_p95_ms"]["met"] = False
    return found


def verdicts(results: dict) -> dict:
    found = {}
    if b := results.get("burst"):
        lost = b.get("ballots_lost")
        p95 = (b.get("ack_ms") or {}).get("p95")
        tally = b.get("last_ack_to_full_tally_ms")
        found["burst_lost"] = {"target": 0, "value": lost, "met": lost == 0}
        found["burst_ack_p95_ms"] = {
            "target": TARGETS["burst_ack_p95_ms"],
            "value": p95,
            "met": p95 is not None and p95 <= TARGETS["burst_ack_p95_ms"],
        }
        found["burst_last_ballot_to_full_tally_ms"] = {
            "target": TARGETS["burst_last_ballot_to_full_tally_ms"],
            "value": tally,
            "met": tally is not None and tally <= TARGETS["burst_last_ballot_to_full_tally_ms"],
        }
    if p := results.get("paced"):
        p95 = (p.get("ack_ms") or {}).get("p95")
        found["paced_ack_p95_ms"] = {
            "target": TARGETS["paced_ack_p95_ms"],
            "value": p95,
            "met": p95 is not None and p95 <= TARGETS["paced_ack_p95_ms"],
        }
    if r := results.get("report"):
        median = (r.get("render_ms") or {}).get("median")
        found["report_render_ms"] = {
            "target": REPORT_RENDER_MS,
            "value": median,
            "met": median is not None and median <= REPORT_RENDER_MS,
        }
    if c := results.get("connections"):
        rss = c.get("server_rss_mb_connected")
        ok = c.get("phones_connected") == c.get("phones_requested")
        found["connections_rss_mb"] = {
            "target": TARGETS["connections_rss_mb"],
            "value": rss,
            "all_connected": ok,
            "met": ok and rss is not None and rss < TARGETS["connections_rss_mb"],
        }
    if so := results.get(SCALEOUT):
        ms_ = so.get("measurements") or []
        complete = bool(ms_) and not any(m.get("error") for m in ms_)
        lost = so.get("ballots_lost") if complete else None
        found["scaleout_lost"] = {"target": 0, "value": lost, "met": lost == 0}
        ratio = so.get("ratio_2_vs_1")
        found["scaleout_ratio_2_vs_1"] = {
            "target": TARGETS["scaleout_ratio_2_vs_1"],
            "value": ratio,
            "met": ratio is not None and ratio >= TARGETS["scaleout_ratio_2_vs_1"] and lost == 0,
        }
        found["scaleout_cpu_per_ballot_2_vs_1"] = at_most(
            "scaleout_cpu_per_ballot_2_vs_1", so.get("workers_cpu_per_ballot_2_vs_1"), lost=lost
        )
        found["scaleout_cpu_per_ballot_2_vs_1"]["met"] &= lost == 0
    if d := results.get(DOORS):
        found.update(doors_verdicts(d))
    if ds := results.get(DOORS_SCALEOUT):
        ratio = ds.get("ratio_2_vs_1_pages_per_second")
        complete = not ds.get("error") and all(
            (m.get("arrival") or {}).get("phones_connected") == m.get("phones_requested")
            for m in ds.get("measurements") or []
        )
        found["doors_scaleout_ratio_2_vs_1"] = {
            "target": TARGETS["doors_scaleout_ratio_2_vs_1"],
            "value": ratio,
            "all_connected": complete,
            "met": complete
            and ratio is not None
            and ratio >= TARGETS["doors_scaleout_ratio_2_vs_1"],
        }
        found["doors_scaleout_cpu_per_page_2_vs_1"] = at_most(
            "doors_scaleout_cpu_per_page_2_vs_1",
            ds.get("cpu_per_page_ratio_2_vs_1"),
            all_connected=complete,
        )
        found["doors_scaleout_cpu_per_page_2_vs_1"]["met"] &= complete
    return found


def machine() -> dict:
    model = memory = None
    with contextlib.suppress(OSError, StopIteration, ValueError, IndexError):
        text = Path("/proc/cpuinfo").read_text()
        model = next(
            line.split(":", 1)[1].strip() for line in text.splitlines() if "model name" in line
        )
    with contextlib.suppress(OSError, StopIteration, ValueError, IndexError):
        text = Path("/proc/meminfo").read_text()
        kb = next(int(line.split()[1]) for line in text.splitlines() if line.startswith("MemTotal"))
        memory = round(kb / 1024 / 1024, 1)
    return {"cpu_model": model, "memory_gb": memory, "kernel": os.uname().release}


VERSIONED = ("django", "channels", "daphne", "channels-redis", "redis", "psycopg")


def meta(modes: tuple[str, ...] = MODES) -> dict:
    def version(name):
        from importlib.metadata import PackageNotFoundError, version

        with contextlib.suppress(PackageNotFoundError):
            return version(name)

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": commit,
        "git_dirty": bool(
            subprocess.run(
                ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
        ),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "machine": machine(),
        "versions": {n: version(n) for n in VERSIONED},
        "setup": (
            "1 and 2 daphne workers on PostgreSQL (fsync on) and Redis (channels-redis "
            f"{os.environ.get('WORKSHOP_REDIS_LAYER', 'pubsub')} layer) from "
            "scripts/services.sh, alternated in one run; fresh database and "
            "flushed Redis per measurement; phones dealt to workers client-side (no nginx)"
            if modes == (SCALEOUT,)
            else "scripts/serve.py with 1 and then 2 daphne workers behind nginx (which serves "
            "/static/ itself), on PostgreSQL and Redis from scripts/services.sh; fresh database "
            "and flushed Redis per measurement; nothing pinned"
            if modes == (DOORS_SCALEOUT,)
            else "one daphne, SQLite (WAL), in-memory channel layer; fresh database per mode"
        ),
        "cpu_pinning": "server CPU 0, client CPU 1 (taskset)" if PINNED else "none",
        "notes": [
            "attendees bulk-created and cookies signed in the bench process (no page loads), "
            "except in doors and doors-scaleout, where each phone joins through the page",
            "vote opened with voting.services.poll_open before phones connect",
            "ack = the phone frame with '✓ Your vote' (committed); latency from send to ack",
            "each vote carries a fresh idempotency key, as live.js sends it",
            "full tally = first projector push whose data-total equals the stored ballot count",
            f"phones connect {CONNECT_CONCURRENCY} at a time; deadlines (s): {DEADLINES}",
            "connections mode also times one state push (console 'stage_next') to every phone",
        ],
    }


def vote_figures(r: dict) -> str:
    a = r.get("ack_ms", {})
    return (
        f"; {r.get('ballots_acked')} acked, {r.get('ballots_stored')} stored,"
        f" {r.get('ballots_lost')} lost; {r.get('ballots_per_second')} ballots/s;"
        f" ack p50/p95/p99 {a.get('p50')}/{a.get('p95')}/{a.get('p99')} ms;"
        f" last ack→full tally {r.get('last_ack_to_full_tally_ms')} ms"
    )


def scaleout_summary(so: dict) -> list[str]:
    lines = [
        f"{SCALEOUT:12} {so.get('phones_per_measurement')} phones per measurement,"
        f" {so.get('voters_per_measurement')} vote at once; pinning: {so.get('cpu_pinning')}"
    ]
    measured = list(so.get("measurements") or [])
    if so.get("embedded"):
        measured.append({**so["embedded"], "worker_processes": "embedded"})
    for r in measured:
        n = r.get("worker_processes")
        label = f"{'':2}{n} worker{'s' if n != 1 else ''}" if n != "embedded" else "  embedded"
        if r.get("error"):
            lines.append(f"{label:12} ERROR {r['error']}")
            continue
        head = f"{label:12} {r.get('phones_connected')}/{r.get('phones_requested')} phones"
        head += f" in {r.get('connect_seconds')} s" + vote_figures(r)
        workers = r.get("workers") or []
        rss = "+".join(str(w.get("rss_mb_end")) for w in workers) or r.get("server_rss_mb_end")
        head += f"; RSS {rss} MB"
        if share := r.get("cpu_share_voting"):
            head += "; CPU while voting (cores) " + ", ".join(f"{k} {v}" for k, v in share.items())
        gcs = [w["gc_while_voting"] for w in workers if w.get("gc_while_voting")]
        if gcs:
            spent = "+".join(str(round(sum(g[k]["seconds"] for k in g), 2)) for g in gcs)
            full = "+".join(str(g["gen2"]["collections"]) for g in gcs)
            head += f"; GC while voting {spent} s ({full} full)"
        if pg := r.get("postgres_while_voting"):
            head += (
                f"; PG: {pg.get('write_transactions')} write transactions,"
                f" sessions waiting for a lock {pg.get('sessions_waiting_for_lock')},"
                f" idle in transaction {pg.get('sessions_idle_in_transaction')}"
            )
        lines.append(head)
        log = r.get("server_log") or {}
        if log.get("tracebacks"):
            lines.append(f"{'':12} server log: {log['tracebacks']} traceback(s)")
        if log.get("sent_back"):
            sent = ", ".join(f"worker {w}: {n}" for w, n, _ in log["sent_back"])
            lines.append(f"{'':12} sockets sent back: {sent}")
    lines.append(
        f"{'':2}ratio 2 vs 1 workers (ballots/s): {so.get('ratio_2_vs_1')}"
        f" (per round {so.get('ratio_2_vs_1_per_round')}, of median rates"
        f" {so.get('ratio_of_median_rates')}); CPU ceiling if a ballot cost what it costs"
        f" one worker: {so.get('ratio_ceiling_from_1_worker_cpu')}"
    )
    lines.append(
        f"{'':2}workers' CPU per ballot, 2 vs 1: {so.get('workers_cpu_per_ballot_2_vs_1')}"
        f" (ms a ballot: {so.get('cpu_ms_per_ballot')})"
    )
    if so.get("excluded_from_ratio"):
        lines.append(f"{'':2}not in the ratio: {so['excluded_from_ratio']}")
    if so.get("error"):
        lines.append(f"{SCALEOUT:12} ERROR {so['error']}")
    return lines


def doors_line(label: str, r: dict) -> list[str]:
    if r.get("error") and not r.get("arrival"):
        return [f"{label:12} ERROR {r['error']}"]
    a, h, back = r.get("arrival") or {}, r.get("headline") or {}, r.get("returning") or {}
    first, join = a.get("first_page_ms") or {}, a.get("join_ms") or {}
    static, again = a.get("static_ms") or {}, back.get("page_ms") or {}
    rss = r.get("server_rss_mb_end") or "+".join(
        str(w.get("rss_mb_end")) for w in r.get("workers") or []
    )
    lines = [
        f"{label:12} {a.get('phones_connected')}/{r.get('phones_requested')} phones connected,"
        f" all within {a.get('all_connected_seconds')} s ({a.get('in_flight_limit')} in flight,"
        f" {a.get('joins_refused_429')} joins refused with 429); {a.get('pages_per_second')}"
        f" pages/s; first page p50/p95/p99 {first.get('p50')}/{first.get('p95')}/"
        f"{first.get('p99')} ms; join p50/p95 {join.get('p50')}/{join.get('p95')} ms; static"
        f" p50/p95 {static.get('p50')}/{static.get('p95')} ms; returning page p50/p95/p99"
        f" {again.get('p50')}/{again.get('p95')}/{again.get('p99')} ms",
        f"{'':12} server CPU per first page {h.get('server_cpu_ms_per_first_page')} ms, join"
        f" {h.get('server_cpu_ms_per_join')} ms, static file"
        f" {h.get('server_cpu_ms_per_static_file')} ms, returning page"
        f" {h.get('server_cpu_ms_per_returning_page')} ms (after the arrival"
        f" {h.get('server_cpu_ms_per_returning_page_after_arrival')} ms), socket connect"
        f" {h.get('server_cpu_ms_per_socket_connect')} ms; whole arrival"
        f" {h.get('server_cpu_ms_per_phone_arrival')} ms a phone; RSS after"
        f" {rss} MB",
    ]
    if a.get("phones_failed"):
        lines.append(f"{'':12} failed: {a['phones_failed']}, e.g. {a.get('failure_example')}")
    if r.get("error"):
        lines.append(f"{'':12} ERROR {r['error']}")
    log = r.get("server_log") or {}
    if log.get("tracebacks"):
        end = (log.get("first_traceback_end") or "").strip().splitlines()[-1:] or [""]
        lines.append(f"{'':12} server log: {log['tracebacks']} traceback(s) {end[0][:200]}")
    return lines


def summary(results: dict, targets: dict) -> str:
    lines = []
    for mode in MODES:
        r = results.get(mode)
        if not r or mode == DOORS:
            continue
        if r.get("error"):
            lines.append(f"{mode:12} ERROR {r['error']}")
            continue
        if mode == "report":
            ms = r.get("render_ms") or {}
            lines.append(
                f"{mode:12} {r.get('ballots')} ballots, {r.get('questions')} questions,"
                f" {r.get('views')} views: render median {ms.get('median')} ms"
                f" (min {ms.get('min')}, max {ms.get('max')}, {ms.get('runs')} runs),"
                f" {r.get('html_kb')} KB of HTML"
            )
            continue
        head = f"{mode:12} {r.get('phones_connected')}/{r.get('phones_requested')} phones"
        head += f" in {r.get('connect_seconds')} s"
        if mode == "connections":
            head += (
                f", server RSS {r.get('server_rss_mb_connected')} MB"
                f" (peak {r.get('server_hwm_mb')} MB, {r.get('kb_per_socket')} KB/socket)"
            )
            push = r.get("state_push") or {}
            head += (
                f"; one state push reached {push.get('phones_updated')}/{push.get('phones')}"
                f" phones, all in {push.get('all_phones_ms')} ms"
            )
        else:
            head += vote_figures(r)
            if mode == "paced":
                head += f"; rate {r.get('achieved_send_rate')}/s of {r.get('target_rate')}/s"
        lines.append(head)
        log = r.get("server_log") or {}
        if log.get("tracebacks"):
            lines.append(f"{'':12} server log: {log['tracebacks']} traceback(s)")
    if d := results.get(DOORS):
        lines += doors_line(DOORS, d)
    if ds := results.get(DOORS_SCALEOUT):
        for m in ds.get("measurements") or []:
            n = m.get("worker_processes")
            lines += doors_line(f"doors {n}w", m)
        lines.append(
            f"{'':2}doors through nginx, 2 vs 1 workers: pages/s"
            f" {ds.get('ratio_2_vs_1_pages_per_second')}, CPU per page (every phone's"
            f" returning page) {ds.get('cpu_per_page_ratio_2_vs_1')}, per first page"
            f" (calibration) {ds.get('cpu_per_first_page_calibration_ratio_2_vs_1')},"
            f" CPU per phone arriving"
            f" {ds.get('cpu_per_phone_arrival_ratio_2_vs_1')}"
        )
        if ds.get("error"):
            lines.append(f"{DOORS_SCALEOUT} ERROR {ds['error']}")
    if so := results.get(SCALEOUT):
        lines += scaleout_summary(so)
    for name, v in targets.items():
        lines.append(
            f"target {name}: {v['value']} vs {v['target']} -> {'MET' if v['met'] else 'MISSED'}"
        )
    return "\n".join(lines)


def publish(results: dict, modes: tuple[str, ...], json_out: Path | None) -> None:
    """Print the summary and the JSON document; write the document to bench/results/ (and to
    json_out when given)."""
    targets = verdicts(results)
    document = {"meta": meta(modes), **results, "targets": targets}
    text = json.dumps(document, indent=2, ensure_ascii=False)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{stamp}.json").write_text(text + "\n")
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(text + "\n")
    print(summary(results, targets))
    print(text)
