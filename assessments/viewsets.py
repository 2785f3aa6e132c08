"""Wagtail admin screens for the question bank and quizzes, grouped under "Exams".

Questions are a snippet (so quizzes and lessons get a chooser), but their create and
edit views save through ``question_create`` / ``question_update``: an edit to a
question that learners have already answered makes a new version instead of
rewriting what they saw.
"""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
)
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton
from wagtail.log_actions import log
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from assessments.forms import QuestionForm, QuizForm
from assessments.models import Question, Quiz, Subject
from assessments.services import question_create, question_update
from assessments.views import staff

# --- subjects ----------------------------------------------------------------------


class SubjectViewSet(SnippetViewSet):
    model = Subject
    icon = "tag"
    menu_label = _("Subjects")
    menu_order = 30
    base_url_path = "assessments/subjects"
    list_display = ["name", "sort_order"]
    search_fields = ["name"]
    search_backend_name = None
    copy_view_enabled = False
    panels = [FieldPanel("name"), FieldPanel("sort_order")]


# --- questions ---------------------------------------------------------------------


class ServiceSavedFormMixin:
    """A ``ValidationError`` raised by the saving service (the transaction is rolled
    back) is shown on the form instead of a server error."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            form.add_service_errors(exc)
            return self.form_invalid(form)


class QuestionCreateView(ServiceSavedFormMixin, snippet_views.CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        question = question_create(
            actor=self.request.user,
            qtype=data["qtype"],
            subject=data["subject"],
            content=self.form.content,
            difficulty=data["difficulty"],
            tags=data.get("tags", ""),
            status=data["status"],
        )
        log(instance=question, action="wagtail.create", user=self.request.user)
        return question


class QuestionEditView(ServiceSavedFormMixin, snippet_views.EditView):
    def save_instance(self):
        data = self.form.cleaned_data
        question = question_update(
            actor=self.request.user,
            question=self.object,
            content=self.form.content,
            subject=data["subject"],
            difficulty=data["difficulty"],
            tags=data.get("tags", ""),
            status=data["status"],
        )
        log(instance=question, action="wagtail.edit", user=self.request.user)
        return question

    def get_header_more_buttons(self):
        return [
            *super().get_header_more_buttons(),
            HeaderButton(
                _("Versions and preview"),
                url=reverse(
                    "wagtailsnippets_assessments_question:inspect",
                    args=[self.object.pk],
                ),
                icon_name="view",
            ),
        ]


class QuestionInspectView(snippet_views.InspectView):
    template_name = "assessments/admin/question_inspect.html"

    def get_fields(self):
        return ["qtype", "subject", "difficulty", "tags", "status", "author"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        question = self.object
        versions = list(
            question.versions.annotate(used=Count("attempt_items"))
            .select_related("created_by")
            .order_by("-number")
        )
        context.update(
            {
                "question": question,
                "versions": versions,
                "version": question.current,
                **(
                    staff.version_display(question, question.current)
                    if question.current
                    else {}
                ),
                "has_used_versions": any(v.used for v in versions),
                "can_regrade": self.request.user.has_perm("assessments.change_question")
                and question.qtype != Question.Type.SHORT,
                "regrade_url": reverse(
                    "wagtailsnippets_assessments_question:regrade", args=[question.pk]
                ),
                "preview_url": reverse(
                    "wagtailsnippets_assessments_question:preview", args=[question.pk]
                ),
            }
        )
        return context


class QuestionIndexView(snippet_views.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("subject", "current")

    def get_list_more_buttons(self, instance):
        return [
            *super().get_list_more_buttons(instance),
            MenuItem(
                _("Preview with answer key"),
                url=reverse(
                    "wagtailsnippets_assessments_question:preview", args=[instance.pk]
                ),
                icon_name="view",
                priority=15,
            ),
        ]


# Who may open the question chooser: the bank's editors, and whoever edits quizzes
# (the quiz form picks its fixed questions with it).
CHOOSER_PERMS = (
    "assessments.view_question",
    "assessments.change_question",
    "assessments.add_quiz",
    "assessments.change_quiz",
)


def _bank_users_only(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not any(request.user.has_perm(perm) for perm in CHOOSER_PERMS):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class QuestionChooserViewSet(SnippetChooserViewSet):
    """Wagtail's choosers check no model permission: without this, any admin user
    (a coordinator or leader who sits the exams too) could list and search the
    bank's question texts."""

    def get_urlpatterns(self):
        patterns = super().get_urlpatterns()
        for pattern in patterns:
            pattern.callback = _bank_users_only(pattern.callback)
        return patterns


class QuestionViewSet(SnippetViewSet):
    model = Question
    icon = "help"
    menu_label = _("Question bank")
    menu_order = 10
    base_url_path = "assessments/questions"
    add_view_class = QuestionCreateView
    edit_view_class = QuestionEditView
    inspect_view_class = QuestionInspectView
    index_view_class = QuestionIndexView
    chooser_viewset_class = QuestionChooserViewSet
    inspect_view_enabled = True
    copy_view_enabled = False
    list_per_page = 50
    # Chinese has no spaces: plain substring search on the stem and tags.
    search_backend_name = None
    search_fields = ["title", "tags"]
    list_filter = ["subject", "qtype", "difficulty", "status"]
    list_display = [
        Column("title", label=_("Question"), sort_key="title"),
        Column("get_qtype_display", label=_("Type"), sort_key="qtype"),
        Column("subject", label=_("Subject")),
        Column("difficulty", label=_("Difficulty"), sort_key="difficulty"),
        Column("get_status_display", label=_("Status"), sort_key="status"),
        Column("current_version", label=_("Version"), accessor="current.number"),
        DateColumn("updated_at", label=_("Updated"), sort_key="updated_at"),
    ]
    edit_handler = ObjectList(
        [
            FieldRowPanel(
                [FieldPanel("qtype"), FieldPanel("subject"), FieldPanel("difficulty")]
            ),
            FieldRowPanel([FieldPanel("status"), FieldPanel("tags")]),
            FieldPanel("stem"),
            FieldPanel("options"),
            FieldPanel("answer"),
            FieldPanel("tf_answer"),
            FieldPanel("partial_credit"),
            FieldPanel("explanation"),
            FieldPanel("rubric"),
        ],
        base_form_class=QuestionForm,
    )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "preview-with-key/<int:pk>/",
                staff.question_preview,
                name="preview",
            ),
            path("regrade/<int:pk>/", staff.question_regrade_view, name="regrade"),
        ]


# --- quizzes -----------------------------------------------------------------------


class QuizIndexView(ModelViewSet.index_view_class):
    def get_base_queryset(self):
        return super().get_base_queryset().annotate(attempt_count=Count("attempts"))

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        user = self.request.user
        if user.has_perm("assessments.change_quiz"):
            buttons.append(
                MenuItem(
                    _("Item analysis"),
                    url=reverse("assessments_quiz:analysis", args=[instance.pk]),
                    icon_name="table",
                    priority=30,
                )
            )
        if user.has_perm("assessments.view_attempt"):
            buttons.append(
                MenuItem(
                    _("Results"),
                    url=reverse("assessments_admin:results") + f"?quiz={instance.pk}",
                    icon_name="list-ul",
                    priority=31,
                )
            )
        if instance.audience == Quiz.Audience.INVITED and user.has_perm(
            "assessments.add_quizinvitation"
        ):
            buttons.append(
                MenuItem(
                    _("Invite people"),
                    url=reverse("training:exam_invite", args=[instance.pk]),
                    icon_name="group",
                    priority=32,
                )
            )
        return buttons


class QuizCreateView(ModelViewSet.add_view_class):
    def save_instance(self):
        self.form.instance.owner = self.request.user
        return super().save_instance()


class QuizEditView(ModelViewSet.edit_view_class):
    def get_header_more_buttons(self):
        buttons = list(super().get_header_more_buttons())
        user = self.request.user
        if user.has_perm("assessments.change_quiz"):
            buttons.append(
                HeaderButton(
                    _("Item analysis"),
                    url=reverse("assessments_quiz:analysis", args=[self.object.pk]),
                    icon_name="table",
                )
            )
        if self.object.audience == Quiz.Audience.INVITED and user.has_perm(
            "assessments.add_quizinvitation"
        ):
            buttons.append(
                HeaderButton(
                    _("Invite people"),
                    url=reverse("training:exam_invite", args=[self.object.pk]),
                    icon_name="group",
                )
            )
        return buttons


class QuizViewSet(ModelViewSet):
    model = Quiz
    icon = "tasks"
    menu_label = _("Quizzes and exams")
    menu_order = 20
    url_prefix = "assessments/quizzes"
    url_namespace = "assessments_quiz"
    index_view_class = QuizIndexView
    add_view_class = QuizCreateView
    edit_view_class = QuizEditView
    copy_view_enabled = False
    inspect_view_enabled = True
    list_per_page = 50
    search_backend_name = None
    search_fields = ["title"]
    list_filter = ["kind", "is_published", "audience"]
    list_display = [
        Column("title", label=_("Title"), sort_key="title"),
        Column("get_kind_display", label=_("Kind"), sort_key="kind"),
        DateColumn("open_at", label=_("Opens"), sort_key="open_at"),
        DateColumn("close_at", label=_("Closes"), sort_key="close_at"),
        Column("attempt_count", label=_("Attempts"), sort_key="attempt_count"),
        BooleanColumn("is_published", label=_("Published"), sort_key="is_published"),
    ]
    inspect_view_fields = [
        "title",
        "kind",
        "audience",
        "open_at",
        "close_at",
        "time_limit_minutes",
        "max_attempts",
        "grading",
        "pass_percent",
        "is_published",
    ]
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [FieldPanel("title"), FieldPanel("kind"), FieldPanel("description")],
                heading=_("Quiz"),
            ),
            MultiFieldPanel(
                [
                    FieldPanel("audience"),
                    FieldRowPanel([FieldPanel("open_at"), FieldPanel("close_at")]),
                    FieldRowPanel(
                        [
                            FieldPanel("time_limit_minutes"),
                            FieldPanel("max_attempts"),
                        ]
                    ),
                    FieldRowPanel([FieldPanel("grading"), FieldPanel("pass_percent")]),
                ],
                heading=_("Who and when"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [
                            FieldPanel("shuffle_questions"),
                            FieldPanel("shuffle_options"),
                        ]
                    ),
                    FieldPanel("negative_marking"),
                ],
                heading=_("Marking and order"),
            ),
            InlinePanel(
                "slots",
                heading=_("Questions"),
                label=_("Line"),
                help_text=_(
                    "Each line is either a fixed question from the bank, or a number "
                    "of questions drawn at random from a subject (optionally of one "
                    "type and difficulty) when a learner starts."
                ),
                panels=[
                    FieldPanel("question"),
                    FieldRowPanel(
                        [
                            FieldPanel("pool_subject"),
                            FieldPanel("pool_qtype"),
                            FieldPanel("pool_difficulty"),
                        ]
                    ),
                    FieldRowPanel([FieldPanel("count"), FieldPanel("marks")]),
                ],
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [FieldPanel("review_score"), FieldPanel("review_correctness")]
                    ),
                    FieldRowPanel(
                        [
                            FieldPanel("review_answers"),
                            FieldPanel("review_explanations"),
                        ]
                    ),
                ],
                heading=_("What learners see afterwards"),
            ),
            FieldPanel("is_published"),
        ],
        base_form_class=QuizForm,
    )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/analysis/", staff.item_analysis_view, name="analysis"),
        ]


class ExamsViewSetGroup(SnippetViewSetGroup):
    """The "Exams" menu; the grading queue, results and import add their own items
    through ``submenu_hook``."""

    menu_label = _("Exams")
    menu_icon = "doc-full-inverse"
    menu_order = 220
    submenu_hook = "register_assessments_menu_item"
    items = (QuestionViewSet, QuizViewSet, SubjectViewSet)
