"""seed_scale on tiny numbers: a valid tree, believable people, a year of ledger,
repeatable by seed, and careful about what it deletes."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from assessments.models import Attempt, Quiz
from courses.models import CourseIndexPage, CoursePage, Enrollment
from training.certificates.models import Certificate
from training.compliance.models import ComplianceStatus
from training.compliance.rollup_models import UnitRollup, UnitRollupMonth
from training.demo import scale
from training.ledger.models import LedgerEntry
from training.ledger.services import ledger_credit_course, ledger_credit_quiz
from training.org.models import OrgUnit, Person
from training.programmes.models import Programme

UNITS, PEOPLE = 40, 500


def seed(**options) -> str:
    out = io.StringIO()
    call_command(
        "seed_scale",
        units=UNITS,
        people=PEOPLE,
        force=True,
        stdout=out,
        **options,
    )
    return out.getvalue()


def snapshot() -> list[tuple]:
    people = Person.objects.filter(employee_no__startswith=scale.PREFIX)
    rows = people.order_by("employee_no").values_list(
        "employee_no",
        "user__full_name",
        "unit__code",
        "unit__name",
        "category",
        "grade",
        "is_quota",
        "leadership_level",
        "joined_on",
    )
    ledger = (
        LedgerEntry.objects.filter(person__in=people)
        .values_list("person__employee_no", "source", "hours", "days", "occurred_on")
        .order_by("person__employee_no", "occurred_on", "source", "hours", "days")
    )
    enrollments = (
        Enrollment.objects.filter(user__person__in=people)
        .values_list(
            "user__username", "course__slug", "completed_at", "progress_percent"
        )
        .order_by("user__username", "course__slug")
    )
    attempts = (
        Attempt.objects.filter(user__person__in=people)
        .values_list("user__username", "quiz__title", "number", "score", "passed")
        .order_by("user__username", "quiz__title", "number")
    )
    return [*rows, *ledger, *enrollments, *attempts]


def test_default_unit_counts_are_national():
    assert scale.unit_counts(3600) == {
        "supreme": 1,
        "province": 32,
        "city": 400,
        "basic": 3100,
        "office": 67,
    }
    small = scale.unit_counts(UNITS)
    assert sum(small.values()) == UNITS
    assert all(small[tier] >= 1 for tier in ("province", "city", "basic"))


def test_full_size_tree_in_memory_is_consistent():
    rows = scale.build_tree(3600, random.Random(1), "0002", first_id=1)
    assert len(rows) == 3600
    assert len({r.path for r in rows}) == 3600
    assert len({r.code for r in rows}) == 3600
    by_path = {r.path: r for r in rows}
    for row in rows:
        depth = len(row.path) // OrgUnit.steplen
        if depth > 1:
            parent = by_path[row.path[: -OrgUnit.steplen]]
            assert row in parent.children
    depths = Counter(len(r.path) // OrgUnit.steplen for r in rows)
    assert depths == {1: 1, 2: 32, 3: 400, 4: 3100, 5: 67}
    names = [r.name for r in rows]
    assert len(set(names)) > 3500  # place names are unique, 分院 names per city
    assert names[0] == "最高人民检察院"


@pytest.mark.django_db
def test_seed_builds_a_valid_tree_people_and_ledger(tree):
    seed(seed=3)
    units = OrgUnit.objects.filter(code__startswith=scale.PREFIX)
    assert units.count() == UNITS
    # The earlier tree is untouched and treebeard finds nothing wrong.
    assert OrgUnit.objects.filter(code="PROV").exists()
    assert OrgUnit.find_problems() == ([], [], [], [], [])
    root = units.get(depth=1)
    assert root.name == "最高人民检察院"
    assert root.get_descendant_count() == UNITS - 1
    assert set(units.values_list("depth", flat=True)) == {1, 2, 3, 4, 5}
    for unit in units:
        assert unit.numchild == unit.get_children().count()

    people = Person.objects.filter(employee_no__startswith=scale.PREFIX)
    assert people.count() == PEOPLE
    assert not people.exclude(unit__in=units).exists()
    sample = people.select_related("user").first()
    assert not sample.user.has_usable_password()
    sample.full_clean()
    mix = Counter(people.values_list("category", flat=True))
    assert 0.3 < mix[Person.Category.PROSECUTOR] / PEOPLE < 0.5
    # Grades only for prosecutors; most prosecutors are 员额.
    assert not people.exclude(category=Person.Category.PROSECUTOR).exclude(grade="")
    assert not people.filter(category=Person.Category.PROSECUTOR, grade="").exists()
    quota = people.filter(is_quota=True).count()
    assert quota > mix[Person.Category.PROSECUTOR] * 0.7
    assert people.filter(leadership_level=Person.LeadershipLevel.COUNTY).exists()

    entries = LedgerEntry.objects.filter(person__in=people)
    per_person = entries.values("person").annotate(n=Count("id"))
    bounds = per_person.aggregate(low=Min("n"), high=Max("n"))
    assert 8 <= bounds["low"] <= bounds["high"] <= 12
    span = entries.aggregate(first=Min("occurred_on"), last=Max("occurred_on"))
    assert span["first"] >= dt.date(2026, 1, 1)
    assert span["last"] <= dt.date(2026, 12, 31)
    sources = set(entries.values_list("source", flat=True))
    assert {"course", "quiz", "class"} <= sources
    assert not entries.filter(source="course", is_online=False).exists()

    keys = set(Programme.objects.values_list("key", flat=True))
    assert {"annual-on-the-job", "annual-online", "political-2026"} <= keys
    political = Programme.objects.get(key="political-2026")
    earmarked = entries.filter(programme=political)
    assert earmarked.exists()
    assert not earmarked.exclude(person__category=Person.Category.PROSECUTOR)


@pytest.mark.django_db
def test_same_seed_same_world_and_reset_keeps_other_data(tree, people):
    seed(seed=11)
    first = snapshot()
    with pytest.raises(CommandError):
        seed(seed=11)  # refuses: the data is already there
    seed(seed=11, reset=True)
    assert snapshot() == first
    seed(seed=12, reset=True)
    assert snapshot() != first
    # Reset deletes only what seed_scale made.
    assert Person.objects.filter(pk=people["A1"].pk).exists()
    assert OrgUnit.objects.filter(code__startswith=scale.PREFIX).count() == UNITS


@pytest.mark.django_db
def test_refused_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_scale", units=UNITS, people=10)
    assert not OrgUnit.objects.filter(code__startswith=scale.PREFIX).exists()


@pytest.mark.django_db
def test_reset_removes_everything_it_made():
    seed(seed=5)
    pages = set(CoursePage.objects.values_list("pk", flat=True))
    exams = set(Quiz.objects.values_list("pk", flat=True))
    scale.scale_reset()
    assert not scale.scale_data_exists()
    assert not LedgerEntry.objects.exists()
    assert not Enrollment.objects.exists()
    assert not Attempt.objects.exists()
    # The national courses and exams stay, and the next seed uses them again.
    seed(seed=5)
    assert set(CoursePage.objects.values_list("pk", flat=True)) == pages
    assert set(Quiz.objects.values_list("pk", flat=True)) == exams
    assert Enrollment.objects.filter(course_id__in=pages).exists()


def _key_id(key: str) -> int:
    return int(key.rsplit(":", 1)[1])


@pytest.mark.django_db
def test_enrolments_and_attempts_behind_the_online_ledger(tree):
    out = seed(seed=4)
    assert "course enrolments" in out and "Seconds by phase" in out
    people = Person.objects.filter(employee_no__startswith=scale.PREFIX)
    entries = LedgerEntry.objects.filter(person__in=people)
    index = CourseIndexPage.objects.get(slug=scale.CATALOGUE_SLUG)
    courses = {c.pk: c for c in CoursePage.objects.child_of(index).live()}
    assert len(courses) == len(scale.NATIONAL_COURSES)

    # Every course credit is a completed enrolment, as ledger_credit_course keys it.
    enrollments = Enrollment.objects.filter(user__person__in=people)
    done = {e.pk: e for e in enrollments.filter(completed_at__isnull=False)}
    course_entries = list(entries.filter(source=LedgerEntry.Source.COURSE))
    assert len(course_entries) == len(done)
    for entry in course_entries:
        enrollment = done[_key_id(entry.source_key)]
        assert entry.source_key == f"enrollment:{enrollment.pk}"
        assert enrollment.user_id == entry.person.user_id
        course = courses[enrollment.course_id]
        assert enrollment.credit_hours == entry.hours == course.credit_hours
        assert entry.title == f"课程：{course.title}"
        assert timezone.localdate(enrollment.completed_at) == entry.occurred_on
        assert enrollment.enrolled_at <= enrollment.completed_at
        assert enrollment.progress_percent == 100
    started = enrollments.filter(completed_at__isnull=True)
    assert started.exists()
    assert not started.exclude(credit_hours__isnull=True).exists()
    assert not started.filter(progress_percent__gte=100).exists()
    # One enrolment per learner and course (the unique constraint held).
    assert enrollments.values("user", "course").distinct().count() == (
        enrollments.count()
    )

    # Every exam credit is a passed, graded attempt, keyed as ledger_credit_quiz does.
    exams = {q.pk: q for q in Quiz.objects.filter(description=scale.EXAM_MARK)}
    assert [exams[pk].title for pk in sorted(exams)] == scale.EXAMS
    attempts = Attempt.objects.filter(user__person__in=people)
    passed = {a.pk: a for a in attempts.filter(passed=True)}
    quiz_entries = list(entries.filter(source=LedgerEntry.Source.QUIZ))
    assert len(quiz_entries) == len(passed)
    for entry in quiz_entries:
        attempt = passed[_key_id(entry.source_key)]
        assert entry.source_key == (
            f"quiz:{attempt.quiz_id}:{attempt.user_id}:{attempt.pk}"
        )
        assert entry.title == f"考试合格：{exams[attempt.quiz_id].title}"
        assert entry.hours == Decimal("0.5")
        assert attempt.status == Attempt.Status.FINISHED
        assert attempt.score >= 60 and attempt.percent == attempt.score
        assert timezone.localdate(attempt.graded_at) == entry.occurred_on
    failed = attempts.filter(passed=False)
    assert failed.exists()
    assert not failed.filter(score__gte=60).exists()
    assert not attempts.exclude(status=Attempt.Status.FINISHED).exists()
    # Each exam passed at most once a person; a failed first try comes earlier.
    assert attempts.filter(passed=True).values("user", "quiz").distinct().count() == (
        len(passed)
    )
    for retry in attempts.filter(number=2).select_related("quiz")[:20]:
        first = attempts.get(user=retry.user_id, quiz=retry.quiz_id, number=1)
        assert first.passed is False and first.submitted_at < retry.started_at

    # The real credit services see them as already credited: nothing is added.
    entry = course_entries[0]
    enrollment = done[_key_id(entry.source_key)]
    again = ledger_credit_course(
        enrollment_id=enrollment.pk,
        user_id=enrollment.user_id,
        course=courses[enrollment.course_id],
        completed_at=enrollment.completed_at,
        credit_hours=enrollment.credit_hours,
    )
    assert again.pk == entry.pk
    attempt = next(iter(passed.values()))
    quiz = exams[attempt.quiz_id]
    assert (
        ledger_credit_quiz(attempt=attempt, user_id=attempt.user_id, quiz=quiz) is None
    )
    assert (
        entries.count()
        == len(course_entries)
        + entries.exclude(source=LedgerEntry.Source.COURSE).count()
    )


@pytest.mark.django_db
def test_recompute_leaves_statuses_roll_ups_and_a_certificate_sample(
    tree, django_capture_on_commit_callbacks
):
    out = seed(seed=6, recompute=True, certificates=2)
    assert "Certificates issued (real PDFs, a sample): 2" in out
    statuses = ComplianceStatus.objects.filter(
        person__employee_no__startswith=scale.PREFIX
    )
    assert statuses.count() >= PEOPLE * 2  # two all-staff yearly programmes at least
    # The roll-ups count exactly the status rows, cycle by cycle.
    for programme_id, start in set(statuses.values_list("programme_id", "cycle_start")):
        cycle = {"programme_id": programme_id, "cycle_start": start}
        rollups = UnitRollup.objects.filter(**cycle).aggregate(
            total=Sum("total"), compliant=Sum("compliant")
        )
        rows = ComplianceStatus.objects.filter(**cycle)
        assert rollups["total"] == rows.count()
        assert rollups["compliant"] == rows.filter(status="compliant").count()
        met = UnitRollupMonth.objects.filter(**cycle).aggregate(met=Sum("met"))
        assert (met["met"] or 0) == rows.filter(status="compliant").count()

    certificates = Certificate.objects.select_related("programme")
    assert certificates.count() == 2
    for certificate in certificates:
        assert certificate.programme.issues_certificate
        assert (
            ComplianceStatus.objects.get(
                person=certificate.person,
                programme=certificate.programme,
                cycle_start=certificate.cycle_start,
            ).status
            == ComplianceStatus.Status.COMPLIANT
        )
        with certificate.pdf.open("rb") as pdf:
            assert hashlib.sha256(pdf.read()).hexdigest() == certificate.sha256
    files = [c.pdf.name for c in certificates]
    storage = Certificate._meta.get_field("pdf").storage
    assert all(storage.exists(name) for name in files)

    with django_capture_on_commit_callbacks(execute=True):
        scale.scale_reset()
    assert not Certificate.objects.exists()
    assert not any(storage.exists(name) for name in files)
    assert not ComplianceStatus.objects.exists()
    assert not UnitRollup.objects.exists() and not UnitRollupMonth.objects.exists()
