import pytest
from django.core.exceptions import ValidationError

from workshop.codes import (
    JOIN_CODE_ALPHABET,
    join_code_normalise,
    join_code_random,
    join_code_validate,
)


def test_join_code_alphabet_has_no_confusable_characters():
    assert set(JOIN_CODE_ALPHABET) & set("0O1IL") == set()


@pytest.mark.parametrize("raw, expected", [("pcn25", "PCN25"), (" pc n-25 ", "PCN25"), ("", "")])
def test_join_code_normalise_ignores_case_spaces_and_dashes(raw, expected):
    assert join_code_normalise(raw) == expected


@pytest.mark.parametrize("code", ["PCN25", "ABCD", "ABCDEF"])
def test_join_code_validate_accepts_readable_codes(code):
    assert join_code_validate(code) is None


@pytest.mark.parametrize(
    "code", ["ABC", "ABCDEFG", "PC0N", "PCO5", "PCI5", "PCL5", "PC15", "pcn25", "PC-25"]
)
def test_join_code_validate_refuses_short_long_or_confusable(code):
    with pytest.raises(ValidationError):
        join_code_validate(code)


def test_join_code_random_is_valid():
    for _ in range(200):
        join_code_validate(join_code_random())
