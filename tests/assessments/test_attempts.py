"""Attempts through the services: start, autosave, submit, limits, draws, races."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.models import (
    Attempt,
    AttemptItem,
    GradeChange,
    Question,
    Quiz,
    QuizInvitation,
    QuizSlot,
)
from assessments.services import (
    AttemptClosed,
    AttemptError,
    QuizUnavailable,
    StaleAnswer,
    attempt_answer_save,
    attempt_start,
    attempt_submit,
    review_options,
)
from assessments.services.attempts import pool_shortfalls
from assessments.services.closing import GRACE
from tests.factories import UserFactory
from tests.factories import assessments as af

pytestmark = pytest.mark.django_db

Type = Question.Type
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="real concurrency needs PostgreSQL (SQLite serialises writers)",
)
# Hypothesis examples share the test's database transaction; each example runs in a
# savepoint that is rolled back, so they do not see each other's rows.
db_examples = settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class rolled_back(transaction.Atomic):
    def __init__(self):
        super().__init__(using=None, savepoint=True, durable=False)

    def __exit__(self, exc_type, exc_value, traceback):
        transaction.set_rollback(True)
        return super().__exit__(exc_type, exc_value, traceback)


def save(attempt, user, position, response, seq, **kw):
    return attempt_answer_save(
        attempt_public_id=attempt.public_id,
        user=user,
        position=position,
        response=response,
        seq=seq,
        **kw,
    )


@pytest.fixture
def three_questions():
    return [af.question(), af.question(Type.MULTIPLE), af.question(Type.FILL)]


# --- the happy path and submitting once -----------------------------------------------


def test_start_save_submit(learner, three_questions, signal_log):
    quiz = af.quiz(three_questions)
    attempt = attempt_start(quiz=quiz, user=learner)
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert attempt.number == 1 and attempt.max_score == Decimal("3.00")
    assert attempt_start(quiz=quiz, user=learner).pk == attempt.pk  # a second tab
    save(attempt, learner, 1, "A", 1)
    save(attempt, learner, 2, ["B", "A"], 1)
    save(attempt, learner, 3, ["忠 诚"], 1)
    done = attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    assert done.status == Attempt.Status.FINISHED
    assert done.closed_by == Attempt.ClosedBy.LEARNER
    assert done.score == Decimal("3.00") and done.percent == Decimal("100.00")
    assert done.passed is True
    assert signal_log.count("attempt_finished") == 1
    assert signal_log.count("quiz_passed") == 1


def test_double_submit_grades_once(learner, three_questions, signal_log):
    quiz = af.quiz(three_questions)
    attempt = attempt_start(quiz=quiz, user=learner)
    save(attempt, learner, 1, "A", 1)
    first = attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    second = attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    assert signal_log.count("attempt_finished") == 1
    assert not GradeChange.objects.exists()
    assert (second.score, second.graded_at, second.submitted_at) == (
        first.score,
        first.graded_at,
        first.submitted_at,
    )
    assert first.score == Decimal("1.00")


def test_someone_elses_attempt_is_not_found(learner, people, three_questions):
    attempt = attempt_start(quiz=af.quiz(three_questions), user=learner)
    other = people["A2"].user
    with pytest.raises(AttemptError) as err:
        attempt_submit(attempt_public_id=attempt.public_id, user=other)
    assert err.value.code == "not_found"
    with pytest.raises(AttemptError) as err:
        save(attempt, other, 1, "A", 1)
    assert err.value.code == "not_found"
    with pytest.raises(AttemptError) as err:
        attempt_submit(attempt_public_id="not-a-uuid", user=learner)
    assert err.value.code == "not_found"


# --- autosave -------------------------------------------------------------------------


def test_stale_autosave_does_not_overwrite(learner, three_questions):
    attempt = attempt_start(quiz=af.quiz(three_questions), user=learner)
    save(attempt, learner, 1, "B", 5)
    for seq in (5, 4, 1):  # equal (a retried request) or lower (an older tab)
        with pytest.raises(StaleAnswer) as err:
            save(attempt, learner, 1, "C", seq)
        assert err.value.code == "stale"
    item = AttemptItem.objects.get(attempt=attempt, position=1)
    assert (item.response, item.seq) == ("B", 5)
    save(attempt, learner, 1, "A", 6)
    item.refresh_from_db()
    assert (item.response, item.seq) == ("A", 6)


@pytest.mark.parametrize(
    ("position", "response"),
    [
        (1, "E"),  # not an option
        (1, ["A"]),
        (2, "A"),  # multiple takes a list
        (2, ["A", "Z"]),
        (3, "忠诚"),  # fill takes one text per blank
        (3, ["忠诚", "公正"]),
        (3, ["x" * 201]),
        (99, "A"),  # no such question
    ],
)
def test_bad_responses_are_refused(learner, three_questions, position, response):
    attempt = attempt_start(quiz=af.quiz(three_questions), user=learner)
    with pytest.raises(AttemptError):
        save(attempt, learner, position, response, 1)
    assert not AttemptItem.objects.filter(attempt=attempt, seq__gt=0).exists()


@pytest.mark.parametrize("seq", [0, -1, None, "2", True, 1.5])
def test_a_save_needs_a_sequence_number(learner, three_questions, seq):
    attempt = attempt_start(quiz=af.quiz(three_questions), user=learner)
    with pytest.raises(AttemptError):
        save(attempt, learner, 1, "A", seq)


def test_clearing_an_answer_is_allowed(learner, three_questions):
    attempt = attempt_start(quiz=af.quiz(three_questions), user=learner)
    save(attempt, learner, 1, "A", 1)
    save(attempt, learner, 1, None, 2)
    assert AttemptItem.objects.get(attempt=attempt, position=1).response is None


def test_no_saves_after_submit(learner, three_questions):
    attempt = attempt_start(quiz=af.quiz(three_questions), user=learner)
    attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    with pytest.raises(AttemptClosed):
        save(attempt, learner, 1, "A", 1)


def test_answers_after_deadline_and_grace_are_refused_and_close(
    learner, three_questions, signal_log
):
    quiz = af.quiz(three_questions, kind=Quiz.Kind.EXAM, time_limit_minutes=10)
    t0 = timezone.now()
    attempt = attempt_start(quiz=quiz, user=learner, now=t0)
    deadline = t0 + timedelta(minutes=10)
    assert attempt.deadline == deadline
    # A save sent at the last second on a slow line still counts …
    save(attempt, learner, 1, "A", 1, now=deadline + GRACE)
    # … one after the grace does not, and closes the attempt.
    with pytest.raises(AttemptClosed) as err:
        save(
            attempt,
            learner,
            2,
            ["A", "B"],
            1,
            now=deadline + GRACE + timedelta(seconds=1),
        )
    assert err.value.code == "closed"
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.FINISHED
    assert attempt.closed_by == Attempt.ClosedBy.TIMEOUT
    assert attempt.score == Decimal("1.00")
    assert AttemptItem.objects.get(attempt=attempt, position=2).response is None
    assert signal_log.count("attempt_finished") == 1


def test_late_submit_is_recorded_as_a_timeout(learner, three_questions):
    quiz = af.quiz(three_questions, kind=Quiz.Kind.EXAM, time_limit_minutes=5)
    t0 = timezone.now() - timedelta(minutes=30)
    attempt = attempt_start(quiz=quiz, user=learner, now=t0)
    done = attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    assert done.closed_by == Attempt.ClosedBy.TIMEOUT
    assert done.status == Attempt.Status.FINISHED


def test_an_overdue_open_attempt_is_closed_when_the_learner_starts_again(
    learner, three_questions
):
    quiz = af.quiz(three_questions, time_limit_minutes=5, max_attempts=2)
    t0 = timezone.now() - timedelta(hours=1)
    first = attempt_start(quiz=quiz, user=learner, now=t0)
    second = attempt_start(quiz=quiz, user=learner)
    first.refresh_from_db()
    assert first.status == Attempt.Status.FINISHED
    assert first.closed_by == Attempt.ClosedBy.TIMEOUT
    assert second.pk != first.pk and second.number == 2


# --- who may start, how often ---------------------------------------------------------


def test_max_attempts_enforced(learner, three_questions):
    quiz = af.quiz(three_questions, max_attempts=2)
    for number in (1, 2):
        attempt = attempt_start(quiz=quiz, user=learner)
        assert attempt.number == number
        attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    with pytest.raises(QuizUnavailable) as err:
        attempt_start(quiz=quiz, user=learner)
    assert err.value.code == "unavailable"
    assert Attempt.objects.filter(quiz=quiz, user=learner).count() == 2


def test_zero_max_attempts_means_unlimited(learner, three_questions):
    quiz = af.quiz(three_questions, max_attempts=0)
    for _ in range(4):
        attempt = attempt_start(quiz=quiz, user=learner)
        attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    assert Attempt.objects.filter(quiz=quiz, user=learner).count() == 4


@pytest.mark.parametrize(
    "fields",
    [
        {"is_published": False},
        {"open_at": timezone.now() + timedelta(days=1)},
        {"close_at": timezone.now() - timedelta(minutes=1)},
        {"audience": Quiz.Audience.INVITED},
    ],
    ids=["unpublished", "not-open-yet", "closed", "not-invited"],
)
def test_refusals(learner, three_questions, fields):
    quiz = af.quiz(three_questions, **fields)
    with pytest.raises(QuizUnavailable):
        attempt_start(quiz=quiz, user=learner)
    assert not Attempt.objects.exists()


def test_invited_learner_may_start(learner, people, three_questions):
    quiz = af.quiz(three_questions, audience=Quiz.Audience.INVITED)
    QuizInvitation.objects.create(quiz=quiz, user=learner)
    assert attempt_start(quiz=quiz, user=learner).user == learner
    with pytest.raises(QuizUnavailable):
        attempt_start(quiz=quiz, user=people["A2"].user)


def test_open_window_allows_start(learner, three_questions):
    now = timezone.now()
    quiz = af.quiz(
        three_questions,
        open_at=now - timedelta(minutes=1),
        close_at=now + timedelta(hours=1),
    )
    assert attempt_start(quiz=quiz, user=learner, now=now).pk


def test_keys_after_close_wait_for_the_grace_of_open_attempts(learner, people):
    # An attempt whose deadline is the close still saves answers for GRACE after
    # it; the keys must not be readable by anyone (and passed on) before then.
    now = timezone.now()
    quiz = af.quiz(
        [af.question()],
        close_at=now + timedelta(minutes=10),
        review_answers=Quiz.Review.AFTER_CLOSE,
    )
    done = attempt_start(quiz=quiz, user=learner, now=now)
    done = attempt_submit(attempt_public_id=done.public_id, user=learner, now=now)
    late = attempt_start(quiz=quiz, user=people["A2"].user, now=now)
    at_close = quiz.close_at + timedelta(seconds=1)
    assert not review_options(done, now=at_close).answers
    attempt_answer_save(
        attempt_public_id=late.public_id,
        user=people["A2"].user,
        position=1,
        response="A",
        seq=1,
        now=at_close,
    )
    after_grace = quiz.close_at + GRACE + timedelta(seconds=1)
    assert review_options(done, now=after_grace).answers


def test_quiz_without_questions_is_refused(learner):
    with pytest.raises(QuizUnavailable):
        attempt_start(quiz=af.quiz([]), user=learner)


# --- deadline -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "close_in", "expected"),
    [
        (None, None, None),
        (30, None, "limit"),
        (None, 20, "close"),
        (30, 90, "limit"),  # the time limit ends first
        (30, 10, "close"),  # the quiz closes first
    ],
)
def test_deadline_is_the_earlier_of_limit_and_close(
    learner, three_questions, limit, close_in, expected
):
    now = timezone.now()
    close_at = now + timedelta(minutes=close_in) if close_in else None
    quiz = af.quiz(three_questions, time_limit_minutes=limit, close_at=close_at)
    attempt = attempt_start(quiz=quiz, user=learner, now=now)
    assert (
        attempt.deadline
        == {
            None: None,
            "limit": now + timedelta(minutes=limit or 0),
            "close": close_at,
        }[expected]
    )


# --- drawing questions ----------------------------------------------------------------


def bank(subject, n, *, qtype=Type.SINGLE, difficulty=2):
    return [
        af.question(
            qtype, subj=subject, stem=f"{subject.name}题{i}", difficulty=difficulty
        )
        for i in range(n)
    ]


def drawn_questions(attempt) -> list[int]:
    return list(
        attempt.items.order_by("position").values_list(
            "version__question_id", flat=True
        )
    )


@db_examples
@given(
    pool_size=st.integers(min_value=1, max_value=7),
    fixed=st.integers(min_value=0, max_value=3),
    count=st.integers(min_value=1, max_value=8),
    pool_first=st.booleans(),
    shuffle=st.booleans(),
)
def test_draws_never_repeat_a_fixed_question(
    learner, pool_size, fixed, count, pool_first, shuffle
):
    """A fixed line and a pool over the same subject: the pool draws around the
    fixed questions, whichever line comes first, so every learner gets the same
    number of distinct questions (or nobody starts when the pool is too small)."""
    fixed = min(fixed, pool_size)
    with rolled_back():
        subject = af.subject("抽题")
        questions = bank(subject, pool_size)
        quiz = af.quiz(shuffle_questions=shuffle, max_attempts=0)
        fixed_order = 10 if pool_first else 0
        for i, q in enumerate(questions[:fixed]):
            QuizSlot.objects.create(quiz=quiz, sort_order=fixed_order + i, question=q)
        QuizSlot.objects.create(
            quiz=quiz, sort_order=5, pool_subject=subject, count=count
        )
        if fixed + count > pool_size:
            with pytest.raises(QuizUnavailable):
                attempt_start(quiz=quiz, user=learner)
            return
        attempt = attempt_start(quiz=quiz, user=learner)
        drawn = drawn_questions(attempt)
        assert len(drawn) == fixed + count
        assert len(set(drawn)) == len(drawn)
        assert {q.pk for q in questions[:fixed]} <= set(drawn)
        assert attempt.max_score == Decimal(fixed + count)


@db_examples
@given(
    pool_size=st.integers(min_value=1, max_value=6),
    first=st.integers(min_value=1, max_value=6),
    second=st.integers(min_value=1, max_value=6),
)
def test_two_overlapping_pools_draw_distinct_questions(
    learner, pool_size, first, second
):
    with rolled_back():
        subject = af.subject("两池")
        bank(subject, pool_size)
        quiz = af.quiz(
            pools=[
                {"pool_subject": subject, "count": first},
                {"pool_subject": subject, "count": second},
            ]
        )
        if first + second > pool_size:
            with pytest.raises(QuizUnavailable):
                attempt_start(quiz=quiz, user=learner)
            return
        drawn = drawn_questions(attempt_start(quiz=quiz, user=learner))
        assert len(drawn) == len(set(drawn)) == first + second


@db_examples
@given(
    qtype=st.sampled_from([None, Type.SINGLE, Type.TRUE_FALSE]),
    difficulty=st.sampled_from([None, 1, 3]),
    count=st.integers(min_value=1, max_value=4),
)
def test_pools_respect_subject_type_and_difficulty(learner, qtype, difficulty, count):
    with rolled_back():
        wanted, other = af.subject("甲科目"), af.subject("乙科目")
        for subj in (wanted, other):
            for t in (Type.SINGLE, Type.TRUE_FALSE):
                for d in (1, 3):
                    bank(subj, 2, qtype=t, difficulty=d)
        # Questions that are not in use are never drawn.
        for q in bank(
            wanted, 3, qtype=qtype or Type.SINGLE, difficulty=difficulty or 1
        ):
            q.status = Question.Status.RETIRED if q.pk % 2 else Question.Status.DRAFT
            q.save(update_fields=["status"])
        matching = Question.objects.filter(
            subject=wanted, status=Question.Status.IN_USE
        )
        if qtype:
            matching = matching.filter(qtype=qtype)
        if difficulty:
            matching = matching.filter(difficulty=difficulty)
        quiz = af.quiz(
            pools=[
                {
                    "pool_subject": wanted,
                    "pool_qtype": qtype or "",
                    "pool_difficulty": difficulty,
                    "count": count,
                }
            ]
        )
        if count > matching.count():
            with pytest.raises(QuizUnavailable):
                attempt_start(quiz=quiz, user=learner)
            return
        drawn = drawn_questions(attempt_start(quiz=quiz, user=learner))
        assert len(drawn) == count
        assert set(drawn) <= set(matching.values_list("pk", flat=True))


def test_draws_differ_between_learners(tree, people):
    subject = af.subject("随机")
    bank(subject, 30)
    quiz = af.quiz(pools=[{"pool_subject": subject, "count": 5}])
    sets = {
        frozenset(drawn_questions(attempt_start(quiz=quiz, user=people[code].user)))
        for code in ("A1", "A2", "B1", "CITY-A", "CITY-B", "PROV")
    }
    # C(30, 5) = 142,506 possible sets: six identical draws would mean no randomness.
    assert len(sets) > 1


def test_option_shuffling_keeps_the_key_set(learner):
    questions = [
        af.question(Type.SINGLE),
        af.question(Type.MULTIPLE),
        af.question(Type.TRUE_FALSE),
        af.question(Type.FILL),
    ]
    quiz = af.quiz(questions, shuffle_options=True, max_attempts=0)
    orders = set()
    for _ in range(12):
        attempt = attempt_start(quiz=quiz, user=learner)
        for item in attempt.items.select_related("version"):
            if item.qtype in (Type.SINGLE, Type.MULTIPLE):
                assert sorted(item.option_order) == sorted(item.version.option_keys)
                orders.add(tuple(item.option_order))
            elif item.qtype == Type.TRUE_FALSE:
                assert item.option_order == ["T", "F"]
            else:
                assert item.option_order == []
        attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    assert len(orders) > 1


def test_shuffled_options_are_answered_by_key_not_position(learner):
    quiz = af.quiz([af.question(Type.SINGLE)], shuffle_options=True)
    attempt = attempt_start(quiz=quiz, user=learner)
    save(attempt, learner, 1, "A", 1)
    done = attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    assert done.score == Decimal("1.00")


# --- query counts ---------------------------------------------------------------------


def test_attempt_start_query_count(learner, django_assert_max_num_queries):
    s1, s2 = af.subject("池一"), af.subject("池二")
    bank(s1, 6)
    bank(s2, 6, qtype=Type.TRUE_FALSE)
    quiz = af.quiz(
        [af.question(), af.question(Type.MULTIPLE)],
        pools=[
            {"pool_subject": s1, "count": 3},
            {"pool_subject": s2, "count": 3},
        ],
        shuffle_questions=True,
        shuffle_options=True,
    )
    quiz = Quiz.objects.get(pk=quiz.pk)
    with django_assert_max_num_queries(10):
        attempt = attempt_start(quiz=quiz, user=learner)
    assert attempt.items.count() == 8


def test_attempt_start_queries_do_not_grow_with_pool_lines(learner):
    subjects = [af.subject(f"科目{i}") for i in range(4)]
    for subject in subjects:
        bank(subject, 3)

    def queries_to_start(pool_subjects):
        quiz = af.quiz(pools=[{"pool_subject": s, "count": 2} for s in pool_subjects])
        with CaptureQueriesContext(connection) as queries:
            attempt_start(quiz=Quiz.objects.get(pk=quiz.pk), user=learner)
        return len(queries)

    assert queries_to_start(subjects[:1]) == queries_to_start(subjects)


def test_attempt_answer_save_is_two_queries(
    learner, three_questions, django_assert_num_queries
):
    attempt = attempt_start(quiz=af.quiz(three_questions), user=learner)
    with django_assert_num_queries(2):
        save(attempt, learner, 3, ["忠诚"], 1)


# --- races (PostgreSQL) ---------------------------------------------------------------


def race(calls: int, fn):
    """Run ``fn`` in ``calls`` threads released at the same instant; return results
    and exceptions."""
    barrier = threading.Barrier(calls)
    results, errors = [], []
    lock = threading.Lock()

    def target():
        try:
            connection.ensure_connection()
            barrier.wait(timeout=10)
            value = fn()
            with lock:
                results.append(value)
        except Exception as exc:  # reported by the test
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target) for _ in range(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results, errors


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_grade_once(learner, three_questions, signal_log):
    quiz = af.quiz(three_questions)
    attempt = attempt_start(quiz=quiz, user=learner)
    save(attempt, learner, 1, "A", 1)
    results, errors = race(
        4, lambda: attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    )
    assert not errors
    assert signal_log.count("attempt_finished") == 1
    assert not GradeChange.objects.exists()
    assert {(a.pk, a.score, a.status, a.graded_at) for a in results} == {
        (attempt.pk, Decimal("1.00"), Attempt.Status.FINISHED, results[0].graded_at)
    }


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_make_one_attempt(learner, three_questions):
    quiz = af.quiz(three_questions)
    results, errors = race(4, lambda: attempt_start(quiz=quiz, user=learner))
    assert not errors
    assert Attempt.objects.filter(quiz=quiz, user=learner).count() == 1
    assert len({a.pk for a in results}) == 1
    assert AttemptItem.objects.filter(attempt__quiz=quiz).count() == 3


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_keep_the_newest(learner, three_questions):
    attempt = attempt_start(quiz=af.quiz(three_questions), user=learner)
    seqs = iter(range(1, 9))
    lock = threading.Lock()

    def one_save():
        with lock:
            seq = next(seqs)
        try:
            return save(attempt, learner, 1, "AB"[seq % 2], seq)
        except StaleAnswer:
            return None

    _results, errors = race(8, one_save)
    assert not errors
    item = AttemptItem.objects.get(attempt=attempt, position=1)
    assert item.seq == 8 and item.response == "A"


def test_user_without_attempts_starts_at_number_one(three_questions):
    user = UserFactory()
    assert attempt_start(quiz=af.quiz(three_questions), user=user).number == 1


@pytest.mark.django_db
def test_publish_check_counts_pools_that_share_questions():
    subj = af.subject("突发事件处置")
    bank = [af.question(subj=subj, stem=f"应急第{i}题") for i in range(5)]
    # Two lines drawing 3 each from the same 5 questions: either order can leave the
    # second line short, so both are reported.
    quiz = af.quiz(
        pools=[
            {"pool_subject": subj, "pool_qtype": "single", "count": 3},
            {"pool_subject": subj, "count": 3},
        ]
    )
    assert [(s.count, n) for s, n in pool_shortfalls(quiz)] == [(3, 2), (3, 2)]
    # A fixed question is never drawn, so it shrinks the pool too.
    quiz = af.quiz([bank[0]], pools=[{"pool_subject": subj, "count": 5}])
    assert [n for _s, n in pool_shortfalls(quiz)] == [4]
    quiz = af.quiz([bank[0]], pools=[{"pool_subject": subj, "count": 4}])
    assert pool_shortfalls(quiz) == []
