from django.apps import apps
from django.db import connection
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from assessments.signals import quiz_passed
from courses.services import course_catalogue_ensure, lesson_complete_by_quiz


@receiver(quiz_passed)
def complete_quiz_lessons(sender, attempt, user_id, quiz, **kwargs):
    lesson_complete_by_quiz(user_id=user_id, quiz=quiz)


@receiver(post_migrate)
def ensure_catalogue(sender, app_config=None, using="default", **kwargs):
    # After the last app's post_migrate, when every permission exists; skipped
    # while courses' tables are absent (migrating backwards).
    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if not with_models or app_config is not with_models[-1]:
        return
    if "courses_courseindexpage" not in connection.introspection.table_names():
        return
    course_catalogue_ensure()
