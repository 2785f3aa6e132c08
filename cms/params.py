"""Reading numbers from query strings and form lists without a 500."""

from __future__ import annotations


def query_int(value, *, max_digits: int = 9) -> int | None:
    """A non-negative integer id from a query-string value, or None.

    ``str.isdigit`` alone admits "²" (which ``int`` refuses), and a long run of
    digits overflows the database column: both are treated as absent. Nine digits
    fit any integer column; pass 18 for big-integer keys.
    """
    text = str(value) if value is not None else ""
    if text.isascii() and text.isdigit() and len(text) <= max_digits:
        return int(text)
    return None
