"""Two daphne workers sharing Redis and PostgreSQL: what one sees, the other sees."""

import asyncio
import re

from tests.scaleout.conftest import Client, ws_url

OPEN_VOTE = (
    "import json; from workshop.models import Workshop; from voting.services import poll_open; "
    "print(json.dumps(poll_open(workshop=Workshop.objects.get(), show_bars=True).pk))"
)


async def test_phone_on_worker_a_votes_and_the_projector_on_worker_b_shows_it(cluster):
    a, b = cluster.start(), cluster.start()
    poll = cluster.query(OPEN_VOTE)
    projector = await Client(ws_url(cluster, b, "screen")).connect()
    await projector.until(f'id="tally-{poll}"')
    phone = await Client(ws_url(cluster, a, "phone"), cluster.join(a)).connect()
    card = await phone.until('id="phone-live"')
    theme = re.findall(r'name="theme" value="(\d+)"', card)[0]

    await phone.send({"action": "vote", "poll": str(poll), "theme": theme, "key": "k1"})

    assert "✓ Your vote" in await phone.until("Your vote")
    assert 'data-total="1"' in await projector.until(r'data-total="1"')
    await phone.close(), await projector.close()


async def test_question_asked_on_worker_b_reaches_the_console_on_worker_a(cluster):
    a, b = cluster.start(), cluster.start()
    console = await Client(ws_url(cluster, a, "console"), cluster.login(a)).connect()
    await console.until('id="console-questions"')
    phone = await Client(ws_url(cluster, b, "phone"), cluster.join(b)).connect()
    await phone.until('id="phone-live"')

    await phone.send({"action": "question_ask", "text": "Asked on B, seen on A?"})

    assert "once the facilitator approves it" in await phone.until('id="phone-flash"')
    frame = await console.until("Asked on B, seen on A")
    assert 'id="console-questions"' in frame
    await phone.close(), await console.close()


async def test_state_change_on_one_worker_reaches_phones_on_both(cluster):
    a, b = cluster.start(), cluster.start()
    console = await Client(ws_url(cluster, a, "console"), cluster.login(a)).connect()
    await console.until('id="console-vote"')
    phones = [
        await Client(ws_url(cluster, port, "phone"), cluster.join(port)).connect()
        for port in (a, b, a, b)
    ]
    for phone in phones:
        await phone.until('id="phone-live"')

    await console.send({"action": "poll_open", "tie_rule": "casting"})

    frames = await asyncio.gather(*(p.until("Tap a theme to vote") for p in phones))
    assert all(f.count("ws-send") == 3 for f in frames)
    for client in (console, *phones):
        await client.close()
