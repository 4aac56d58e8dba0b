#!/usr/bin/env python
"""Live-vote benchmark: `make bench` (BENCH_ARGS="--mode burst --phones 1000" for one mode).

Starts the app as `make run` would (daphne, SQLite, in-memory channel layer) on its own fresh
database, opens simulated phones over real WebSockets and measures what the issue asks for:

  burst        N phones (default 1,000) connect, then all vote at once.
  paced        N phones (default 1,000) connect, then vote at a steady --rate (default 500/s).
  connections  N phones (default 5,000) connect and stay idle: server memory and connect time.
  all          each of the above in its own process, on its own database (the default).

An acknowledgement ("✓ Your vote" on the phone) means the ballot is committed, so a ballot
acknowledged but missing from the database afterwards is lost. The projector socket records
each tally push; "full tally" is the first push whose data-total equals the stored count.

Attendees are bulk-created and their signed cookies computed in this process (same
WORKSHOP_VAR_DIR, so the same secret key), not by N page loads. The vote is opened with
voting.services.poll_open before any phone connects. The server is pinned to CPU 0 and this
client to CPU 1 when taskset is available. Every wait has a timeout; each mode has a deadline.
Prints a short summary and one JSON document, also written to bench/results/<timestamp>.json.
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
JOIN_CODE = "PCN25"
MODES = ("burst", "paced", "connections")
DEFAULT_PHONES = {"burst": 1000, "paced": 1000, "connections": 5000}
# Seconds for a mode's socket phase; setup and teardown come on top. Connections gets more:
# 5,000 handshakes took 48-67 s here, and a state push to all of them follows.
DEADLINES = {"burst": 120.0, "paced": 120.0, "connections": 180.0}
MODE_DEADLINE = max(DEADLINES.values())
PUSH_TIMEOUT = 60.0
CONNECT_CONCURRENCY = 200
CONNECT_TIMEOUT = 30.0
ACK_TIMEOUT = 30.0
TALLY_TIMEOUT = 10.0
CLOSE_TIMEOUT = 30.0
NOFILE = 65536
TARGETS = {
    "burst_lost": 0,
    "burst_ack_p95_ms": 250,
    "burst_last_ballot_to_full_tally_ms": 300,
    "paced_ack_p95_ms": 25,
    "connections_rss_mb": 300,
}

ACK = "✓ Your vote"
REFUSAL = 'id="phone-flash"'
POLL_RE = re.compile(r'name="poll" value="(\d+)"')
THEME_RE = re.compile(r'name="theme" value="(\d+)"')
TALLY_TAG_RE = re.compile(r'<div id="tally-(\d+)"[^>]*>')
VERSION_RE = re.compile(r'data-version="(\d+)"')
TOTAL_RE = re.compile(r'data-total="(\d+)"')
CARD_VERSION_RE = re.compile(r'<section id="phone-live"[^>]*data-version="(\d+)"')


# --- process plumbing ------------------------------------------------------------------------


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
    if os.geteuid() == 0 and hard != resource.RLIM_INFINITY and hard < NOFILE:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))
            return NOFILE
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def can_pin() -> bool:
    return bool(shutil.which("taskset")) and len(os.sched_getaffinity(0)) >= 2


PINNED = can_pin()  # decided before this process pins itself


def pin_client() -> bool:
    if not can_pin():
        return False
    os.sched_setaffinity(0, {1})
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300
    )


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MB (empty if it is gone)."""
    found = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = round(int(value.split()[0]) / 1024, 1)
    return found


def proc_cpu_seconds(pid: int) -> float:
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def busy_neighbours(exclude: set[int]) -> list[str]:
    """Other processes using CPU right now (the bench shares the machine; they skew figures)."""

    def ticks() -> dict[int, tuple[int, str]]:
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                head, tail = stat.read_text().rsplit(")", 1)
                fields = tail.split()
                found[int(stat.parent.name)] = (
                    int(fields[11]) + int(fields[12]),
                    head[head.find("(") + 1 :],
                )
        return found

    before = ticks()
    time.sleep(0.5)
    after = ticks()
    busy = []
    for pid, (t, name) in after.items():
        used = (t - before.get(pid, (t, name))[0]) / os.sysconf("SC_CLK_TCK") / 0.5
        if pid not in exclude and used >= 0.1:
            busy.append(f"{name} (pid {pid}): {used:.0%} of a CPU")
    return busy


class Server:
    """daphne as `make run` starts it, on CPU 0, with a raised open-file limit."""

    def __init__(self, env: dict, var: Path, pinned: bool):
        self.env, self.log_path, self.pinned = env, var / "daphne.log", pinned
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        pin = ["taskset", "-c", "0"] if self.pinned else []
        command = [
            "bash", "-c", f'ulimit -n {NOFILE} 2>/dev/null || ulimit -n hard; exec "$@"', "bash",
            *pin, PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "--proxy-headers",
            "workshop.asgi:application",
        ]  # fmt: skip
        with self.log_path.open("w") as log:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2).read()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("daphne did not start:\n" + self.log_text()) from None
                time.sleep(0.1)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def memory(self) -> dict[str, float]:
        return proc_status(self.pid)

    def nofile(self) -> int | None:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.pid}/limits").read_text().splitlines():
                if line.startswith("Max open files"):
                    return int(line.split()[3])
        return None

    def profile_start(self, mode: str) -> tuple | None:
        """With BENCH_PY_SPY=<py-spy executable>: sample the server (collapsed stacks)."""
        spy = os.environ.get("BENCH_PY_SPY")
        if not spy:
            return None
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS / f"profile-{mode}-{stamp}.txt"
        proc = subprocess.Popen(
            [spy, "record", "--pid", str(self.pid), "--rate", "250", "--format", "raw",
             "--threads", "--output", str(out),
             *os.environ.get("BENCH_PY_SPY_ARGS", "").split()],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        return proc, out

    def profile_stop(self, spy: tuple | None) -> str | None:
        if spy is None:
            return None
        proc, out = spy
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        return str(out.relative_to(ROOT)) if out.exists() else f"py-spy failed ({proc.returncode})"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def tracebacks(self) -> dict:
        text = self.log_text()
        count = text.count("Traceback")
        first = text[text.find("Traceback") :][:1500] if count else ""
        return {"tracebacks": count, "first_traceback": first}


# --- Django side (same WORKSHOP_VAR_DIR as the server: same database, same secret key) ------


def prepare(var: Path, phones: int) -> tuple[dict, dict]:
    """Fresh database with the demo workshop, N attendees with cookies, the vote open."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "workshop.settings",
        "WORKSHOP_VAR_DIR": str(var),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    env.pop("DATABASE_URL", None)  # the embedded default: SQLite and the in-memory layer
    env.pop("REDIS_URL", None)
    manage(env, "migrate", "--noinput", "-v0")
    # Static files are the same for every mode: collected once per bench run (13 s).
    static = Path(env.setdefault("DJANGO_STATIC_ROOT", str(var / "static")))
    if not (static / "staticfiles.json").exists():
        manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "load_demo")
    manage(env, "facilitator", "--username", "bench", "--password", "bench-only-password-1")
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "WORKSHOP_VAR_DIR")})
    os.environ["DJANGO_ALLOWED_HOSTS"] = env["DJANGO_ALLOWED_HOSTS"]
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from voting.services import poll_open
    from workshop.attendees import attendee_cookie_value, cookie_name
    from workshop.models import Attendee, Workshop
    from workshop.services import live_state_ensure

    workshop = Workshop.objects.get(join_code=JOIN_CODE)
    rows = Attendee.objects.bulk_create([Attendee(workshop=workshop) for _ in range(phones)])
    name = cookie_name(workshop.pk)
    cookies = [
        (a.pk, f"{name}={attendee_cookie_value(workshop_id=workshop.pk, attendee_id=a.pk)}")
        for a in rows
    ]
    poll = poll_open(workshop=workshop, show_bars=True)
    state = live_state_ensure(workshop=workshop)
    info = {
        "console_cookie": console_cookie("bench"),
        "workshop_id": workshop.pk,
        "poll_id": poll.pk,
        "theme_ids": sorted(poll.options.values_list("pk", flat=True)),
        "secret": state.screen_secret,
        "cookies": cookies,
    }
    return env, info


def console_cookie(username: str) -> str:
    """A logged-in session for the facilitator (as a login would make), as a Cookie header."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )

    user = get_user_model().objects.get(username=username)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def stored_ballots(poll_id: int) -> dict[int, int]:
    """{attendee id: theme id} for the poll, read from the database."""
    from django.db import connection

    from voting.models import Ballot

    rows = dict(Ballot.objects.filter(poll_id=poll_id).values_list("attendee_id", "theme_id"))
    connection.close()  # called through a worker thread: do not leave its connection open
    return rows


# --- the simulated clients -------------------------------------------------------------------


class Phone:
    __slots__ = (
        "acked_at", "attendee_id", "cookie", "error", "poll", "refusal", "scheduled", "sent_at",
        "theme", "themes", "version", "ws",
    )  # fmt: skip

    def __init__(self, attendee_id: int, cookie: str):
        self.attendee_id, self.cookie = attendee_id, cookie
        self.ws = self.poll = self.theme = self.sent_at = self.acked_at = None
        self.refusal = self.error = self.scheduled = self.version = None
        self.themes: list[str] = []


def ws_connect(url: str, *, port: int, cookie: str | None = None):
    from websockets.asyncio.client import connect

    headers = [("Origin", f"http://127.0.0.1:{port}")]
    if cookie:
        headers.append(("Cookie", cookie))
    return connect(
        url,
        additional_headers=headers,
        compression=None,
        max_size=2**22,
        open_timeout=CONNECT_TIMEOUT,
        close_timeout=5,
        ping_interval=None,  # the server pings; the client answers without pinging itself
    )


async def phone_connect(phone: Phone, url: str, port: int, gate: asyncio.Semaphore) -> None:
    async with gate:
        try:
            phone.ws = await ws_connect(url, port=port, cookie=phone.cookie)
            first = await asyncio.wait_for(phone.ws.recv(), CONNECT_TIMEOUT)
        except Exception as error:  # counted and reported, never raised
            phone.error = f"connect: {type(error).__name__}: {error}"[:200]
            return
        if 'id="phone-live"' not in first:
            phone.error = "connect: first frame is not the phone card"
            return
        polls, phone.themes = POLL_RE.findall(first), THEME_RE.findall(first)
        version = CARD_VERSION_RE.search(first)
        phone.version = int(version.group(1)) if version else None
        phone.poll = polls[0] if polls else None
        if not phone.poll or not phone.themes:
            phone.error = "connect: no ballot in the first frame"


async def phone_vote(phone: Phone, index: int, start: asyncio.Event) -> None:
    phone.theme = phone.themes[index % len(phone.themes)]
    message = json.dumps({"action": "vote", "poll": phone.poll, "theme": phone.theme})
    await start.wait()
    if phone.scheduled is not None:
        await asyncio.sleep(max(0.0, phone.scheduled - time.perf_counter()))
    try:
        phone.sent_at = time.perf_counter()
        await phone.ws.send(message)
        async with asyncio.timeout(ACK_TIMEOUT):
            while True:
                frame = await phone.ws.recv()
                if ACK in frame:
                    phone.acked_at = time.perf_counter()
                    return
                if REFUSAL in frame:
                    phone.refusal = re.sub(r"<[^>]+>", "", frame).strip()[:200]
                    return
    except TimeoutError:
        phone.error = "vote: no answer"
    except Exception as error:
        phone.error = f"vote: {type(error).__name__}: {error}"[:200]


class Projector:
    """The projector's socket: records (time, version, total) of every tally it is shown."""

    def __init__(self, poll_id: int):
        self.poll_id = str(poll_id)
        self.frames: list[tuple[float, int, int]] = []
        self.out_of_order = 0
        self.want: int | None = None
        self.reached = asyncio.Event()
        self.error: str | None = None

    def seen(self, frame: str) -> None:
        for tag in TALLY_TAG_RE.finditer(frame):
            if tag.group(1) != self.poll_id:
                continue
            version, total = VERSION_RE.search(tag.group(0)), TOTAL_RE.search(tag.group(0))
            if not (version and total):
                continue
            v, t = int(version.group(1)), int(total.group(1))
            if self.frames and v < max(f[1] for f in self.frames[-5:]):
                self.out_of_order += 1
            self.frames.append((time.perf_counter(), v, t))
            if self.want is not None and t >= self.want:
                self.reached.set()

    def expect(self, total: int) -> None:
        self.want = total
        if any(t >= total for _, _, t in self.frames):
            self.reached.set()

    async def run(self, ws) -> None:
        try:
            async for frame in ws:
                self.seen(frame if isinstance(frame, str) else frame.decode())
        except Exception as error:
            self.error = f"{type(error).__name__}: {error}"[:200]

    def first_at_total(self, total: int) -> float | None:
        return next((at for at, _, t in self.frames if t == total), None)

    @property
    def last_total(self) -> int | None:
        return self.frames[-1][2] if self.frames else None


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


async def connect_phones(phones: list[Phone], url: str, server: Server) -> dict:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    started, cpu0, client0 = time.perf_counter(), proc_cpu_seconds(server.pid), time.process_time()
    await asyncio.gather(*(phone_connect(p, url, server.port, gate) for p in phones))
    seconds = time.perf_counter() - started
    failed = [p.error for p in phones if p.error]
    return {
        "phones_requested": len(phones),
        "phones_connected": len(phones) - len(failed),
        "connect_failed": len(failed),
        "connect_failure_example": failed[0] if failed else None,
        "connect_seconds": round(seconds, 2),
        "connects_per_second": round(len(phones) / seconds, 1) if seconds else None,
        "server_cpu_seconds_connect": round(proc_cpu_seconds(server.pid) - cpu0, 2),
        "client_cpu_seconds_connect": round(time.process_time() - client0, 2),
    }


async def close_all(sockets: list) -> None:
    gate = asyncio.Semaphore(500)

    async def close(ws):
        async with gate:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 5)

    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await asyncio.gather(*(close(ws) for ws in sockets if ws is not None))


async def vote_run(
    mode: str, server: Server, info: dict, rate: float, phones: list[Phone], result: dict
) -> None:
    port, poll_id = server.port, info["poll_id"]
    base = f"ws://127.0.0.1:{port}"
    projector = Projector(poll_id)
    screen = await ws_connect(f"{base}/ws/s/{JOIN_CODE}/screen/{info['secret']}/", port=port)
    listener = asyncio.create_task(projector.run(screen))
    try:
        result["server_rss_mb_before_connect"] = server.memory().get("VmRSS")
        result.update(await connect_phones(phones, f"{base}/ws/j/{JOIN_CODE}/", server))
        result["server_rss_mb_connected"] = server.memory().get("VmRSS")
        ready = [p for p in phones if p.error is None]
        await asyncio.sleep(0.5)  # let the server settle (presence pushes) before voting

        spy = server.profile_start(mode)
        if spy:
            await asyncio.sleep(1.0)  # py-spy attaches
        start = asyncio.Event()
        if mode == "paced":
            t0 = time.perf_counter() + 0.2
            for i, phone in enumerate(ready):
                phone.scheduled = t0 + i / rate
        tasks = [asyncio.create_task(phone_vote(p, i, start)) for i, p in enumerate(ready)]
        await asyncio.sleep(0.05)  # every task is waiting on the start signal
        cpu0, client0 = proc_cpu_seconds(server.pid), time.process_time()
        wall0 = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        cpu1, client1 = proc_cpu_seconds(server.pid), time.process_time()
        wall = time.perf_counter() - wall0

        acked = [p for p in ready if p.acked_at is not None]
        stored = await asyncio.to_thread(stored_ballots, poll_id)
        projector.expect(len(stored))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(projector.reached.wait(), TALLY_TIMEOUT)
        await asyncio.sleep(0.3)  # catch any later push (must not exceed the stored count)
        result["profile"] = server.profile_stop(spy)
        result["server_rss_mb_end"] = server.memory().get("VmRSS")
        result["server_hwm_mb"] = server.memory().get("VmHWM")
    finally:
        listener.cancel()
        with contextlib.suppress(BaseException):
            await listener
        await close_all([screen] + [p.ws for p in phones])

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
            # CPU seconds per wall second while voting: near 1.0 = the server's core saturated.
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
        url = f"ws://127.0.0.1:{server.port}/ws/j/{JOIN_CODE}/"
        result.update(await connect_phones(phones, url, server))
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
        result["state_push"] = await state_push(server, console, phones)
    finally:
        await close_all([console] + [p.ws for p in phones])


async def state_push(server: Server, console, phones: list[Phone]) -> dict:
    """The facilitator moves the agenda on: how long until every phone has the new card."""
    ready = [p for p in phones if p.error is None]
    arrived: list[float] = []

    async def wait_frame(phone: Phone) -> None:
        with contextlib.suppress(Exception):
            while True:  # the card with a newer live version than the one it connected with
                version = CARD_VERSION_RE.search(await phone.ws.recv())
                if version and int(version.group(1)) > (phone.version or 0):
                    arrived.append(time.perf_counter())
                    return

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(console.recv(), CONNECT_TIMEOUT)  # the console's first frame
    waiting = [asyncio.create_task(wait_frame(p)) for p in ready]
    await asyncio.sleep(0.2)
    cpu0, started = proc_cpu_seconds(server.pid), time.perf_counter()
    await console.send(json.dumps({"action": "stage_next"}))
    _, pending = await asyncio.wait(waiting, timeout=PUSH_TIMEOUT)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    spans = sorted(at - started for at in arrived)
    return {
        "action": "stage_next from the console socket",
        "phones": len(ready),
        "phones_updated": len(arrived),
        "first_phone_ms": ms(spans[0]) if spans else None,
        "p50_phone_ms": ms(pct(spans, 50)),
        "all_phones_ms": ms(spans[-1]) if len(spans) == len(ready) and spans else None,
        "server_cpu_seconds": round(proc_cpu_seconds(server.pid) - cpu0, 2),
        "server_rss_mb_after": server.memory().get("VmRSS"),
    }


# --- one mode, in this process ---------------------------------------------------------------


def run_mode(mode: str, phones: int, rate: float) -> dict:
    pinned = PINNED
    var = Path(tempfile.mkdtemp(prefix=f"wl-bench-{mode}-"))
    result: dict = {"mode": mode}
    server = None
    try:
        result["other_busy_processes_start"] = busy_neighbours(exclude={os.getpid()})
        t = time.perf_counter()
        env, info = prepare(var, phones)
        result["setup_seconds"] = round(time.perf_counter() - t, 1)
        server = Server(env, var, pinned)
        server.start()
        if pinned:
            pin_client()
        # The runners fill `result` as they go, so a mode that hits its deadline still reports.
        phones_ = [Phone(a, c) for a, c in info["cookies"]]
        runner = (
            connections_run(server, info, phones_, result)
            if mode == "connections"
            else vote_run(mode, server, info, rate, phones_, result)
        )

        async def bounded():
            async with asyncio.timeout(DEADLINES[mode]):
                await runner

        try:
            asyncio.run(bounded())
        except TimeoutError:
            result["error"] = f"deadline of {DEADLINES[mode]:.0f} s reached"
            result["phones_with_first_frame_at_deadline"] = sum(
                p.ws is not None and p.poll is not None for p in phones_
            )
            result["server_rss_mb_at_deadline"] = server.memory().get("VmRSS")
        result["server_hwm_mb"] = server.memory().get("VmHWM", result.get("server_hwm_mb"))
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


def run_child(mode: str, args) -> dict:
    """Each mode in its own process: Django settings (and so the database) are per process."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = Path(out.name)
    command = [PY, __file__, "--mode", mode, "--rate", str(args.rate), "--child-json", str(path)]
    if args.phones:
        command += ["--phones", str(args.phones)]
    child = subprocess.Popen(command, cwd=ROOT)
    try:
        child.wait(timeout=MODE_DEADLINE + 300)
    except subprocess.TimeoutExpired:
        child.terminate()  # its finally stops its server
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=10)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {"mode": mode, "error": f"child exited with {child.returncode} and no result"}
    finally:
        path.unlink(missing_ok=True)


# --- report ------------------------------------------------------------------------------------


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
    if c := results.get("connections"):
        rss = c.get("server_rss_mb_connected")
        ok = c.get("phones_connected") == c.get("phones_requested")
        found["connections_rss_mb"] = {
            "target": TARGETS["connections_rss_mb"],
            "value": rss,
            "all_connected": ok,
            "met": ok and rss is not None and rss < TARGETS["connections_rss_mb"],
        }
    return found


def meta() -> dict:
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
        "versions": {n: version(n) for n in ("django", "channels", "daphne", "websockets")},
        "setup": "one daphne, SQLite (WAL), in-memory channel layer; fresh database per mode",
        "cpu_pinning": "server CPU 0, client CPU 1 (taskset)" if PINNED else "none",
        "notes": [
            "attendees bulk-created and cookies signed in the bench process (no page loads)",
            "vote opened with voting.services.poll_open before phones connect",
            "ack = the phone frame with '✓ Your vote' (committed); latency from send to ack",
            "full tally = first projector push whose data-total equals the stored ballot count",
            f"phones connect {CONNECT_CONCURRENCY} at a time; deadlines (s): {DEADLINES}",
            "connections mode also times one state push (console 'stage_next') to every phone",
        ],
    }


def summary(results: dict, targets: dict) -> str:
    lines = []
    for mode in MODES:
        r = results.get(mode)
        if not r:
            continue
        if r.get("error"):
            lines.append(f"{mode:12} ERROR {r['error']}")
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
            a = r.get("ack_ms", {})
            head += (
                f"; {r.get('ballots_acked')} acked, {r.get('ballots_stored')} stored,"
                f" {r.get('ballots_lost')} lost; {r.get('ballots_per_second')} ballots/s;"
                f" ack p50/p95/p99 {a.get('p50')}/{a.get('p95')}/{a.get('p99')} ms;"
                f" last ack→full tally {r.get('last_ack_to_full_tally_ms')} ms"
            )
            if mode == "paced":
                head += f"; rate {r.get('achieved_send_rate')}/s of {r.get('target_rate')}/s"
        lines.append(head)
        log = r.get("server_log") or {}
        if log.get("tracebacks"):
            lines.append(f"{'':12} server log: {log['tracebacks']} traceback(s)")
    for name, v in targets.items():
        lines.append(
            f"target {name}: {v['value']} vs {v['target']} -> {'MET' if v['met'] else 'MISSED'}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=(*MODES, "all"), default="all")
    parser.add_argument(
        "--phones", type=int, help="phones per mode (default: burst 1000, paced 1000, "
        "connections 5000)"
    )  # fmt: skip
    parser.add_argument("--rate", type=float, default=500.0, help="ballots/s in paced mode")
    parser.add_argument("--json-out", type=Path, help="also write the JSON here")
    parser.add_argument("--child-json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_nofile()
    # A SIGTERM (from `all`'s watchdog or the user) unwinds through finally: the server stops.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    if args.child_json:
        phones = args.phones or DEFAULT_PHONES[args.mode]
        result = run_mode(args.mode, phones, args.rate)
        args.child_json.write_text(json.dumps(result))
        return 0

    modes = MODES if args.mode == "all" else (args.mode,)
    static = None
    if "DJANGO_STATIC_ROOT" not in os.environ:
        static = tempfile.mkdtemp(prefix="wl-bench-static-")
        os.environ["DJANGO_STATIC_ROOT"] = static
    results = {}
    try:
        for mode in modes:
            print(f"==> {mode} ...", file=sys.stderr, flush=True)
            if len(modes) == 1:
                results[mode] = run_mode(mode, args.phones or DEFAULT_PHONES[mode], args.rate)
            else:
                results[mode] = run_child(mode, args)
    finally:
        if static:
            shutil.rmtree(static, ignore_errors=True)
    targets = verdicts(results)
    document = {"meta": meta(), **results, "targets": targets}
    text = json.dumps(document, indent=2, ensure_ascii=False)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{stamp}.json").write_text(text + "\n")
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(text + "\n")
    print(summary(results, targets))
    print(text)
    failed = any(r.get("error") for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
