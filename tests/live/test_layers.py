"""The embedded channel layer (workshop/live/layers.py)."""

from django.utils.safestring import mark_safe

from workshop.live.layers import InMemoryChannelLayer, plain


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


def test_plain_keeps_everything_else_as_it_is():
    value = {"a": 1, "b": None, "c": [mark_safe("x"), "y"], mark_safe("k"): (True, 2.5)}
    result = plain(value)
    assert result == value
    assert [type(s) for s in result["c"]] == [str, str]
    assert all(type(k) is str for k in result)
