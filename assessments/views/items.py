"""What the learner's exam pages may show of one attempt item: the whitelist.

Nothing here hands a ``QuestionVersion`` to a template or to JSON: every item is
copied into a plain dict from an explicit whitelist (stem, option texts, keys in the
attempt's order), and answer keys, explanations and grading notes are added only
when ``review_options`` says the quiz's review policy allows them.
"""

from __future__ import annotations

from typing import Any

from assessments.models import AttemptItem, Question
from assessments.scoring import normalise_fill
from assessments.services import ReviewOptions

Type = Question.Type

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TRUE_FALSE_TEXT = {"T": "正确", "F": "错误"}


def is_blank(response: Any) -> bool:
    if response in (None, "", []):
        return True
    if isinstance(response, list):
        return all(isinstance(r, str) and not r.strip() for r in response)
    return isinstance(response, str) and not response.strip()


def _option_list(item: AttemptItem) -> list[dict]:
    """Options in the attempt's stored order: key (what is sent back), label (A, B …
    by position, so shuffled options still read A–D) and text."""
    texts = {o["key"]: o["text"] for o in item.version.options}
    if item.qtype == Type.TRUE_FALSE:
        texts = {**TRUE_FALSE_TEXT, **texts}
        return [
            {"key": k, "label": "", "text": texts[k]}
            for k in item.option_order or ["T", "F"]
            if k in texts
        ]
    return [
        {"key": k, "label": LETTERS[i] if i < len(LETTERS) else k, "text": texts[k]}
        for i, k in enumerate(item.option_order or list(texts))
        if k in texts
    ]


def _chosen(item: AttemptItem) -> set[str]:
    response = item.response
    if isinstance(response, str):
        return {response}
    if isinstance(response, list) and item.qtype == Type.MULTIPLE:
        return {r for r in response if isinstance(r, str)}
    return set()


def item_view(item: AttemptItem) -> dict:
    """What the taking page may show of one item: the whitelist."""
    version = item.version
    chosen = _chosen(item)
    view = {
        "position": item.position,
        "qtype": item.qtype,
        "qtype_label": Type(item.qtype).label,
        "marks": item.marks,
        "stem": version.stem,
        "seq": item.seq,
        "saved_at": item.saved_at,
        "answered": not is_blank(item.response),
        "options": [],
        "blanks": [],
        "text": "",
    }
    if item.qtype in (Type.SINGLE, Type.MULTIPLE, Type.TRUE_FALSE):
        view["options"] = [
            {**option, "checked": option["key"] in chosen}
            for option in _option_list(item)
        ]
    elif item.qtype == Type.FILL:
        # Only the number of blanks leaves the server, never the accepted answers.
        count = len(version.answer or [])
        saved = item.response if isinstance(item.response, list) else []
        view["blanks"] = [
            {"number": i + 1, "value": saved[i] if i < len(saved) else ""}
            for i in range(count)
        ]
    elif item.qtype == Type.SHORT:
        view["text"] = item.response if isinstance(item.response, str) else ""
    return view


def review_item_view(item: AttemptItem, options: ReviewOptions) -> dict:
    """The review page's whitelist: the taking view plus what the policy allows."""
    view = item_view(item)
    version = item.version
    graded = item.score is not None
    view["pending"] = item.qtype == Type.SHORT and not graded
    view["score"] = item.score if options.score and graded else None
    view["result"] = None
    if options.correctness and graded:
        if item.score >= item.marks:
            view["result"] = "right"
        elif item.score > 0:
            view["result"] = "partial"
        else:
            view["result"] = "wrong"
    key = version.answer
    if view["options"]:
        keys = (
            set(key if isinstance(key, list) else [key]) if options.answers else set()
        )
        for option in view["options"]:
            option["is_key"] = option["key"] in keys
        view["key_labels"] = [
            o["label"] or o["text"] for o in view["options"] if o["is_key"]
        ]
    if item.qtype == Type.FILL:
        for i, blank in enumerate(view["blanks"]):
            accepted = key[i] if isinstance(key, list) and i < len(key) else []
            if options.correctness:
                blank["right"] = bool(blank["value"]) and normalise_fill(
                    blank["value"]
                ) in {normalise_fill(a) for a in accepted}
            if options.answers:
                blank["accepted"] = accepted
    view["rubric"] = version.rubric if options.answers else ""
    view["explanation"] = version.explanation if options.explanations else ""
    view["feedback"] = item.feedback if item.qtype == Type.SHORT and graded else ""
    return view
