"""workshop/live/tuning/socket_memory.py under a real daphne: sockets and plain requests
work with the lean input queue, and a WebSocket's handshake request is not kept."""

import asyncio
import subprocess
import sys
import time
import urllib.request

import pytest
from websockets.asyncio.client import connect

from tests.processes import ROOT, app_env, free_port

SOCKETS = 20


def _daphne(**env) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
         "tests.live.socket_memory_app:application"],
        cwd=ROOT, env=app_env(**env), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                assert response.read() == b"ok"
            return proc, port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("daphne did not start") from None
            time.sleep(0.1)


async def _requests_alive_with_sockets_open(port: int) -> list[str]:
    """Opens SOCKETS sockets, then each says hello; returns the answers."""
    sockets = [
        await asyncio.wait_for(connect(f"ws://127.0.0.1:{port}/ws/"), 10) for _ in range(SOCKETS)
    ]
    # daphne lists each request among its connections until its once-a-second check finds it
    # finished: after that, only what else holds a request keeps it.
    await asyncio.sleep(2.5)
    try:
        answers = []
        for n, ws in enumerate(sockets):
            await ws.send(f"hello {n}")
            answers.append(await asyncio.wait_for(ws.recv(), 10))
        return answers
    finally:
        for ws in sockets:
            await ws.close()


@pytest.mark.parametrize("patched", [True, False], ids=["patched", "daphne-as-is"])
async def test_sockets_work_and_a_handshake_request_is_kept_only_without_the_patch(patched):
    proc, port = _daphne(WORKSHOP_TUNE_SOCKET_MEMORY="1" if patched else "0")
    try:
        answers = await _requests_alive_with_sockets_open(port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    assert [a.rsplit(" ", 1)[0] for a in answers] == [f"hello {n}" for n in range(SOCKETS)]
    alive = int(answers[-1].rsplit(" ", 1)[1])
    # daphne as it is keeps each open socket's handshake request; patched, none is kept.
    assert alive == (0 if patched else SOCKETS)
