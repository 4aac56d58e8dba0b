"""The simulated clients: phones that connect, read their card and vote, and the projector
that records every tally it is shown. They speak WebSocket through the lean client (ws.py)
and are driven from one event loop."""

import asyncio
import contextlib
import json
import re
import time
import uuid

from . import ws as bench_ws  # named apart from the sockets, which are `ws` throughout
from .config import JOIN_CODE
from .processes import Server, servers_cpu

CONNECT_CONCURRENCY = 200
CONNECT_TIMEOUT = 30.0
ACK_TIMEOUT = 30.0
SEND_SLICE = 100  # burst sends between two reads of the answers (phones_vote)
CLOSE_TIMEOUT = 30.0

ACK = "✓ Your vote"
REFUSAL = 'id="phone-flash"'
POLL_RE = re.compile(r'name="poll" value="(\d+)"')
THEME_RE = re.compile(r'name="theme" value="(\d+)"')
TALLY_TAG_RE = re.compile(r'<div id="tally-(\d+)"[^>]*>')
VERSION_RE = re.compile(r'data-version="(\d+)"')
TOTAL_RE = re.compile(r'data-total="(\d+)"')
CARD_VERSION_RE = re.compile(r'<section id="phone-live"[^>]*data-version="(\d+)"')


class Phone:
    __slots__ = (
        "acked_at", "attendee_id", "cookie", "error", "poll", "port", "refusal", "scheduled",
        "sent_at", "source", "theme", "themes", "version", "ws",
    )  # fmt: skip

    def __init__(self, attendee_id: int, cookie: str, port: int, source: str | None = None):
        """source: the loopback address the phone connects from (None: the default one)."""
        self.attendee_id, self.cookie, self.port, self.source = attendee_id, cookie, port, source
        self.ws = self.poll = self.theme = self.sent_at = self.acked_at = None
        self.refusal = self.error = self.scheduled = self.version = None
        self.themes: list[str] = []


def ws_connect(
    url: str, *, port: int, cookie: str | None = None, timeout: float = CONNECT_TIMEOUT,
    source: str | None = None,
):  # fmt: skip
    """A lean client (scripts/bench/ws.py): it shares the machine with the server.

    The server accepts only an Origin equal to the socket's own (workshop/live/origin.py):
    the client sends Host 127.0.0.1:<port>, so the Origin names the same port. source: the
    loopback address to connect from (doors: one per phone)."""
    headers = [("Origin", f"http://127.0.0.1:{port}")]
    if cookie:
        headers.append(("Cookie", cookie))
    return bench_ws.connect(url, headers=headers, timeout=timeout, source=source)


async def phone_connect(phone: Phone, gate: asyncio.Semaphore) -> None:
    url = f"ws://127.0.0.1:{phone.port}/ws/j/{JOIN_CODE}/"
    async with gate:
        try:
            phone.ws = await ws_connect(
                url, port=phone.port, cookie=phone.cookie, source=phone.source
            )
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
