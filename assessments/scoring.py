"""Scoring rules, as pure functions of (key, response, marks). No database here, so
the rules are tested exhaustively with hypothesis."""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0")


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def normalise_fill(text: str) -> str:
    """Full-width and half-width forms compare equal (NFKC), all whitespace — the
    ideographic space included — is ignored, Latin letters ignore case."""
    folded = unicodedata.normalize("NFKC", text or "")
    return "".join(folded.split()).casefold()


def score_response(
    *,
    qtype: str,
    key: Any,
    response: Any,
    marks: Decimal,
    partial_credit: bool = False,
    option_count: int = 0,
    negative_marking: Decimal = ZERO,
) -> Decimal | None:
    """Marks earned, between 0 and ``marks``; ``None`` for short answers (by hand)."""
    if qtype == "short":
        return None
    if response in (None, "", []):
        return ZERO
    if qtype in ("single", "true_false"):
        return quantize(marks) if response == key else ZERO
    if qtype == "multiple":
        return _score_multiple(
            key=set(key or []),
            chosen=set(response) if isinstance(response, list) else set(),
            marks=marks,
            partial_credit=partial_credit,
            option_count=option_count,
            negative_marking=negative_marking,
        )
    if qtype == "fill":
        blanks = list(key or [])
        if not blanks or not isinstance(response, list):
            return ZERO
        right = sum(
            1
            for i, accepted in enumerate(blanks)
            if i < len(response)
            and isinstance(response[i], str)
            and normalise_fill(response[i]) in {normalise_fill(a) for a in accepted}
        )
        return quantize(marks * right / len(blanks))
    raise ValueError(f"unknown question type {qtype!r}")


def _score_multiple(
    *,
    key: set,
    chosen: set,
    marks: Decimal,
    partial_credit: bool,
    option_count: int,
    negative_marking: Decimal,
) -> Decimal:
    if not key:
        return ZERO
    right = len(chosen & key)
    wrong = len(chosen - key)
    if not partial_credit:
        earned = marks if chosen == key else ZERO
        if wrong and negative_marking:
            earned = -marks * negative_marking * wrong
    else:
        share = marks / len(key)
        # Without negative marking a wrong choice costs as much as choosing every
        # wrong option would, spread evenly, so "tick everything" earns nothing.
        wrong_options = max(option_count - len(key), 1)
        penalty = (
            marks * negative_marking if negative_marking else marks / wrong_options
        )
        earned = share * right - penalty * wrong
    return quantize(min(max(earned, ZERO), marks))
