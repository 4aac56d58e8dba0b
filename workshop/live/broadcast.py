"""Broadcasts after commit: the one place that tells every surface what changed.

Services register these with transaction.on_commit; they run in the thread that committed
(a sync view, or the ORM thread behind database_sync_to_async) and hand over to the event
loop with async_to_sync.
"""

import functools
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from redis.exceptions import RedisError

from workshop.live import coalesce, sockets
from workshop.live.groups import Surface, group_name, login_group_name
from workshop.live.render import (
    console_html,
    console_projector_html,
    phone_cache,
    phone_variants,
    screen_main_html,
)
from workshop.live.snapshot import live_snapshot
from workshop.models import LiveState

log = logging.getLogger(__name__)


def workshop_state_changed(*, workshop_id: int) -> None:
    """The stage or the vote's state changed: render each surface once and push it."""
    snap = live_snapshot(workshop_id=workshop_id)
    variants = phone_variants(snap)
    phone_cache.put(workshop_id, snap.version, variants)
    version = snap.version
    events = {
        Surface.PHONE: {
            "type": "workshop.state_changed",
            "version": version,
            "poll": snap.poll.pk if snap.poll else None,
            "variants": variants,
        },
        Surface.SCREEN: {
            "type": "workshop.state_changed",
            "version": version,
            "html": screen_main_html(snap),
        },
        Surface.CONSOLE: {
            "type": "workshop.state_changed",
            "version": version,
            "html": console_html(snap, phones=0),
            "total": snap.tally.total if snap.tally else 0,
        },
    }
    try:
        async_to_sync(_send_all)(workshop_id, events)
    except RedisError as error:
        # The change is committed; the push is not. This worker's sockets are sent back to
        # reconnect, and each client is sent the current state then (sockets.py); the other
        # workers learn of the outage themselves (watch.py).
        log.warning("state push dropped: channel layer unavailable (%s)", error)
        coalesce.mark_from_any_thread(functools.partial(sockets.layer_lost, error))
        return
    if snap.state.panel_version:
        # The board follows the chosen theme, and the projector may show the panel's lists.
        async_to_sync(coalesce.panel_changed)(workshop_id)


async def _send_all(workshop_id: int, events: dict) -> None:
    layer = get_channel_layer()
    for surface, event in events.items():
        await layer.group_send(group_name(workshop_id=workshop_id, surface=surface), event)


def screen_secret_renewed(*, workshop_id: int) -> None:
    """The projector has a new secret link: sockets opened with the old one close (each
    checks its own link), and the consoles show the new one."""
    state = LiveState.objects.select_related("workshop").get(workshop_id=workshop_id)
    events = {
        Surface.SCREEN: {"type": "workshop.screen_secret_renewed", "version": state.version},
        Surface.CONSOLE: {
            "type": "workshop.screen_secret_renewed",
            "version": state.version,
            "html": console_projector_html(
                join_code=state.workshop.join_code, secret=state.screen_secret
            ),
        },
    }
    try:
        async_to_sync(_send_all)(workshop_id, events)
    except RedisError as error:
        # As for a state push: this worker's sockets reconnect, and a projector coming back
        # with the old link is refused (ScreenConsumer.authorise).
        log.warning("projector link push dropped: channel layer unavailable (%s)", error)
        coalesce.mark_from_any_thread(functools.partial(sockets.layer_lost, error))


def poll_tally_changed(*, polls: dict[int, int]) -> None:
    """Ballots were committed for these polls ({poll id: workshop id}): push, coalesced."""
    if not coalesce.mark_from_any_thread(lambda: coalesce.mark_tallies(polls)):
        async_to_sync(coalesce.tally_changed)(polls)


def panel_changed(*, workshop_id: int, audience: bool = False) -> None:
    """A question, an upvote or a board post changed: push, coalesced. `audience`: an
    attendee's change, spread out further when they come fast (coalesce.PANEL_INTERVAL)."""

    def mark() -> None:
        coalesce.coalescer().mark_panel(workshop_id=workshop_id, audience=audience)

    if not coalesce.mark_from_any_thread(mark):
        async_to_sync(coalesce.panel_changed)(workshop_id, audience=audience)


def login_ended(*, session_key: str) -> None:
    """A facilitator logged out: that login's console sockets close at once, so they obey no
    more actions and hear no more pushes (workshop/signals.py)."""
    event = {"type": "workshop.login_ended"}
    try:
        async_to_sync(get_channel_layer().group_send)(
            login_group_name(session_key=session_key), event
        )
    except RedisError as error:
        # The session is gone all the same: the console's next action or push finds that out
        # (ConsoleConsumer re-checks the login).
        log.warning("logout push dropped: channel layer unavailable (%s)", error)
