"""The forms that validate attendees' messages (socket frames and the HTTP fallback).

Consumers and views call `Form.cleaned(data)`; it must agree with a form instance's
is_valid() and cleaned_data, which every case here checks."""

import pytest

from panel.forms import QuestionForm
from voting.forms import VoteForm
from workshop.forms import MessageForm


def _both(form_class, data):
    """What cleaned() returns, after checking that an instance says the same."""
    found, form = form_class.cleaned(data), form_class(data)
    assert (found is not None) == form.is_valid()
    if found is not None:
        assert found == form.cleaned_data
    return found, form


@pytest.mark.parametrize("value, expected", [("7", 7), (7, 7), ("2147483647", 2**31 - 1)])
def test_an_id_is_plain_digits_in_range(value, expected):
    found, _ = _both(VoteForm, {"poll": value, "theme": "1"})
    assert found["poll"] == expected


@pytest.mark.parametrize(
    "value",
    ["0", "-1", "+1", "1.0", "1e3", " 1", "1 ", "1_000", "٣", "²", "2147483648",
     "99999999999", True, 1.0, [], {}, None, ""],
)  # fmt: skip
def test_anything_else_is_refused(value):
    found, form = _both(VoteForm, {"poll": value, "theme": "1"})
    assert found is None
    assert list(form.errors) == ["poll"]


@pytest.mark.parametrize("key", ["a" * 65, "has space", "é", "<script>", 12])
def test_a_malformed_key_is_refused(key):
    found, form = _both(VoteForm, {"poll": "1", "theme": "1", "key": key})
    assert found is None
    assert list(form.errors) == ["key"]


def test_the_key_is_optional():
    found, _ = _both(VoteForm, {"poll": "1", "theme": "2"})
    assert found == {"poll": 1, "theme": 2, "key": ""}


def test_one_message_refused_leaves_the_next_unaffected():
    good, bad = VoteForm({"poll": "1", "theme": "2"}), VoteForm({"poll": "x", "theme": "2"})
    assert VoteForm.cleaned({"poll": "x", "theme": "2"}) is None
    assert VoteForm.cleaned({"poll": "1", "theme": "2"}) == {"poll": 1, "theme": 2, "key": ""}
    assert not bad.is_valid() and good.is_valid()
    assert good.errors == {} and list(bad.errors) == ["poll"]
    assert good.cleaned_data["poll"] == 1


def test_optional_ids_may_be_left_out():
    found, _ = _both(QuestionForm, {"text": "Why?"})
    assert found["theme"] is None and found["panellist"] is None


def test_a_message_form_refuses_rules_outside_its_fields():
    with pytest.raises(TypeError, match="cleaned\\(\\) skips them"):

        class Checked(MessageForm):
            def clean(self):
                return super().clean()
