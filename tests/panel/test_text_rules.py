"""Text a person sends: refused when it is not valid text, shows nothing, or reorders how
the text around it displays (workshop/text.py); accepted in any script otherwise. The
services apply the rules (so the socket, the HTTP fallback and the admin agree); the forms
refuse text that is not valid in any field."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from panel.forms import BoardPostForm, QuestionForm
from panel.models import BoardPost, Question
from panel.services import board_post_submit, question_submit
from tests.factories import make_attendee, make_voting_workshop
from voting.forms import VoteForm

pytestmark = pytest.mark.security


@pytest.fixture
def workshop(db):
    return make_voting_workshop(moderate_questions=False)


def _ask(workshop, text="Who pays?", **kwargs):
    attendee = make_attendee(workshop=workshop)
    return question_submit(workshop=workshop, attendee_id=attendee.pk, text=text, **kwargs)


def _post(workshop, text):
    attendee = make_attendee(workshop=workshop)
    return board_post_submit(
        workshop=workshop, attendee_id=attendee.pk, kind="challenge", text=text, theme_id=None
    )


REFUSED = [
    ("Why \udfff?", "Your question contains characters that are not valid text."),
    ("\ud83d", "Your question contains characters that are not valid text."),
    ("\u200b\u200b", "Your question has no visible characters. Write something first."),
    (
        "\u200e\u200f\u2060\ufeff\u180e\u3164\u2800\ufe0f",
        "Your question has no visible characters.",
    ),
    ("Pay \u202eyenom eht\u202c back", "Your question contains invisible characters that change"),
    ("\u202aa", "Your question contains invisible characters that change"),
    ("a\u2067b\u2069", "Your question contains invisible characters that change"),
]


@pytest.mark.parametrize("text, message", REFUSED)
def test_question_text_that_is_not_valid_invisible_or_reordering_is_refused(
    workshop, text, message
):
    with pytest.raises(ValidationError) as refused:
        _ask(workshop, text=text)
    assert refused.value.messages[0].startswith(message)
    assert Question.objects.count() == 0


@pytest.mark.parametrize(
    "name, message",
    [
        ("Ann\udfff", "Your name contains characters that are not valid text."),
        ("\u200b", "Your name has no visible characters."),
        ("\u202eAnn", "Your name contains invisible characters that change"),
    ],
)
def test_a_name_that_is_not_valid_invisible_or_reordering_is_refused(workshop, name, message):
    with pytest.raises(ValidationError) as refused:
        _ask(workshop, author_name=name)
    assert refused.value.messages[0].startswith(message)
    assert Question.objects.count() == 0


@pytest.mark.parametrize("text, message", REFUSED)
def test_a_view_that_is_not_valid_invisible_or_reordering_is_refused(workshop, text, message):
    with pytest.raises(ValidationError) as refused:
        _post(workshop, text)
    assert refused.value.messages[0].startswith(message.replace("Your question", "Your view"))
    assert BoardPost.objects.count() == 0


def test_a_key_that_is_not_valid_text_is_refused_by_the_service(workshop):
    with pytest.raises(ValidationError) as refused:
        _ask(workshop, key="k\udfff")
    assert refused.value.messages == ["That message was not understood. Please send it again."]
    assert Question.objects.count() == 0


@pytest.mark.parametrize(
    "text",
    [
        "Family: \U0001f468\u200d\U0001f469\u200d\U0001f467 and \U0001f3f3\ufe0f\u200d\U0001f308",
        "\u05de\u05d4 \u05d4\u05de\u05d7\u05d9\u05e8?\u200f (NHS)",  # Hebrew with RLM
        "\u0645\u0627 \u0627\u0644\u062a\u0643\u0644\u0641\u0629\u061f\u200e 2025",  # Arabic, LRM
        "\u0645\u0627\u061c 3",  # Arabic letter mark
        "\u0915\u094d\u200d\u0937",  # Devanagari with ZWJ
        "Caf\u00e9 na\u0308ive \u4f60\u597d \U0001f44d\U0001f3fd",
        "\u200bWho pays?",  # a zero-width space among visible text
    ],
)
def test_text_in_any_script_with_joiners_and_direction_marks_is_accepted(workshop, text):
    question = _ask(workshop, text=text, author_name="\u05d3\u05e0\u05d4\u200f")
    post = _post(workshop, text)
    assert (question.text, post.text) == (text, text)
    assert question.author_name == "\u05d3\u05e0\u05d4\u200f"


@pytest.mark.parametrize(
    "form_class, data",
    [
        (QuestionForm, {"text": "Why \udfff?"}),
        (QuestionForm, {"text": "Why?", "author_name": "\udfff"}),
        (QuestionForm, {"text": "Why?", "key": "\udfff"}),
        (BoardPostForm, {"kind": "challenge\udfff", "text": "x"}),
        (BoardPostForm, {"kind": "challenge", "text": "\ud800"}),
        (VoteForm, {"poll": "1", "theme": "1\udfff"}),
    ],
)
def test_the_forms_refuse_a_lone_surrogate_in_any_field(form_class, data):
    assert form_class.cleaned(data) is None
    assert form_class(data).is_valid() is False


def _phone(code):
    client = Client(enforce_csrf_checks=True)
    client.get(f"/j/{code}/")
    return client


@pytest.mark.parametrize(
    "path, data, message",
    [
        ("questions/ask/", {"text": "\u200b\u200b"}, "has no visible characters"),
        ("questions/ask/", {"text": "x\u202ey"}, "change the direction of the text"),
        ("board/post/", {"kind": "challenge", "text": "\u2066x"}, "change the direction"),
    ],
)
def test_the_http_fallback_refuses_invisible_or_reordering_text(workshop, path, data, message):
    phone = _phone(workshop.join_code)
    token = phone.cookies["csrftoken"].value
    response = phone.post(
        f"/j/{workshop.join_code}/{path}", {**data, "csrfmiddlewaretoken": token}, follow=True
    )
    assert message in response.content.decode()
    assert (Question.objects.count(), BoardPost.objects.count()) == (0, 0)


def test_the_http_fallback_takes_bytes_that_are_not_utf8_without_an_error(workshop):
    phone = _phone(workshop.join_code)
    token = phone.cookies["csrftoken"].value
    # U+DFFF encoded as if it were a character: not UTF-8; Django decodes it as U+FFFD.
    body = f"text=%ED%BF%BF&csrfmiddlewaretoken={token}"
    response = phone.post(
        f"/j/{workshop.join_code}/questions/ask/",
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    assert [q.text for q in Question.objects.all()] == ["\ufffd\ufffd\ufffd"]
