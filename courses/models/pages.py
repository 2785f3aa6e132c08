"""The course pages: CourseIndexPage → CoursePage → LessonPage, the online credit
rule, and the ``page_views`` registry through which the view layer serves them."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from courses.audience import CATEGORY_CHOICES, GRADE_CHOICES, LEADERSHIP_CHOICES
from courses.blocks import LessonBodyBlock
from courses.forms import CoursePageForm

HOURS = {"max_digits": 6, "decimal_places": 2}

# Reading speed used for a text lesson's default minimum reading time.
READING_CHARS_PER_MINUTE = 300


def credit_hours_for_minutes(minutes) -> Decimal:
    """The online credit rule of DESIGN.md: a course of at least 30 minutes is worth
    1 学时, 15 to 30 minutes 0.5, under 15 minutes 0.25."""
    minutes = Decimal(str(minutes))
    if minutes >= 30:
        return Decimal("1.00")
    if minutes >= 15:
        return Decimal("0.50")
    return Decimal("0.25")


class PageViews:
    """How the pages below are served: by the view layer (``courses/views.py``),
    which imports these models, so models never import it back. ``courses.views``
    fills this in when it is imported (``CoursesConfig.ready`` makes sure)."""

    login_required: Callable[[HttpRequest], HttpResponse | None]
    catalogue_context: Callable[[CourseIndexPage, HttpRequest], dict]
    course_context: Callable[[CoursePage, HttpRequest], dict]
    lesson_serve: Callable[..., HttpResponse]


page_views = PageViews()


class CourseIndexPage(Page):
    """The catalogue (``/courses/``), or a section of it that a unit's editors own.

    Sections are CourseIndexPages below the top one; page permissions on a section
    limit a unit's editors to it (docs/courses.md).
    """

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["cms.HomePage", "courses.CourseIndexPage"]
    subpage_types = ["courses.CoursePage", "courses.CourseIndexPage"]

    class Meta:
        verbose_name = _("course catalogue or section")
        verbose_name_plural = _("course catalogues and sections")

    def serve(self, request, *args, **kwargs):
        return page_views.login_required(request) or super().serve(
            request, *args, **kwargs
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(page_views.catalogue_context(self, request))
        return context


class CoursePage(Page):
    class CompletionRule(models.TextChoices):
        REQUIRED_LESSONS = "required", _("All required lessons completed")
        ALL_LESSONS = "all", _("All lessons completed")

    subjects = ParentalManyToManyField(
        "assessments.Subject",
        verbose_name=_("subjects"),
        related_name="courses",
        blank=True,
    )
    summary = models.TextField(_("summary"), max_length=1000, blank=True)
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("cover image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    estimated_minutes = models.PositiveIntegerField(
        _("estimated duration (minutes)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Sets the credit hours by the online rule: at least 30 minutes = 1, "
            "15 to 30 minutes = 0.5, under 15 minutes = 0.25."
        ),
    )
    credit_hours_override = models.DecimalField(
        _("credit hours override"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Leave empty to use the online credit rule."),
        **HOURS,
    )
    override_reason = models.CharField(
        _("reason for the override"), max_length=300, blank=True
    )
    # Audience hints: values of training's Person choices, kept as plain strings
    # (courses sits below training). An empty list means "everyone".
    audience_categories = models.JSONField(
        _("staff categories"), default=list, blank=True
    )
    audience_grades = models.JSONField(_("prosecutor grades"), default=list, blank=True)
    audience_leadership = models.JSONField(
        _("leadership levels"), default=list, blank=True
    )
    self_enrol = models.BooleanField(_("learners may enrol themselves"), default=True)
    completion_rule = models.CharField(
        _("completed when"),
        max_length=16,
        choices=CompletionRule.choices,
        default=CompletionRule.REQUIRED_LESSONS,
    )

    base_form_class = CoursePageForm
    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("cover_image"),
        FieldPanel("subjects"),
        MultiFieldPanel(
            [
                FieldPanel("estimated_minutes"),
                FieldPanel("credit_hours_override"),
                FieldPanel("override_reason"),
            ],
            heading=_("Duration and credit hours"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("audience_categories"),
                FieldPanel("audience_grades"),
                FieldPanel("audience_leadership"),
            ],
            heading=_("Intended audience"),
        ),
        MultiFieldPanel(
            [FieldPanel("self_enrol"), FieldPanel("completion_rule")],
            heading=_("Enrolment and completion"),
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.FilterField("estimated_minutes"),
        index.RelatedFields("subjects", [index.SearchField("name")]),
    ]
    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = ["courses.LessonPage"]

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def clean(self):
        super().clean()
        if self.credit_hours_override is not None and not self.override_reason.strip():
            raise ValidationError(
                {"override_reason": _("Say why the credit hours are overridden.")}
            )

    @property
    def credit_hours(self) -> Decimal:
        if self.credit_hours_override is not None:
            return self.credit_hours_override
        return credit_hours_for_minutes(self.estimated_minutes)

    def audience_labels(self) -> list[str]:
        labels = []
        for values, choices in (
            (self.audience_categories, CATEGORY_CHOICES),
            (self.audience_grades, GRADE_CHOICES),
            (self.audience_leadership, LEADERSHIP_CHOICES),
        ):
            names = dict(choices)
            labels.extend(str(names[v]) for v in values or () if v in names)
        return labels

    def lessons(self):
        """Live lessons in page-tree order (specific LessonPage rows)."""
        return LessonPage.objects.child_of(self).live().order_by("path")

    def serve(self, request, *args, **kwargs):
        return page_views.login_required(request) or super().serve(
            request, *args, **kwargs
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(page_views.course_context(self, request))
        return context


class LessonPage(Page):
    class Kind(models.TextChoices):
        TEXT = "text", _("Reading")
        VIDEO = "video", _("Video")
        QUIZ = "quiz", _("Quiz")

    body = StreamField(LessonBodyBlock(), verbose_name=_("body"), blank=True)
    required = models.BooleanField(
        _("required"),
        default=True,
        help_text=_("Optional lessons do not count for the completion rule."),
    )
    min_reading_seconds = models.PositiveIntegerField(
        _("minimum reading time (seconds)"),
        null=True,
        blank=True,
        help_text=_(
            "For reading lessons. Empty: worked out from the length of the text "
            "(300 characters a minute)."
        ),
    )
    # Derived from the body on save, so the heartbeat endpoint and the quiz
    # receiver never parse StreamField JSON.
    kind = models.CharField(
        _("kind"), max_length=8, choices=Kind.choices, default=Kind.TEXT, editable=False
    )
    video_seconds = models.PositiveIntegerField(
        _("video duration (seconds)"), default=0, editable=False
    )
    reading_seconds = models.PositiveIntegerField(
        _("reading time (seconds)"), default=0, editable=False
    )
    quiz = models.ForeignKey(
        "assessments.Quiz",
        verbose_name=_("quiz"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("required"), FieldPanel("min_reading_seconds")],
            heading=_("Progress"),
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    parent_page_types = ["courses.CoursePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def save(self, *args, **kwargs):
        self.derive_from_body()
        return super().save(*args, **kwargs)

    def derive_from_body(self) -> None:
        video = quiz = None
        chars = 0
        for child in self.body or ():
            if child.block_type == "video" and video is None:
                video = child.value
            elif child.block_type == "quiz" and quiz is None:
                quiz = child.value.get("quiz")
            elif child.block_type == "paragraph":
                chars += len(re.sub(r"\s+", "", strip_tags(child.value.source)))
        self.video_seconds = int(video["duration_seconds"]) if video else 0
        self.quiz = quiz
        if video:
            self.kind = self.Kind.VIDEO
        elif quiz is not None:
            self.kind = self.Kind.QUIZ
        else:
            self.kind = self.Kind.TEXT
        if self.min_reading_seconds is not None:
            self.reading_seconds = self.min_reading_seconds
        else:
            self.reading_seconds = chars * 60 // READING_CHARS_PER_MINUTE

    @property
    def course(self) -> CoursePage:
        return CoursePage.objects.get(pk=self.get_parent().pk)

    def get_context(self, request, *args, **kwargs):
        # Only reached for editors' previews; learners go through lesson_serve.
        context = super().get_context(request, *args, **kwargs)
        context["enrolled"] = True
        return context

    def serve(self, request, *args, **kwargs):
        return page_views.lesson_serve(self, request, super().serve, *args, **kwargs)
