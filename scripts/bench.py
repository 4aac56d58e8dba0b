#!/usr/bin/env python
"""Live-vote benchmark: `make bench` (BENCH_ARGS="--mode burst --phones 1000" for one mode).

Starts the app as `make run` would (daphne, SQLite, in-memory channel layer) on its own fresh
database, opens simulated phones over real WebSockets and measures what the issue asks for:

  burst        N phones (default 1,000) connect, then all vote at once.
  paced        N phones (default 1,000) connect, then vote at a steady --rate (default 500/s).
  connections  N phones (default 5,000) connect and stay idle: server memory and connect time.
  all          each of the above in its own process, on its own database (the default).
  scaleout     not in `all` (about 4.5 minutes a round): starts a throwaway Redis and
               PostgreSQL (scripts/services.sh), then alternates 1 and 2 daphne workers
               (--rounds, default 1), each on a fresh migrated database and a flushed Redis.
               N phones (default 5,000) are dealt to the workers in turn, client-side (no
               nginx), then all vote at once (--voters for fewer). Reports the figures of
               burst per setup, memory per worker, CPU of everything on the machine while
               voting, garbage collection in the workers, PostgreSQL lock waits and batch
               sizes, the time for a stage change (console on the last worker) to reach
               every phone, and the ratio of ballots/s of 2 workers to 1. --with-embedded adds the
               embedded default (burst) as another baseline. Worker i runs on CPU i mod 2; the
               client, PostgreSQL and Redis are unpinned (--pin none: nothing pinned).

The phones speak WebSocket through a lean client of the bench's own (scripts/bench_ws.py):
it shares the machine with the server, so it should take as little of it as it can.

An acknowledgement ("✓ Your vote" on the phone) means the ballot is committed, so a ballot
acknowledged but missing from the database afterwards is lost. The projector socket records
each tally push; "full tally" is the first push whose data-total equals the stored count.

Attendees are bulk-created and their signed cookies computed in this process (same
WORKSHOP_VAR_DIR, so the same secret key), not by N page loads. The vote is opened with
voting.services.poll_open before any phone connects. The server is pinned to CPU 0 and this
client to CPU 1 when taskset is available (scaleout: see above). Every wait has a timeout;
each mode has a deadline.
Prints a short summary and one JSON document, also written to bench/results/<timestamp>.json.
"""

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import bench_ws
import serve

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
JOIN_CODE = "PCN25"
MODES = ("burst", "paced", "connections")  # `all`; scaleout is run on its own
SCALEOUT = "scaleout"
DEFAULT_PHONES = {"burst": 1000, "paced": 1000, "connections": 5000, SCALEOUT: 5000}
# Seconds for a mode's socket phase; setup and teardown come on top. Connections gets more:
# 5,000 handshakes took 48-67 s here, and a state push to all of them follows. A scale-out
# measurement connects 5,000 phones to one worker (the baseline), then they all vote.
DEADLINES = {"burst": 120.0, "paced": 120.0, "connections": 180.0, SCALEOUT: 240.0}
SERVICES_TIMEOUT = 120.0
OTHER_CPU_LIMIT = 0.25  # cores used by other processes while voting: above, not in the ratio
CONNECTED_SHARE = 0.99  # phones that must connect for a measurement to count in the ratio
PUSH_TIMEOUT = 60.0
PUSHES = 3  # stage changes timed one after another after the burst
RECOVERY_TIMEOUT = 240.0  # seconds for every phone to be back after a Redis restart
CONNECT_CONCURRENCY = 200
CONNECT_TIMEOUT = 30.0
ACK_TIMEOUT = 30.0
SEND_SLICE = 100  # burst sends between two reads of the answers (phones_vote)
TALLY_TIMEOUT = 10.0
CLOSE_TIMEOUT = 30.0
NOFILE = 65536
TARGETS = {
    "burst_lost": 0,
    "burst_ack_p95_ms": 250,
    "burst_last_ballot_to_full_tally_ms": 300,
    "paced_ack_p95_ms": 25,
    "connections_rss_mb": 300,
    "scaleout_lost": 0,
    "scaleout_ratio_2_vs_1": 1.7,
}

ACK = "✓ Your vote"
REFUSAL = 'id="phone-flash"'
SENT_BACK_RE = re.compile(r"^(.*); asking (\d+) sockets to reconnect within", re.M)
POLL_RE = re.compile(r'name="poll" value="(\d+)"')
THEME_RE = re.compile(r'name="theme" value="(\d+)"')
TALLY_TAG_RE = re.compile(r'<div id="tally-(\d+)"[^>]*>')
VERSION_RE = re.compile(r'data-version="(\d+)"')
TOTAL_RE = re.compile(r'data-total="(\d+)"')
WINDOW_RE = re.compile(r"<!--reconnect-window (\d+)-->")  # workshop/live/sockets.py
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


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all CPUs, all processes), from /proc/stat."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle, iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    return 0.0


def machine_steal_seconds() -> float:
    """CPU seconds the hypervisor gave to other guests while this one wanted to run (steal).
    It counts as busy in machine_busy_seconds; the bench reports it to tell a slow spell of
    the host from a slow app."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
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


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its children (PostgreSQL: the postmaster and backends)."""
    total = proc_cpu_seconds(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                total += proc_cpu_seconds(int(stat.parent.name))
    return total


DAPHNE_ARGS = os.environ.get("BENCH_DAPHNE_ARGS", "").split()


class Server:
    """daphne as `make run` starts it, on the given CPUs, with a raised open-file limit.
    BENCH_DAPHNE_ARGS adds daphne options (a later one wins: `--websocket_connect_timeout 5`
    measures daphne's default)."""

    def __init__(self, env: dict, var: Path, cpus: str | None, name: str = "daphne"):
        self.env, self.log_path, self.cpus = env, var / f"{name}.log", cpus
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        pin = ["taskset", "-c", self.cpus] if self.cpus else []
        command = [
            "bash", "-c", f'ulimit -n {NOFILE} 2>/dev/null || ulimit -n hard; exec "$@"', "bash",
            *pin, *serve.daphne_command(self.port, *DAPHNE_ARGS),
        ]  # fmt: skip
        with self.log_path.open("a") as log:  # a restart (worker-kill run) keeps the first log
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
        """With BENCH_PY_SPY=<py-spy executable>: sample the server (collapsed stacks).
        BENCH_PY_SPY_RATE: samples a second (250); BENCH_PY_SPY_ARGS: more py-spy options."""
        spy = os.environ.get("BENCH_PY_SPY")
        if not spy:
            return None
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS / f"profile-{mode}-{stamp}.txt"
        rate = os.environ.get("BENCH_PY_SPY_RATE", "250")
        proc = subprocess.Popen(
            [spy, "record", "--pid", str(self.pid), "--rate", rate, "--format", "raw",
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

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no chance to tidy up."""
        self.proc.kill()
        self.proc.wait(timeout=10)

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


def prepare(var: Path, phones: int, services: dict | None = None) -> tuple[dict, dict]:
    """Fresh database with the demo workshop, N attendees with cookies, the vote open.

    services: {DATABASE_URL, REDIS_URL} of an empty PostgreSQL database and a Redis for the
    scale-out setup; without it, the embedded default (SQLite and the in-memory layer)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "workshop.settings",
        "WORKSHOP_VAR_DIR": str(var),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    for key in ("DATABASE_URL", "REDIS_URL"):
        env.pop(key, None)
        os.environ.pop(key, None)
    env.update(services or {})
    manage(env, "migrate", "--noinput", "-v0")
    # Static files are the same for every mode: collected once per bench run (13 s).
    static = Path(env.setdefault("DJANGO_STATIC_ROOT", str(var / "static")))
    if not (static / "staticfiles.json").exists():
        manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "load_demo")
    manage(env, "facilitator", "--username", "bench", "--password", "bench-only-password-1")
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "WORKSHOP_VAR_DIR")})
    os.environ["DJANGO_ALLOWED_HOSTS"] = env["DJANGO_ALLOWED_HOSTS"]
    os.environ.update(services or {})
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


def stored_ballots(poll_id: int, keys: bool = False) -> dict[int, int | tuple[int, str]]:
    """{attendee id: theme id} for the poll, read from the database; with keys=True,
    {attendee id: (theme id, the tap's idempotency key)}."""
    from django.db import connection

    from voting.models import Ballot

    ballots = Ballot.objects.filter(poll_id=poll_id)
    rows = (
        {a: (t, k) for a, t, k in ballots.values_list("attendee_id", "theme_id", "key")}
        if keys
        else dict(ballots.values_list("attendee_id", "theme_id"))
    )
    connection.close()  # called through a worker thread: do not leave its connection open
    return rows


# --- the simulated clients -------------------------------------------------------------------


class Phone:
    __slots__ = (
        "acked_at", "attendee_id", "cookie", "error", "poll", "port", "refusal", "scheduled",
        "sent_at", "theme", "themes", "version", "ws",
    )  # fmt: skip

    def __init__(self, attendee_id: int, cookie: str, port: int):
        self.attendee_id, self.cookie, self.port = attendee_id, cookie, port
        self.ws = self.poll = self.theme = self.sent_at = self.acked_at = None
        self.refusal = self.error = self.scheduled = self.version = None
        self.themes: list[str] = []


def ws_connect(url: str, *, port: int, cookie: str | None = None, timeout: float = CONNECT_TIMEOUT):
    """A lean client (scripts/bench_ws.py): it shares the machine with the server.

    The server accepts only an Origin equal to the socket's own (workshop/live/origin.py):
    bench_ws sends Host 127.0.0.1:<port>, so the Origin names the same port."""
    headers = [("Origin", f"http://127.0.0.1:{port}")]
    if cookie:
        headers.append(("Cookie", cookie))
    return bench_ws.connect(url, headers=headers, timeout=timeout)


async def phone_connect(phone: Phone, gate: asyncio.Semaphore) -> None:
    url = f"ws://127.0.0.1:{phone.port}/ws/j/{JOIN_CODE}/"
    async with gate:
        try:
            phone.ws = await ws_connect(url, port=phone.port, cookie=phone.cookie)
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


def ballot_frame(phone: Phone, index: int) -> bytes:
    """The phone's vote, as live.js sends it (a fresh idempotency key per tap), framed."""
    phone.theme = phone.themes[index % len(phone.themes)]
    message = {"action": "vote", "poll": phone.poll, "theme": phone.theme, "key": uuid.uuid4().hex}
    return phone.ws.frame(json.dumps(message))


async def phones_vote(phones: list[Phone], frames: list[bytes]) -> None:
    """Each phone sends its frame (at phone.scheduled, when set) and waits for its answer.

    One loop sends and one callback per socket reads the answers: a task per phone cost the
    client a wake-up, a future and a timer per vote, on the cores it shares with the server.
    The loop lets answers in every SEND_SLICE frames, as separate phones' answers would be
    read while others are still sending; a phone's time runs from its own send."""
    loop = asyncio.get_running_loop()
    waiting = {id(phone) for phone in phones}
    done = loop.create_future()

    def answered(phone: Phone) -> None:
        phone.ws.listen(None)
        waiting.discard(id(phone))
        if not waiting and not done.done():
            done.set_result(None)

    def listener(phone: Phone):
        def heard(frame: str | None) -> None:
            if frame is None:
                phone.error = phone.error or "vote: connection closed before the answer"
            elif ACK in frame:
                phone.acked_at = time.perf_counter()
            elif REFUSAL in frame:
                phone.refusal = re.sub(r"<[^>]+>", "", frame).strip()[:200]
            else:
                return  # another push (presence, a tally): the phone waits on for its answer
            answered(phone)

        return heard

    for phone in phones:
        phone.ws.listen(listener(phone))
    for i, (phone, frame) in enumerate(zip(phones, frames, strict=True)):
        if phone.scheduled is not None:
            await asyncio.sleep(max(0.0, phone.scheduled - time.perf_counter()))
        elif i % SEND_SLICE == SEND_SLICE - 1:
            await asyncio.sleep(0)
        if phone.error is not None:
            continue  # closed before its turn
        phone.sent_at = time.perf_counter()
        try:
            phone.ws.send_frame(frame)
        except Exception as error:
            phone.error = f"vote: {type(error).__name__}: {error}"[:200]
            answered(phone)
    if waiting:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(done), ACK_TIMEOUT)
    for phone in phones:
        if id(phone) in waiting:
            phone.ws.listen(None)
            phone.error = phone.error or "vote: no answer"


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


def servers_cpu(servers: list[Server]) -> float:
    return sum(proc_cpu_seconds(s.pid) for s in servers)


async def connect_phones(phones: list[Phone], servers: list[Server]) -> dict:
    """Each phone connects to the worker on its own port (phone.port)."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    started, cpu0, client0 = time.perf_counter(), servers_cpu(servers), time.process_time()
    await asyncio.gather(*(phone_connect(p, gate) for p in phones))
    seconds = time.perf_counter() - started
    failed = [p.error for p in phones if p.error]
    return {
        "phones_requested": len(phones),
        "phones_connected": len(phones) - len(failed),
        "connect_failed": len(failed),
        "connect_failure_example": failed[0] if failed else None,
        "connect_seconds": round(seconds, 2),
        "connects_per_second": round(len(phones) / seconds, 1) if seconds else None,
        "server_cpu_seconds_connect": round(servers_cpu(servers) - cpu0, 2),
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


def rss_total(servers: list[Server], key: str = "VmRSS") -> float | None:
    """Memory of the workers, summed (one worker: its own figure), in MB."""
    found = [s.memory().get(key) for s in servers]
    return round(sum(found), 1) if found and None not in found else None


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
        with contextlib.suppress(bench_ws.Closed):
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
                phone.ws = await ws_connect(url, port=phone.port, cookie=phone.cookie)
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
                        )  # fmt: skip
                        card = await ws.recv()
                except (OSError, bench_ws.Closed, TimeoutError):
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
            except bench_ws.Closed:
                await reconnect(phone)
                resent.add(id(phone))
                sent = False
        if phone.port == victim.port and phone.ws is original:
            # answered before the kill: its socket goes down with the worker all the same,
            # and the phone reconnects like the others (nothing to resend)
            with contextlib.suppress(bench_ws.Closed):
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
        server = Server(gc_trace_env(env, var), var, "0" if pinned else None)
        server.start()
        if pinned:
            pin_client()
        phones_ = [Phone(a, c, server.port) for a, c in info["cookies"]]
        runner = (
            connections_run(server, info, phones_, result)
            if mode == "connections"
            else vote_run(mode, [server], info, rate, phones_, result)
        )

        run_within_deadline(mode, runner, [server], phones_, result)
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


# --- scale-out: N daphne workers on PostgreSQL and Redis ----------------------------------------


def services_env(directory: Path) -> dict[str, str]:
    """REDIS_URL and DATABASE_URL as scripts/services.sh wrote them to DIR/env."""
    found = {}
    for line in (directory / "env").read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        if key.strip() and value:
            found[key.strip()] = value.strip()
    return found


def pid_from(path: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(path.read_text().split()[0])
    return None


def child_pids(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
    return found


def app_fingerprint() -> str:
    """A hash of the app's code and templates: measurements compared as a ratio must run the
    same code (the tree may be edited while a long run goes on)."""
    digest = hashlib.sha1()
    for top in ("workshop", "voting", "panel", "evidence", "templates"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in {".py", ".html", ".js"} and "__pycache__" not in path.parts:
                with contextlib.suppress(OSError):
                    digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def pg_admin(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql)


class PgProbe:
    """Where a burst waits in PostgreSQL. While the vote runs, a thread samples
    pg_stat_activity for the bench database every 20 ms: how many worker sessions are running
    a statement, waiting for a lock, or holding a transaction open while Python works ("idle
    in transaction"). Afterwards it counts the write transactions: every ballot a transaction
    inserted carries that transaction's id (xmin), so distinct xmin = batches committed."""

    ACTIVITY = """
        SELECT count(*) FILTER (WHERE state = 'active'
                                AND wait_event_type IS DISTINCT FROM 'Lock'),
               count(*) FILTER (WHERE wait_event_type = 'Lock'),
               count(*) FILTER (WHERE state = 'idle in transaction')
        FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
    """
    BATCHES = "SELECT count(*) FROM {table} WHERE poll_id = %s GROUP BY xmin::text"

    def __init__(self, url: str, poll_id: int):
        self.url, self.poll_id, self.samples = url, poll_id, []
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.error: str | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import psycopg

        try:
            with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                while not self.stopping.wait(0.02):
                    self.samples.append(conn.execute(self.ACTIVITY).fetchone())
        except Exception as error:
            self.error = f"{type(error).__name__}: {error}"[:200]

    def stop(self) -> dict:
        import psycopg

        self.stopping.set()
        if self.thread:
            self.thread.join(timeout=10)
        n, sizes = len(self.samples), []
        try:
            with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                from voting.models import Ballot  # Django is set up in this process

                query = self.BATCHES.format(table=Ballot._meta.db_table)
                sizes = [row[0] for row in conn.execute(query, [self.poll_id])]
        except Exception as error:
            self.error = self.error or f"{type(error).__name__}: {error}"[:200]

        def mean(i: int) -> float | None:
            return round(sum(s[i] for s in self.samples) / n, 2) if n else None

        return {
            "samples": n,
            "sessions_running_statement": mean(0),
            "sessions_waiting_for_lock": mean(1),
            "sessions_idle_in_transaction": mean(2),
            "write_transactions": len(sizes),
            "ballots_per_write_transaction": {
                "mean": round(sum(sizes) / len(sizes), 1) if sizes else None,
                "max": max(sizes, default=None),
            },
            "error": self.error,
        }


GC_TRACE = """\
# Written by scripts/bench.py: logs each garbage collection of this process.
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
            Phone(a, c, servers[i % workers].port) for i, (a, c) in enumerate(info["cookies"])
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
            with contextlib.suppress(Exception):
                from django.db import connections

                connections.close_all()
            with contextlib.suppress(Exception):
                pg_admin(server_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if os.environ.get("BENCH_KEEP_VAR"):
            print(f"kept {var}", file=sys.stderr)
        else:
            shutil.rmtree(var, ignore_errors=True)
    return result


def services_restart_redis(services: Path) -> None:
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "services.sh"), "restart-redis", str(services)],
        check=True, capture_output=True, timeout=SERVICES_TIMEOUT,
    )  # fmt: skip


def scaleout_versions(services: Path) -> dict:
    def first_line(*command: str) -> str | None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            run = subprocess.run(command, capture_output=True, text=True, timeout=10)
            return (run.stdout or run.stderr).strip().splitlines()[0]
        return None

    pg_bin = (services / "pg.bin").read_text().strip() if (services / "pg.bin").exists() else ""
    return {
        "redis_server": first_line("redis-server", "--version"),
        "postgresql": first_line(f"{pg_bin}/postgres", "--version") if pg_bin else None,
    }


def median(values: list[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def scaleout_all(args) -> dict:
    """Start Redis and PostgreSQL, then alternate 1 and 2 workers (each measurement in its own
    process, on its own database), optionally the embedded default too; compare as ratios."""
    plan = [1, 2] * args.rounds
    services = Path(tempfile.mkdtemp(prefix="wl-bench-services-"))
    services.chmod(0o755)  # PostgreSQL runs as its own account when this runs as root
    script = str(ROOT / "scripts" / "services.sh")
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
        started = subprocess.run(
            ["bash", script, "start", str(services)],
            cwd=ROOT, capture_output=True, text=True, timeout=SERVICES_TIMEOUT,
        )  # fmt: skip
        if started.returncode:
            raise RuntimeError(f"services.sh start failed: {started.stderr.strip()[-500:]}")
        out["services"] = scaleout_versions(services)
        extra = ["--services", str(services), "--pin", args.pin]
        if args.redis_restart:
            extra.append("--redis-restart")
        if args.kill_worker:
            extra.append("--kill-worker")
        if args.voters:
            extra += ["--voters", str(args.voters)]
        for i, n in enumerate(plan, 1):
            print(f"==> scaleout: {n} worker(s), {i}/{len(plan)} ...", file=sys.stderr, flush=True)
            measurements.append(run_child(SCALEOUT, args, [*extra, "--workers", str(n)]))
        if args.with_embedded:
            print("==> scaleout: the embedded default (burst) ...", file=sys.stderr, flush=True)
            out["embedded"] = run_child("burst", args, phones=voters)
    except Exception as error:
        out["error"] = f"{type(error).__name__}: {error}"[:2000]
    finally:
        subprocess.run(
            ["bash", script, "stop", str(services)], cwd=ROOT, capture_output=True,
            timeout=SERVICES_TIMEOUT,
        )  # fmt: skip
        shutil.rmtree(services, ignore_errors=True)
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
    # estimate, not a limit: measured, a ballot costs less with two workers than with one
    # (docs/performance.md), and ratios above it happen.
    cores = len(os.sched_getaffinity(0))
    ceilings = [
        cores
        / sum(v for k, v in m["cpu_share_voting"].items() if k not in ("other", "machine", "steal"))
        for i, m in enumerate(measurements)
        if m.get("worker_processes") == 1 and m.get("cpu_share_voting") and i not in excluded
    ]
    out["ratio_ceiling_from_1_worker_cpu"] = round(median(ceilings), 2) if ceilings else None
    out["ballots_lost"] = sum(m.get("ballots_lost") or 0 for m in measurements)
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


def run_child(mode: str, args, extra: list[str] = (), phones: int | None = None) -> dict:
    """Each mode in its own process: Django settings (and so the database) are per process."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = Path(out.name)
    command = [PY, __file__, "--mode", mode, "--rate", str(args.rate), "--child-json", str(path)]
    if phones or args.phones:
        command += ["--phones", str(phones or args.phones)]
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
            else "one daphne, SQLite (WAL), in-memory channel layer; fresh database per mode"
        ),
        "cpu_pinning": "server CPU 0, client CPU 1 (taskset)" if PINNED else "none",
        "notes": [
            "attendees bulk-created and cookies signed in the bench process (no page loads)",
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
    if so.get("excluded_from_ratio"):
        lines.append(f"{'':2}not in the ratio: {so['excluded_from_ratio']}")
    if so.get("error"):
        lines.append(f"{SCALEOUT:12} ERROR {so['error']}")
    return lines


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
            head += vote_figures(r)
            if mode == "paced":
                head += f"; rate {r.get('achieved_send_rate')}/s of {r.get('target_rate')}/s"
        lines.append(head)
        log = r.get("server_log") or {}
        if log.get("tracebacks"):
            lines.append(f"{'':12} server log: {log['tracebacks']} traceback(s)")
    if so := results.get(SCALEOUT):
        lines += scaleout_summary(so)
    for name, v in targets.items():
        lines.append(
            f"target {name}: {v['value']} vs {v['target']} -> {'MET' if v['met'] else 'MISSED'}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=(*MODES, SCALEOUT, "all"), default="all")
    parser.add_argument(
        "--phones", type=int, help="phones per mode (default: burst 1000, paced 1000, "
        "connections 5000, scaleout 5000 per measurement)"
    )  # fmt: skip
    parser.add_argument("--rate", type=float, default=500.0, help="ballots/s in paced mode")
    parser.add_argument(
        "--voters", type=int, help="scaleout: how many of the phones vote (default: all)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="scaleout: 1-then-2-worker rounds (default 1)"
    )
    parser.add_argument(
        "--pin", choices=("workers", "none"), default="workers",
        help="scaleout: worker i on CPU i mod 2, the rest unpinned (default); or no pinning",
    )  # fmt: skip
    parser.add_argument(
        "--with-embedded", action="store_true",
        help="scaleout: also measure the embedded default (burst) as a baseline",
    )  # fmt: skip
    parser.add_argument(
        "--redis-restart", action="store_true",
        help="scaleout: after the pushes, restart Redis and time every phone coming back",
    )  # fmt: skip
    parser.add_argument(
        "--kill-worker", action="store_true",
        help="scaleout: after the pushes, a second burst in which the last worker is killed "
        "and restarted; checks every ballot is stored exactly once",
    )  # fmt: skip
    parser.add_argument("--json-out", type=Path, help="also write the JSON here")
    parser.add_argument("--child-json", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--services", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_nofile()
    # A SIGTERM (from `all`'s watchdog or the user) unwinds through finally: the server stops.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    if args.child_json:
        phones = args.phones or DEFAULT_PHONES[args.mode]
        if args.mode == SCALEOUT:
            result = run_scaleout(
                args.workers,
                phones,
                args.voters,
                args.services,
                args.pin,
                args.redis_restart,
                args.kill_worker,
            )
        else:
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
            if mode == SCALEOUT:
                results[mode] = scaleout_all(args)
            elif len(modes) == 1:
                results[mode] = run_mode(mode, args.phones or DEFAULT_PHONES[mode], args.rate)
            else:
                results[mode] = run_child(mode, args)
    finally:
        if static:
            shutil.rmtree(static, ignore_errors=True)
    targets = verdicts(results)
    document = {"meta": meta(modes), **results, "targets": targets}
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
