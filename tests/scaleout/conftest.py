"""Real daphne workers sharing a real Redis and PostgreSQL (started by scripts/services.sh).

Each test gets a fresh database and a flushed Redis, the demo workshop, and workers it can
start, kill and restart. Clients are real WebSocket and HTTP clients on loopback.
"""

import asyncio
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import redis
from websockets.asyncio.client import connect

from tests.chromium import new_laptop, new_phone  # noqa: F401 (fixtures)
from tests.processes import ROOT, free_port, mark_directory

sys.path.insert(0, str(ROOT / "scripts"))
from serve import (  # scripts/serve.py: how workers start, and how to find them
    daphne_command,
    listening,
    sockets_on,  # noqa: F401 (for the tests)
    worker_pid,  # noqa: F401 (for the tests)
)

FACILITATOR = ("facilitator", "scaleout-pass-1")


def pytest_collection_modifyitems(config, items):
    mark_directory(items, Path(__file__).parent, pytest.mark.scaleout)


@dataclass
class Cluster:
    env: dict
    var: Path
    workers: dict[int, subprocess.Popen] = field(default_factory=dict)
    secret: str = ""

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip

    def query(self, code: str):
        """Run Python against the cluster's database; `code` prints one JSON value."""
        out = self.manage("shell", "--no-imports", "-c", code)
        return json.loads(out.strip().splitlines()[-1])

    def start(self, port: int | None = None) -> int:
        port = port or free_port()
        log = (self.var / f"daphne-{port}.log").open("a")
        self.workers[port] = subprocess.Popen(
            daphne_command(port),
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not listening(port):
            if self.workers[port].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(self.log(port))
            time.sleep(0.1)
        return port

    def kill(self, port: int) -> None:
        self.workers[port].kill()
        self.workers[port].wait(timeout=10)

    def log(self, port: int) -> str:
        return (self.var / f"daphne-{port}.log").read_text()

    def url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    def join(self, port: int) -> str:
        """A phone opens the workshop's page and joins as live.js does (a POST with the CSRF
        token, which sets the attendee cookie): returns its Cookie header."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(self.url(port) + "/j/PCN25/", timeout=10).read()
        token = next(c.value for c in jar if c.name == "csrftoken")
        join = urllib.request.Request(
            self.url(port) + "/j/PCN25/join/",
            data=b"",
            method="POST",
            headers={"X-CSRFToken": token, "Origin": self.url(port)},
        )
        opener.open(join, timeout=10).read()
        return "; ".join(f"{c.name}={c.value}" for c in jar)

    def login(self, port: int) -> str:
        """The facilitator logs in through the admin form: returns the Cookie header."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(self.url(port) + "/admin/login/", timeout=10).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"username": FACILITATOR[0], "password": FACILITATOR[1],
             "csrfmiddlewaretoken": token, "next": "/s/PCN25/console/"}
        ).encode()  # fmt: skip
        request = urllib.request.Request(
            self.url(port) + "/admin/login/", data=data, headers={"Referer": self.url(port)}
        )
        opener.open(request, timeout=10).read()
        assert any(c.name == "sessionid" for c in jar)
        return "; ".join(f"{c.name}={c.value}" for c in jar)


def _servers() -> tuple[str, str]:
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not (database_url.startswith("postgres") and redis_url):
        pytest.fail(
            "Scale-out tests need PostgreSQL and Redis: run them through `make test`, which "
            "starts both (scripts/services.sh) and sets DATABASE_URL and REDIS_URL."
        )
    return database_url.rsplit("/", 1)[0], redis_url


def _admin(server: str, sql: str) -> None:
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """Migrated once, demo workshop and facilitator loaded, static files collected: each
    test's database is a copy (CREATE DATABASE ... TEMPLATE), which takes a moment."""
    server, _ = _servers()
    name = f"wl_scaleout_template_{uuid.uuid4().hex[:8]}"
    _admin(server, f'CREATE DATABASE "{name}"')
    var = tmp_path_factory.mktemp("scaleout-template")
    static = tmp_path_factory.mktemp("scaleout-static")
    c = Cluster(
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "workshop.settings",
            "DATABASE_URL": f"{server}/{name}",
            "WORKSHOP_VAR_DIR": str(var),
            "DJANGO_STATIC_ROOT": str(static),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        },
        var=var,
    )
    c.manage("migrate", "--noinput", "-v0")
    c.manage("collectstatic", "--noinput", "-v0")
    c.manage("load_demo")
    c.manage("facilitator", "--username", FACILITATOR[0], "--password", FACILITATOR[1])
    secret = c.query(
        "import json; from workshop.models import Workshop; "
        "from workshop.services import live_state_ensure; "
        "print(json.dumps(live_state_ensure(workshop=Workshop.objects.get()).screen_secret))"
    )
    yield name, static, secret
    _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def cluster(template, tmp_path):
    server, redis_url = _servers()
    template_name, static, secret = template
    name = f"wl_scaleout_{uuid.uuid4().hex[:10]}"
    _admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    redis.Redis.from_url(redis_url).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "workshop.settings",
        "DATABASE_URL": f"{server}/{name}",
        "WORKSHOP_VAR_DIR": str(tmp_path),
        "DJANGO_STATIC_ROOT": str(static),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    c = Cluster(env=env, var=tmp_path, secret=secret)
    try:
        yield c
    finally:
        for proc in c.workers.values():
            if proc.poll() is None:
                proc.terminate()
        # daphne gives its open connections up to 10 s (application_close_timeout) to finish
        # after SIGTERM; on a loaded machine the exit itself comes later still. A worker that
        # is still up after 30 s is killed, and that is a failure below.
        hung = []
        for port, proc in c.workers.items():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
                hung.append(port)
        logs = {port: c.log(port) for port in c.workers}
        _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for port, text in logs.items():
        assert "Traceback" not in text, f"worker {port}:\n{text}"
    assert hung == [], "workers still up 30 s after SIGTERM:\n" + "\n".join(
        f"worker {port}:\n{logs[port]}" for port in hung
    )


class Client:
    """One WebSocket client (phone, projector or console) with the frames it received."""

    def __init__(self, url: str, cookie: str = ""):
        self.url, self.cookie = url, cookie
        self.frames: list[str] = []
        self.ws = None

    async def connect(self, timeout: float = 10) -> "Client":
        origin = re.match(r"ws://([^/]+)", self.url).group(1)
        headers = {"Origin": f"http://{origin}"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.ws = await connect(
            self.url, additional_headers=headers, compression=None, open_timeout=timeout,
            close_timeout=2, max_size=2**22,
        )  # fmt: skip
        return self

    async def send(self, payload: dict) -> None:
        await self.ws.send(json.dumps(payload))

    async def until(self, pattern: str, timeout: float = 10) -> str:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no frame matching {pattern!r} within {timeout}s")
            frame = await asyncio.wait_for(self.ws.recv(), remaining)
            self.frames.append(frame)
            if re.search(pattern, frame):
                return frame

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def ws_url(cluster: Cluster, port: int, surface: str) -> str:
    base = f"ws://127.0.0.1:{port}"
    return {
        "phone": f"{base}/ws/j/PCN25/",
        "screen": f"{base}/ws/s/PCN25/screen/{cluster.secret}/",
        "console": f"{base}/ws/s/PCN25/console/",
    }[surface]


def restart_redis() -> None:
    """Stop the test Redis (its data goes: it runs without persistence) and start it again
    on the same port (scripts/services.sh restart-redis, which the bench uses too)."""
    services = os.environ["WORKSHOP_SERVICES_DIR"]
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "services.sh"), "restart-redis", services],
        check=True, timeout=30,
    )  # fmt: skip
    assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping()


def wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s")
        time.sleep(0.1)


@pytest.fixture
def serve(cluster):
    """serve.py with two workers on ports of the test's choosing; stopped with SIGTERM.

    Its static files are collected into a directory open to others, as an install would
    have them: nginx's workers run as `nobody` when the tests run as root."""
    static = Path(tempfile.mkdtemp(prefix="wl-serve-static-"))
    static.chmod(0o755)
    env = {**cluster.env, "DJANGO_STATIC_ROOT": str(static)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True, timeout=60,
    )  # fmt: skip
    port, workers = free_port(), [free_port(), free_port()]
    log_path = cluster.var / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "scripts/serve.py", "--workers", "2", "--port", str(port),
             "--worker-ports", ",".join(map(str, workers))],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        try:
            wait_for(
                lambda: "==> nginx on" in log_path.read_text() and listening(port), "serve.py up"
            )
        except AssertionError as slow:
            raise AssertionError(f"{slow}; its log:\n{log_path.read_text()}") from None
        yield port, workers, proc, log_path
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
        shutil.rmtree(static, ignore_errors=True)
    assert "Traceback" not in log_path.read_text(), log_path.read_text()
