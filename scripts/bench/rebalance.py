"""Workers evening out their phones after one restarts, measured through scripts/serve.py.

    .venv/bin/python scripts/bench rebalance [--phones 5000] [--json-out FILE]

Starts a throwaway Redis and PostgreSQL (scripts/services.sh), prepares a database with the
demo workshop and N attendees (as make bench does), and runs serve.py with two workers
behind nginx. N phones (the benchmark's lean client) connect through nginx's one address and
behave like live.js: when a socket closes they come back after a pause drawn from the window
the server gave (2 s unless told), or after a growing random delay when a connect fails, as
htmx does. Then worker B is killed with SIGKILL; its phones come back to worker A; serve.py
starts B again; and the workers even out (workshop/live/balance.py). Printed: how long each
step took, the phones on each worker over time, how many reconnects the evening out cost,
and whether any worker logged a traceback. Loopback only; every wait is bounded.
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .app import app_fingerprint, prepare
from .clients import CONNECT_TIMEOUT, ws_connect
from .config import JOIN_CODE, ROOT
from .processes import free_port, raise_nofile
from .services import services_env
from serve import listening, sockets_on, worker_pid

WINDOW_RE = re.compile(r"^<!--reconnect-window (\d+)-->$")
STEP_TIMEOUT = 180.0  # seconds any one step may take


class LivePhone:
    def __init__(self, cookie: str, port: int):
        self.cookie, self.port = cookie, port
        self.connects = self.failures = 0
        self.up = False  # connected, and the current state received

    async def run(self, stop: asyncio.Event) -> None:
        url = f"ws://127.0.0.1:{self.port}/ws/j/{JOIN_CODE}/"
        attempt = 0
        while not stop.is_set():
            window, delay = 2, None
            try:
                ws = await ws_connect(url, port=self.port, cookie=self.cookie)
                first = await asyncio.wait_for(ws.recv(), CONNECT_TIMEOUT)
                self.connects, self.up, attempt = self.connects + 1, 'id="phone-live"' in first, 0
                async for frame in ws:
                    if m := WINDOW_RE.match(frame):
                        window = int(m.group(1))
                    if stop.is_set():
                        await ws.close()
            except Exception:  # refused, reset or timed out: counted, then tried again
                self.failures, attempt = self.failures + 1, attempt + 1
                delay = random.random() * min(30.0, 2.0**attempt)
            self.up = False
            if delay is None:
                delay = 0.5 + random.random() * (window - 0.5)
            await asyncio.sleep(delay)


async def until(condition, what: str) -> float:
    """Seconds until condition() holds (sampled every 0.1 s); raises after STEP_TIMEOUT."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > STEP_TIMEOUT:
            raise TimeoutError(f"{what}: not within {STEP_TIMEOUT:.0f} s")
        await asyncio.sleep(0.1)
    return round(time.monotonic() - start, 1)


async def measure(phones: list[LivePhone], port: int, a: int, b: int, serve_log: Path) -> dict:
    stop = asyncio.Event()
    tasks = []
    out: dict = {}

    def on() -> list[int]:
        return [sockets_on(a), sockets_on(b)]

    def all_up() -> bool:
        return sum(on()) == len(phones) and all(p.up for p in phones)

    try:
        for i, phone in enumerate(phones):
            tasks.append(asyncio.create_task(phone.run(stop)))
            if i % 100 == 99:
                await asyncio.sleep(0.2)  # a room filling up, not one instant
        out["connect_s"] = await until(all_up, "all phones connected")
        out["spread_before_kill"] = on()

        os.kill(worker_pid(b), signal.SIGKILL)
        # serve.py starts the worker again within seconds, and nginx may give it some of
        # the returning phones already: "back" means every phone up, wherever.
        restarted = asyncio.create_task(until(lambda: listening(b), "worker restarted"))
        out["killed_worker_phones_back_s"] = await until(all_up, "the killed worker's phones")
        out["spread_when_back"] = on()
        out["restarted_listening_s"] = await restarted  # counted from the kill
        connects0 = sum(p.connects for p in phones)
        timeline, start, quiet_since = [], time.monotonic(), None
        while time.monotonic() - start < STEP_TIMEOUT:
            await asyncio.sleep(1.0)
            timeline.append([round(time.monotonic() - start), *on()])
            sent_back = serve_log.read_text().count("to reconnect elsewhere")
            if quiet_since is None or sent_back != quiet_since[1]:
                quiet_since = (time.monotonic(), sent_back)
            elif time.monotonic() - quiet_since[0] > 10 and all_up():
                break  # no round for 10 s and every phone up: evened out
        out["timeline_s_a_b"] = timeline
        out["evened_out"] = on()
        out["rounds"] = serve_log.read_text().count("to reconnect elsewhere")
        out["reconnects_to_even_out"] = sum(p.connects for p in phones) - connects0
        last_round = quiet_since[0] - start if quiet_since else None
        out["last_round_after_restart_s"] = round(last_round, 1) if last_round else None
        out["all_up_at_end"] = all_up()
        out["failed_connects"] = sum(p.failures for p in phones)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench rebalance", description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=5000)
    parser.add_argument("--json-out")
    args = parser.parse_args(argv)
    raise_nofile()
    services = Path(tempfile.mkdtemp(prefix="wl-rebalance-services-"))
    var = Path(tempfile.mkdtemp(prefix="wl-rebalance-"))
    for d in (services, var):
        d.chmod(0o755)  # PostgreSQL's and nginx's accounts read here when this runs as root
    script = str(ROOT / "scripts" / "services.sh")
    serve = None
    result: dict = {"phones": args.phones, "commit": app_fingerprint()}
    try:
        subprocess.run(["bash", script, "start", str(services)], check=True, capture_output=True)
        env, info = prepare(var, args.phones, services_env(services))
        port, a, b = free_port(), free_port(), free_port()
        serve_log = var / "serve.log"
        with serve_log.open("w") as log:
            serve = subprocess.Popen(
                [sys.executable, "scripts/serve.py", "--workers", "2", "--port", str(port),
                 "--worker-ports", f"{a},{b}"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        asyncio.run(until(lambda: listening(port), "serve.py up"))
        phones = [LivePhone(cookie, port) for _, cookie in info["cookies"]]
        result.update(asyncio.run(measure(phones, port, a, b, serve_log)))
        text = serve_log.read_text()
        result["tracebacks"] = text.count("Traceback")
        result["rounds_logged"] = [
            line for line in text.splitlines() if "reconnect elsewhere" in line or "paused" in line
        ]
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"[:2000]
    finally:
        if serve is not None and serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=30)
        subprocess.run(["bash", script, "stop", str(services)], capture_output=True)
        shutil.rmtree(services, ignore_errors=True)
        shutil.rmtree(var, ignore_errors=True)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n")
    return 1 if "error" in result or result.get("tracebacks") else 0
