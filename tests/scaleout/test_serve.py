"""scripts/serve.py, the README's way to run several workers behind one address: nginx in
front of two daphne workers, run as a user would run it, on the test's PostgreSQL and Redis."""

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from tests.processes import ROOT, free_port
from tests.scaleout.conftest import Client, ws_url
from tests.scaleout.test_workers import OPEN_VOTE


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _wait(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s")
        time.sleep(0.1)


def _worker_pid(port: int) -> int:
    """The daphne process serve.py started for `port` (found in /proc by its command line)."""
    wanted = ["-m", "daphne", "--proxy-headers", "-b", "127.0.0.1", "-p", str(port)]
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().decode().split("\0")
        except OSError:
            continue
        if args[1 : 1 + len(wanted)] == wanted:
            return int(cmdline.parent.name)
    raise AssertionError(f"no daphne worker on port {port}")


def _sockets_on(port: int) -> int:
    """Established TCP connections whose server end is `port` on loopback."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(
        1 for fields in (line.split() for line in lines)
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01"
    )  # fmt: skip


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
        _wait(lambda: "==> nginx on" in log_path.read_text() and _listening(port), "serve.py up")
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


async def test_serve_puts_two_workers_behind_one_address_and_restarts_one_that_dies(cluster, serve):
    port, (a, b), proc, log_path = serve
    loop = asyncio.get_running_loop()

    # The page, the static files and the sockets all come through nginx's one address.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/vendor/htmx-2.0.11.min.js") as r:
        assert r.status == 200 and b"htmx" in r.read()
    poll = cluster.query(OPEN_VOTE)
    phones = []
    for _ in range(2):  # least_conn: the second phone goes to the worker without one
        phone = await Client(ws_url(cluster, port, "phone"), cluster.join(port)).connect()
        phones.append((phone, await phone.until('id="phone-live"')))
    projector = await Client(ws_url(cluster, port, "screen")).connect()
    await projector.until(f'id="tally-{poll}"')
    themes = re.findall(r'name="theme" value="(\d+)"', phones[0][1])
    for i, (phone, _) in enumerate(phones):
        await phone.send({"action": "vote", "poll": str(poll), "theme": themes[i], "key": "k"})
        assert "✓ Your vote" in await phone.until("Your vote")
    # Whichever worker the projector is on, it saw both ballots, one from each worker.
    assert 'data-total="2"' in await projector.until(r'data-total="2"')

    # Worker a dies without a chance to tidy up; exactly one phone was on it.
    await loop.run_in_executor(None, lambda: os.kill(_worker_pid(a), signal.SIGKILL))

    async def closed(client: Client) -> bool:
        try:
            await client.until("never sent", timeout=3)
        except ConnectionClosed:
            return True
        except TimeoutError:
            return False  # still open after 3 s: on the worker that lives

    phones_closed = [phone for phone, _ in phones if await closed(phone)]
    assert len(phones_closed) == 1, "nginx put both phones on one worker"
    if await closed(projector):  # it may have been on worker a too; it reconnects as live.js does
        projector = await Client(projector.url).connect()
        assert 'data-total="2"' in await projector.until(r'data-total="2"')

    # The phone comes back through the same address, to the live worker, with its vote.
    back = await Client(phones_closed[0].url, phones_closed[0].cookie).connect()
    assert "✓ Your vote" in await back.until('id="phone-live"')

    # serve.py starts the dead worker again, and nginx sends new phones to it.
    await loop.run_in_executor(
        None, lambda: _wait(lambda: f"worker on {a} exited" in log_path.read_text(), "noticed")
    )
    await loop.run_in_executor(None, lambda: _wait(lambda: _listening(a), "worker a back"))
    # nginx skips a worker for 2 s after a failed connect (max_fails=1 fail_timeout=2s),
    # then tries it again; least_conn then prefers it, with no sockets yet.
    assert _sockets_on(a) == 0
    late = []
    for _ in range(10):
        late.append(await Client(ws_url(cluster, port, "phone"), cluster.join(port)).connect())
        card = await late[-1].until('id="phone-live"')
        if _sockets_on(a):
            break
        await asyncio.sleep(1)
    assert _sockets_on(a) == 1, "no new phone went to the restarted worker within 10 s"
    await late[-1].send({"action": "vote", "poll": str(poll), "theme": themes[2], "key": "k"})
    assert "✓ Your vote" in await late[-1].until("Your vote")
    assert 'data-total="3"' in await projector.until(r'data-total="3"')
    assert 'name="theme"' in card
    for client in (projector, back, *late, *(p for p, _ in phones)):
        await client.close()

    # SIGTERM stops nginx and both workers.
    proc.send_signal(signal.SIGTERM)
    assert await loop.run_in_executor(None, lambda: proc.wait(timeout=20)) == 0
    assert not any(_listening(p) for p in (port, a, b))
    assert "Traceback" not in log_path.read_text()
