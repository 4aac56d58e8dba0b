"""The one place that turns what changed into pushes to every surface.

The domain announces changes with workshop.events.emit_on_commit; `on_event` (subscribed by
workshop.live.apps.LiveConfig) receives them after commit, in the thread that committed (a
sync view, or the ORM thread behind database_sync_to_async). State and projector-link changes
are rendered and sent at once; tallies, phone counts and the question list and board are
marked with the coalescer (coalesce.py), which decides when, and sent by `Pushes` below.
Every group message is built here.
"""

import functools
import logging
import time

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from redis.exceptions import RedisError

from voting.models import Poll
from voting.selectors import poll_tally
from workshop import events
from workshop.live import coalesce, presence, sockets
from workshop.live.groups import Surface, group_name, login_group_name
from workshop.models import LiveState
from workshop.render import (
    console_html,
    console_projector_html,
    console_tally_html,
    panel_cache,
    phone_cache,
    phone_panel_payload,
    phone_variants,
    screen_main_html,
    screen_mode,
    screen_tally_html,
)
from workshop.snapshot import live_snapshot

log = logging.getLogger(__name__)


def workshop_state_changed(*, workshop_id: int) -> None:
    """The stage or the vote's state changed: render each surface once and push it."""
    snap = live_snapshot(workshop_id=workshop_id)
    variants = phone_variants(snap)
    phone_cache.put(workshop_id, snap.version, variants)
    version = snap.version
    messages = {
        Surface.PHONE: {
            "type": events.StateChanged.name,
            "version": version,
            "poll": snap.poll.pk if snap.poll else None,
            "variants": variants,
        },
        Surface.SCREEN: {
            "type": events.StateChanged.name,
            "version": version,
            "html": screen_main_html(snap),
        },
        Surface.CONSOLE: {
            "type": events.StateChanged.name,
            "version": version,
            "html": console_html(snap, phones=None),
            "total": snap.tally.total if snap.tally else 0,
        },
    }
    try:
        async_to_sync(_send_all)(workshop_id, messages)
    except RedisError as error:
        # The change is committed; the push is not. This worker's sockets are sent back to
        # reconnect, and each client is sent the current state then (sockets.py); the other
        # workers learn of the outage themselves (watch.py).
        log.warning("state push dropped: channel layer unavailable (%s)", error)
        coalesce.mark_from_any_thread(functools.partial(sockets.layer_lost, error))
        return
    if snap.state.panel_version:
        # The board follows the chosen theme, and the projector may show the panel's lists.
        lists_changed(workshop_id=workshop_id)


async def _send_all(workshop_id: int, messages: dict) -> None:
    layer = get_channel_layer()
    for surface, message in messages.items():
        await layer.group_send(group_name(workshop_id=workshop_id, surface=surface), message)


def screen_secret_renewed(*, workshop_id: int) -> None:
    """The projector has a new secret link: sockets opened with the old one close (each
    checks its own link), and the consoles show the new one."""
    state = LiveState.objects.select_related("workshop").get(workshop_id=workshop_id)
    messages = {
        Surface.SCREEN: {"type": events.ScreenSecretRenewed.name, "version": state.version},
        Surface.CONSOLE: {
            "type": events.ScreenSecretRenewed.name,
            "version": state.version,
            "html": console_projector_html(
                join_code=state.workshop.join_code, secret=state.screen_secret
            ),
        },
    }
    try:
        async_to_sync(_send_all)(workshop_id, messages)
    except RedisError as error:
        # As for a state push: this worker's sockets reconnect, and a projector coming back
        # with the old link is refused (ScreenConsumer.authorise).
        log.warning("projector link push dropped: channel layer unavailable (%s)", error)
        coalesce.mark_from_any_thread(functools.partial(sockets.layer_lost, error))


def tally_changed(*, polls: dict[int, int]) -> None:
    """Ballots were committed for these polls ({poll id: workshop id}): push, coalesced."""
    if not coalesce.mark_from_any_thread(lambda: coalesce.mark_tallies(polls)):
        async_to_sync(coalesce.tally_changed)(polls)


def lists_changed(*, workshop_id: int, audience: bool = False) -> None:
    """A question, an upvote or a board post changed: push, coalesced. `audience`: an
    attendee's change, spread out further when they come fast (coalesce.PANEL_INTERVAL)."""

    def mark() -> None:
        coalesce.coalescer().mark_panel(workshop_id=workshop_id, audience=audience)

    if not coalesce.mark_from_any_thread(mark):
        async_to_sync(coalesce.lists_changed)(workshop_id, audience=audience)


def login_ended(*, session_key: str) -> None:
    """A facilitator logged out: that login's console sockets close at once, so they obey no
    more actions and hear no more pushes (workshop/signals.py)."""
    event = {"type": events.LoginEnded.name}
    try:
        async_to_sync(get_channel_layer().group_send)(
            login_group_name(session_key=session_key), event
        )
    except RedisError as error:
        # The session is gone all the same: the console's next action or push finds that out
        # (ConsoleConsumer re-checks the login).
        log.warning("logout push dropped: channel layer unavailable (%s)", error)


def on_event(event: events.Event) -> None:
    """workshop.events subscriber: each domain event to its push."""
    match event:
        case events.StateChanged(workshop_id=workshop_id):
            workshop_state_changed(workshop_id=workshop_id)
        case events.TallyChanged(polls=polls):
            tally_changed(polls=polls)
        case events.ListsChanged(workshop_id=workshop_id, audience=audience):
            lists_changed(workshop_id=workshop_id, audience=audience)
        case events.ScreenSecretRenewed(workshop_id=workshop_id):
            screen_secret_renewed(workshop_id=workshop_id)
        case events.LoginEnded(session_key=session_key):
            login_ended(session_key=session_key)


# --- Coalesced pushes: sent when coalesce.py says so ------------------------------------------

LISTS_ON_SCREEN = {"question", "questions", "board"}  # projector modes that show the lists


def _tally_payload(poll_id: int) -> dict | None:
    poll = Poll.objects.filter(pk=poll_id).first()
    if poll is None:
        return None
    tally = poll_tally(poll_id=poll_id)
    return {
        "poll": poll_id,
        "version": tally.version,
        "total": tally.total,
        "screen_html": screen_tally_html(tally=tally, poll=poll),
        "console_html": console_tally_html(tally=tally, phones=None),
    }


def _lists_payload(workshop_id: int) -> dict:
    snap = live_snapshot(workshop_id=workshop_id)
    phone = phone_panel_payload(snap)
    panel_cache.put(workshop_id, phone["version"], phone)
    return {
        "version": phone["version"],
        "phone": phone,
        "console_html": console_html(snap, phones=None),
        "screen_html": screen_main_html(snap) if screen_mode(snap) in LISTS_ON_SCREEN else "",
    }


class Pushes:
    """The coalescer's flushes (coalesce.Pushes). A RedisError goes back to the coalescer,
    which marks the push again and retries."""

    async def tally(self, *, poll_id: int, workshop_id: int) -> None:
        payload = await database_sync_to_async(_tally_payload)(poll_id)
        if payload is None:
            return
        base = {key: payload[key] for key in ("poll", "version", "total")}
        layer = get_channel_layer()
        for surface, html in (
            (Surface.SCREEN, payload["screen_html"]),
            (Surface.CONSOLE, payload["console_html"]),
        ):
            await layer.group_send(
                group_name(workshop_id=workshop_id, surface=surface),
                {"type": events.TallyChanged.name, **base, "html": html},
            )

    async def phones(self, *, workshop_id: int) -> None:
        """This worker's count of phones, for the consoles and the projectors (they add up
        the workers')."""
        message = {
            "type": "workshop.phones_counted",
            "worker": coalesce.WORKER_ID,
            "phones": presence.phones_here(workshop_id),
            "at": time.time(),
        }
        layer = get_channel_layer()
        for surface in (Surface.CONSOLE, Surface.SCREEN):
            await layer.group_send(group_name(workshop_id=workshop_id, surface=surface), message)

    async def lists(self, *, workshop_id: int) -> None:
        payload = await database_sync_to_async(_lists_payload)(workshop_id)
        version, name = payload["version"], events.ListsChanged.name
        messages = {
            Surface.PHONE: {"type": name, "version": version, **payload["phone"]},
            Surface.CONSOLE: {"type": name, "version": version, "html": payload["console_html"]},
            Surface.SCREEN: {"type": name, "version": version, "html": payload["screen_html"]},
        }
        layer = get_channel_layer()
        for surface, message in messages.items():
            await layer.group_send(group_name(workshop_id=workshop_id, surface=surface), message)


coalesce.push_with(Pushes())
