"""The embedded channel layer: Channels' in-memory layer, made to scale with the room.

- Channels sweeps every channel and group for expired entries on every receive and group
  send. With thousands of phones connected that is quadratic: measured here, one push to
  every phone took 0.3 s of layer time at 1,000 phones and 14 s at 5,000. Sweeping at most
  once a second keeps the same expiry rules (an entry may live up to a second longer) at a
  constant cost.
- Channels deep-copies a message for every member of a group. Plain strings are shared by
  a deep copy, but rendered HTML is Django's SafeString, a subclass, which is copied in
  full: one stage change to 5,000 phones copied every phone card variant 5,000 times, and
  each phone kept its copies until the next push (a process with 5,000 phones went from
  270 MB to about 460 MB over the first two pushes; docs/performance.md). The message is
  made plain once per send, before Channels copies it. What consumers receive is the same
  text; they send it as it is and never put it into a template.
- Channels keeps an asyncio.Queue per channel, 3.3 KB even when empty, and every socket's
  channel has one while its consumer waits on it. Here a channel's queue is a LeanQueue
  (workshop/live/tuning/queues.py, about 70 bytes empty), with the same capacity.
- Channels' group_send creates a task for every member, each of which deep-copies the message
  into the member's queue: 10,000 tasks at once for a push to 10,000 phones, on top of the
  copies (docs/performance.md, "Memory"). Here the copies go into the queues directly, in the
  same order, with no task.

The pub/sub Redis layer (WORKSHOP_REDIS_LAYER=pubsub) has the same fault another way: a
worker gets a group message from Redis once and queues the same bytes for each of its
members, and channels-redis has each member unpack its own copy, so 5,000 phones keep 5,000
copies of every card variant (378-471 MB a worker after pushes). RedisPubSubChannelLayer
below unpacks those bytes once and hands each member a copy whose strings are shared, as the
embedded layer does.
"""

import asyncio
import collections
import contextlib
import copy
import time

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer as BaseInMemoryChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer as BaseRedisPubSubChannelLayer

from workshop.live.tuning.queues import LeanQueue


class InMemoryChannelLayer(BaseInMemoryChannelLayer):
    """Channels' InMemoryChannelLayer (4.3.2) with the changes above; send, receive,
    group_send and the expiry sweep are Channels' own otherwise (self.channels maps a channel
    to its queue of (expiry time, message), self.groups a group to {channel: joined at})."""

    sweep_every = 1.0  # seconds

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._last_sweep = 0.0

    def _queue(self, channel: str) -> LeanQueue:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = LeanQueue(maxsize=self.get_capacity(channel))
        return queue

    def _put(self, channel: str, message: dict) -> None:
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        try:
            self._queue(channel).put_nowait((time.time() + self.expiry, copy.deepcopy(message)))
        except asyncio.QueueFull:
            raise ChannelFull(channel) from None

    async def send(self, channel, message):
        assert isinstance(message, dict), "message is not a dict"
        self._put(channel, plain(message))

    async def receive(self, channel):
        self.require_valid_channel_name(channel)
        self._clean_expired()
        queue = self._queue(channel)
        try:
            _, message = await queue.get()
        finally:
            if queue.empty() and self.channels.get(channel) is queue:
                del self.channels[channel]
        return message

    async def group_send(self, group, message):
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        message = plain(message)
        for channel in list(self.groups.get(group, ())):
            # A full channel's copy is dropped, as Channels does: every push carries the
            # whole state, so the next one makes it good.
            with contextlib.suppress(ChannelFull):
                self._put(channel, message)

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._last_sweep < self.sweep_every:
            return
        self._last_sweep = now
        wall = time.time()
        for channel, queue in list(self.channels.items()):
            while not queue.empty() and queue.first()[0] < wall:
                queue.get_nowait()
                self._remove_from_groups(channel)  # an expired message ends membership
                if queue.empty():
                    self.channels.pop(channel, None)
        joined_before = int(wall) - self.group_expiry
        for members in self.groups.values():
            for channel, joined in list(members.items()):
                if joined and joined < joined_before:
                    members.pop(channel, None)


def plain(value):
    """`value` with every str subclass in it (SafeString) turned into a plain str, through
    dicts, lists and tuples; anything else as it is."""
    if isinstance(value, str):
        return value if type(value) is str else str.__str__(value)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(plain(v) for v in value)
    return value


class RedisPubSubChannelLayer(BaseRedisPubSubChannelLayer):
    """channels-redis's pub/sub layer, unpacking a group message once per worker."""

    kept = 16  # recent messages remembered; a push reaches every member within a few

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # id(bytes) -> (bytes, message): the bytes are kept too, so an id is not reused
        # while remembered
        self._unpacked: collections.OrderedDict[int, tuple[bytes, dict]] = collections.OrderedDict()

    def deserialize(self, message):
        key = id(message)
        found = self._unpacked.get(key)
        if found is not None and found[0] is message:
            self._unpacked.move_to_end(key)
            unpacked = found[1]
        else:
            unpacked = super().deserialize(message)
            self._unpacked[key] = (message, unpacked)
            if len(self._unpacked) > self.kept:
                self._unpacked.popitem(last=False)
        # Each member gets its own dicts and lists (it may change them); strings are
        # immutable, so a deep copy shares them.
        return copy.deepcopy(unpacked)
