"""The channel layers of workshop/live/tuning/layers.py: the embedded one, and the pub/sub Redis one
(against a real Redis, in make test's PostgreSQL + Redis stage)."""

import asyncio
import time

import pytest
from django.conf import settings
from django.utils.safestring import mark_safe

from workshop.live.tuning.layers import InMemoryChannelLayer, RedisPubSubChannelLayer, plain


async def test_rendered_html_in_a_group_push_is_shared_not_copied_per_member():
    layer = InMemoryChannelLayer()
    members = [await layer.new_channel() for _ in range(3)]
    for channel in members:
        await layer.group_add("room", channel)
    card = mark_safe("<section>" + "card " * 400 + "</section>")  # as render_to_string gives

    await layer.group_send("room", {"type": "push", "variants": {"": card}, "n": [1, (2,)]})

    received = [await layer.receive(channel) for channel in members]
    texts = [m["variants"][""] for m in received]
    assert all(type(t) is str and t == card for t in texts)
    assert texts[0] is texts[1] is texts[2]  # one string for every phone, not a copy each
    assert received[0]["n"] == [1, (2,)]
    assert received[0]["variants"] is not received[1]["variants"]  # still copies, as Channels


async def test_a_single_send_is_plain_too():
    layer = InMemoryChannelLayer()
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "push", "html": mark_safe("<p>a</p>")})
    assert type((await layer.receive(channel))["html"]) is str


async def test_a_group_send_skips_a_full_member_and_reaches_the_others():
    layer = InMemoryChannelLayer(capacity=2)
    full, free = await layer.new_channel(), await layer.new_channel()
    for channel in (full, free):
        await layer.group_add("room", channel)
    for n in range(2):
        await layer.send(full, {"type": "push", "n": n})

    await layer.group_send("room", {"type": "push", "n": 9})

    assert [(await layer.receive(full))["n"] for _ in range(2)] == [0, 1]
    assert (await layer.receive(free))["n"] == 9
    assert layer.channels == {}  # an emptied channel's queue is dropped


async def test_a_waiting_member_receives_a_group_send():
    layer = InMemoryChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    waiting = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)

    await layer.group_send("room", {"type": "push", "n": 1})

    assert (await asyncio.wait_for(waiting, 1))["n"] == 1


async def test_an_expired_message_is_swept_and_ends_its_channels_memberships():
    layer = InMemoryChannelLayer(expiry=60)
    stale, fresh = await layer.new_channel(), await layer.new_channel()
    for channel in (stale, fresh):
        await layer.group_add("room", channel)
    await layer.send(stale, {"type": "push"})
    _, message = layer.channels[stale].get_nowait()
    layer.channels[stale].put_nowait((time.time() - 1, message))  # as if sent 61 s ago
    layer._last_sweep = 0.0

    layer._clean_expired()

    assert stale not in layer.channels
    assert list(layer.groups["room"]) == [fresh]


def test_plain_keeps_everything_else_as_it_is():
    value = {"a": 1, "b": None, "c": [mark_safe("x"), "y"], mark_safe("k"): (True, 2.5)}
    result = plain(value)
    assert result == value
    assert [type(s) for s in result["c"]] == [str, str]
    assert all(type(k) is str for k in result)


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis: runs in make test's Redis stage")
async def test_the_pubsub_layer_unpacks_a_group_message_once_for_all_its_members():
    layer = RedisPubSubChannelLayer(hosts=[settings.REDIS_URL])
    members = [await layer.new_channel() for _ in range(3)]
    group = f"room-{members[0].rsplit('!', 1)[-1][:8]}"
    for channel in members:
        await layer.group_add(group, channel)
    card = mark_safe("<section>" + "card " * 400 + "</section>")
    try:
        await layer.group_send(group, {"type": "push", "variants": {"": card}, "n": [1, 2]})
        received = [await asyncio.wait_for(layer.receive(c), 5) for c in members]
        texts = [m["variants"][""] for m in received]
        assert all(t == card for t in texts)
        assert texts[0] is texts[1] is texts[2]  # one string for every phone
        assert received[0]["variants"] is not received[1]["variants"]  # each its own dict
        received[0]["n"].append(3)  # a member changing its message changes no other's
        assert received[1]["n"] == [1, 2]

        await layer.group_send(group, {"type": "push", "variants": {"": "next"}})
        later = [await asyncio.wait_for(layer.receive(c), 5) for c in members]
        assert [m["variants"][""] for m in later] == ["next"] * 3
    finally:
        for channel in members:
            await layer.group_discard(group, channel)
        await layer.flush()
