"""An upvote flood does not fan out: the audience's changes to the question list reach other
phones at most once a PANEL_INTERVAL (workshop/live/coalesce.py), the last state always, and
the facilitator's changes still go out at once."""

import asyncio
import re

import pytest
from channels.db import database_sync_to_async

from panel.models import Question, Upvote
from panel.services import question_submit
from tests.factories import make_attendee
from tests.live.conftest import console, phone, screen
from workshop.live import coalesce

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.security]

LIST = 'id="questions-top"'


async def _frames_for(sock, seconds: float) -> list[str]:
    """Every frame `sock` receives in the next `seconds`."""
    loop = asyncio.get_running_loop()
    deadline, frames = loop.time() + seconds, []
    while (left := deadline - loop.time()) > 0:
        if await sock.nothing(timeout=min(left, 0.05)):
            continue
        frames.append(await sock.receive(timeout=1))
    return frames


async def _live_question(workshop, text: str) -> Question:
    workshop.moderate_questions = False
    await database_sync_to_async(workshop.save)()
    attendee = await database_sync_to_async(make_attendee)(workshop=workshop)
    return await database_sync_to_async(question_submit)(
        workshop=workshop, attendee_id=attendee.pk, text=text
    )


async def test_an_upvote_flood_reaches_other_phones_at_most_once_a_second(live_workshop):
    question = await _live_question(live_workshop, "Flood me")
    voter, idle = await phone(live_workshop), await phone(live_workshop)
    await asyncio.sleep(coalesce.PANEL_INTERVAL)  # the question's own push has gone out
    await voter.drain(), await idle.drain()

    # 19 taps a tenth of a second apart (within the socket's frame allowance), upvote and
    # unvote in turn, ending on an upvote: every one is a change to the question list.
    collecting = asyncio.create_task(_frames_for(idle, 1.9 + 2 * coalesce.PANEL_INTERVAL))
    for i in range(19):
        action = "question_upvote" if i % 2 == 0 else "question_unvote"
        await voter.send({"action": action, "question": str(question.pk)})
        await asyncio.sleep(0.1)
    frames = await collecting

    assert await database_sync_to_async(Upvote.objects.count)() == 1
    pushes = [f for f in frames if LIST in f]
    # One push at once, then at most one a second while the taps last, then the last: not
    # one per tap.
    assert 1 <= len(pushes) <= 4, len(pushes)
    last = re.search(rf'id="q-{question.pk}-vote".*?<span>(\d+)</span>', pushes[-1], re.S)
    assert last and last.group(1) == "1"  # the final state: one upvote
    await voter.close(), await idle.close()


async def test_a_facilitator_change_goes_out_at_once_even_during_a_flood(live_workshop):
    question = await _live_question(live_workshop, "Show me")
    desk = await console(live_workshop)
    assert await desk.connect()
    proj, voter = await screen(live_workshop), await phone(live_workshop)
    await asyncio.sleep(coalesce.PANEL_INTERVAL)
    await desk.drain(), await proj.drain(), await voter.drain()

    # An audience change has just been pushed: the next one waits for the interval...
    await voter.send({"action": "question_upvote", "question": str(question.pk)})
    await voter.receive_until(f'id="q-{question.pk}-vote"')
    await voter.send({"action": "question_unvote", "question": str(question.pk)})
    await voter.receive_until(f'id="q-{question.pk}-vote"')
    # ...but the facilitator's does not.
    loop = asyncio.get_running_loop()
    sent = loop.time()
    await desk.send({"action": "question_on_screen", "question": str(question.pk)})
    assert "Show me" in await proj.receive_until('class="big-question"', timeout=2)
    assert loop.time() - sent < coalesce.PANEL_INTERVAL / 2
    for sock in (desk, proj, voter):
        await sock.close()


async def test_a_quiet_room_gets_an_audience_change_at_once(live_workshop):
    question = await _live_question(live_workshop, "Quiet room")
    voter, idle = await phone(live_workshop), await phone(live_workshop)
    await asyncio.sleep(coalesce.PANEL_INTERVAL)
    await voter.drain(), await idle.drain()

    loop = asyncio.get_running_loop()
    sent = loop.time()
    await voter.send({"action": "question_upvote", "question": str(question.pk)})
    frame = await idle.receive_until(LIST, timeout=2)
    assert loop.time() - sent < coalesce.PANEL_INTERVAL / 2
    assert re.search(rf'id="q-{question.pk}-vote".*?<span>1</span>', frame, re.S)
    await voter.close(), await idle.close()
