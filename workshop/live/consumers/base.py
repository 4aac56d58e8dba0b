"""The base of the three consumers: one WebSocket per client, with the frame limits, the
refusals, and every way out of a socket cleaned up once."""

import contextlib
import functools
import json
import logging
import time

from autobahn.exception import Disconnected
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.template.loader import render_to_string
from redis.exceptions import RedisError

from workshop.live import presence, sockets
from workshop.live.balance import balance_workers
from workshop.live.coalesce import HEARTBEAT, WORKER_ID, coalescer
from workshop.live.groups import (
    Surface,
    group_join,
    group_leave,
    group_name,
)
from workshop.live.tuning.loop import dispatch_direct, message_loop
from workshop.live.watch import watch_redis
from workshop.models import Workshop
from workshop.selectors import workshop_by_code
from workshop.text import all_storable

log = logging.getLogger(__package__)


MAX_FRAME = 4096  # bytes; a vote or a console action is well under 1 KB
# Close codes (daphne lets applications use 3000-4999; htmx reconnects by itself only after
# 1006 and 1011-1013, so these stay closed until the page is reloaded).
JOIN_FIRST = 4001  # a phone socket without the attendee cookie
REPLACED = 4009  # an attendee's oldest socket, when it opened one too many

# Frames a socket may send: FRAME_BURST at once, then FRAME_RATE a second (a token bucket per
# socket). A person sends a frame per tap: a phone votes, sends a text or upvotes a few times
# a minute, and a facilitator holding down the next-stage shortcut sends the keyboard's
# repeat rate (about 10-30 a second, and only while the key is held). 20 at once covers a
# phone's queued frames sent together on reconnect and a burst of shortcuts; 10 a second
# sustained is more than a hand can keep up, and bounds what one hostile socket makes the
# server do (each frame may be a database write) to a few a second instead of thousands.
FRAME_RATE = 10.0
FRAME_BURST = 20
# Close code for a socket that sent too much. htmx's ws extension reconnects by itself only
# after 1006 and 1011-1013, and live.js only after sockets.RECONNECT: a client closed with
# this stays offline (its page says so) until it is reloaded.
TOO_MANY_FRAMES = 4008
TOO_MANY_FRAMES_MESSAGE = (
    "This page sent too many messages too quickly and has been disconnected. "
    "Reload the page to reconnect."
)
SERVER_ERROR_MESSAGE = "Something went wrong on the server; nothing was changed. Please try again."


# Workshop id -> a Workshop row a socket of this process read: the text the next sockets share.
_workshop_text: dict[int, Workshop] = {}


def share_text(workshop: Workshop) -> None:
    """Give `workshop` the same string objects as the row read before it, where the text is
    unchanged. Each socket keeps the workshop it read (its own instance, its own caches), but
    its text (the description and the pre-reading, about 1.5 KB) is then held once for all
    the sockets of a workshop, not once per socket (docs/performance.md, "Memory per
    socket"). A row whose text changed becomes the one the next sockets share."""
    known = _workshop_text.get(workshop.pk)
    if known is None:
        _workshop_text[workshop.pk] = workshop
        return
    mine, theirs = vars(workshop), vars(known)
    changed = False
    for name, value in mine.items():
        if type(value) is str:
            if theirs.get(name) == value:
                mine[name] = theirs[name]
            else:
                changed = True
    if changed:
        _workshop_text[workshop.pk] = workshop


class FrameBucket:
    """A token bucket: take() says whether one more frame is allowed now."""

    def __init__(self, rate: float = FRAME_RATE, burst: int = FRAME_BURST):
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class LiveConsumer(AsyncJsonWebsocketConsumer):
    surface: Surface
    actions: frozenset[str] = frozenset()
    flash_id = "flash"

    async def __call__(self, scope, receive, send):
        # Channels' AsyncConsumer.__call__, with the message loop of workshop/live/tuning/
        # loop.py (when switched on) and this layer's ways out of a socket below.
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
        self.base_send = send
        self.frames = FrameBucket()
        leave_group = True
        try:
            await message_loop([receive, self.channel_receive], self.dispatch)
        except StopConsumer:
            pass
        except RedisError as error:
            # The channel layer lost Redis (a restart, a network blip): this client and every
            # other one of this process come back (and are sent the current state) once
            # Redis is back. See workshop/live/sockets.py.
            sockets.closed(self)
            leave_group = False  # a restarted Redis has forgotten the group anyway
            window = sockets.reconnect_window(sockets.count() + 1)
            sockets.layer_lost(error)
            await sockets.send_reconnect(send, window)
        except Disconnected:
            # The client left while the consumer was answering it (daphne raises on a send to
            # a socket already closed; seen when phones give up on a slow connect). Leave
            # as if it had said goodbye, instead of a traceback in the log.
            pass
        finally:
            # Every way out (a goodbye, an error, Redis lost, the client gone, a cancel)
            # takes this socket out of the presence count and its group; once only.
            await self.cleanup(leave_group=leave_group)

    async def dispatch(self, message):
        if not settings.TUNE_MESSAGE_LOOP:
            return await super().dispatch(message)
        await dispatch_direct(self, message)

    async def connect(self):
        self.workshop: Workshop | None = await database_sync_to_async(workshop_by_code)(
            self.scope["url_route"]["kwargs"]["code"]
        )
        if self.workshop is not None:
            share_text(self.workshop)
        if self.workshop is None or not await self.authorise():
            await self.close()
            return
        self.group = group_name(workshop_id=self.workshop.pk, surface=self.surface)
        joined_at = time.time()
        await group_join(self.channel_layer, self.group, self.channel_name)
        coalescer(serving=True)
        watch_redis()
        balance_workers()
        await self.accept()
        sockets.opened(self, joined_at)
        await self.joined()

    async def disconnect(self, code):
        await self.cleanup()

    async def cleanup(self, *, leave_group: bool = True) -> None:
        """Undo connect: the socket list, left() (the presence count) and the group. Runs
        on close and again when the consumer ends (__call__'s finally); acts once."""
        if getattr(self, "cleaned_up", False):
            return
        self.cleaned_up = True
        sockets.closed(self)
        if getattr(self, "group", None):
            try:
                await self.left()
            except Exception:
                log.exception("%s socket of workshop %s: leaving failed", self.surface, self.code)
            if leave_group:
                # Redis may be away (and a restarted one has forgotten the group anyway).
                with contextlib.suppress(RedisError, OSError):
                    await group_leave(self.channel_layer, self.group, self.channel_name)

    @property
    def code(self) -> str:
        """The workshop's join code as the client's address gave it (for log lines)."""
        return str(self.scope.get("url_route", {}).get("kwargs", {}).get("code", "?"))[:20]

    async def authorise(self) -> bool:
        return True

    async def joined(self) -> None:
        raise NotImplementedError

    async def left(self) -> None:
        pass

    # --- incoming frames ------------------------------------------------------------------
    async def websocket_receive(self, message):
        """Every frame, of every surface: the frame limit, then receive(); an unexpected
        error in handling it is logged and answered, and the socket stays open."""
        if getattr(self, "closing_too_fast", False):
            return  # frames already on their way when the close was sent: not handled
        if not self.frames.take():
            return await self.too_many_frames()
        self.action = None
        try:
            await super().websocket_receive(message)
        except (StopConsumer, RedisError, Disconnected):
            raise
        except Exception:
            # The action name is one of self.actions (receive() sets it only then); the
            # frame itself is never logged (it may hold anything).
            log.exception(
                "%s action %s failed in workshop %s", self.surface, self.action, self.code
            )
            await self.refuse(SERVER_ERROR_MESSAGE)

    async def too_many_frames(self) -> None:
        self.closing_too_fast = True
        client = self.scope.get("client") or ("?", 0)
        log.warning(
            "%s socket of workshop %s from %s sent more than %d frames at once or %g a "
            "second; closing it with %d",
            self.surface, self.code, client[0], FRAME_BURST, FRAME_RATE, TOO_MANY_FRAMES,
        )  # fmt: skip
        await self.refuse(TOO_MANY_FRAMES_MESSAGE)
        await self.close(code=TOO_MANY_FRAMES)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            return await self.refuse("Send text messages only.")
        if len(text_data) > MAX_FRAME:
            return await self.refuse("That message is too long.")
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: nested too deep
            return await self.refuse("That message was not understood.")
        if not isinstance(content, dict) or not isinstance(content.get("action"), str):
            return await self.refuse("That message was not understood.")
        if not all_storable(content):
            # A lone surrogate ("\udfff" as a JSON escape) is no text: it could be neither
            # stored nor sent back in a refusal.
            return await self.refuse(
                "That message contains characters that are not valid text. Please retype it."
            )
        if content["action"] not in self.actions:
            return await self.refuse("That action is not allowed here.")
        self.action = content["action"]
        await self.act(content["action"], content)

    async def act(self, action: str, content: dict) -> None:
        raise NotImplementedError

    async def refuse(self, message: str) -> None:
        await self.send(text_data=self.flash(message, kind="error"))

    async def tell(self, message: str) -> None:
        await self.send(text_data=self.flash(message, kind="ok"))

    def flash(self, message: str, *, kind: str) -> str:
        return render_to_string(
            "flash.html#socket", {"flash_id": self.flash_id, "kind": kind, "message": message}
        )

    def is_stale(self, event: dict) -> bool:
        """Pushes carry a version; with several workers they can arrive out of order."""
        if event["version"] < getattr(self, "version", -1):
            return True
        self.version = event["version"]
        return False


class CountsPhones:
    """For the sockets that show the room's count of phones (console and projector): this
    worker's count when the socket opens, then each worker's latest report
    (workshop.phones_counted, re-sent every HEARTBEAT by coalesce.py); a worker silent for
    three heartbeats is left out."""

    def phones_start(self) -> None:
        self.phones = {WORKER_ID: (presence.phones_here(self.workshop.pk), time.time())}

    def phones_reported(self, event) -> None:
        self.phones[event["worker"]] = (event["phones"], event["at"])

    def phones_connected(self) -> int:
        """The phones connected, added up over the workers that reported lately."""
        fresh = time.time() - 3 * HEARTBEAT
        return sum(n for n, at in self.phones.values() if at >= fresh)
