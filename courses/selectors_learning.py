"""Reads for the catalogue grid, "My learning" and the coordinator's assignment
preview. They build on ``courses.selectors`` (the contract) without changing it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, prefetch_related_objects
from django.urls import NoReverseMatch, reverse

from assessments.models import Subject
from courses import selectors
from courses.models import CoursePage, Enrollment, LessonPage

CATALOGUE_PAGE_SIZE = 12


def lesson_counts(courses: Iterable[CoursePage]) -> dict[int, int]:
    """Live lessons per course, one query for the whole page of courses."""
    by_path = {course.path: course.pk for course in courses}
    if not by_path:
        return {}
    q = Q()
    for path in by_path:
        q |= Q(path__startswith=path)
    counts = dict.fromkeys(by_path.values(), 0)
    for path in LessonPage.objects.live().filter(q).values_list("path", flat=True):
        # A lesson's parent is its course (LessonPage.parent_page_types).
        course_id = by_path.get(path[: -CoursePage.steplen])
        if course_id is not None:
            counts[course_id] += 1
    return counts


def catalogue_page(
    courses: QuerySet[CoursePage], number, *, per_page: int = CATALOGUE_PAGE_SIZE
) -> PaginatorPage:
    """One page of the catalogue, each course carrying ``lesson_count`` and its
    cover renditions prefetched (so the grid costs a fixed number of queries)."""
    courses = courses.prefetch_related("cover_image__renditions")
    page = Paginator(courses, per_page).get_page(number)
    rows = list(page.object_list)
    counts = lesson_counts(rows)
    for course in rows:
        course.lesson_count = counts.get(course.pk, 0)
    page.object_list = rows
    return page


def catalogue_subjects() -> list[Subject]:
    """Subjects that at least one published course carries."""
    return list(
        Subject.objects.filter(courses__live=True)
        .distinct()
        .order_by("sort_order", "name")
    )


def certificates_url() -> str | None:
    """The learner's certificates page, when the training app provides it (courses
    must not import training, so the URL is looked up by name)."""
    try:
        return reverse("training:certificates_mine")
    except NoReverseMatch:
        return None


def learning_page(*, user, year: int | None = None) -> dict[str, Any]:
    """Everything "My learning" shows: the contract's overview plus counts."""
    overview = selectors.learning_overview(user=user, year=year)
    rows = [
        *overview["assigned"],
        *overview["in_progress"],
        *overview["not_started"],
        *overview["completed"],
    ]
    prefetch_related_objects(rows, "course__subjects")
    overview["overdue_count"] = sum(1 for e in overview["assigned"] if e.is_overdue)
    overview["other_count"] = len(overview["in_progress"]) + len(
        overview["not_started"]
    )
    overview["open_count"] = len(overview["assigned"]) + overview["other_count"]
    overview["certificates_url"] = certificates_url()
    return overview


@dataclass(frozen=True)
class EnrollmentCounts:
    enrolled: int
    completed: int


def enrollment_counts(*, course: CoursePage, user_ids) -> EnrollmentCounts:
    """How many of ``user_ids`` (a list or a values() queryset) already have an
    enrolment in ``course``, and how many of those completed it."""
    counts = Enrollment.objects.filter(course=course, user_id__in=user_ids).aggregate(
        enrolled=Count("pk"),
        completed=Count("pk", filter=Q(completed_at__isnull=False)),
    )
    return EnrollmentCounts(
        enrolled=counts["enrolled"] or 0, completed=counts["completed"] or 0
    )


def assignable_courses() -> QuerySet[CoursePage]:
    """Published courses a coordinator can assign, by title."""
    return CoursePage.objects.live().order_by("title", "pk")
