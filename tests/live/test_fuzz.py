"""Random frames at each surface's socket, through the real ASGI app: JSON of any shape,
text in any script with surrogates, control and format characters, any action name and
any field values. Whatever a client sends, nothing is logged as an error, the socket stays
open and answering, and nothing stored breaks the text rules (workshop/text.py)."""

import json
import logging

import pytest
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panel.models import TEXT_LIMIT, BoardPost, Question
from panel.services import NAME_LIMIT
from tests.live.conftest import console, phone, screen
from workshop.live.consumers import ConsoleConsumer, PhoneConsumer, ScreenConsumer
from workshop.live.consumers.base import MAX_FRAME
from workshop.text import text_refusal

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Characters that have caused trouble or could: lone surrogates, NUL and other controls,
# zero-width and bidi characters, the BOM, a replacement character, emoji joined by ZWJ.
NASTY = "\udfff\ud800\x00\x07\x1b\x7f\x85\n\t\r\u200b\u200c\u200d\u200e\u200f\u202a\u202e"
NASTY += "\u2066\u2069\u2060\ufeff\ufffd\ufffe\u3164\u2800\ue000\U0001f468\u05d0\u0627é<&'\"a1"

characters = st.characters(codec=None) | st.characters(categories=["Cs", "Cc", "Cf", "Co"])
# Whole strings known to be hostile, and short random ones (a long random string nearly
# always holds a control character, refused before anything else is looked at).
SAMPLES = [
    "\udfff", "Why \udfff?", "\ud83d", "\ud83d\ude00", "\u200b\u200b", "\u200e \u2060",
    "Pay \u202eyenom\u202c", "a\u2066b\u2069", "\U0001f468\u200d\U0001f469", "\u05d0\u200f?",
    "\x00", "a\x00b", "Who pays?", " x ", "<b>&amp;</b>", "\ufeff", "\u3164",
]  # fmt: skip
any_text = (
    st.sampled_from(SAMPLES)
    | st.text(st.sampled_from(NASTY) | characters, max_size=6)
    | st.text(st.sampled_from(NASTY) | characters, max_size=40)
)
# A frame as a browser can deliver it: daphne decodes UTF-8, so no raw surrogates.
wire_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=200)
ids = st.integers(min_value=-2, max_value=40) | st.sampled_from(["1", "2", "3", "01", " 2", "x"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text | ids,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=6,
)
ACTIONS = sorted(PhoneConsumer.actions | ConsoleConsumer.actions)
FIELDS = [
    "text", "author_name", "key", "theme", "panellist", "poll", "question", "kind", "item",
    "screen", "tie_rule", "show_bars", "HEADERS",
]  # fmt: skip
field_values = (
    any_text
    | ids
    | json_values
    | st.sampled_from(["opportunity", "challenge", "vote", "themes", "casting", "k-1", ""])
)
messages = st.fixed_dictionaries(
    {"action": st.sampled_from(ACTIONS) | any_text | json_values},
    optional={name: field_values for name in FIELDS},
).map(lambda d: ("text", json.dumps(d)))


def frames(actions: frozenset[str]):
    """Lists of frames; some close to what the surface's page sends (every field there, one
    of its actions, text of any kind, ids that may exist), the rest anything at all."""
    plausible = st.fixed_dictionaries(
        {
            "action": st.sampled_from(sorted(actions) or ACTIONS),
            "text": any_text,
            "author_name": any_text | st.just(""),
            "key": st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True) | any_text,
            "theme": st.just("") | ids,
            "panellist": st.just(""),
            "kind": st.sampled_from(["opportunity", "challenge"]),
            "poll": ids,
            "question": ids,
        }
    ).map(lambda d: ("text", json.dumps(d)))
    return st.lists(
        (
            plausible
            | messages
            | wire_text.map(lambda t: ("text", t))
            | json_values.map(lambda v: ("text", json.dumps(v)))
            | st.binary(max_size=20).map(lambda b: ("bytes", b))
        ).filter(lambda frame: len(frame[1]) <= MAX_FRAME),  # over it: the probe's answer
        min_size=1,
        max_size=6,
    )


PROBE, PROBE_ANSWER = "x" * (MAX_FRAME + 1), "That message is too long."


def _stored_rows_keep_the_rules() -> int:
    """Rows of questions and views; each one's text keeps the rules a service applies."""
    rows = 0
    for text, name in Question.objects.values_list("text", "author_name"):
        assert text_refusal(text, what="") is None and 0 < len(text) <= TEXT_LIMIT
        assert name == "" or (text_refusal(name, what="") is None and len(name) <= NAME_LIMIT)
        rows += 1
    for text in BoardPost.objects.values_list("text", flat=True):
        assert text_refusal(text, what="") is None and 0 < len(text) <= TEXT_LIMIT
        rows += 1
    return rows


async def _throw(sock, sent, caplog, *, answers: bool) -> None:
    """Send the frames, then check the socket is open and answering (a surface that
    answers), that no row appeared without a "done" answer, and that nothing was logged
    as an error."""
    rows = await database_sync_to_async(_stored_rows_keep_the_rules)()
    logged = len(caplog.records)
    for kind, data in sent:
        await sock.comm.send_input({"type": "websocket.receive", kind: data})
    done = 0
    if answers:
        # Frames are handled in order: the probe's answer comes after every other answer.
        await sock.send_text(PROBE)
        while PROBE_ANSWER not in (frame := await sock.receive()):
            done += frame.count("flash--ok")
    else:
        assert await sock.nothing(timeout=0.05)
    assert not sock.comm.future.done()  # still open
    errors = [r.getMessage() for r in caplog.records[logged:] if r.levelno >= logging.ERROR]
    assert errors == []
    added = await database_sync_to_async(_stored_rows_keep_the_rules)() - rows
    assert 0 <= added <= done
    await sock.close()


@FUZZ
@given(sent=frames(PhoneConsumer.actions))
async def test_random_frames_never_hurt_a_phone_socket(live_workshop, caplog, sent):
    sock = await phone(live_workshop)
    await _throw(sock, sent, caplog, answers=True)


@FUZZ
@given(sent=frames(ConsoleConsumer.actions))
async def test_random_frames_never_hurt_the_console_socket(live_workshop, caplog, sent):
    sock = await console(live_workshop)
    assert await sock.connect()
    await _throw(sock, sent, caplog, answers=True)


@FUZZ
@given(sent=frames(ScreenConsumer.actions))
async def test_random_frames_never_hurt_the_projector_socket(live_workshop, caplog, sent):
    sock = await screen(live_workshop)
    await sock.receive()  # its current state
    await _throw(sock, sent, caplog, answers=False)
