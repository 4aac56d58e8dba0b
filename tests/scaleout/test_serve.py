"""scripts/serve.py, the README's way to run several workers behind one address: nginx in
front of two daphne workers, run as a user would run it, on the test's PostgreSQL and Redis."""

import asyncio
import os
import random
import re
import signal
import urllib.request

from websockets.exceptions import ConnectionClosed

from tests.scaleout.conftest import Client, listening, sockets_on, wait_for, worker_pid, ws_url
from tests.scaleout.test_workers import OPEN_VOTE


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
    await loop.run_in_executor(None, lambda: os.kill(worker_pid(a), signal.SIGKILL))

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

    # The phone comes back through the same address with its vote: to the live worker, or
    # to worker a if serve.py has already restarted it (a second after the death, plus
    # daphne's start-up: the checks above take several seconds).
    back = await Client(phones_closed[0].url, phones_closed[0].cookie).connect()
    assert "✓ Your vote" in await back.until('id="phone-live"')

    # serve.py starts the dead worker again, and nginx sends new phones to it.
    await loop.run_in_executor(
        None, lambda: wait_for(lambda: f"worker on {a} exited" in log_path.read_text(), "noticed")
    )
    await loop.run_in_executor(None, lambda: wait_for(lambda: listening(a), "worker a back"))
    # nginx never marks a worker down (max_fails=0 in serve.py): least_conn prefers the
    # restarted one, which holds at most the phone that came back.
    before = sockets_on(a)
    assert before <= 1
    late = []
    for _ in range(10):
        late.append(await Client(ws_url(cluster, port, "phone"), cluster.join(port)).connect())
        card = await late[-1].until('id="phone-live"')
        if sockets_on(a) > before:
            break
        await asyncio.sleep(1)
    assert sockets_on(a) == before + 1, "no new phone went to the restarted worker within 10 s"
    await late[-1].send({"action": "vote", "poll": str(poll), "theme": themes[2], "key": "k"})
    assert "✓ Your vote" in await late[-1].until("Your vote")
    assert 'data-total="3"' in await projector.until(r'data-total="3"')
    assert 'name="theme"' in card
    for client in (projector, back, *late, *(p for p, _ in phones)):
        await client.close()

    # SIGTERM stops nginx and both workers.
    proc.send_signal(signal.SIGTERM)
    assert await loop.run_in_executor(None, lambda: proc.wait(timeout=20)) == 0
    assert not any(listening(p) for p in (port, a, b))
    assert "Traceback" not in log_path.read_text()


class LivePhone:
    """A phone that comes back as live.js does when its socket closes: after a pause drawn
    from the window the server gave it (2 s unless told), through the same address."""

    def __init__(self, url: str, cookie: str):
        self.url, self.cookie = url, cookie
        self.connects = 0
        self.card = False  # the current state arrived on the latest socket

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            window = 2
            try:
                client = await Client(self.url, self.cookie).connect()
                self.connects, self.card = self.connects + 1, False
                async for frame in client.ws:
                    self.card = self.card or 'id="phone-live"' in frame
                    if m := re.match(r"<!--reconnect-window (\d+)-->", frame):
                        window = int(m.group(1))
                    if stop.is_set():
                        await client.close()
            except (ConnectionClosed, OSError, TimeoutError):
                pass
            await asyncio.sleep(0.5 + random.random() * (window - 0.5))


async def test_serve_evens_out_the_phones_after_a_worker_restarts(cluster, serve):
    port, (a, b), _, log_path = serve
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    phones = [LivePhone(ws_url(cluster, port, "phone"), cluster.join(port)) for _ in range(40)]
    tasks = [asyncio.create_task(p.run(stop)) for p in phones]

    def on(*ports: int) -> list[int]:
        return [sockets_on(p) for p in ports]

    async def until(condition, what: str, timeout: float = 30) -> None:
        await loop.run_in_executor(None, lambda: wait_for(condition, what, timeout))

    try:
        await until(lambda: sum(on(a, b)) == 40 and all(p.card for p in phones), "40 phones")
        assert min(on(a, b)) >= 15, f"nginx's least_conn spread 40 phones as {on(a, b)}"

        # Worker b dies; its phones come back through nginx, all to worker a.
        os.kill(worker_pid(b), signal.SIGKILL)
        await until(lambda: on(a, b) == [40, 0] and all(p.card for p in phones), "all on a")
        before = sum(p.connects for p in phones)

        # serve.py starts b again. Worker a, with all 40, sends some back: half of its
        # excess per round, until it is within 10 of its share (20 each).
        await until(lambda: listening(b), "worker b restarted")
        await until(lambda: on(a, b)[1] >= 10, "phones back on the restarted worker")
        await until(lambda: sum(on(a, b)) == 40 and all(p.card for p in phones), "all back")
        await asyncio.sleep(4)  # one more round's time: nothing more to send back
        assert sum(on(a, b)) == 40 and all(p.card for p in phones)
        assert 10 <= on(a, b)[1] <= 20, on(a, b)
        moved = sum(p.connects for p in phones) - before
        assert 10 <= moved <= 20, f"{moved} reconnects to even out {on(a, b)}"
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    logs = "".join(path.read_text() for path in cluster.var.glob("*.log"))
    assert "asking 10 sockets to reconnect elsewhere" in logs + log_path.read_text()
