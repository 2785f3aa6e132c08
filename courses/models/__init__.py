"""Courses as Wagtail pages; enrolment, assignment and progress as ordinary models.

Pages hold content (CourseIndexPage → CoursePage → LessonPage). Who is enrolled,
who assigned what, and how far a learner got are plain rows with a foreign key to
the page, written only by ``courses.services``.

The pages are in ``courses.models.pages`` (with ``page_views``, how the view layer
serves them), the rows in ``courses.models.records``; this package re-exports both.
"""

from courses.models.pages import (
    HOURS,
    READING_CHARS_PER_MINUTE,
    CourseIndexPage,
    CoursePage,
    LessonPage,
    PageViews,
    credit_hours_for_minutes,
    page_views,
)
from courses.models.records import SECONDS, Assignment, Enrollment, LessonProgress

__all__ = [
    "HOURS",
    "READING_CHARS_PER_MINUTE",
    "SECONDS",
    "Assignment",
    "CourseIndexPage",
    "CoursePage",
    "Enrollment",
    "LessonPage",
    "LessonProgress",
    "PageViews",
    "credit_hours_for_minutes",
    "page_views",
]
