"""The scale-out fault runs, after the burst: Redis restarted under a full room, and a
worker killed in the middle of a second burst. Each phone behaves as live.js and htmx's
WebSocket extension do, and the database is checked afterwards."""

import asyncio
import contextlib
import json
import os
import random
import re
import time
import uuid

import serve
from .app import stored_ballots
from .clients import ACK, CARD_VERSION_RE, CONNECT_TIMEOUT, REFUSAL, Phone, ws_connect
from .config import JOIN_CODE, RECOVERY_TIMEOUT
from .processes import Server, proc_cpu_seconds, servers_cpu
from .stats import ms, pct
from .ws import Closed

WINDOW_RE = re.compile(r"<!--reconnect-window (\d+)-->")  # workshop/live/sockets.py


async def redis_restart_recovery(servers: list[Server], phones: list[Phone], restart) -> dict:
    """Redis restarts under a full room: every worker asks its sockets to come back (4011),
    first saying over how many seconds to spread their return. Each phone does what live.js
    does: waits for a random moment in that window, reconnects to its worker, and is sent
    the current card; a failed attempt is retried after 1-2 s. Times from the restart until
    every phone has the card it had before."""
    ready = [p for p in phones if p.error is None]
    back: list[float] = []
    codes: dict[str, int] = {}
    windows: dict[str, int] = {}

    async def come_back(phone: Phone) -> None:
        window = 2
        with contextlib.suppress(Closed):
            while True:
                if found := WINDOW_RE.match(await phone.ws.recv()):
                    window = max(2, int(found.group(1)))
        code = str(phone.ws.close_code)
        codes[code] = codes.get(code, 0) + 1
        windows[str(window)] = windows.get(str(window), 0) + 1
        await asyncio.sleep(random.uniform(0.5, window))
        url = f"ws://127.0.0.1:{phone.port}/ws/j/{JOIN_CODE}/"
        while True:
            try:
                phone.ws = await ws_connect(
                    url, port=phone.port, cookie=phone.cookie, source=phone.source
                )
                version = CARD_VERSION_RE.search(
                    await asyncio.wait_for(phone.ws.recv(), CONNECT_TIMEOUT)
                )
                if version and int(version.group(1)) >= (phone.version or 0):
                    back.append(time.perf_counter())
                    return
            except Exception:  # refused while Redis or the worker is busy: try again
                pass
            await asyncio.sleep(random.uniform(1.0, 2.0))

    waiting = [asyncio.create_task(come_back(p)) for p in ready]
    await asyncio.sleep(0.2)
    cpu0, started = servers_cpu(servers), time.perf_counter()
    await asyncio.to_thread(restart)
    _, pending = await asyncio.wait(waiting, timeout=RECOVERY_TIMEOUT)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    spans = sorted(at - started for at in back)
    return {
        "phones": len(ready),
        "closed_by_server_with": codes,
        "return_window_seconds": windows,
        "phones_back": len(back),
        "first_back_ms": ms(spans[0]) if spans else None,
        "p50_back_ms": ms(pct(spans, 50)),
        "all_back_ms": ms(spans[-1]) if len(spans) == len(ready) and spans else None,
        "server_cpu_seconds": round(servers_cpu(servers) - cpu0, 2),
    }


KILL_AFTER = 0.1  # seconds into the second burst when the last worker is killed
RESTART_AFTER = 1.0  # as scripts/serve.py: a dead worker is started again after a second
HANDSHAKE_TIMEOUT = float(os.environ.get("BENCH_HANDSHAKE_TIMEOUT", serve.CONNECT_TIMEOUT))


async def worker_kill_recovery(servers: list[Server], phones: list[Phone], poll_id: int) -> dict:
    """A worker dies in the middle of a vote burst (SIGKILL) and is started again a second
    later, as scripts/serve.py does. Every phone changes its vote (a fresh key per tap);
    KILL_AFTER seconds in, the last worker is killed. Each phone does what htmx's ws
    extension and live.js do: after the abnormal close it waits a random time (htmx's
    "full-jitter": up to 1 s, doubling per failed attempt, at most 64 s), reconnects, and
    resends the vote it has no answer for with the same key. It tries its own worker first
    and, refused, the others, as nginx's next-upstream does. Then the database is checked
    exactly: one ballot per phone, with its last choice and that tap's key."""
    ready = [p for p in phones if p.error is None]
    victim = servers[-1]
    for phone in ready:
        phone.ws.listen(None)
    messages, last_tap = {}, {}  # phone.theme stays the first burst's choice (its figures)
    for i, phone in enumerate(ready):
        theme = phone.themes[(i + 1) % len(phone.themes)]  # a change from the first vote
        last_tap[phone.attendee_id] = (int(theme), uuid.uuid4().hex)
        messages[id(phone)] = json.dumps(
            {"action": "vote", "poll": phone.poll, "theme": theme,
             "key": last_tap[phone.attendee_id][1]}
        )  # fmt: skip
    acked: dict[int, float] = {}
    refused: dict[int, str] = {}
    resent: set[int] = set()
    reconnected: dict[int, int] = {}  # port -> phones that came back there
    attempts = [0]
    killed_at: list[float] = []
    back_at: list[float] = []

    async def answer(phone: Phone) -> str:
        while True:
            frame = await phone.ws.recv()
            if ACK in frame or REFUSAL in frame:
                return frame

    async def reconnect(phone: Phone) -> None:
        order = [phone.port, *(s.port for s in servers if s.port != phone.port)]
        retry = 0
        while True:
            await asyncio.sleep(random.random() * 2 ** min(retry, 6))
            retry += 1
            for port in order:
                attempts[0] += 1
                try:
                    async with asyncio.timeout(HANDSHAKE_TIMEOUT):
                        ws = await ws_connect(
                            f"ws://127.0.0.1:{port}/ws/j/{JOIN_CODE}/",
                            port=port, cookie=phone.cookie, timeout=HANDSHAKE_TIMEOUT,
                            source=phone.source,
                        )  # fmt: skip
                        card = await ws.recv()
                except (OSError, Closed, TimeoutError):
                    continue
                if 'id="phone-live"' in card:
                    phone.ws = ws
                    reconnected[port] = reconnected.get(port, 0) + 1
                    back_at.append(time.perf_counter())
                    return
                await ws.close()

    async def vote(phone: Phone) -> None:
        original, sent = phone.ws, False
        while id(phone) not in acked and id(phone) not in refused:
            try:
                if not sent:
                    phone.ws.send_frame(phone.ws.frame(messages[id(phone)]))
                    sent = True
                frame = await answer(phone)
                if ACK in frame:
                    acked[id(phone)] = time.perf_counter()
                else:
                    refused[id(phone)] = re.sub(r"<[^>]+>", "", frame).strip()[:200]
            except Closed:
                await reconnect(phone)
                resent.add(id(phone))
                sent = False
        if phone.port == victim.port and phone.ws is original:
            # answered before the kill: its socket goes down with the worker all the same,
            # and the phone reconnects like the others (nothing to resend)
            with contextlib.suppress(Closed):
                while True:
                    await phone.ws.recv()
            await reconnect(phone)

    async def kill_and_restart() -> None:
        await asyncio.sleep(KILL_AFTER)
        await asyncio.to_thread(victim.kill)
        killed_at.append(time.perf_counter())
        await asyncio.sleep(RESTART_AFTER)
        await asyncio.to_thread(victim.start)

    on_victim = [p for p in ready if p.port == victim.port]
    started = time.perf_counter()
    survivors_cpu0 = sum(proc_cpu_seconds(s.pid) for s in servers[:-1])
    killer = asyncio.create_task(kill_and_restart())
    voting = [asyncio.create_task(vote(p)) for p in ready]
    await killer
    restarted_at = time.perf_counter()
    restarted_cpu0 = proc_cpu_seconds(victim.pid)
    unacked_at_kill = sum(1 for p in on_victim if id(p) not in acked or acked[id(p)] > killed_at[0])
    _, pending = await asyncio.wait(voting, timeout=RECOVERY_TIMEOUT)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    stored = await asyncio.to_thread(stored_ballots, poll_id, keys=True)
    kill = killed_at[0]
    after_kill = sorted(at - kill for at in acked.values() if at > kill)
    back = sorted(at - kill for at in back_at)
    wrong = [p for p in ready if stored.get(p.attendee_id) != last_tap[p.attendee_id]]
    return {
        "phones": len(ready),
        "phones_on_killed_worker": len(on_victim),
        "killed_after_ms": ms(kill - started),
        "worker_back_after_ms": ms(restarted_at - kill),
        "ballots_acked_before_kill": sum(at <= kill for at in acked.values()),
        "ballots_unacked_on_killed_worker": unacked_at_kill,
        "ballots_resent": len(resent),
        "ballots_acked": len(acked),
        "ballots_refused": len(refused),
        "refusal_example": next(iter(refused.values()), None),
        "phones_reconnected_to": {
            ("the restarted worker" if port == victim.port else f"worker on {port}"): n
            for port, n in reconnected.items()
        },
        "connect_attempts": attempts[0],
        "p50_phone_back_after_kill_ms": ms(pct(back, 50)),
        "all_phones_back_after_kill_ms": ms(back[-1]) if len(back) >= len(on_victim) else None,
        "ballots_stored": len(stored),
        "ballots_not_as_last_tapped": len(wrong),
        "not_as_last_tapped_example": (
            {"attendee": wrong[0].attendee_id, "stored": stored.get(wrong[0].attendee_id)}
            if wrong
            else None
        ),
        "p50_ack_after_kill_ms": ms(pct(after_kill, 50)),
        "all_acked_after_kill_ms": ms(after_kill[-1])
        if len(acked) == len(ready) and after_kill
        else None,
        "survivors_cpu_seconds": round(
            sum(proc_cpu_seconds(s.pid) for s in servers[:-1]) - survivors_cpu0, 2
        ),
        "restarted_worker_cpu_seconds": round(proc_cpu_seconds(victim.pid) - restarted_cpu0, 2),
        "within_seconds": round(time.perf_counter() - restarted_at, 1),
    }
