"""Writes with business meaning. Re-exports the public service functions."""

from assessments.services.attempts import (
    AttemptClosed,
    AttemptError,
    QuizUnavailable,
    ReviewOptions,
    StaleAnswer,
    attempt_answer_save,
    attempt_close,
    attempt_for_owner,
    attempt_start,
    attempt_submit,
    attempts_close_overdue,
    pool_shortfalls,
    quiz_check_available,
    quizzes_open_to,
    review_options,
)
from assessments.services.grading import item_grade, question_regrade
from assessments.services.imports import question_import, question_template_workbook
from assessments.services.invitations import quiz_invite
from assessments.services.notices import notices_mark_read
from assessments.services.questions import (
    QuestionContent,
    content_validate,
    question_create,
    question_update,
)

__all__ = [
    "AttemptClosed",
    "AttemptError",
    "QuestionContent",
    "QuizUnavailable",
    "ReviewOptions",
    "StaleAnswer",
    "attempt_answer_save",
    "attempt_close",
    "attempt_for_owner",
    "attempt_start",
    "attempt_submit",
    "attempts_close_overdue",
    "content_validate",
    "item_grade",
    "notices_mark_read",
    "pool_shortfalls",
    "question_create",
    "question_import",
    "question_regrade",
    "question_template_workbook",
    "question_update",
    "quiz_check_available",
    "quiz_invite",
    "quizzes_open_to",
    "review_options",
]
