"""The scoring rules, exhaustively: pure functions, so hypothesis drives them."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from assessments.scoring import normalise_fill, score_response

LETTERS = "ABCDEFGH"
CENT = Decimal("0.01")

marks_st = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2)
negative_st = st.one_of(
    st.just(Decimal("0")),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1"), places=2),
)


@st.composite
def multiple_question(draw):
    """(option keys, answer key) with at least one right and one wrong option
    unless ``all_right`` was drawn."""
    n = draw(st.integers(min_value=2, max_value=len(LETTERS)))
    keys = list(LETTERS[:n])
    key = draw(
        st.lists(st.sampled_from(keys), min_size=1, max_size=n, unique=True).map(sorted)
    )
    return keys, key


def multiple(key, chosen, marks, *, partial, options, negative=Decimal("0")):
    return score_response(
        qtype="multiple",
        key=key,
        response=sorted(chosen),
        marks=marks,
        partial_credit=partial,
        option_count=len(options),
        negative_marking=negative,
    )


# --- bounds ---------------------------------------------------------------------------


@given(
    question=multiple_question(),
    data=st.data(),
    marks=marks_st,
    partial=st.booleans(),
    negative=negative_st,
)
def test_multiple_score_within_zero_and_marks(question, data, marks, partial, negative):
    options, key = question
    chosen = data.draw(st.lists(st.sampled_from(options), unique=True))
    score = multiple(
        key, chosen, marks, partial=partial, options=options, negative=negative
    )
    assert Decimal("0") <= score <= marks
    assert score == score.quantize(CENT)


@given(
    qtype=st.sampled_from(["single", "true_false"]),
    key=st.sampled_from(["A", "B", "T", "F"]),
    response=st.one_of(
        st.none(), st.just(""), st.sampled_from(["A", "B", "C", "T", "F"])
    ),
    marks=marks_st,
)
def test_single_and_true_false_all_or_nothing(qtype, key, response, marks):
    score = score_response(qtype=qtype, key=key, response=response, marks=marks)
    assert score == (marks if response == key else Decimal("0"))


blank_text = st.text(
    alphabet=st.sampled_from("忠诚公正清廉文明abcXYZ12 "), min_size=1, max_size=6
)


@given(
    blanks=st.lists(
        st.lists(blank_text, min_size=1, max_size=3), min_size=1, max_size=4
    ),
    data=st.data(),
    marks=marks_st,
)
def test_fill_scores_its_share_of_right_blanks(blanks, data, marks):
    response = data.draw(
        st.lists(blank_text, min_size=len(blanks), max_size=len(blanks))
    )
    right = sum(
        1
        for accepted, given_ in zip(blanks, response, strict=True)
        if normalise_fill(given_) in {normalise_fill(a) for a in accepted}
    )
    score = score_response(qtype="fill", key=blanks, response=response, marks=marks)
    assert Decimal("0") <= score <= marks
    expected = (marks * right / len(blanks)).quantize(CENT, ROUND_HALF_UP)
    assert score == expected
    # Every blank right: full marks, exactly.
    exact = [accepted[0] for accepted in blanks]
    assert (
        score_response(qtype="fill", key=blanks, response=exact, marks=marks) == marks
    )


@given(
    response=st.one_of(
        st.none(),
        st.just(""),
        st.just([]),
        st.integers(),
        st.text(max_size=5),
        st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    ),
    qtype=st.sampled_from(["single", "true_false", "multiple", "fill"]),
    marks=marks_st,
)
def test_malformed_or_empty_responses_score_zero_not_error(response, qtype, marks):
    key = {
        "single": "A",
        "true_false": "T",
        "multiple": ["A", "B"],
        "fill": [["忠诚"]],
    }[qtype]
    assume(response != key)
    score = score_response(
        qtype=qtype, key=key, response=response, marks=marks, option_count=4
    )
    assert score == Decimal("0")


def test_short_answers_are_left_for_a_grader():
    assert (
        score_response(qtype="short", key=None, response="x", marks=Decimal("5"))
        is None
    )


def test_unknown_type_is_a_programming_error():
    with pytest.raises(ValueError):
        score_response(qtype="essay", key=None, response="x", marks=Decimal("1"))


# --- partial credit -------------------------------------------------------------------


@given(
    question=multiple_question(), data=st.data(), marks=marks_st, negative=negative_st
)
def test_partial_credit_is_monotone(question, data, marks, negative):
    options, key = question
    chosen = set(data.draw(st.lists(st.sampled_from(options), unique=True)))
    base = multiple(
        key, chosen, marks, partial=True, options=options, negative=negative
    )
    for option in set(options) - chosen:
        more = multiple(
            key,
            chosen | {option},
            marks,
            partial=True,
            options=options,
            negative=negative,
        )
        if option in key:
            assert more >= base, "adding a right choice lowered the score"
        else:
            assert more <= base, "adding a wrong choice raised the score"


@given(question=multiple_question(), marks=marks_st)
def test_partial_credit_ticking_everything_earns_nothing(question, marks):
    options, key = question
    assume(len(key) < len(options))  # at least one wrong option
    assert multiple(key, options, marks, partial=True, options=options) == Decimal("0")


@given(question=multiple_question(), marks=marks_st)
def test_partial_credit_exact_key_earns_full_marks(question, marks):
    options, key = question
    assert multiple(key, key, marks, partial=True, options=options) == marks


def test_partial_credit_worked_example():
    # Key A, C of A–D: one share is 1 of 2 marks; a wrong choice costs 2 / 2 wrong
    # options = 1 mark.
    options, key, marks = list("ABCD"), ["A", "C"], Decimal("2")
    assert multiple(key, ["A"], marks, partial=True, options=options) == Decimal("1.00")
    assert multiple(key, ["A", "B"], marks, partial=True, options=options) == 0
    assert multiple(key, ["A", "C", "B"], marks, partial=True, options=options) == 1
    assert multiple(key, ["B", "D"], marks, partial=True, options=options) == 0


# --- all or nothing, negative marking -------------------------------------------------


@given(
    question=multiple_question(), data=st.data(), marks=marks_st, negative=negative_st
)
def test_all_or_nothing_is_exact(question, data, marks, negative):
    options, key = question
    chosen = data.draw(st.lists(st.sampled_from(options), unique=True))
    score = multiple(
        key, chosen, marks, partial=False, options=options, negative=negative
    )
    assert score == (marks if set(chosen) == set(key) else Decimal("0"))


@given(
    question=multiple_question(),
    data=st.data(),
    marks=marks_st,
    negative=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1"), places=2),
    partial=st.booleans(),
)
def test_negative_marking_never_below_zero_and_costs_per_wrong(
    question, data, marks, negative, partial
):
    options, key = question
    chosen = set(data.draw(st.lists(st.sampled_from(options), unique=True)))
    score = multiple(
        key, chosen, marks, partial=partial, options=options, negative=negative
    )
    assert score >= 0
    if partial:
        right, wrong = len(chosen & set(key)), len(chosen - set(key))
        raw = marks / len(key) * right - marks * negative * wrong
        expected = min(max(raw, Decimal("0")), marks).quantize(CENT, ROUND_HALF_UP)
        assert score == expected


# --- fill normalisation ---------------------------------------------------------------

ascii_or_cjk = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E),
        st.sampled_from("忠诚公正清廉文明检察监督法律"),
    ),
    min_size=1,
    max_size=12,
)
SPACES = [" ", "\u3000", "\t", "\n", "\u00a0"]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else c for c in text)


@given(text=ascii_or_cjk)
def test_full_and_half_width_compare_equal(text):
    assert normalise_fill(full_width(text)) == normalise_fill(text)


@given(text=ascii_or_cjk, data=st.data())
def test_spaces_anywhere_are_ignored(text, data):
    spaced = ""
    for char in text:
        spaced += data.draw(st.sampled_from(["", *SPACES])) + char
    spaced += data.draw(st.sampled_from(["", *SPACES]))
    assert normalise_fill(spaced) == normalise_fill(text)


@given(text=ascii_or_cjk)
def test_latin_case_is_ignored(text):
    assert normalise_fill(text.upper()) == normalise_fill(text.lower())


@pytest.mark.parametrize(
    "given_, accepted",
    [
        ("ＰＲＣ　刑法", "prc刑法"),
        ("第 ２０ 条", "第20条"),
        ("  忠诚 ", "忠诚"),
        ("Ａｂｃ", "abc"),
    ],
)
def test_fill_normalisation_examples(given_, accepted):
    key = [[accepted]]
    score = score_response(qtype="fill", key=key, response=[given_], marks=Decimal("2"))
    assert score == Decimal("2.00")


def test_fill_does_not_accept_a_different_answer():
    key = [["忠诚"], ["公正"]]
    assert score_response(
        qtype="fill", key=key, response=["忠诚", "公平"], marks=Decimal("2")
    ) == Decimal("1.00")
    assert score_response(
        qtype="fill", key=key, response=["公正", "忠诚"], marks=Decimal("2")
    ) == Decimal("0")
