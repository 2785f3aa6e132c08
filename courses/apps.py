from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Courses")

    def ready(self):
        # The view layer registers how pages are served (courses.models.page_views).
        from courses import (
            receivers,  # noqa: F401
            views,  # noqa: F401
        )
