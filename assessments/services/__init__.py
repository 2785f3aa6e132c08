"""Writes with business meaning. Re-exports the public service functions."""

from assessments.services.attempt_errors import (
    AttemptClosed,
    AttemptError,
    QuizUnavailable,
    StaleAnswer,
)
from assessments.services.attempts import (
    attempt_answer_save,
    attempt_start,
    pool_shortfalls,
    quiz_check_available,
)
from assessments.services.closing import (
    attempt_close,
    attempt_submit,
    attempts_close_overdue,
)
from assessments.services.grading import item_grade, question_regrade
from assessments.services.import_template import question_template_workbook
from assessments.services.imports import question_import
from assessments.services.invitations import quiz_invite
from assessments.services.notices import notices_mark_read
from assessments.services.questions import (
    QuestionContent,
    content_validate,
    question_create,
    question_update,
)
from assessments.services.review import (
    ReviewOptions,
    attempt_for_owner,
    quizzes_open_to,
    review_options,
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
