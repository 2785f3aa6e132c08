"""Units of the caller's subtree, a unit's compliance (the leadership dashboard's
figures), and the enrolments and assignments of the people under a unit."""

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from training.api import queries
from training.api.auth import require_view
from training.api.common import Pagination, PathId, responses, unit_or_404
from training.api.schemas import (
    MAX_ID,
    NO_NUL,
    AssignmentOut,
    EnrolmentOut,
    UnitComplianceOut,
    UnitOut,
)
from training.org import selectors
from training.org.models import OrgUnit, Person
from training.reports.dashboard import dashboard_get
from training.reports.forms import DashboardFilterForm

router = Router(tags=["units"])


class UnitFilters(Schema):
    parent: int | None = Field(None, ge=1, le=MAX_ID)
    level: OrgUnit.Level | None = None
    q: str = Field("", max_length=100, pattern=NO_NUL)


@router.get("/units", response=responses(list[UnitOut]), summary="List units")
@paginate(Pagination)
def unit_list(request: HttpRequest, filters: Query[UnitFilters]):
    """Units of the caller's subtree in tree order. ``parent``: only its direct
    children; ``level``: provincial, municipal…; ``q``: part of the name or code."""
    who = require_view(request)
    units = selectors.units_visible_to(who)
    if filters.parent is not None:
        parent = unit_or_404(who, filters.parent)
        units = units.filter(path__startswith=parent.path, depth=parent.depth + 1)
    if filters.level:
        units = units.filter(level=filters.level)
    if filters.q.strip():
        q = filters.q.strip()
        units = units.filter(
            Q(name__icontains=q) | Q(short_name__icontains=q) | Q(code__icontains=q)
        )
    return queries.with_parent_id(units).order_by("path")


@router.get("/units/{unit_id}", response=responses(UnitOut), summary="One unit")
def unit_detail(request: HttpRequest, unit_id: PathId):
    who = require_view(request)
    unit = unit_or_404(who, unit_id)
    return queries.with_parent_id(OrgUnit.objects.filter(pk=unit.pk)).get()


class ComplianceFilters(Schema):
    programme: int | None = Field(None, ge=1, le=MAX_ID)
    cycle: dt.date | None = Field(None, description="Start of the cycle.")
    category: Person.Category | None = None
    grade: Person.Grade | None = None
    leadership: Literal["-", "bureau", "county", "section"] | None = Field(
        None, description="A leadership level; '-' for people without one."
    )
    focus: Literal["leaders", "quota", "other"] | None = None


@router.get(
    "/units/{unit_id}/compliance",
    response=responses(UnitComplianceOut),
    summary="Compliance of a unit's subtree",
)
def unit_compliance(
    request: HttpRequest, unit_id: PathId, filters: Query[ComplianceFilters]
):
    """The leadership dashboard's figures for one programme cycle: the summary, the
    unit's own people, each child unit (ranked by rate), breakdowns and the monthly
    trend. Without ``programme`` the first published programme is used; without
    ``cycle`` the current one."""
    who = require_view(request)
    unit = unit_or_404(who, unit_id)
    data = {
        key: value for key, value in filters.dict().items() if value not in (None, "")
    }
    form = DashboardFilterForm(who, {**data, "unit": unit.pk})
    try:
        valid = form.is_valid()
    except PermissionDenied:
        raise Http404 from None
    if not valid:
        raise ValidationError(form.errors.as_data())
    f = form.dashboard_filter()
    dash = dashboard_get(who, f)
    return queries.dashboard_out(dash)


@router.get(
    "/units/{unit_id}/enrolments",
    response=responses(list[EnrolmentOut]),
    summary="Course enrolments of the people under a unit",
)
@paginate(Pagination)
def unit_enrolments(request: HttpRequest, unit_id: PathId):
    who = require_view(request)
    unit = unit_or_404(who, unit_id)
    return queries.enrolments(unit_path=unit.path)


@router.get(
    "/units/{unit_id}/assignments",
    response=responses(list[AssignmentOut]),
    summary="Course assignments that reached people under a unit",
)
@paginate(Pagination)
def unit_assignments(request: HttpRequest, unit_id: PathId):
    who = require_view(request)
    unit = unit_or_404(who, unit_id)
    return queries.assignments(unit_path=unit.path)
