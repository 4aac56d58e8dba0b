"""The facilitator's console socket: staff with the run_workshop permission, for as long as
the login it opened with stands."""

import contextlib
import time

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from redis.exceptions import RedisError

from workshop.actions.console import console_action
from workshop.live import sockets
from workshop.live.consumers.base import CountsPhones, LiveConsumer
from workshop.live.groups import (
    Surface,
    group_join,
    group_leave,
    login_group_name,
)
from workshop.render import console_html
from workshop.selectors import console_login_current
from workshop.snapshot import live_snapshot


def _console_state(workshop_id: int) -> tuple[int, str, int]:
    snap = live_snapshot(workshop_id=workshop_id)
    return snap.version, console_html(snap, phones=None), snap.tally.total if snap.tally else 0


class ConsoleConsumer(CountsPhones, LiveConsumer):
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
            "question_on_screen", "board_approve", "board_hide", "screen_secret_renew",
            "screen_countdown_on", "screen_countdown_off",
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
        self.actor = user.get_username()  # named in the vote's audit trail
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
        self.phones_start()
        await self.send(text_data=html + self.turnout())

    def turnout(self) -> str:
        return render_to_string(
            "voting/console/tally.html#turnout",
            {"total": self.total, "phones": self.phones_connected()},
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
                workshop=self.workshop,
                data=content,
                actor=self.actor,
                phones=self.phones_connected(),
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

    async def panel_lists_changed(self, event):
        if not await self.logged_in():
            return
        if event["version"] >= getattr(self, "panel_version", -1):
            self.panel_version = event["version"]
            await self.send(text_data=event["html"] + self.turnout())

    async def workshop_phones_counted(self, event):
        if not await self.logged_in():
            return
        self.phones_reported(event)
        await self.send(text_data=self.turnout())

    async def workshop_screen_secret_renewed(self, event):
        """A new projector link: the console shows it (the block with the link and its form)."""
        if not await self.logged_in():
            return
        if event["version"] >= getattr(self, "screen_link_version", -1):
            self.screen_link_version = event["version"]
            await self.send(text_data=event["html"])
