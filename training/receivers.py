from django.apps import apps
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from assessments.signals import attempt_result_changed, quiz_passed
from courses.signals import course_completed
from training.services import ledger, role_groups_ensure


@receiver(post_migrate)
def ensure_role_groups(sender, app_config=None, using="default", **kwargs):
    # Permissions are created app by app in post_migrate; the role groups need those
    # of several apps, so they are refreshed once the last app has had its turn.
    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if with_models and app_config is with_models[-1]:
        role_groups_ensure()


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
