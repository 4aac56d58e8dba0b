"""The projector's socket: read-only, admitted by the secret in its address."""

from channels.db import database_sync_to_async

from workshop.live import sockets
from workshop.live.consumers.base import CountsPhones, LiveConsumer
from workshop.live.groups import Surface
from workshop.models import LiveState
from workshop.render import screen_link_replaced_html, screen_main_html, screen_phones_html
from workshop.snapshot import live_snapshot


def _screen_state(workshop_id: int) -> tuple[int, str]:
    snap = live_snapshot(workshop_id=workshop_id)
    return snap.version, screen_main_html(snap)


class ScreenConsumer(CountsPhones, LiveConsumer):
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
        self.phones_start()
        await self.send(text_data=html + self.phones_joined())

    def phones_joined(self) -> str:
        """The room's count of phones, as the projector shows it."""
        return screen_phones_html(self.phones_connected())

    async def receive(self, text_data=None, bytes_data=None):
        pass  # the projector sends nothing; anything it does send is ignored

    async def workshop_state_changed(self, event):
        if not self.is_stale(event):
            await self.send(text_data=event["html"])

    async def voting_tally_changed(self, event):
        if event["version"] >= self.tally_versions.get(event["poll"], -1):
            self.tally_versions[event["poll"]] = event["version"]
            await self.send(text_data=event["html"])

    async def panel_lists_changed(self, event):
        if event["html"] and event["version"] >= getattr(self, "panel_version", -1):
            self.panel_version = event["version"]
            await self.send(text_data=event["html"])

    async def workshop_phones_counted(self, event):
        self.phones_reported(event)
        await self.send(text_data=self.phones_joined())

    async def workshop_screen_secret_renewed(self, event):
        """The console made a new projector link: a socket opened with the old one ends now,
        with a word on the screen for whoever looks at it (live.js does not reconnect)."""
        if await self.authorise():
            return  # opened with the new link, between the change and this event
        await self.send(text_data=screen_link_replaced_html())
        await self.close(code=sockets.SCREEN_LINK_REPLACED)
