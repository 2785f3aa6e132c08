"""Reads that need care: the catalogue with its filters, a learner's own progress,
scoped lists for staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.params import query_int
from cms.scope import visible_user_ids
from courses.audience import CATEGORY_CHOICES
from courses.models import (
    Assignment,
    CourseIndexPage,
    CoursePage,
    Enrollment,
    LessonPage,
    LessonProgress,
)

DURATION_BANDS = {
    "lt15": _("Under 15 minutes"),
    "15to30": _("15 to 30 minutes"),
    "30to60": _("30 to 60 minutes"),
    "gte60": _("1 hour or more"),
}
_DURATION_FILTERS = {
    "lt15": Q(estimated_minutes__lt=15),
    "15to30": Q(estimated_minutes__gte=15, estimated_minutes__lt=30),
    "30to60": Q(estimated_minutes__gte=30, estimated_minutes__lt=60),
    "gte60": Q(estimated_minutes__gte=60),
}
SORTS = {
    "newest": _("Newest"),
    "title": _("Title"),
    "popular": _("Most enrolled"),
    "duration": _("Shortest first"),
    "credit": _("Most credit hours"),
}
_ORDERINGS = {
    "newest": ("-first_published_at", "-pk"),
    "title": ("title", "pk"),
    "popular": ("-enrolled_count", "-first_published_at", "-pk"),
    "duration": ("estimated_minutes", "title", "pk"),
    "credit": ("-estimated_minutes", "title", "pk"),
}
_CATEGORIES = {value for value, _label in CATEGORY_CHOICES}


def _small_id(value: str) -> int | None:
    """A primary key from the query string, or None (0 is no key)."""
    return query_int(value) or None


@dataclass(frozen=True)
class CatalogueParams:
    subject: int | None = None
    audience: str = ""
    duration: str = ""
    required: bool = False
    sort: str = "newest"
    q: str = ""

    @classmethod
    def from_query(cls, query) -> CatalogueParams:
        """Tolerant: an unknown value is the same as no value."""
        subject = query.get("subject", "")
        audience = query.get("audience", "")
        duration = query.get("duration", "")
        sort = query.get("sort", "")
        return cls(
            subject=_small_id(subject),
            audience=audience if audience in _CATEGORIES else "",
            duration=duration if duration in DURATION_BANDS else "",
            required=query.get("required", "") in {"1", "on", "true"},
            sort=sort if sort in SORTS else "newest",
            q=query.get("q", "").strip()[:100],
        )

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.subject or self.audience or self.duration or self.required or self.q
        )


def catalogue(
    *, user, index: CourseIndexPage | None = None, params: CatalogueParams | None = None
) -> QuerySet[CoursePage]:
    """Published, public courses with the catalogue's filters, annotated with the
    user's own enrolment (``my_*``) and the enrolment count."""
    params = params or CatalogueParams()
    courses = CoursePage.objects.live().public()
    if index is not None:
        courses = courses.descendant_of(index)
    if params.subject:
        courses = courses.filter(subjects=params.subject)
    if params.audience:
        # JSON text match works the same on SQLite and PostgreSQL; an empty list
        # means the course is meant for everyone.
        courses = courses.filter(
            Q(audience_categories=[])
            | Q(audience_categories__icontains=f'"{params.audience}"')
        )
    if params.duration:
        courses = courses.filter(_DURATION_FILTERS[params.duration])
    if params.q:
        courses = courses.filter(
            Q(title__icontains=params.q) | Q(summary__icontains=params.q)
        )
    mine = Enrollment.objects.filter(course=OuterRef("pk"), user_id=user.pk)
    courses = courses.annotate(
        my_enrolled=Exists(mine),
        my_required=Subquery(mine.values("required")[:1]),
        my_due_on=Subquery(mine.values("due_on")[:1]),
        my_completed_at=Subquery(mine.values("completed_at")[:1]),
        my_progress=Subquery(mine.values("progress_percent")[:1]),
    )
    if params.required:
        courses = courses.filter(
            Exists(mine.filter(required=True, completed_at__isnull=True))
        )
    if params.sort == "popular":
        courses = courses.annotate(
            enrolled_count=Subquery(
                Enrollment.objects.filter(course=OuterRef("pk"))
                .values("course")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            )
        )
    if params.subject:
        courses = courses.distinct()
    return (
        courses.select_related("cover_image")
        .prefetch_related("subjects")
        .order_by(*_ORDERINGS[params.sort])
    )


@dataclass(frozen=True)
class LessonRow:
    lesson: LessonPage
    progress: LessonProgress | None

    @property
    def status(self) -> str:
        if self.progress is None:
            return "todo"
        return "done" if self.progress.completed_at else "started"

    @property
    def percent(self) -> int:
        if self.progress is None:
            return 0
        return self.progress.percent


def lesson_outline(*, course: CoursePage, user) -> list[LessonRow]:
    """The course's live lessons with the user's own progress (two queries)."""
    lessons = list(course.lessons())
    progress = {}
    if user.is_authenticated:
        progress = {
            p.lesson_id: p
            for p in LessonProgress.objects.filter(
                user=user, lesson__in=[lesson.pk for lesson in lessons]
            )
        }
    rows = []
    for lesson in lessons:
        row_progress = progress.get(lesson.pk)
        if row_progress is not None:
            row_progress.lesson = lesson
        rows.append(LessonRow(lesson=lesson, progress=row_progress))
    return rows


def enrollment_for(*, user, course: CoursePage) -> Enrollment | None:
    if not user.is_authenticated:
        return None
    return (
        Enrollment.objects.select_related("assigned_by")
        .filter(user=user, course=course)
        .first()
    )


def course_page_context(*, course: CoursePage, user) -> dict[str, Any]:
    from courses.services.progress import counted_lesson_ids

    enrollment = enrollment_for(user=user, course=course)
    outline = lesson_outline(course=course, user=user)
    counted = set(counted_lesson_ids(course))
    resume = None
    if enrollment is not None:
        by_id = {row.lesson.pk: row for row in outline}
        last = by_id.get(enrollment.last_lesson_id)
        if last is not None and last.status != "done":
            resume = last.lesson
        else:
            resume = next(
                (row.lesson for row in outline if row.status != "done"),
                last.lesson if last else None,
            )
    return {
        "enrollment": enrollment,
        "outline": outline,
        "resume_lesson": resume,
        "can_self_enrol": enrollment is None and course.self_enrol and course.live,
        "counted_lessons": len(counted),
        "completed_lessons": sum(
            1 for row in outline if row.status == "done" and row.lesson.pk in counted
        ),
    }


def lesson_neighbours(
    *, lesson: LessonPage
) -> tuple[LessonPage | None, LessonPage | None]:
    siblings = list(
        LessonPage.objects.sibling_of(lesson)
        .live()
        .order_by("path")
        .only("pk", "title", "path", "url_path", "slug", "depth")
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == lesson.pk)
    previous = siblings[index - 1] if index > 0 else None
    following = siblings[index + 1] if index + 1 < len(siblings) else None
    return previous, following


def enrollments_for(*, user) -> QuerySet[Enrollment]:
    """The user's own enrolments in published courses."""
    return (
        Enrollment.objects.filter(user=user, course__live=True)
        .select_related("course", "course__cover_image", "assigned_by", "last_lesson")
        .order_by("-enrolled_at", "-pk")
    )


def credit_hours_earned(*, user, year: int) -> Decimal:
    total = Enrollment.objects.filter(
        user=user, completed_at__year=year, credit_hours__isnull=False
    ).aggregate(total=Sum("credit_hours"))["total"]
    return total or Decimal("0")


def learning_overview(*, user, year: int | None = None) -> dict[str, Any]:
    """ "My learning": required work first (overdue, then by due date), then what
    the learner started, what they have not, and what they completed."""
    year = year or timezone.localdate().year
    rows = list(
        enrollments_for(user=user).annotate(
            started=Exists(LessonProgress.objects.filter(enrollment=OuterRef("pk"))),
        )
    )
    open_rows = [e for e in rows if e.completed_at is None]
    far = dt.date.max
    assigned = sorted(
        (e for e in open_rows if e.required),
        key=lambda e: (not e.is_overdue, e.due_on or far, e.enrolled_at),
    )
    optional = [e for e in open_rows if not e.required]
    return {
        "assigned": assigned,
        "in_progress": [e for e in optional if e.started],
        "not_started": [e for e in optional if not e.started],
        "completed": sorted(
            (e for e in rows if e.completed_at is not None),
            key=lambda e: e.completed_at,
            reverse=True,
        ),
        "credit_hours_year": credit_hours_earned(user=user, year=year),
        "year": year,
    }


def enrollments_visible_to(actor, *, course: CoursePage | None = None):
    """Enrolments of the people in ``actor``'s scope (staff lists, admin)."""
    enrollments = Enrollment.objects.select_related("user", "course", "assigned_by")
    visible = visible_user_ids(actor)
    if visible is not None:
        enrollments = enrollments.filter(user_id__in=visible)
    if course is not None:
        enrollments = enrollments.filter(course=course)
    return enrollments


def assignments_visible_to(actor) -> QuerySet[Assignment]:
    assignments = Assignment.objects.select_related("course", "created_by").defer(
        "user_ids"
    )
    visible = visible_user_ids(actor)
    if visible is None:
        return assignments
    return assignments.filter(Q(created_by=actor) | Q(created_by_id__in=visible))


__all__ = [
    "DURATION_BANDS",
    "SORTS",
    "CatalogueParams",
    "LessonRow",
    "assignments_visible_to",
    "catalogue",
    "course_page_context",
    "credit_hours_earned",
    "enrollment_for",
    "enrollments_for",
    "enrollments_visible_to",
    "learning_overview",
    "lesson_neighbours",
    "lesson_outline",
]
