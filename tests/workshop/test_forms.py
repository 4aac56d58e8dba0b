"""The forms that validate attendees' messages (socket frames and the HTTP fallback)."""

import pytest

from panel.forms import QuestionForm
from voting.forms import VoteForm


@pytest.mark.parametrize("value, expected", [("7", 7), (7, 7), ("2147483647", 2**31 - 1)])
def test_an_id_is_plain_digits_in_range(value, expected):
    form = VoteForm({"poll": value, "theme": "1"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["poll"] == expected


@pytest.mark.parametrize(
    "value",
    ["0", "-1", "+1", "1.0", "1e3", " 1", "1 ", "1_000", "٣", "²", "2147483648",
     "99999999999", True, 1.0, [], {}, None, ""],
)  # fmt: skip
def test_anything_else_is_refused(value):
    form = VoteForm({"poll": value, "theme": "1"})
    assert not form.is_valid()
    assert list(form.errors) == ["poll"]


@pytest.mark.parametrize("key", ["a" * 65, "has space", "é", "<script>", 12])
def test_a_malformed_key_is_refused(key):
    form = VoteForm({"poll": "1", "theme": "1", "key": key})
    assert not form.is_valid()
    assert list(form.errors) == ["key"]


def test_the_key_is_optional():
    form = VoteForm({"poll": "1", "theme": "2"})
    assert form.is_valid()
    assert form.cleaned_data == {"poll": 1, "theme": 2, "key": ""}


def test_forms_share_their_fields_but_not_their_results():
    good, bad = VoteForm({"poll": "1", "theme": "2"}), VoteForm({"poll": "x", "theme": "2"})
    assert good.fields["poll"] is bad.fields["poll"] is VoteForm.base_fields["poll"]
    assert not bad.is_valid() and good.is_valid()
    assert good.errors == {} and list(bad.errors) == ["poll"]
    assert good.cleaned_data["poll"] == 1


def test_optional_ids_may_be_left_out():
    form = QuestionForm({"text": "Why?"})
    assert form.is_valid()
    assert form.cleaned_data["theme"] is None and form.cleaned_data["panellist"] is None
