"""Doors open: a hall of phones arriving at once, each as a browser does it, and the server
CPU each kind of request costs.

A phone (one `Browser` of httpclient.py, with a loopback source address of its own, so the
per-address join limit sees separate devices) loads the join link without a cookie, fetches
the static files the page names (once: later pages use its cache), posts its join as live.js
does (X-CSRFToken from the page's meta tag; on a 429 it waits Retry-After plus live.js's
jitter and tries again), then opens its socket with the cookies it was given and waits for
the first card. Afterwards each phone loads the page once more with its cookies (a
returning page: a reload or a tab change).

Under concurrency one request's CPU cannot be told from another's, so the CPU per request
of each kind comes from calibration phases run before the arrival, on the same server: K
fresh browsers do only cookieless page loads, then only static files, then only joins, then
only returning pages, then only socket connects, each phase at a moderate concurrency, and
the server's CPU over the phase (from /proc) is divided by its requests. The arrival and the
returning pages that follow it are measured whole (CPU per phone, per returning page).
`doors_run` takes the server's CPU as a function, so the same phases run against one daphne
(the doors mode) or against the workers behind nginx (doors_scaleout.py)."""

import asyncio
import random
import re
import time

from .clients import CONNECT_TIMEOUT, close_all, ws_connect
from .config import JOIN_CODE
from .httpclient import Browser
from .stats import ms, pct

PAGE = f"/j/{JOIN_CODE}/"
SOCKET = f"/ws/j/{JOIN_CODE}/"
STATIC_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')
CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
JOIN_RE = re.compile(r'data-join="([^"]+)"')
IN_FLIGHT = 200  # phones doing requests at once (a phone waiting out a 429 holds no place)
CALIBRATION = 200  # requests (browsers) per calibration phase
CALIBRATION_CONCURRENCY = 20
JOIN_ATTEMPTS = 10  # a phone gives up after this many refused joins
REQUEST_TIMEOUT = 30.0
# What a browser sends with a page load and with a static file (Accept-Encoding matters:
# whitenoise and nginx answer with the compressed file).
PAGE_HEADERS = [
    ("User-Agent", "Mozilla/5.0 (Linux; Android 14) workshop-live-bench"),
    ("Accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
    ("Accept-Encoding", "gzip, deflate, br"),
    ("Accept-Language", "en-GB,en;q=0.9"),
]
STATIC_HEADERS = [
    ("User-Agent", "Mozilla/5.0 (Linux; Android 14) workshop-live-bench"),
    ("Accept", "*/*"),
    ("Accept-Encoding", "gzip, deflate, br"),
]


def source_address(index: int, network: int = 1, per_address: int = 1) -> str:
    """The loopback address of phone `index`: 127.<network>.x.y, one per `per_address`
    phones (the whole of 127.0.0.0/8 reaches the loopback interface on Linux)."""
    n = index // per_address
    return f"127.{network + n // 62500}.{n // 250 % 250 + 1}.{n % 250 + 1}"


class DoorPhone:
    __slots__ = (
        "browser", "connected_at", "error", "first_page_at", "join_path", "joined_at",
        "refused", "returned", "statics", "token", "ws",
    )  # fmt: skip

    def __init__(self, browser: Browser):
        self.browser = browser
        self.statics: list[str] = []
        self.token = self.join_path = self.ws = self.error = None
        self.first_page_at = self.joined_at = self.connected_at = None
        self.refused = 0
        self.returned = False


class Timings:
    def __init__(self):
        self.first_page: list[float] = []
        self.static: list[float] = []
        self.join: list[float] = []
        self.returning_page: list[float] = []
        self.socket: list[float] = []
        self.statuses: dict[str, int] = {}

    def status(self, kind: str, status: int) -> None:
        key = f"{kind} {status}"
        self.statuses[key] = self.statuses.get(key, 0) + 1


def latency(values: list[float], p99: bool = True) -> dict:
    found = {"count": len(values), "p50": ms(pct(values, 50)), "p95": ms(pct(values, 95))}
    if p99:
        found["p99"] = ms(pct(values, 99))
        found["max"] = ms(max(values, default=None))
    return found


async def load_page(phone: DoorPhone, t: Timings) -> None:
    started = time.perf_counter()
    response = await phone.browser.get(PAGE, PAGE_HEADERS)
    t.first_page.append(time.perf_counter() - started)
    t.status("first page", response.status)
    if response.status != 200:
        raise RuntimeError(f"first page: {response.status}")
    phone.first_page_at = time.perf_counter()
    html = response.text
    token, join = CSRF_RE.search(html), JOIN_RE.search(html)
    if not (token and join):
        raise RuntimeError("first page: no csrf-token meta or no data-join")
    phone.token, phone.join_path = token.group(1), join.group(1)
    phone.statics = list(dict.fromkeys(STATIC_RE.findall(html)))


async def load_statics(phone: DoorPhone, t: Timings) -> None:
    """One after another on the phone's keep-alive connection (a browser would open a few
    connections in parallel; the server's work per file is the same)."""
    for url in phone.statics:
        started = time.perf_counter()
        response = await phone.browser.get(url, STATIC_HEADERS)
        t.static.append(time.perf_counter() - started)
        t.status("static", response.status)
        if response.status != 200:
            raise RuntimeError(f"static {url}: {response.status}")


async def post_join(phone: DoorPhone, t: Timings) -> float | None:
    """live.js's join: None when joined, else the seconds to wait before trying again."""
    headers = [
        ("X-CSRFToken", phone.token),
        ("Origin", phone.browser.origin),
        ("Referer", phone.browser.origin + PAGE),
        ("Accept", "*/*"),
    ]
    started = time.perf_counter()
    response = await phone.browser.request("POST", phone.join_path, headers)
    t.join.append(time.perf_counter() - started)
    t.status("join", response.status)
    if response.status == 204:
        phone.joined_at = time.perf_counter()
        return None
    if response.status != 429:
        raise RuntimeError(f"join: {response.status}")
    phone.refused += 1
    try:
        wait = int(response.header("retry-after") or 5)
    except ValueError:
        wait = 5
    return wait + random.random() * max(2, wait / 2)  # live.js's retryJoin


async def open_socket(phone: DoorPhone, t: Timings) -> None:
    browser = phone.browser
    started = time.perf_counter()
    phone.ws = await ws_connect(
        f"ws://{browser.host}:{browser.port}{SOCKET}",
        port=browser.port,
        cookie=browser.cookie_header(),
        source=browser.source,
    )
    first = await asyncio.wait_for(phone.ws.recv(), CONNECT_TIMEOUT)
    if 'id="phone-live"' not in first:
        raise RuntimeError("socket: first frame is not the phone card")
    t.socket.append(time.perf_counter() - started)
    phone.connected_at = time.perf_counter()
    phone.ws.listen(lambda frame: None)  # later pushes (presence, tallies) are not kept


async def return_page(phone: DoorPhone, t: Timings) -> None:
    started = time.perf_counter()
    response = await phone.browser.get(PAGE, PAGE_HEADERS)
    t.returning_page.append(time.perf_counter() - started)
    t.status("returning page", response.status)
    if response.status != 200 or f'ws-connect="{SOCKET}"' not in response.text:
        raise RuntimeError(f"returning page: {response.status}, not recognised as joined")
    phone.returned = True


async def arrive(phone: DoorPhone, gate: asyncio.Semaphore, t: Timings) -> None:
    """Steps 1-4 of a phone; the error is recorded on the phone, never raised."""
    try:
        async with gate:
            await load_page(phone, t)
            await load_statics(phone, t)
            wait = await post_join(phone, t)
        for _ in range(JOIN_ATTEMPTS - 1):
            if wait is None:
                break
            await asyncio.sleep(wait)
            async with gate:
                wait = await post_join(phone, t)
        if wait is not None:
            raise RuntimeError(f"join: refused {phone.refused} times")
        async with gate:
            await open_socket(phone, t)
    except Exception as error:
        phone.error = f"{type(error).__name__}: {error}"[:200]


async def come_back(phone: DoorPhone, gate: asyncio.Semaphore, t: Timings) -> None:
    try:
        async with gate:
            await return_page(phone, t)
    except Exception as error:
        phone.error = phone.error or f"return: {type(error).__name__}: {error}"[:200]


async def measured(
    name: str, kind: str, phones: list, step, concurrency: int, meters: dict
) -> dict:
    """One calibration phase: `step` for each phone, `concurrency` at a time, and the CPU
    each meter (server, and in scale-out nginx, Redis, PostgreSQL) spent over it."""
    gate = asyncio.Semaphore(concurrency)
    t = Timings()
    errors: list[str] = []

    async def one(phone):
        async with gate:
            try:
                await step(phone, t)
            except Exception as error:
                errors.append(f"{type(error).__name__}: {error}"[:200])

    before = {k: f() for k, f in meters.items()}
    started = time.perf_counter()
    await asyncio.gather(*(one(p) for p in phones))
    seconds = time.perf_counter() - started
    spent = {k: f() - before[k] for k, f in meters.items()}
    values = getattr(t, kind)
    count = len(values)
    return {
        "phase": name,
        "requests": count,
        "concurrency": concurrency,
        "seconds": round(seconds, 2),
        "server_cpu_seconds": round(spent["server"], 3),
        "server_cpu_ms_each": round(1000 * spent["server"] / count, 2) if count else None,
        **{
            f"{k}_cpu_ms_each": round(1000 * v / count, 2) if count else None
            for k, v in spent.items()
            if k != "server"
        },
        "latency_ms": latency(values, p99=False),
        "statuses": t.statuses,
        "errors": len(errors),
        "error_example": errors[0] if errors else None,
    }


async def calibrate(host: str, port: int, k: int, meters: dict) -> dict:
    """K fresh browsers (from 127.200.x.y) do each kind of request in a phase of its own."""
    phones = [
        DoorPhone(Browser(host, port, source_address(i, network=200), timeout=REQUEST_TIMEOUT))
        for i in range(k)
    ]
    c = CALIBRATION_CONCURRENCY
    phases = {}
    phases["first_page"] = await measured(
        "cookieless page loads only", "first_page", phones, load_page, c, meters
    )
    ready = [p for p in phones if p.token]
    phases["static"] = await measured("static files only", "static", ready, load_statics, c, meters)

    async def join(phone, t):
        if await post_join(phone, t) is not None:
            raise RuntimeError("join refused (429) during calibration")

    phases["join"] = await measured("join POSTs only", "join", ready, join, c, meters)
    joined = [p for p in ready if p.joined_at]
    phases["returning_page"] = await measured(
        "returning page loads only (with cookies)", "returning_page", joined, return_page, c, meters
    )
    phases["socket_connect"] = await measured(
        "socket connects only (to the first card)", "socket", joined, open_socket, c, meters
    )
    await close_all([p.ws for p in phones])
    for phone in phones:
        phone.browser.close()
    await asyncio.sleep(0.5)  # the closes reach the server before the arrival starts
    return phases


async def doors_run(
    host: str, port: int, phones: int, in_flight: int, meters: dict, result: dict,
    per_address: int = 1, calibration: int = CALIBRATION,
) -> None:  # fmt: skip
    """Calibration, then N phones arriving together, then each phone's returning page.
    Fills `result` as it goes (a run stopped by its deadline still reports)."""
    k = min(calibration, phones)
    result["calibration"] = await calibrate(host, port, k, meters)
    crowd = [
        DoorPhone(Browser(host, port, source_address(i, per_address=per_address), REQUEST_TIMEOUT))
        for i in range(phones)
    ]
    result["arrival"] = {"phones": phones, "in_flight_limit": in_flight}
    t = Timings()
    gate = asyncio.Semaphore(in_flight)
    before = {k_: f() for k_, f in meters.items()}
    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(arrive(p, gate, t) for p in crowd))
        arrival_seconds = time.perf_counter() - t0
        spent = {k_: f() - before[k_] for k_, f in meters.items()}
        result["arrival"].update(arrival_figures(crowd, t, t0, arrival_seconds, spent))

        ready = [p for p in crowd if p.connected_at is not None]
        await asyncio.sleep(0.5)  # presence pushes of the last connects settle
        back = Timings()
        before = {k_: f() for k_, f in meters.items()}
        started = time.perf_counter()
        await asyncio.gather(*(come_back(p, gate, back) for p in ready))
        seconds = time.perf_counter() - started
        spent = {k_: f() - before[k_] for k_, f in meters.items()}
        n = len(back.returning_page)
        result["returning"] = {
            "phones": len(ready),
            "pages_ok": sum(p.returned for p in ready),
            "seconds": round(seconds, 2),
            "pages_per_second": round(n / seconds, 1) if seconds and n else None,
            "page_ms": latency(back.returning_page),
            "server_cpu_seconds": round(spent["server"], 2),
            "server_cpu_ms_per_page": round(1000 * spent["server"] / n, 2) if n else None,
            **{
                f"{k_}_cpu_ms_per_page": round(1000 * v / n, 2) if n else None
                for k_, v in spent.items()
                if k_ != "server"
            },
            "statuses": back.statuses,
            "failed": sum(not p.returned for p in ready),
        }
    finally:
        if "seconds" not in result["arrival"]:  # stopped by the deadline: how far it got
            spent = {k_: f() - before[k_] for k_, f in meters.items()}
            seconds = time.perf_counter() - t0
            result["arrival"].update(arrival_figures(crowd, t, t0, seconds, spent))
            result["arrival"]["stopped_before_every_phone_was_done"] = True
        result["arrival"]["phones_connected_at_end"] = sum(
            p.connected_at is not None for p in crowd
        )
        await close_all([p.ws for p in crowd])
        for phone in crowd:
            phone.browser.close()


def arrival_figures(
    crowd: list[DoorPhone], t: Timings, t0: float, seconds: float, spent: dict
) -> dict:
    connected = [p for p in crowd if p.connected_at is not None]
    failed = [p for p in crowd if p.connected_at is None]
    paged = [p.first_page_at for p in crowd if p.first_page_at is not None]
    pages_span = max(paged) - t0 if paged else None
    n = len(crowd)
    return {
        "seconds": round(seconds, 2),
        "first_pages_ok": len(paged),
        "pages_per_second": round(len(paged) / pages_span, 1) if pages_span else None,
        "all_connected_seconds": (
            round(max(p.connected_at for p in connected) - t0, 2)
            if connected and not failed
            else None
        ),
        "last_connected_seconds": (
            round(max(p.connected_at for p in connected) - t0, 2) if connected else None
        ),
        "phones_connected": len(connected),
        "phones_failed": len(failed),
        "failure_example": next((p.error for p in failed if p.error), None),
        "joins_refused_429": sum(p.refused for p in crowd),
        "phones_that_retried_join": sum(p.refused > 0 for p in crowd),
        "first_page_ms": latency(t.first_page),
        "join_ms": latency(t.join, p99=False),
        "static_ms": latency(t.static, p99=False),
        "socket_ms": latency(t.socket, p99=False),
        "statics_per_phone": len(crowd[0].statics) if crowd and crowd[0].statics else None,
        "http_connections_opened": sum(p.browser.connections_opened for p in crowd),
        "statuses": t.statuses,
        "server_cpu_seconds": round(spent["server"], 2),
        "server_cpu_ms_per_phone": round(1000 * spent["server"] / n, 2) if n else None,
        **{f"{k}_cpu_seconds": round(v, 2) for k, v in spent.items() if k not in ("server",)},
    }


def headline(result: dict) -> dict:
    """The figures the targets judge, with the phase each comes from."""
    cal = result.get("calibration") or {}
    arrival = result.get("arrival") or {}

    def each(phase):
        return (cal.get(phase) or {}).get("server_cpu_ms_each")

    return {
        "server_cpu_ms_per_first_page": each("first_page"),
        "server_cpu_ms_per_join": each("join"),
        "server_cpu_ms_per_static_file": each("static"),
        "server_cpu_ms_per_returning_page": each("returning_page"),
        "server_cpu_ms_per_socket_connect": each("socket_connect"),
        "server_cpu_ms_per_returning_page_after_arrival": (result.get("returning") or {}).get(
            "server_cpu_ms_per_page"
        ),
        "server_cpu_ms_per_phone_arrival": arrival.get("server_cpu_ms_per_phone"),
        "sources": {
            "per_first_page, per_join, per_static_file, per_returning_page, per_socket_connect":
                "calibration phases before the arrival, each doing only that kind of request "
                f"({CALIBRATION_CONCURRENCY} at a time, fresh browsers from 127.200.x.y)",
            "per_returning_page_after_arrival":
                "every arrived phone loads the page once more, with its socket open (only "
                "returning pages in that phase)",
            "per_phone_arrival":
                "the whole arrival (page, statics, join, socket) divided by the phones",
        },
    }  # fmt: skip
