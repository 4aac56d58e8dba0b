"""scripts/serve.py, the README's way to run several workers behind one address: nginx in
front of two daphne workers, run as a user would run it, on the test's PostgreSQL and Redis."""

import asyncio
import os
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

    # The phone comes back through the same address, to the live worker, with its vote.
    back = await Client(phones_closed[0].url, phones_closed[0].cookie).connect()
    assert "✓ Your vote" in await back.until('id="phone-live"')

    # serve.py starts the dead worker again, and nginx sends new phones to it.
    await loop.run_in_executor(
        None, lambda: wait_for(lambda: f"worker on {a} exited" in log_path.read_text(), "noticed")
    )
    await loop.run_in_executor(None, lambda: wait_for(lambda: listening(a), "worker a back"))
    # nginx skips a worker for 2 s after a failed connect (max_fails=1 fail_timeout=2s),
    # then tries it again; least_conn then prefers it, with no sockets yet.
    assert sockets_on(a) == 0
    late = []
    for _ in range(10):
        late.append(await Client(ws_url(cluster, port, "phone"), cluster.join(port)).connect())
        card = await late[-1].until('id="phone-live"')
        if sockets_on(a):
            break
        await asyncio.sleep(1)
    assert sockets_on(a) == 1, "no new phone went to the restarted worker within 10 s"
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
