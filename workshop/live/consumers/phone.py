"""The phone's socket: an attendee, known by the signed cookie set when the page joined."""

import contextlib

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError

from voting.services import BallotRequest
from workshop.actions.phone import (
    BOARD_POST,
    PHONE_ACTIONS,
    QUESTION_ASK,
    QUESTION_UPVOTE,
    VOTE,
    phone_action,
    phone_action_check,
)
from workshop.attendees import attendee_id_from_cookies
from workshop.live import presence
from workshop.live.balance import phone_arrived
from workshop.live.batcher import batcher
from workshop.live.coalesce import coalescer
from workshop.live.consumers.base import JOIN_FIRST, REPLACED, LiveConsumer
from workshop.live.groups import Surface
from workshop.live.phone_state import phone_state
from workshop.render import mine_mark, my_held_html, my_pending, text_box, upvote_form

NONE: frozenset[int] = frozenset()


class PhoneConsumer(LiveConsumer):
    surface = Surface.PHONE
    actions = PHONE_ACTIONS
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
        self.panel = state.panel
        # Most phones never ask or upvote: an empty set costs 216 bytes a socket, the shared
        # empty frozenset nothing (docs/performance.md, "Memory per socket").
        self.mine = frozenset(state.mine) if state.mine else NONE
        self.upvoted = frozenset(state.upvoted) if state.upvoted else NONE
        self.panel_version = self.panel["version"] if self.panel else 0
        # Whether this phone may have views waiting for approval: its #my-held is then read
        # and sent with each board push, until none are left.
        self.held_watch = self.workshop.moderate_views
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
        if self.held_watch:
            held_html, self.held_watch = await database_sync_to_async(my_held_html)(
                attendee_id=self.attendee_id
            )
            patch.append(held_html)
        await self.send(text_data=panel["html"] + "".join(patch))

    async def panel_lists_changed(self, event):
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
        """workshop/actions/phone.py checks and carries out the action, as for the form
        views; this answers on the socket: the phone's card, a message, the page's parts."""
        address = (self.scope.get("client") or [None])[0]
        try:
            if action == VOTE:
                return await self.vote(content, address)
            outcome = await database_sync_to_async(phone_action)(
                action=action, data=content, workshop=self.workshop,
                attendee_id=self.attendee_id, address=address,
            )  # fmt: skip
        except ValidationError as error:
            return await self.refuse(" ".join(error.messages))
        if outcome.action == QUESTION_ASK:
            self.mine |= {outcome.question.pk}
            await self.tell(outcome.message)
            await self.send(text_data=text_box("q"))
        elif outcome.action == BOARD_POST:
            await self.tell(outcome.message)
            await self.send(text_data=text_box("p"))
            if outcome.held:
                self.held_watch = True
                held_html, _ = await database_sync_to_async(my_held_html)(
                    attendee_id=self.attendee_id
                )
                await self.send(text_data=held_html)
        else:
            pressed = outcome.action == QUESTION_UPVOTE
            if pressed:
                self.upvoted |= {outcome.question_id}
            else:
                self.upvoted -= {outcome.question_id}
            form_html = upvote_form(
                code=self.workshop.join_code, question_id=outcome.question_id,
                votes=outcome.votes, pressed=pressed,
            )  # fmt: skip
            await self.send(text_data=form_html)

    async def vote(self, content, address):
        """A ballot goes through the batcher, which writes many phones' ballots at once; the
        answer is the phone's card with its receipt."""
        vote = phone_action_check(
            action=VOTE, data=content, workshop_id=self.workshop.pk,
            attendee_id=self.attendee_id, address=address,
        )  # fmt: skip
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

    async def workshop_state_changed(self, event):
        if self.is_stale(event):
            return
        if event.get("poll") != self.poll_id:
            self.poll_id, self.choice = event.get("poll"), None
        self.variants = event["variants"]
        await self.send_card()
