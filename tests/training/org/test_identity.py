"""National ID numbers: normalising, the check digit and the keyed hash."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from training.org.identity import (
    national_id_hash,
    national_id_is_valid,
    national_id_with_check_digit,
    normalize_national_id,
)

prefixes = st.text(alphabet="0123456789", min_size=17, max_size=17)
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@given(prefixes)
def test_check_digit_completes_a_valid_number(prefix):
    number = national_id_with_check_digit(prefix)
    assert len(number) == 18
    assert number.startswith(prefix)
    assert national_id_is_valid(number)


@given(prefixes, st.data())
def test_any_single_digit_change_is_caught(prefix, data):
    number = national_id_with_check_digit(prefix)
    position = data.draw(st.integers(min_value=0, max_value=17))
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(
        st.sampled_from(alphabet).filter(lambda c: c != number[position])
    )
    changed = number[:position] + replacement + number[position + 1 :]
    assert not national_id_is_valid(changed)


@given(prefixes)
def test_normalize_accepts_full_width_lower_case_and_spaces(prefix):
    number = national_id_with_check_digit(prefix)
    messy = " " + number[:6] + " " + number[6:].translate(FULL_WIDTH) + " "
    assert normalize_national_id(messy) == number
    assert normalize_national_id(number.lower()) == number


@given(prefixes)
def test_normalize_is_idempotent_on_valid_numbers(prefix):
    number = national_id_with_check_digit(prefix)
    assert normalize_national_id(normalize_national_id(number)) == number


@pytest.mark.parametrize(
    "value",
    ["", "12345", "1101011990030712345", "11010119900307123", "ABCDEFGHIJKLMNOPQR"],
)
def test_malformed_numbers_are_invalid(value):
    assert not national_id_is_valid(value)


def test_x_check_digit_is_valid():
    # 11010519491231002X is the textbook example with an X check character.
    assert national_id_is_valid("11010519491231002X")
    assert not national_id_is_valid("110105194912310021")


@given(prefixes, prefixes)
def test_hash_is_keyed_stable_and_hides_the_number(first, second):
    a = national_id_with_check_digit(first)
    b = national_id_with_check_digit(second)
    digest = national_id_hash(a)
    assert digest == national_id_hash(a)
    assert len(digest) == 64
    assert a not in digest
    assert (digest == national_id_hash(b)) == (a == b)


def test_hash_depends_on_the_key(settings):
    number = national_id_with_check_digit("31010119850615001")
    before = national_id_hash(number)
    settings.PII_HASH_KEY = "another-key"
    assert national_id_hash(number) != before


def test_hash_refuses_without_a_key(settings):
    settings.PII_HASH_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        national_id_hash("11010519491231002X")
