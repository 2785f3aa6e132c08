"""Thin edges: the progress endpoints, self-enrolment, and how course and lesson
pages are served."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses import selectors
from courses.models import CoursePage, LessonPage, page_views
from courses.services import (
    EnrollmentError,
    ProgressError,
    enrollment_create,
    lesson_open,
    progress_beat,
    progress_read,
)

MAX_BEAT_BYTES = 1024


def login_required_page(request):
    """Course pages are for signed-in staff; ``None`` lets the page serve."""
    if getattr(request, "is_preview", False) or request.user.is_authenticated:
        return None
    return redirect_to_login(request.get_full_path())


def _error(code: str, message: str, status: int = 400, **extra) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


def _json_login_required(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _error("login_required", _("Please sign in."), status=401)
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@require_POST
@_json_login_required
def beat(request, lesson_id: int):
    """Video heartbeat. No template, no session writes: two queries when the
    learner has opened the lesson (read progress+lesson, conditional update)."""
    if len(request.body) > MAX_BEAT_BYTES:
        return _error("too_large", _("The heartbeat is too large."))
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _error("bad_json", _("The heartbeat is not valid JSON."))
    if not isinstance(payload, dict):
        return _error("bad_json", _("The heartbeat must be a JSON object."))
    try:
        result = progress_beat(
            user=request.user,
            lesson_id=lesson_id,
            position=payload.get("position"),
            seq=payload.get("seq"),
            playing=payload.get("playing", True),
        )
    except ProgressError as exc:
        return _error(exc.code, exc.message, exc.status, **exc.extra)
    return JsonResponse(result.as_json())


@require_POST
@_json_login_required
def read(request, lesson_id: int):
    try:
        _progress, course_completed = progress_read(
            user=request.user, lesson_id=lesson_id
        )
    except ProgressError as exc:
        return _error(exc.code, exc.message, exc.status, **exc.extra)
    return JsonResponse({"completed": True, "course_completed": course_completed})


@require_POST
@login_required
def enrol(request, course_id: int):
    course = get_object_or_404(CoursePage.objects.live(), pk=course_id)
    try:
        enrollment_create(user=request.user, course=course)
    except EnrollmentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You are enrolled. Start with the first lesson."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = course.url
    return redirect(target)


def lesson_serve(lesson: LessonPage, request, serve, *args, **kwargs):
    """Enrolled learners get the lesson (and its clock starts); others get the
    course's enrol prompt. Editors previewing see the body without tracking."""
    if getattr(request, "is_preview", False):
        return serve(request, *args, **kwargs)
    refused = login_required_page(request)
    if refused is not None:
        return refused
    course = lesson.get_parent().specific
    if not isinstance(course, CoursePage):
        raise Http404
    progress = lesson_open(user=request.user, lesson=lesson)
    previous, following = selectors.lesson_neighbours(lesson=lesson)
    context = {
        "page": lesson,
        "self": lesson,
        "course": course,
        "progress": progress,
        "enrolled": progress is not None,
        "previous_lesson": previous,
        "next_lesson": following,
    }
    if progress is not None:
        elapsed = (timezone.now() - progress.started_at).total_seconds()
        context["read_elapsed"] = int(max(0, elapsed))
        context["outline"] = selectors.lesson_outline(course=course, user=request.user)
        context["enrollment"] = progress.enrollment
    else:
        context.update(selectors.course_page_context(course=course, user=request.user))
    return TemplateResponse(request, lesson.get_template(request), context)


def catalogue_context(index, request) -> dict:
    """A catalogue page's courses for this user, filtered by the query string."""
    params = selectors.CatalogueParams.from_query(request.GET)
    return {
        "catalogue_params": params,
        "courses": selectors.catalogue(user=request.user, index=index, params=params),
    }


def course_context(course, request) -> dict:
    return selectors.course_page_context(course=course, user=request.user)


page_views.login_required = login_required_page
page_views.catalogue_context = catalogue_context
page_views.course_context = course_context
page_views.lesson_serve = lesson_serve
