"""Hostile frames on the live sockets: text that is not valid, invisible or reordering text,
an error while handling a frame, and a flood of frames. None of them may hurt the room."""

import asyncio
import logging

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection

from panel.models import BoardPost, Question
from tests.live.conftest import console, phone, screen
from workshop.live import presence
from workshop.live.consumers.base import FRAME_BURST, TOO_MANY_FRAMES

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]

NOT_TEXT = "contains characters that are not valid text"


def _question(**fields) -> dict:
    return {
        "action": "question_ask", "text": "Who pays?", "theme": "", "panellist": "",
        "author_name": "", **fields,
    }  # fmt: skip


def _rows() -> tuple[int, int]:
    return Question.objects.count(), BoardPost.objects.count()


async def _still_answers(sock) -> None:
    """The socket is open and handling frames: a malformed frame is answered."""
    await sock.send({"action": 1})
    assert "not understood" in await sock.receive_until("flash--error")


# A lone surrogate arrives as a JSON escape (json.dumps writes "\udfff" as one).
@pytest.mark.parametrize(
    "frame",
    [
        _question(text="Why \udfff?"),
        _question(author_name="Ann\udfff"),
        _question(key="k\udfff"),
        {"action": "board_post", "kind": "opportunity", "text": "\udfff", "theme": ""},
        {"action": "vote", "poll": "1", "theme": "1", "HEADERS": {"HX-Trigger": "\ud800"}},
        {"action": "question_ask\udfff"},
        {"action": "question_ask", "\udfff": "key"},
    ],
)
async def test_a_lone_surrogate_anywhere_in_a_phone_frame_is_refused(live_workshop, frame):
    sock = await phone(live_workshop)
    await sock.drain()

    await sock.send(frame)

    assert NOT_TEXT in await sock.receive_until("flash--error")
    await _still_answers(sock)
    assert await database_sync_to_async(_rows)() == (0, 0)
    await sock.close()


async def test_a_lone_surrogate_in_a_console_frame_is_refused(live_workshop):
    desk = await console(live_workshop)
    assert await desk.connect()
    await desk.drain()

    await desk.send({"action": "screen_show", "screen": "\udfff"})

    assert NOT_TEXT in await desk.receive_until("flash--error")
    await _still_answers(desk)
    await desk.close()


@pytest.mark.parametrize(
    "frame, message",
    [
        (_question(text="\u200b\u200b"), "Your question has no visible characters"),
        (_question(text="\u200e\u2060\ufeff \u200d"), "Your question has no visible characters"),
        (_question(author_name="\u200b"), "Your name has no visible characters"),
        (
            {"action": "board_post", "kind": "challenge", "text": "\u200c\u200b", "theme": ""},
            "Your view has no visible characters",
        ),
        (_question(text="Pay \u202eyenom eht\u202c back"), "change the direction of the text"),
        (_question(text="a\u2066b\u2069"), "change the direction of the text"),
        (_question(author_name="\u202dAnn"), "change the direction of the text"),
        (
            {"action": "board_post", "kind": "challenge", "text": "x\u202by", "theme": ""},
            "change the direction of the text",
        ),
    ],
)
async def test_invisible_or_reordering_text_is_refused_over_the_socket(
    live_workshop, frame, message
):
    sock = await phone(live_workshop)
    await sock.drain()

    await sock.send(frame)

    assert message in await sock.receive_until("flash--error")
    assert await database_sync_to_async(_rows)() == (0, 0)
    await sock.close()


def _allow_question_inserts() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER IF EXISTS no_questions"
            + ("" if connection.vendor == "sqlite" else " ON panel_question")
        )
        if connection.vendor != "sqlite":
            cursor.execute("DROP FUNCTION IF EXISTS no_questions()")


@pytest.fixture
async def questions_refused():
    """The database refuses every new question during the test (the schema outlives a
    transactional test's flush, so the trigger is dropped after it)."""
    await database_sync_to_async(_refuse_question_inserts)()
    yield
    await database_sync_to_async(_allow_question_inserts)()


def _refuse_question_inserts() -> None:
    """Make the database refuse every new question, as a full disk or a broken constraint
    would: an error the code does not expect."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER no_questions BEFORE INSERT ON panel_question "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION no_questions() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER no_questions BEFORE INSERT ON panel_question "
                "FOR EACH ROW EXECUTE FUNCTION no_questions()"
            )


async def test_an_error_in_an_action_is_logged_once_answered_and_the_socket_stays(
    live_workshop, questions_refused, caplog
):
    sock = await phone(live_workshop)
    await sock.drain()
    assert presence.phones_here(live_workshop.pk) == 1

    with caplog.at_level(logging.ERROR):
        await sock.send(_question(text="Who pays?", key="k1"))
        flash = await sock.receive_until("flash--error")

    assert "Something went wrong on the server; nothing was changed" in flash
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        f"phone action question_ask failed in workshop {live_workshop.join_code}"
    ]
    await _still_answers(sock)
    await sock.close()
    await asyncio.sleep(0.05)
    assert presence.phones_here(live_workshop.pk) == 0


async def test_a_consumer_that_fails_still_leaves_the_presence_count(live_workshop, caplog):
    sock = await phone(live_workshop)
    await sock.drain()
    assert presence.phones_here(live_workshop.pk) == 1

    # A push the consumer cannot handle (no version): the consumer ends with an error.
    layer = get_channel_layer()
    group = f"session-{live_workshop.pk}.phone"
    with caplog.at_level(logging.CRITICAL):
        await layer.group_send(group, {"type": "panel.lists_changed"})
        with pytest.raises(KeyError):
            await sock.comm.wait(timeout=2)

    assert presence.phones_here(live_workshop.pk) == 0


async def test_a_burst_a_phone_could_send_is_answered_in_full(live_workshop):
    sock = await phone(live_workshop)
    await sock.drain()

    for _ in range(FRAME_BURST):
        await sock.send({"action": "question_upvote", "question": "x"})
    answers = [await sock.receive_until("flash--error") for _ in range(FRAME_BURST)]

    assert answers == ['<div id="phone-flash" class="flash flash--error" role="alert">'
                       "Choose a question from the list.</div>"] * FRAME_BURST  # fmt: skip
    await asyncio.sleep(0.2)  # refills two frames' worth
    await _still_answers(sock)
    await sock.close()


@pytest.mark.parametrize("surface", ["phone", "screen", "console"])
async def test_a_flood_of_frames_closes_the_socket(live_workshop, caplog, surface):
    if surface == "phone":
        sock = await phone(live_workshop)
    elif surface == "screen":
        sock = await screen(live_workshop)
    else:
        sock = await console(live_workshop)
        assert await sock.connect()
    await sock.drain()

    with caplog.at_level(logging.WARNING, logger="workshop.live.consumers"):
        for _ in range(500):
            await sock.send({"action": "question_upvote", "question": "1"})
        closed = None
        while closed is None:
            output = await sock.comm.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                closed = output

    assert closed["code"] == TOO_MANY_FRAMES
    warnings = [r.getMessage() for r in caplog.records if r.name == "workshop.live.consumers"]
    assert len(warnings) == 1
    assert f"{surface} socket of workshop {live_workshop.join_code}" in warnings[0]
    assert await database_sync_to_async(_rows)() == (0, 0)
    await sock.close()
    await asyncio.sleep(0.05)
    assert presence.phones_here(live_workshop.pk) == 0
