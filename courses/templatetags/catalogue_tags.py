"""Template helpers for the catalogue (courses/course_index_page.html).

The page's ``get_context`` (courses.models) gives the filtered, unpaginated
queryset and the parsed parameters; these tags paginate it and describe the filter
sidebar, so the page model stays as the contract defines it.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from courses.audience import CATEGORY_CHOICES
from courses.selectors import DURATION_BANDS, SORTS
from courses.selectors_learning import catalogue_page as _catalogue_page
from courses.selectors_learning import catalogue_subjects

register = template.Library()

TONES = 8
FILTER_KEYS = ("q", "subject", "audience", "duration", "required", "sort")


@register.simple_tag
def catalogue_page(courses, request):
    return _catalogue_page(courses, request.GET.get("page"))


def _query_without(request, *keys: str) -> str:
    query = request.GET.copy()
    for key in ("page", *keys):
        query.pop(key, None)
    for key in list(query):
        if key not in FILTER_KEYS or not query.get(key):
            query.pop(key, None)
    return query.urlencode()


@register.simple_tag
def catalogue_filters(params, request):
    """Choices for the sidebar, and the active filters as removable chips."""
    subjects = catalogue_subjects()
    subject_names = {s.pk: s.name for s in subjects}
    categories = dict(CATEGORY_CHOICES)
    chips = []
    if params.q:
        chips.append((_("Text: %(q)s") % {"q": params.q}, _query_without(request, "q")))
    if params.subject and params.subject in subject_names:
        chips.append(
            (subject_names[params.subject], _query_without(request, "subject"))
        )
    if params.audience:
        chips.append(
            (str(categories[params.audience]), _query_without(request, "audience"))
        )
    if params.duration:
        chips.append(
            (str(DURATION_BANDS[params.duration]), _query_without(request, "duration"))
        )
    if params.required and request.user.is_authenticated:
        chips.append((_("Required for me"), _query_without(request, "required")))
    return {
        "subjects": subjects,
        "categories": CATEGORY_CHOICES,
        "durations": list(DURATION_BANDS.items()),
        "sorts": list(SORTS.items()),
        "chips": chips,
        "querystring": _query_without(request),
        "clear_querystring": _query_without(
            request, "q", "subject", "audience", "duration", "required"
        ),
    }


@register.filter
def subject_tone(course) -> int:
    """A stable colour (0–7) for a course's placeholder cover, by first subject."""
    subjects = list(course.subjects.all())
    key = subjects[0].pk if subjects else course.pk
    return key % TONES


@register.filter
def first_subject(course):
    subjects = list(course.subjects.all())
    return subjects[0].name if subjects else ""


@register.filter
def duration_label(minutes) -> str:
    """45 → "45 min"; 90 → "1 h 30 min"."""
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)s min") % {"minutes": rest}
    if not rest:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}


@register.filter
def is_past(day) -> bool:
    from django.utils import timezone

    return bool(day) and day < timezone.localdate()
