"""The admin chooser for quizzes in lesson bodies.

Quizzes are edited in assessments' own ModelViewSet (not snippets), so the lesson
body's quiz block needs a chooser of its own; it is registered in wagtail_hooks.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.chooser import ChooserViewSet


class QuizChooserViewSet(ChooserViewSet):
    model = "assessments.Quiz"
    icon = "tasks"
    choose_one_text = _("Choose a quiz")
    choose_another_text = _("Choose another quiz")
    edit_item_text = _("Edit this quiz")
    per_page = 30


quiz_chooser_viewset = QuizChooserViewSet("course_quiz_chooser")
