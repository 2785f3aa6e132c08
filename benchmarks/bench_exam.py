"""Exam hot paths: starting an attempt and autosaving an answer.

A 300-question bank and an exam of 20 questions drawn from four pools (questions
and options shuffled, 60-minute limit). Measured on one process, no network:

- ``attempt_start`` for 50 learners (service call; its queries counted), and the
  same through ``POST /quizzes/<uuid>/start`` with the Django test client for 50
  more (session auth, middleware, redirect);
- 500 autosaves through ``POST /attempts/<uuid>/answer`` with the test client,
  session cookie and CSRF token included, as the exam page sends them.

Targets: start ≤ 25 ms median with ≤ 10 queries; autosave ≤ 8 ms with ≤ 4 queries.
The data builders here are reused by the exam storm (benchmarks/storm/).
"""

from __future__ import annotations

import json
import random
import time
from decimal import Decimal

BANK = 300
DRAWN = 20
LEARNERS = 50
SAVES = 500
START_TARGET_MS, START_QUERIES = 25, 10
SAVE_TARGET_MS, SAVE_QUERIES = 8, 4

SUBJECTS = ["检察官职业道德", "法律监督", "群众工作", "信息化应用"]
# (type, share of the bank) — short answers are few in a machine-graded exam.
MIX = [("single", 0.4), ("multiple", 0.25), ("true_false", 0.2), ("fill", 0.15)]


def build_bank(*, size: int = BANK, seed: int = 2026) -> list:
    """``size`` questions in four subjects through the real service (versions and
    all); returns the subjects."""
    from assessments.models import Subject
    from assessments.services import QuestionContent, question_create

    rng = random.Random(seed)
    subjects = [
        Subject.objects.get_or_create(name=name, defaults={"sort_order": i})[0]
        for i, name in enumerate(SUBJECTS)
    ]
    words = "忠诚公正清廉文明法律监督群众工作信息化应用突发事件处置检察机关"
    kinds = [k for k, share in MIX for _ in range(round(share * 100))]
    for n in range(size):
        qtype = kinds[n % len(kinds)]
        stem = f"<p>第{n + 1}题：{''.join(rng.sample(words, 12))}？</p>"
        options, answer = [], None
        if qtype in ("single", "multiple"):
            options = [
                {"key": k, "text": "".join(rng.sample(words, 6))} for k in "ABCD"
            ]
            answer = (
                rng.choice("ABCD")
                if qtype == "single"
                else sorted(rng.sample("ABCD", rng.randint(2, 3)))
            )
        elif qtype == "true_false":
            answer = rng.choice("TF")
        else:
            answer = [["".join(rng.sample(words, 2))] for _ in range(rng.randint(1, 2))]
        question_create(
            actor=None,
            qtype=qtype,
            subject=subjects[n % len(subjects)],
            difficulty=rng.randint(1, 5),
            content=QuestionContent(
                stem=stem,
                options=options,
                answer=answer,
                explanation="<p>见相关规定。</p>",
                partial_credit=qtype == "multiple" and n % 2 == 0,
            ),
        )
    return subjects


def build_exam(subjects, *, drawn: int = DRAWN, **fields):
    """A published exam drawing ``drawn`` questions evenly from the subjects."""
    from assessments.models import Quiz, QuizSlot

    defaults = {
        "title": "全员岗位练兵统一考试",
        "kind": Quiz.Kind.EXAM,
        "is_published": True,
        "max_attempts": 1,
        "time_limit_minutes": 60,
        "shuffle_questions": True,
        "shuffle_options": True,
        "pass_percent": Decimal("60"),
    }
    defaults.update(fields)
    quiz = Quiz.objects.create(**defaults)
    per = drawn // len(subjects)
    for i, subject in enumerate(subjects):
        count = per + (1 if i < drawn - per * len(subjects) else 0)
        QuizSlot.objects.create(
            quiz=quiz,
            sort_order=i,
            pool_subject=subject,
            count=count,
            marks=Decimal("5"),
        )
    return quiz


def sample_response(item: dict, rng: random.Random):
    """A valid answer for an item as the exam page describes it (qtype, option
    keys in the attempt's order, number of blanks)."""
    qtype = item["qtype"]
    if qtype == "single":
        return rng.choice(item["keys"])
    if qtype == "multiple":
        return sorted(rng.sample(item["keys"], 2))
    if qtype == "true_false":
        return rng.choice(["T", "F"])
    if qtype == "fill":
        return ["忠诚"] * item["blanks"]
    return "忠诚、公正、清廉、文明"


def attempt_items(attempt) -> list[dict]:
    return [
        {
            "position": item.position,
            "qtype": item.qtype,
            "keys": item.option_order or ["T", "F"],
            "blanks": len(item.version.answer or []) if item.qtype == "fill" else 0,
        }
        for item in attempt.items.select_related("version").order_by("position")
    ]


def _users(prefix: str, n: int) -> list:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    User = get_user_model()
    unusable = make_password(None)  # the test client logs in without a password
    User.objects.bulk_create(
        [
            User(username=f"{prefix}{i:04d}", full_name=f"考生{i}", password=unusable)
            for i in range(n)
        ]
    )
    return list(User.objects.filter(username__startswith=prefix).order_by("pk"))


def run(*, record, median) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from assessments.models import Attempt
    from assessments.services import attempt_start

    started = time.perf_counter()
    subjects = build_bank()
    quiz = build_exam(subjects)
    print(f"bank of {BANK} and exam built in {time.perf_counter() - started:.1f} s")

    # --- attempt_start, the service --------------------------------------------------
    start_ms, start_queries = [], []
    for user in _users("start-", LEARNERS):
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            attempt = attempt_start(quiz=quiz, user=user)
            start_ms.append((time.perf_counter() - t) * 1000)
        start_queries.append(len(queries))
        assert attempt.items.count() == DRAWN

    # --- the start request, and autosaves through the test client --------------------
    rng = random.Random(7)
    http_start_ms, http_start_queries, save_ms, save_queries = [], [], [], []
    learners = []
    for user in _users("http-", LEARNERS):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        # The exam's page sets the CSRF cookie, as in the browser.
        client.get(reverse("assessments:quiz", args=[quiz.public_id]))
        token = client.cookies["csrftoken"].value
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            response = client.post(
                reverse("assessments:start", args=[quiz.public_id]),
                {"csrfmiddlewaretoken": token},
            )
            http_start_ms.append((time.perf_counter() - t) * 1000)
        http_start_queries.append(len(queries))
        assert response.status_code == 303, response.status_code
        attempt = Attempt.objects.get(quiz=quiz, user=user)
        learners.append((client, token, attempt, attempt_items(attempt)))

    seqs: dict[tuple[int, int], int] = {}
    url_of = {
        a.pk: reverse("assessments:answer", args=[a.public_id])
        for _c, _t, a, _i in learners
    }
    for n in range(SAVES + 20):
        client, token, attempt, items = learners[n % LEARNERS]
        item = rng.choice(items)
        key = (attempt.pk, item["position"])
        seqs[key] = seqs.get(key, 0) + 1
        body = json.dumps(
            {
                "position": item["position"],
                "response": sample_response(item, rng),
                "seq": seqs[key],
            }
        )
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            response = client.post(
                url_of[attempt.pk],
                body,
                content_type="application/json",
                headers={"X-CSRFToken": token},
            )
            elapsed = (time.perf_counter() - t) * 1000
        assert response.status_code == 200, response.content
        if n >= 20:  # the first few warm caches and templates up
            save_ms.append(elapsed)
            save_queries.append(len(queries))

    result = {
        "bank_questions": BANK,
        "exam_questions": DRAWN,
        "learners": LEARNERS,
        "start_median_ms": median(start_ms),
        "start_p95_ms": round(sorted(start_ms)[int(len(start_ms) * 0.95)], 3),
        "start_max_queries": max(start_queries),
        "start_request_median_ms": median(http_start_ms),
        "start_request_max_queries": max(http_start_queries),
        "saves": len(save_ms),
        "autosave_median_ms": median(save_ms),
        "autosave_p95_ms": round(sorted(save_ms)[int(len(save_ms) * 0.95)], 3),
        "autosave_max_queries": max(save_queries),
        "targets": {
            "start_median_ms": START_TARGET_MS,
            "start_queries": START_QUERIES,
            "autosave_median_ms": SAVE_TARGET_MS,
            "autosave_queries": SAVE_QUERIES,
        },
    }
    result["meets_targets"] = (
        result["start_median_ms"] <= START_TARGET_MS
        and result["start_max_queries"] <= START_QUERIES
        and result["autosave_median_ms"] <= SAVE_TARGET_MS
        and result["autosave_max_queries"] <= SAVE_QUERIES
    )
    record("exam_hot_paths", result)
