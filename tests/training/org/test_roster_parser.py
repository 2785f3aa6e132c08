"""Properties of the roster row parser: any cell content gives errors, not crashes."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from training.org.identity import national_id_with_check_digit
from training.org.services import ROSTER_COLUMNS
from training.org.services.roster.columns import GRADE_LABELS
from training.org.services.roster.parse import _parse_row

HEADERS = {c.header for c in ROSTER_COLUMNS}
COLUMNS = list(ROSTER_COLUMNS)

cell = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=2, max_value=10_000), st.lists(cell, min_size=14, max_size=14)
)
def test_any_row_parses_without_crashing(number, cells):
    result = _parse_row(number, tuple(cells), COLUMNS)
    for error in result.errors:
        assert error["row"] == number
        assert error["column"] in HEADERS
        assert error["message"]


@settings(deadline=None)
@given(st.text(alphabet="0123456789Xx ", min_size=1, max_size=25))
def test_id_numbers_are_never_echoed(raw):
    row = ["E1", "甲", "U1", "检察官", None, None, None, None, raw]
    result = _parse_row(2, tuple(row), COLUMNS)
    messages = " ".join(e["message"] for e in result.errors)
    if len(raw.strip()) >= 6:  # shorter strings occur in any message ("18")
        assert raw.strip() not in messages
    assert "national_id" not in result.values


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_valid_id_numbers_become_hash_and_last4(prefix):
    number = national_id_with_check_digit(prefix)
    row = ["E1", "甲", "U1", "检察官", None, None, None, None, number]
    result = _parse_row(2, tuple(row), COLUMNS)
    assert result.errors == []
    assert result.values["national_id_last4"] == number[-4:]
    assert number not in str(result.values)


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.sampled_from(
        ["{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}.{m}.{d}", "{y}年{m}月{d}日"]
    ),
)
def test_dates_in_common_spellings(day, spelling):
    text = spelling.format(y=day.year, m=day.month, d=day.day)
    row = ["E1", "甲", "U1", "检察官", None, None, None, None, None, None, text]
    result = _parse_row(2, tuple(row), COLUMNS)
    assert result.errors == []
    assert result.values["joined_on"] == day


@given(st.sampled_from(sorted(GRADE_LABELS)), st.sampled_from(["检察官", "书记员"]))
def test_grade_only_for_prosecutors(label, category):
    row = ["E1", "甲", "U1", category, None, label]
    result = _parse_row(2, tuple(row), COLUMNS)
    if category == "检察官":
        assert result.errors == []
        assert result.values["grade"] == GRADE_LABELS[label]
    else:
        assert [e["column"] for e in result.errors] == ["检察官等级"]
