"""Writes with business meaning. Re-exports the public service functions."""

from courses.services.enrolment import (
    EnrollmentError,
    assignment_create,
    assignment_run,
    enrollment_create,
)
from courses.services.progress import (
    BeatResult,
    ProgressError,
    enrollment_check_completion,
    lesson_complete_by_quiz,
    lesson_open,
    progress_beat,
    progress_read,
)
from courses.services.setup import course_catalogue_ensure

__all__ = [
    "BeatResult",
    "EnrollmentError",
    "ProgressError",
    "assignment_create",
    "assignment_run",
    "course_catalogue_ensure",
    "enrollment_check_completion",
    "enrollment_create",
    "lesson_complete_by_quiz",
    "lesson_open",
    "progress_beat",
    "progress_read",
]
