"""Questions and the board over the live sockets: who receives what."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from panel.models import BoardPost, Question, Upvote
from tests.live.conftest import console, phone, screen

pytestmark = pytest.mark.django_db(transaction=True)


async def _ask(sock, text):
    await sock.send(
        {"action": "question_ask", "text": text, "theme": "", "panellist": "", "author_name": ""}
    )


async def test_moderated_question_reaches_the_console_but_never_other_phones(live_workshop):
    desk = await console(live_workshop)
    assert await desk.connect()
    asker, other = await phone(live_workshop), await phone(live_workshop)
    await desk.drain(), await asker.drain(), await other.drain()

    await _ask(asker, "Who funds the managers?")

    assert "once the facilitator approves it" in await asker.receive_until('id="phone-flash"')
    assert "Who funds the managers?" in await desk.receive_until('id="console-questions"')
    frames = await asker.receive_all('id="my-pending"')
    assert "Who funds the managers?" in frames  # the asker sees its own waiting question
    for frame in await other.drain():
        assert "Who funds the managers?" not in frame
    for sock in (desk, asker, other):
        await sock.close()


async def test_approved_question_reaches_every_phone_and_the_projector_on_screen(live_workshop):
    desk = await console(live_workshop)
    assert await desk.connect()
    proj = await screen(live_workshop)
    asker, other = await phone(live_workshop), await phone(live_workshop)
    await _ask(asker, "What about rural networks?")
    await asyncio.sleep(0.3)
    for sock in (desk, proj, asker, other):
        await sock.drain()
    question = await database_sync_to_async(Question.objects.get)()

    await desk.send({"action": "question_approve", "question": str(question.pk)})
    assert "What about rural networks?" in await other.receive_until('id="questions-top"')
    mine = await asker.receive_until(f'id="q-{question.pk}-mine" class="chip chip--mine"')
    assert "Your question" in mine

    await desk.send({"action": "question_on_screen", "question": str(question.pk)})
    frame = await proj.receive_until('class="big-question"')
    assert "What about rural networks?" in frame
    for sock in (desk, proj, asker, other):
        await sock.close()


async def test_hidden_question_is_removed_from_phones(live_workshop):
    live_workshop.moderate_questions = False
    await database_sync_to_async(live_workshop.save)()
    desk = await console(live_workshop)
    assert await desk.connect()
    asker, other = await phone(live_workshop), await phone(live_workshop)
    await _ask(asker, "Rude question")
    assert "Rude question" in await other.receive_until("Rude question")
    question = await database_sync_to_async(Question.objects.get)()
    await other.drain()

    await desk.send({"action": "question_hide", "question": str(question.pk)})
    frame = await other.receive_until('id="questions-top"')

    assert "Rude question" not in frame
    for sock in (desk, asker, other):
        await sock.close()


async def test_upvote_over_the_socket_counts_once_when_sent_again(live_workshop):
    # A resend (the answer was lost with a socket) is answered like the first send: the
    # button pressed, the count unchanged, no error.
    live_workshop.moderate_questions = False
    await database_sync_to_async(live_workshop.save)()
    asker, voter = await phone(live_workshop), await phone(live_workshop)
    await _ask(asker, "Upvote me")
    await voter.receive_until("Upvote me")
    question = await database_sync_to_async(Question.objects.get)()

    for _ in range(2):
        await voter.send({"action": "question_upvote", "question": str(question.pk)})
        pressed = await voter.receive_until(f'id="q-{question.pk}-vote"')
        assert 'aria-pressed="true"' in pressed and "<span>1</span>" in pressed
        assert "flash--error" not in pressed
    assert await database_sync_to_async(Upvote.objects.count)() == 1

    for _ in range(2):
        await voter.send({"action": "question_unvote", "question": str(question.pk)})
        released = await voter.receive_until(f'id="q-{question.pk}-vote"')
        assert 'aria-pressed="false"' in released and "<span>0</span>" in released
    assert await database_sync_to_async(Upvote.objects.count)() == 0
    await asker.close(), await voter.close()


async def test_upvote_of_an_unknown_question_over_the_socket_is_refused(live_workshop):
    voter = await phone(live_workshop)
    await voter.drain()
    await voter.send({"action": "question_upvote", "question": "999999"})
    assert "not open for upvotes" in await voter.receive_until('id="phone-flash"')
    await voter.send({"action": "question_unvote", "question": "999999"})
    assert "not in this workshop" in await voter.receive_until('id="phone-flash"')
    assert await database_sync_to_async(Upvote.objects.count)() == 0
    await voter.close()


async def test_oversized_or_empty_question_over_the_socket_is_refused(live_workshop):
    p1 = await phone(live_workshop)
    await p1.drain()
    await _ask(p1, "q" * 281)
    assert "the limit is 280" in await p1.receive()
    await _ask(p1, "   ")
    assert "Your question is empty" in await p1.receive()
    assert await database_sync_to_async(Question.objects.count)() == 0
    await p1.close()


async def test_board_post_reaches_phones_and_hiding_removes_it(live_workshop):
    desk = await console(live_workshop)
    assert await desk.connect()
    poster, reader = await phone(live_workshop), await phone(live_workshop)
    await desk.drain(), await poster.drain(), await reader.drain()

    await poster.send(
        {"action": "board_post", "kind": "opportunity", "text": "Shared pharmacists", "theme": ""}
    )
    assert "your view is on the board" in await poster.receive_until('id="phone-flash"')
    assert "Shared pharmacists" in await reader.receive_until('id="phone-board"')
    console_frame = await desk.receive_until('id="console-board"')
    post_id = console_frame.split('id="console-post-')[1].split('"')[0]

    await desk.send({"action": "board_hide", "post": post_id})
    assert "Shared pharmacists" not in await reader.receive_until('id="phone-board"')
    for sock in (desk, poster, reader):
        await sock.close()


async def test_a_moderated_view_waits_in_the_console_and_reaches_phones_once_approved(
    live_workshop,
):
    live_workshop.moderate_views = True
    await database_sync_to_async(live_workshop.save)()
    desk = await console(live_workshop)
    assert await desk.connect()
    poster, reader = await phone(live_workshop), await phone(live_workshop)
    await desk.drain(), await poster.drain(), await reader.drain()

    await poster.send(
        {"action": "board_post", "kind": "challenge", "text": "Estates are full", "theme": ""}
    )
    answer = await poster.receive_all('id="phone-flash"', 'id="my-held"')
    assert "once the facilitator approves it" in answer
    assert "Estates are full" in answer.split('id="my-held"')[1]  # its poster sees it waiting
    console_frame = await desk.receive_until('id="console-held"')
    assert "Estates are full" in console_frame.split('id="console-held"')[1]
    await asyncio.sleep(1.2)  # the audience's board pushes come at most once a second
    for frame in await reader.drain():
        assert "Estates are full" not in frame
    post = await database_sync_to_async(BoardPost.objects.get)()
    await poster.drain()

    await desk.send({"action": "board_approve", "post": str(post.pk)})
    assert "Estates are full" in await reader.receive_until('id="phone-board"')
    pushed = await poster.receive_all('id="phone-board"', 'id="my-held"')
    assert "Estates are full" not in pushed.split('id="my-held"')[1]  # no longer waiting
    for sock in (desk, poster, reader):
        await sock.close()


async def test_a_question_sent_again_under_its_key_is_answered_and_stored_once(live_workshop):
    asker = await phone(live_workshop)
    await asker.drain()
    ask = {"action": "question_ask", "text": "Who pays for the estates?", "key": "q-key-1"}

    await asker.send(ask)
    first = await asker.receive_all('id="phone-flash"', 'id="q-key"')
    # The answer empties the box and the key, so the next question gets a key of its own.
    assert 'id="q-text"' in first and 'id="q-key" name="key" value=""' in first
    await asker.drain()
    await asker.send(ask)  # the phone's resend after a reconnect: same key
    again = await asker.receive_all('id="phone-flash"', 'id="q-key"')

    assert "Question sent" in first and "Question sent" in again
    assert await database_sync_to_async(Question.objects.count)() == 1
    await asker.close()


async def test_a_view_sent_again_under_its_key_is_stored_once(live_workshop):
    poster = await phone(live_workshop)
    await poster.drain()
    post = {"action": "board_post", "kind": "challenge", "text": "Estates", "key": "v-key-1"}
    for _ in range(2):
        await poster.send(post)
        assert "your view is on the board" in await poster.receive_until('id="phone-flash"')
        await poster.drain()
    assert await database_sync_to_async(BoardPost.objects.count)() == 1
    await poster.close()


async def test_a_malformed_key_is_refused_and_stores_nothing(live_workshop):
    asker = await phone(live_workshop)
    await asker.drain()
    await asker.send({"action": "question_ask", "text": "Hello", "key": "no spaces <b>"})
    assert "That question was not understood." in await asker.receive()
    await asker.send({"action": "board_post", "kind": "challenge", "text": "x", "key": "k" * 65})
    assert "That view was not understood." in await asker.receive()
    assert await database_sync_to_async(Question.objects.count)() == 0
    assert await database_sync_to_async(BoardPost.objects.count)() == 0
    await asker.close()


async def test_socket_answers_are_the_flash_element_with_its_role(live_workshop):
    p1 = await phone(live_workshop)
    await p1.drain()

    await _ask(p1, "<b>Which</b> & why?")
    told = await p1.receive_until('id="phone-flash"')
    await _ask(p1, "   ")
    refused = await p1.receive_until('id="phone-flash"')

    assert told == (
        '<div id="phone-flash" class="flash flash--ok" role="status">Question sent. It will '
        "appear once the facilitator approves it.</div>"
    )
    assert refused.startswith('<div id="phone-flash" class="flash flash--error" role="alert">')
    assert "Your question is empty" in refused
    stored = await database_sync_to_async(Question.objects.get)()
    assert stored.text == "<b>Which</b> & why?"  # stored as typed; escaped where it is shown
    await p1.close()
