"""Organisers' content edits (workshop.services.content_save, which admin calls) reach every
surface at once: the sockets open now and the ones that connect later, through the real ASGI
router."""

import pytest
from channels.db import database_sync_to_async

from evidence.models import Theme
from panel.services import question_approve, question_submit
from tests.factories import make_attendee, make_person
from tests.live.conftest import console, phone, screen
from voting.services import poll_open
from workshop.models import AgendaItem
from workshop.services import content_save, screen_show

pytestmark = pytest.mark.django_db(transaction=True)


def _rename_theme(workshop, old: str, new: str) -> None:
    theme = Theme.objects.get(workshop=workshop, title=old)
    theme.title = new
    content_save(saved=[theme])


async def test_theme_renamed_during_an_open_vote_reaches_a_connected_phone(live_workshop):
    await database_sync_to_async(poll_open)(workshop=live_workshop)
    sock = await phone(live_workshop)
    assert "Theme 2" in await sock.receive()

    await database_sync_to_async(_rename_theme)(live_workshop, "Theme 2", "Workforce and roles")

    frame = await sock.receive_until('id="phone-live"')
    assert "Workforce and roles" in frame and "Theme 2" not in frame
    await sock.close()


async def test_phone_connecting_after_a_theme_rename_is_sent_the_new_name(live_workshop):
    """A reloaded page opens a new socket, which is sent the card from the render cache: the
    edit must not leave the cached card of the old name in place."""
    await database_sync_to_async(poll_open)(workshop=live_workshop)
    before = await phone(live_workshop)
    assert "Theme 2" in await before.receive()  # the card is now in the render cache
    await before.close()

    await database_sync_to_async(_rename_theme)(live_workshop, "Theme 2", "Workforce and roles")
    after = await phone(live_workshop, attendee=before.attendee)
    frame = await after.receive()

    assert "Workforce and roles" in frame and "Theme 2" not in frame
    await after.close()


async def test_theme_rename_reaches_the_projector_and_the_console(live_workshop):
    await database_sync_to_async(poll_open)(workshop=live_workshop)
    projector = await screen(live_workshop)
    desk = await console(live_workshop)
    assert await desk.connect()
    await projector.drain(), await desk.drain()

    await database_sync_to_async(_rename_theme)(live_workshop, "Theme 3", "Money and estates")

    assert "Money and estates" in await projector.receive_until("Money and estates")
    assert "Money and estates" in await desk.receive_until("Money and estates")
    await projector.close(), await desk.close()


async def test_agenda_item_retimed_reaches_the_projector(live_workshop):
    def retime():
        screen_show(workshop=live_workshop, screen="stage")
        item = AgendaItem.objects.get(workshop=live_workshop, title="Item 1")
        item.title, item.minutes = "Welcome and framing", 12
        content_save(saved=[item])

    projector = await screen(live_workshop)
    await projector.drain()

    await database_sync_to_async(retime)()

    assert "Welcome and framing" in await projector.receive_until("Welcome and framing")
    await projector.close()


async def test_panellist_renamed_reaches_the_question_list_on_phones(live_workshop):
    def ask():
        person = make_person(workshop=live_workshop, name="Dr Old Name")
        question = question_submit(
            workshop=live_workshop,
            attendee_id=make_attendee(workshop=live_workshop).pk,
            text="What about rural practices?",
            panellist_id=person.pk,
        )
        question_approve(question=question)
        return person

    def rename(person):
        person.name = "Dr New Name"
        content_save(saved=[person])

    person = await database_sync_to_async(ask)()
    sock = await phone(live_workshop)
    assert "For Dr Old Name" in "".join(await sock.drain())

    await database_sync_to_async(rename)(person)

    assert "For Dr New Name" in await sock.receive_until("questions-top")
    again = await phone(live_workshop, attendee=sock.attendee)
    frames = "".join(await again.drain())
    assert "For Dr New Name" in frames and "Dr Old Name" not in frames
    await sock.close(), await again.close()


async def test_deleting_content_redraws_the_phones(live_workshop):
    def delete_theme():
        content_save(deleted=[Theme.objects.get(workshop=live_workshop, title="Theme 3")])

    sock = await phone(live_workshop)
    await sock.drain()

    await database_sync_to_async(delete_theme)()

    assert 'id="phone-live"' in await sock.receive_until('id="phone-live"')
    await sock.close()
