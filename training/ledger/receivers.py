from django.dispatch import receiver

from assessments.signals import attempt_result_changed, quiz_passed
from courses.signals import course_completed
from training.ledger import services as ledger

# --- Credit from the apps below (sent inside their transactions) ---------------


@receiver(course_completed)
def credit_course(
    sender, enrollment, user_id, course, completed_at, credit_hours, **kw
):
    ledger.ledger_credit_course(
        enrollment_id=enrollment.pk,
        user_id=user_id,
        course=course,
        completed_at=completed_at,
        credit_hours=credit_hours,
    )


@receiver(quiz_passed)
def credit_quiz(sender, attempt, user_id, quiz, **kwargs):
    ledger.ledger_credit_quiz(attempt=attempt, user_id=user_id, quiz=quiz)


@receiver(attempt_result_changed)
def regrade_quiz(sender, attempt, was_passed, **kwargs):
    ledger.ledger_quiz_result_changed(attempt=attempt, was_passed=was_passed)
