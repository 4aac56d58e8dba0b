"""The embedded channel layer (workshop/live/layers.py)."""

import asyncio

import pytest

from workshop.live.layers import InMemoryChannelLayer


async def test_a_group_send_reaches_every_member_without_a_task_each():
    layer = InMemoryChannelLayer(capacity=2)
    members = [await layer.new_channel() for _ in range(500)]
    for channel in members:
        await layer.group_add("room", channel)
    tasks_before = len(asyncio.all_tasks())
    created = []
    loop = asyncio.get_running_loop()
    factory = loop.get_task_factory()
    loop.set_task_factory(
        lambda loop, coro, **kw: created.append(1) or asyncio.Task(coro, loop=loop, **kw)
    )
    try:
        await layer.group_send("room", {"type": "push", "n": 1})
    finally:
        loop.set_task_factory(factory)

    assert created == []
    assert len(asyncio.all_tasks()) == tasks_before
    for channel in members:
        assert await layer.receive(channel) == {"type": "push", "n": 1}


async def test_a_full_member_misses_the_message_and_the_others_get_it():
    layer = InMemoryChannelLayer(capacity=1)
    full, other = await layer.new_channel(), await layer.new_channel()
    for channel in (full, other):
        await layer.group_add("room", channel)
    await layer.send(full, {"type": "older"})

    await layer.group_send("room", {"type": "push"})

    assert await layer.receive(full) == {"type": "older"}
    assert await layer.receive(other) == {"type": "push"}
    with pytest.raises(TimeoutError):  # the push was not queued behind it
        await asyncio.wait_for(layer.receive(full), 0.05)


async def test_messages_are_copies_as_in_channels():
    layer = InMemoryChannelLayer()
    a, b = await layer.new_channel(), await layer.new_channel()
    for channel in (a, b):
        await layer.group_add("room", channel)
    message = {"type": "push", "variants": {"": "<p>card</p>"}}

    await layer.group_send("room", message)
    got_a, got_b = await layer.receive(a), await layer.receive(b)

    assert got_a == got_b == message
    assert got_a["variants"] is not got_b["variants"] is not message["variants"]
