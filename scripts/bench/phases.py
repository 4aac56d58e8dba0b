"""A mode's socket phase, once its server runs and its phones exist: the vote (burst, paced,
scaleout), the idle connections, and the state push timed to every phone. The runners fill
the result as they go, so a phase stopped by its deadline still reports how far it got."""

import asyncio
import contextlib
import json
import time

from .app import stored_ballots
from .clients import (
    CARD_VERSION_RE,
    CONNECT_TIMEOUT,
    Phone,
    Projector,
    ballot_frame,
    close_all,
    connect_phones,
    phones_vote,
    ws_connect,
)
from .config import DEADLINES, JOIN_CODE, SCALEOUT
from .faults import redis_restart_recovery, worker_kill_recovery
from .processes import Server, proc_cpu_seconds, rss_total, servers_cpu
from .stats import ms, pct

PUSH_TIMEOUT = 60.0
PUSHES = 3  # stage changes timed one after another after the burst
TALLY_TIMEOUT = 10.0


async def vote_run(
    mode: str,
    servers: list[Server],
    info: dict,
    rate: float,
    phones: list[Phone],
    result: dict,
    *,
    voters: int | None = None,
    services_cpu: dict | None = None,
    probe=None,
    restart_redis=None,
    kill_worker: bool = False,
) -> None:
    """Phones connect (each to the worker on its port), then `voters` of them (default all)
    vote. The projector is connected to the first worker. With several workers, server
    figures are sums over the workers and result["workers"] has each one's."""
    poll_id, port = info["poll_id"], servers[0].port
    projector = Projector(poll_id)
    screen = await ws_connect(
        f"ws://127.0.0.1:{port}/ws/s/{JOIN_CODE}/screen/{info['secret']}/", port=port
    )
    listener = asyncio.create_task(projector.run(screen))
    services_cpu = services_cpu or {}
    per_worker = [{"port": s.port, "cpus": s.cpus} for s in servers]
    try:
        result["server_rss_mb_before_connect"] = rss_total(servers)
        for w, s in zip(per_worker, servers, strict=True):
            w["rss_mb_before_connect"] = s.memory().get("VmRSS")
        result.update(await connect_phones(phones, servers))
        result["server_rss_mb_connected"] = rss_total(servers)
        for w, s in zip(per_worker, servers, strict=True):
            w["rss_mb_connected"] = s.memory().get("VmRSS")
        ready = [p for p in phones if p.error is None]
        # Phones were dealt to workers in turn, so the first `voters` are spread evenly.
        ready = ready[:voters] if voters else ready
        for w, s in zip(per_worker, servers, strict=True):
            w["phones_voting"] = sum(p.port == s.port for p in ready)
        await asyncio.sleep(0.5)  # let the server settle (presence pushes) before voting

        spies = [
            s.profile_start(mode if len(servers) == 1 else f"{mode}-w{i}-of-{len(servers)}")
            for i, s in enumerate(servers)
        ]
        if any(spies):
            await asyncio.sleep(1.0)  # py-spy attaches
        frames = [ballot_frame(p, i) for i, p in enumerate(ready)]
        cpus0 = [proc_cpu_seconds(s.pid) for s in servers]
        svc0 = {name: f() for name, f in services_cpu.items()}
        if probe:
            probe.start()
        client0, wall0 = time.process_time(), time.perf_counter()
        result["voting_window_epoch"] = [time.time(), None]
        if mode == "paced":
            t0 = time.perf_counter() + 0.2
            for i, phone in enumerate(ready):
                phone.scheduled = t0 + i / rate
        await phones_vote(ready, frames)
        if probe:
            result["postgres_while_voting"] = probe.stop()
        cpus1 = [proc_cpu_seconds(s.pid) for s in servers]
        svc1 = {name: f() for name, f in services_cpu.items()}
        client1, wall = time.process_time(), time.perf_counter() - wall0
        result["voting_window_epoch"][1] = time.time()
        cpu0, cpu1 = sum(cpus0), sum(cpus1)

        acked = [p for p in ready if p.acked_at is not None]
        stored = await asyncio.to_thread(stored_ballots, poll_id)
        projector.expect(len(stored))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(projector.reached.wait(), TALLY_TIMEOUT)
        await asyncio.sleep(0.3)  # catch any later push (must not exceed the stored count)
        profiles = [s.profile_stop(spy) for s, spy in zip(servers, spies, strict=True)]
        result["profile"] = profiles[0] if len(servers) == 1 else profiles
        result["server_rss_mb_end"] = rss_total(servers)
        result["server_hwm_mb"] = rss_total(servers, "VmHWM")
        for w, s, c0, c1 in zip(per_worker, servers, cpus0, cpus1, strict=True):
            mem = s.memory()
            w.update(
                {
                    "rss_mb_end": mem.get("VmRSS"),
                    "hwm_mb": mem.get("VmHWM"),
                    "cpu_seconds_voting": round(c1 - c0, 2),
                    "cpu_share_voting": round((c1 - c0) / wall, 2) if wall else None,
                }
            )
        if mode == SCALEOUT:
            # Fan-out through the channel layer: the console, on the last worker, moves the
            # agenda on and every phone (on every worker) must get the new card.
            port = servers[-1].port
            console = await ws_connect(
                f"ws://127.0.0.1:{port}/ws/s/{JOIN_CODE}/console/",
                port=port,
                cookie=info["console_cookie"],
            )
            try:
                result["state_push"] = await state_push(servers, console, ready)
            finally:
                await close_all([console])
            if restart_redis:
                result["redis_restart"] = await redis_restart_recovery(
                    servers, ready, restart_redis
                )
            if kill_worker:
                result["worker_killed"] = await worker_kill_recovery(servers, ready, poll_id)
    finally:
        listener.cancel()
        with contextlib.suppress(BaseException):
            await listener
        await close_all([screen] + [p.ws for p in phones])

    if len(servers) > 1 or mode == SCALEOUT:
        result["workers"] = per_worker
    if services_cpu and wall:
        # CPU seconds per wall second while voting (cores busy), of everything on the machine:
        # "other" is what the machine spent beyond this bench (other processes, the kernel).
        share = {
            "workers": (cpu1 - cpu0) / wall,
            "client": (client1 - client0) / wall,
            **{n: (svc1[n] - svc0[n]) / wall for n in svc0 if n != "machine"},
        }
        share["other"] = max(0.0, (svc1["machine"] - svc0["machine"]) / wall - sum(share.values()))
        share["machine"] = (svc1["machine"] - svc0["machine"]) / wall
        result["cpu_share_voting"] = {k: round(v, 2) for k, v in share.items()}
    sent = [p for p in ready if p.sent_at is not None]
    latencies = [p.acked_at - p.sent_at for p in acked]
    first_send = min((p.sent_at for p in sent), default=None)
    last_send = max((p.sent_at for p in sent), default=None)
    last_ack = max((p.acked_at for p in acked), default=None)
    lost = [p for p in acked if stored.get(p.attendee_id) != int(p.theme)]
    full_at = projector.first_at_total(len(stored))
    span = (last_ack - first_send) if acked else None
    result.update(
        {
            **({"phones_voting": len(ready)} if voters else {}),
            "ballots_sent": len(sent),
            "ballots_acked": len(acked),
            "ballots_stored": len(stored),
            "ballots_lost": len(lost),
            "ballots_refused": sum(p.refusal is not None for p in ready),
            "refusal_example": next((p.refusal for p in ready if p.refusal), None),
            "ballots_unanswered": sum(p.error is not None for p in ready),
            "unanswered_example": next((p.error for p in ready if p.error), None),
            "ballots_per_second": round(len(acked) / span, 1) if span else None,
            "ack_ms": {
                "p50": ms(pct(latencies, 50)),
                "p95": ms(pct(latencies, 95)),
                "p99": ms(pct(latencies, 99)),
                "max": ms(max(latencies, default=None)),
            },
            "send_spread_ms": ms(last_send - first_send) if sent else None,
            "last_ack_to_full_tally_ms": ms(full_at - last_ack) if full_at and last_ack else None,
            "last_send_to_full_tally_ms": ms(full_at - last_send)
            if full_at and last_send
            else None,
            "projector": {
                "tally_frames": len(projector.frames),
                "final_total": projector.last_total,
                "full_tally_seen": full_at is not None,
                "out_of_order": projector.out_of_order,
                "error": projector.error,
            },
            "server_cpu_seconds_voting": round(cpu1 - cpu0, 2),
            # CPU seconds per wall second while voting: near 1.0 = the server's core saturated
            # (summed over workers: near 2.0 = two workers each saturating a core).
            "server_cpu_share_voting": round((cpu1 - cpu0) / wall, 2) if wall else None,
            "client_cpu_seconds_voting": round(client1 - client0, 2),
        }
    )
    if mode == "paced":
        lateness = [p.sent_at - p.scheduled for p in sent]
        result["target_rate"] = rate
        result["achieved_send_rate"] = (
            round((len(sent) - 1) / (last_send - first_send), 1) if len(sent) > 1 else None
        )
        result["send_lateness_ms"] = {"p50": ms(pct(lateness, 50)), "p99": ms(pct(lateness, 99))}


async def connections_run(server: Server, info: dict, phones: list[Phone], result: dict) -> None:
    before = server.memory().get("VmRSS")
    console = None
    try:
        spy = server.profile_start("connections")
        if spy:
            await asyncio.sleep(1.0)  # py-spy attaches
        result.update(await connect_phones(phones, [server]))
        result["profile"] = server.profile_stop(spy)
        await asyncio.sleep(2.0)  # idle: let presence pushes and garbage settle
        mem = server.memory()
        connected = result["phones_connected"]
        result.update(
            {
                "server_rss_mb_before_connect": before,
                "server_rss_mb_connected": mem.get("VmRSS"),
                "server_hwm_mb": mem.get("VmHWM"),
                "kb_per_socket": (
                    round((mem["VmRSS"] - before) * 1024 / connected, 1)
                    if connected and before and mem.get("VmRSS")
                    else None
                ),
            }
        )
        console = await ws_connect(
            f"ws://127.0.0.1:{server.port}/ws/s/{JOIN_CODE}/console/",
            port=server.port,
            cookie=info["console_cookie"],
        )
        result["state_push"] = await state_push([server], console, phones)
    finally:
        await close_all([console] + [p.ws for p in phones])


async def state_push(servers: list[Server], console, phones: list[Phone]) -> dict:
    """The facilitator moves the agenda on: how long until every phone has the new card.
    PUSHES times in a row (the bench starts before the first item, so there is no going
    back first), to see the spread and whether memory keeps growing. Top-level figures are
    the first push's; server CPU is summed over the workers."""
    ready = [p for p in phones if p.error is None]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(console.recv(), CONNECT_TIMEOUT)  # the console's first frame
    pushes = []
    for _ in range(PUSHES):
        pushes.append(await _one_push(servers, console, ready, "stage_next"))
    return {
        **pushes[0],
        "repeats": [
            {k: p[k] for k in ("action", "phones_updated", "all_phones_ms",
                               "server_cpu_seconds", "server_rss_mb_after")}
            for p in pushes[1:]
        ],
    }  # fmt: skip


async def _one_push(servers: list[Server], console, ready: list[Phone], action: str) -> dict:
    arrived: list[float] = []

    async def wait_frame(phone: Phone) -> None:
        with contextlib.suppress(Exception):
            while True:  # the card with a newer live version than the phone has
                version = CARD_VERSION_RE.search(await phone.ws.recv())
                if version and int(version.group(1)) > (phone.version or 0):
                    phone.version = int(version.group(1))
                    arrived.append(time.perf_counter())
                    return

    waiting = [asyncio.create_task(wait_frame(p)) for p in ready]
    await asyncio.sleep(0.2)
    cpu0, started = servers_cpu(servers), time.perf_counter()
    await console.send(json.dumps({"action": action}))
    _, pending = await asyncio.wait(waiting, timeout=PUSH_TIMEOUT)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    spans = sorted(at - started for at in arrived)
    return {
        "action": f"{action} from the console socket",
        "phones": len(ready),
        "phones_updated": len(arrived),
        "first_phone_ms": ms(spans[0]) if spans else None,
        "p50_phone_ms": ms(pct(spans, 50)),
        "all_phones_ms": ms(spans[-1]) if len(spans) == len(ready) and spans else None,
        "server_cpu_seconds": round(servers_cpu(servers) - cpu0, 2),
        "server_rss_mb_after": rss_total(servers),
    }


def run_within_deadline(
    mode: str, runner, servers: list[Server], phones: list[Phone], result: dict,
    extra: float = 0.0,
) -> None:  # fmt: skip
    """Run a mode's socket phase within its deadline (plus `extra` seconds). The runners
    fill `result` as they go, so one that hits the deadline still reports, with how far the
    phones got."""
    deadline = DEADLINES[mode] + extra

    async def bounded():
        async with asyncio.timeout(deadline):
            await runner

    try:
        asyncio.run(bounded())
    except TimeoutError:
        result["error"] = f"deadline of {deadline:.0f} s reached"
        result["phones_with_first_frame_at_deadline"] = sum(
            p.ws is not None and p.poll is not None for p in phones
        )
        result["server_rss_mb_at_deadline"] = rss_total(servers)
