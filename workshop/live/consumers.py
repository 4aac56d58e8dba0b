"""One WebSocket per client. Consumers are thin: resolve the workshop and the role, join the
surface's group, send the current state at once (so a phone that slept is right as soon as it
wakes), and forward HTML rendered once per surface. Writes go through services."""

import contextlib
import functools
import json
import logging
import time

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.html import format_html
from redis.exceptions import RedisError

from panel.forms import BoardPostForm, QuestionForm, UpvoteForm
from panel.models import Question
from panel.services import (
    board_post_submit,
    question_submit,
    question_unvote,
    question_upvote,
)
from voting.forms import VoteForm
from voting.services import BallotRequest
from workshop.attendees import attendee_id_from_cookies
from workshop.limits import action_refusal
from workshop.live import presence, sockets
from workshop.live.actions import console_action
from workshop.live.balance import balance_workers, phone_arrived
from workshop.live.batcher import batcher
from workshop.live.coalesce import HEARTBEAT, WORKER_ID, coalescer
from workshop.live.groups import (
    Surface,
    group_join,
    group_leave,
    group_name,
    login_group_name,
)
from workshop.live.loop import dispatch_from
from workshop.live.phone_state import phone_state
from workshop.live.render import (
    console_html,
    mine_mark,
    my_pending,
    screen_main_html,
    text_box,
    upvote_form,
)
from workshop.live.snapshot import live_snapshot
from workshop.live.watch import watch_redis
from workshop.models import LiveState, Workshop
from workshop.selectors import console_login_current, workshop_by_code
from workshop.text import all_storable

log = logging.getLogger(__name__)

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
        # Channels' AsyncConsumer.__call__, with our message loop (workshop/live/loop.py)
        # in place of await_many_dispatch: a third less server time in a vote burst.
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
        self.base_send = send
        self.frames = FrameBucket()
        leave_group = True
        try:
            await dispatch_from([receive, self.channel_receive], self.dispatch)
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
            # The client left while we were answering it (daphne raises on a send to a
            # socket already closed; seen when phones give up on a slow connect). Leave
            # as if it had said goodbye, instead of a traceback in the log.
            pass
        finally:
            # Every way out (a goodbye, an error, Redis lost, the client gone, a cancel)
            # takes this socket out of the presence count and its group; once only.
            await self.cleanup(leave_group=leave_group)

    async def dispatch(self, message):
        # Channels' own dispatch first closes stale database connections through the ORM
        # thread, a thread hop for every frame (a quarter of the server's CPU in a vote
        # burst). Connections here are persistent and database_sync_to_async already tidies
        # them around each call, so the hop buys nothing.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.workshop: Workshop | None = await database_sync_to_async(workshop_by_code)(
            self.scope["url_route"]["kwargs"]["code"]
        )
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
        await self.send(
            text_data=format_html(
                '<div id="{}" class="flash flash--error" role="alert">{}</div>',
                self.flash_id,
                message,
            )
        )

    async def tell(self, message: str) -> None:
        await self.send(
            text_data=format_html(
                '<div id="{}" class="flash flash--ok" role="status">{}</div>',
                self.flash_id,
                message,
            )
        )

    def is_stale(self, event: dict) -> bool:
        """Pushes carry a version; with several workers they can arrive out of order."""
        if event["version"] < getattr(self, "version", -1):
            return True
        self.version = event["version"]
        return False


class PhoneConsumer(LiveConsumer):
    surface = Surface.PHONE
    actions = frozenset(
        {"vote", "question_ask", "question_upvote", "question_unvote", "board_post"}
    )
    flash_id = "phone-flash"

    async def joined(self):
        self.attendee_id = attendee_id_from_cookies(
            self.scope.get("cookies", {}), workshop_id=self.workshop.pk
        )
        if self.attendee_id is None:
            # A phone's page joins (a POST that sets the cookie) before it opens its socket;
            # a socket without the cookie is a script's, or a page whose cookie was cleared.
            await self.refuse("Reload the page to join this workshop.")
            return await self.close(code=JOIN_FIRST)
        phone_arrived(self.attendee_id)
        state = await database_sync_to_async(phone_state)(
            workshop_id=self.workshop.pk, attendee_id=self.attendee_id
        )
        self.version, self.variants = state.version, state.variants
        self.poll_id, self.choice = state.poll_id, state.choice
        self.panel, self.mine, self.upvoted = state.panel, state.mine, state.upvoted
        self.panel_version = self.panel["version"] if self.panel else 0
        replaced = presence.phone_connected(self.workshop.pk, self.attendee_id, self)
        coalescer().mark_presence(workshop_id=self.workshop.pk)
        if replaced is not None:
            await replaced.replace()
        await self.send_card()
        # Questions and the board: only once any exist (a quiet room costs nothing here).
        if self.panel:
            await self.send_panel()

    async def send_panel(self):
        panel, code = self.panel, self.workshop.join_code
        votes, pending = panel["votes"], panel["pending"]
        patch = [mine_mark(question_id=q) for q in self.mine if str(q) in votes]
        patch += [
            upvote_form(code=code, question_id=q, votes=votes[str(q)], pressed=True)
            for q in self.upvoted
            if str(q) in votes
        ]
        mine_pending = [pending[str(q)] for q in sorted(self.mine) if str(q) in pending]
        patch.append(my_pending(items=mine_pending))
        await self.send(text_data=panel["html"] + "".join(patch))

    async def panel_changed(self, event):
        if event["version"] < self.panel_version:
            return
        self.panel_version, self.panel = event["version"], event
        await self.send_panel()

    async def left(self):
        if getattr(self, "attendee_id", None) is not None:
            presence.phone_disconnected(self.workshop.pk, self.attendee_id, self)
            coalescer().mark_presence(workshop_id=self.workshop.pk)

    async def replace(self):
        """This phone opened one socket too many: this one, its oldest, makes way."""
        with contextlib.suppress(Exception):  # the socket may be dead already
            await self.refuse(
                "This workshop is open in too many tabs on this phone, so this one has "
                "stopped updating. Reload it to carry on here."
            )
            await self.close(code=REPLACED)

    async def send_card(self):
        key = str(self.choice) if self.choice else ""
        await self.send(text_data=self.variants.get(key, self.variants[""]))

    async def act(self, action, content):
        client = self.scope.get("client") or [None]
        refusal = action_refusal(
            action=action,
            workshop_id=self.workshop.pk,
            attendee_id=self.attendee_id,
            address=client[0],
        )
        if refusal:
            return await self.refuse(refusal)
        if action != "vote":
            return await self.act_panel(action, content)
        vote = VoteForm.cleaned(content)
        if vote is None:
            return await self.refuse("Choose one of the themes on the ballot.")
        if self.attendee_id is None:
            return await self.refuse("Reload the page to join this workshop, then vote.")
        result = await batcher().submit(
            BallotRequest(
                poll_id=vote["poll"],
                attendee_id=self.attendee_id,
                theme_id=vote["theme"],
                key=vote["key"],
            )
        )
        if not result.ok:
            return await self.refuse(result.error)
        self.poll_id, self.choice = result.request.poll_id, result.request.theme_id
        await self.send_card()

    async def act_panel(self, action, content):
        if self.attendee_id is None:
            return await self.refuse("Reload the page to join this workshop first.")
        workshop, attendee_id = self.workshop, self.attendee_id
        try:
            if action == "question_ask":
                d = QuestionForm.cleaned(content)
                if d is None:
                    return await self.refuse("That question was not understood.")
                question = await database_sync_to_async(question_submit)(
                    workshop=workshop, attendee_id=attendee_id, text=d["text"],
                    theme_id=d["theme"], panellist_id=d["panellist"],
                    author_name=d["author_name"], key=d["key"],
                )  # fmt: skip
                self.mine.add(question.pk)
                await self.tell(
                    "Question sent. It will appear once the facilitator approves it."
                    if question.status == Question.Status.PENDING
                    else "Question sent."
                )
                await self.send(text_data=text_box("q"))
            elif action == "board_post":
                d = BoardPostForm.cleaned(content)
                if d is None:
                    return await self.refuse("That view was not understood.")
                await database_sync_to_async(board_post_submit)(
                    workshop=workshop, attendee_id=attendee_id, kind=d["kind"],
                    text=d["text"], theme_id=d["theme"], key=d["key"],
                )  # fmt: skip
                await self.tell("Thank you: your view is on the board.")
                await self.send(text_data=text_box("p"))
            else:
                d = UpvoteForm.cleaned(content)
                if d is None:
                    return await self.refuse("Choose a question from the list.")
                question_id = d["question"]
                service = question_upvote if action == "question_upvote" else question_unvote
                votes = await database_sync_to_async(service)(
                    workshop=workshop, question_id=question_id, attendee_id=attendee_id
                )
                pressed = action == "question_upvote"
                (self.upvoted.add if pressed else self.upvoted.discard)(question_id)
                form_html = upvote_form(
                    code=workshop.join_code, question_id=question_id, votes=votes, pressed=pressed
                )
                await self.send(text_data=form_html)
        except ValidationError as error:
            await self.refuse(" ".join(error.messages))

    async def workshop_state_changed(self, event):
        if self.is_stale(event):
            return
        if event.get("poll") != self.poll_id:
            self.poll_id, self.choice = event.get("poll"), None
        self.variants = event["variants"]
        await self.send_card()


SCREEN_LINK_REPLACED_HTML = (
    '<main id="screen-main" class="main" data-mode="replaced">'
    "<h1>This projector link has been replaced.</h1>"
    '<p class="hint">Open the new link from the console.</p></main>'
)


def _screen_state(workshop_id: int) -> tuple[int, str]:
    snap = live_snapshot(workshop_id=workshop_id)
    return snap.version, screen_main_html(snap)


class ScreenConsumer(LiveConsumer):
    """The projector: read-only, admitted by the secret in its address."""

    surface = Surface.SCREEN

    async def authorise(self):
        secret = self.scope["url_route"]["kwargs"]["secret"]
        return await database_sync_to_async(
            LiveState.objects.filter(workshop=self.workshop, screen_secret=secret).exists
        )()

    async def joined(self):
        self.version, html = await database_sync_to_async(_screen_state)(self.workshop.pk)
        self.tally_versions: dict[int, int] = {}
        await self.send(text_data=html)

    async def receive(self, text_data=None, bytes_data=None):
        pass  # the projector sends nothing; anything it does send is ignored

    async def workshop_state_changed(self, event):
        if not self.is_stale(event):
            await self.send(text_data=event["html"])

    async def voting_tally_changed(self, event):
        if event["version"] >= self.tally_versions.get(event["poll"], -1):
            self.tally_versions[event["poll"]] = event["version"]
            await self.send(text_data=event["html"])

    async def panel_changed(self, event):
        if event["html"] and event["version"] >= getattr(self, "panel_version", -1):
            self.panel_version = event["version"]
            await self.send(text_data=event["html"])

    async def workshop_screen_secret_renewed(self, event):
        """The console made a new projector link: a socket opened with the old one ends now,
        with a word on the screen for whoever looks at it (live.js does not reconnect)."""
        if await self.authorise():
            return  # opened with the new link, between the change and this event
        await self.send(text_data=SCREEN_LINK_REPLACED_HTML)
        await self.close(code=sockets.SCREEN_LINK_REPLACED)


def _console_state(workshop_id: int) -> tuple[int, str, int]:
    snap = live_snapshot(workshop_id=workshop_id)
    return snap.version, console_html(snap, phones=0), snap.tally.total if snap.tally else 0


class ConsoleConsumer(LiveConsumer):
    """The facilitator's console: staff with the run_workshop permission only.

    The socket lives only as long as the login it opened with. Every action checks it
    first; logging out closes the socket at once (workshop.login_ended, sent to the login's
    group); and before a push is forwarded the login is checked again when the last check
    is `login_recheck` seconds old, so a password change, a deactivation or a removed
    permission also stops the pushes within that time (while phones are connected, their
    count arrives every few seconds, so even a console nobody touches is re-checked).
    """

    surface = Surface.CONSOLE
    actions = frozenset(
        {
            "stage_next", "stage_previous", "stage_goto", "screen_show", "poll_open",
            "poll_close", "poll_show_bars", "poll_hide_bars", "poll_reveal", "poll_decide",
            "poll_runoff", "question_approve", "question_hide", "question_answered",
            "question_on_screen", "board_hide", "screen_secret_renew",
        }
    )  # fmt: skip
    flash_id = "console-flash"
    login_recheck = 30.0  # seconds between the checks made before pushes
    login_over = False

    async def authorise(self):
        user = self.scope.get("user")
        if not (user and user.is_authenticated):
            return False
        self.user_id, self.session_key = user.pk, self.scope["session"].session_key
        return await self.login_current()

    async def login_current(self) -> bool:
        self.login_checked_at = time.monotonic()
        return await database_sync_to_async(console_login_current)(
            session_key=self.session_key, user_id=self.user_id
        )

    async def logged_in(self, *, now: bool = False) -> bool:
        """Whether the login still stands: checked now (before an action) or when the last
        check is older than login_recheck (before a push). Ends the socket when it is not."""
        if self.login_over:
            return False
        stale = time.monotonic() - self.login_checked_at >= self.login_recheck
        if (now or stale) and not await self.login_current():
            await self.workshop_login_ended({"type": "workshop.login_ended"})
            return False
        return True

    async def workshop_login_ended(self, event):
        if self.login_over:
            return
        self.login_over = True
        await self.refuse("Your login has ended. Sign in again.")
        await self.close(code=sockets.LOGIN_ENDED)

    async def joined(self):
        self.login_group = login_group_name(session_key=self.session_key)
        await group_join(self.channel_layer, self.login_group, self.channel_name)
        self.version, html, self.total = await database_sync_to_async(_console_state)(
            self.workshop.pk
        )
        self.tally_versions: dict[int, int] = {}
        self.phones = {WORKER_ID: (presence.phones_here(self.workshop.pk), time.time())}
        await self.send(text_data=html + self.turnout())

    def turnout(self) -> str:
        fresh = time.time() - 3 * HEARTBEAT
        phones = sum(n for n, at in self.phones.values() if at >= fresh)
        return render_to_string(
            "voting/console/tally.html#turnout", {"total": self.total, "phones": phones}
        )

    async def left(self):
        with contextlib.suppress(RedisError):
            if login_group := getattr(self, "login_group", None):
                await group_leave(self.channel_layer, login_group, self.channel_name)

    async def act(self, action, content):
        if not await self.logged_in(now=True):
            return
        try:
            message = await database_sync_to_async(console_action)(
                workshop=self.workshop, data=content
            )
        except ValidationError as error:
            return await self.refuse(" ".join(error.messages))
        await self.tell(message)

    async def workshop_state_changed(self, event):
        if not await self.logged_in():
            return
        if not self.is_stale(event):
            self.total = event["total"]
            await self.send(text_data=event["html"] + self.turnout())

    async def voting_tally_changed(self, event):
        if not await self.logged_in():
            return
        if event["version"] >= self.tally_versions.get(event["poll"], -1):
            self.tally_versions[event["poll"]] = event["version"]
            self.total = event["total"]
            await self.send(text_data=event["html"] + self.turnout())

    async def panel_changed(self, event):
        if not await self.logged_in():
            return
        if event["version"] >= getattr(self, "panel_version", -1):
            self.panel_version = event["version"]
            await self.send(text_data=event["html"] + self.turnout())

    async def workshop_phones_counted(self, event):
        if not await self.logged_in():
            return
        self.phones[event["worker"]] = (event["phones"], event["at"])
        await self.send(text_data=self.turnout())

    async def workshop_screen_secret_renewed(self, event):
        """A new projector link: the console shows it (the block with the link and its form)."""
        if not await self.logged_in():
            return
        if event["version"] >= getattr(self, "screen_link_version", -1):
            self.screen_link_version = event["version"]
            await self.send(text_data=event["html"])
