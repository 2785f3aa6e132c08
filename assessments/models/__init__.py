"""Question bank, quizzes, attempts and grades.

A ``Question`` is the bank entry editors see; what a learner answers is one immutable
``QuestionVersion`` of it. Once a version has been put into an attempt it is never
changed: editing the question then makes a new version, so an old attempt still shows
(and is graded against) exactly what its learner saw.

An ``Attempt`` fixes its question set, option order and deadline when it starts; the
browser is told only stems and option texts. Answer keys stay on the server until the
quiz's review policy allows them.

The models live in one module per part (``bank``, ``quizzes``, ``attempts``); this
package re-exports them, so ``assessments.models`` is still where they are imported
from.
"""

from assessments.models.attempts import (
    Attempt,
    AttemptItem,
    GradeChange,
    LearnerNotice,
)
from assessments.models.bank import (
    Question,
    QuestionImport,
    QuestionVersion,
    Subject,
)
from assessments.models.quizzes import MARKS, Quiz, QuizInvitation, QuizSlot

__all__ = [
    "MARKS",
    "Attempt",
    "AttemptItem",
    "GradeChange",
    "LearnerNotice",
    "Question",
    "QuestionImport",
    "QuestionVersion",
    "Quiz",
    "QuizInvitation",
    "QuizSlot",
    "Subject",
]
