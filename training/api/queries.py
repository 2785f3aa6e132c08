"""Reads shaped for the API. Callers have already checked the scope of the unit or
person they pass in; every list here selects its related rows in the same query."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Length, Substr

from courses.models import Assignment, Enrollment
from training.compliance.selectors import compliance_explanations, person_compliance
from training.org.models import OrgUnit, Person
from training.programmes.selectors import current_version, rule_summary
from training.reports.dashboard import COUNTS, Counts, Dashboard
from training.reports.models import ProgressReport


def with_parent_id(units: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    """Each unit's parent id from its path, in the same query (treebeard keeps no
    parent column)."""
    parent = OrgUnit.objects.filter(
        path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - OrgUnit.steplen)
    ).values("pk")[:1]
    return units.annotate(parent_id=Subquery(parent, output_field=IntegerField()))


# --- people ------------------------------------------------------------------------


def person_compliance_rows(person: Person) -> list[dict]:
    rows = compliance_explanations(statuses=person_compliance(person=person))
    return [
        {
            "id": row["status"].pk,
            "programme": {"id": row["programme"].pk, "name": row["programme"].name},
            "version": row["version"].number,
            "cycle_start": row["cycle_start"],
            "cycle_end": row["cycle_end"],
            "due_on": row["due_on"],
            "is_open": row["is_open"],
            "status": row["status"].status,
            "met_on": row["status"].met_on,
            "hours": row["status"].hours,
            "days": row["status"].days,
            "online_hours": row["status"].online_hours,
            "centralised_days": row["status"].centralised_days,
            "pending_hours": row["status"].pending_hours,
            "progress": row["progress"],
            "missing": _jsonable(row["status"].missing or {}),
        }
        for row in rows
    ]


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --- programmes --------------------------------------------------------------------


def programme_version_out(programme, today) -> dict | None:
    versions = list(
        programme.versions.prefetch_related(
            "required_courses", "required_quizzes", "required_classes"
        )
    )
    version = current_version(versions, today)
    if version is None:
        return None
    version.programme = programme
    return {
        "number": version.number,
        "effective_from": version.effective_from,
        "hours_required": version.hours_required,
        "days_required": version.days_required,
        "online_hours_required": version.online_hours_required,
        "centralised_days_required": version.centralised_days_required,
        "credit_scope": version.credit_scope,
        "cycle_kind": version.cycle_kind,
        "cycle_years": version.cycle_years,
        "cycle_anchor_year": version.cycle_anchor_year,
        "trigger_event": version.trigger_event,
        "window_months": version.window_months,
        "categories": version.categories,
        "grades": version.grades,
        "leadership_levels": version.leadership_levels,
        "quota": version.quota,
        "required_courses": [
            {"id": c.pk, "name": c.title} for c in version.required_courses.all()
        ],
        "required_quizzes": [
            {"id": q.pk, "name": q.title} for q in version.required_quizzes.all()
        ],
        "required_classes": [
            {"id": c.pk, "name": c.name} for c in version.required_classes.all()
        ],
        "summary": [str(line) for line in rule_summary(version)],
    }


# --- dashboard ---------------------------------------------------------------------


def _counts(counts: Counts) -> dict:
    names = (*COUNTS, "hours", "online_hours", "rate", "online_hours_per_head")
    return {name: getattr(counts, name) for name in names}


def dashboard_out(dash: Dashboard) -> dict:
    f = dash.filter
    return {
        "unit": {"id": f.unit.pk, "code": f.unit.code, "name": f.unit.name},
        "programme": (
            {"id": f.programme.pk, "name": f.programme.name} if f.programme else None
        ),
        "cycle_start": f.cycle_start,
        "summary": _counts(dash.summary),
        "own": _counts(dash.own),
        "children": [
            {
                "id": c["id"],
                "code": c["code"],
                "name": c["name"],
                "has_children": c["has_children"],
                "rank": c["rank"],
                "counts": _counts(c["counts"]),
            }
            for c in dash.children
        ],
        "by_category": {k: _counts(v) for k, v in dash.by_category.items()},
        "by_grade": {k: _counts(v) for k, v in dash.by_grade.items()},
        "by_leadership": {k: _counts(v) for k, v in dash.by_leadership.items()},
        "by_focus": {k: _counts(v) for k, v in dash.by_focus.items()},
        "trend": dash.trend,
        "classes": dash.classes,
        "generated_at": dash.generated_at,
    }


# --- courses -----------------------------------------------------------------------


def enrolments(
    *, unit_path: str | None = None, person: Person | None = None
) -> QuerySet[Enrollment]:
    rows = Enrollment.objects.select_related("course").annotate(
        person_id=F("user__person__id")
    )
    if person is not None:
        rows = rows.filter(user_id=person.user_id)
    if unit_path is not None:
        rows = rows.filter(user__person__unit__path__startswith=unit_path)
    return rows.order_by("-enrolled_at", "-pk")


def assignments(
    *, unit_path: str | None = None, person: Person | None = None
) -> QuerySet[Assignment]:
    reached = Enrollment.objects.filter(assignment=OuterRef("pk"))
    if person is not None:
        reached = reached.filter(user_id=person.user_id)
    if unit_path is not None:
        reached = reached.filter(user__person__unit__path__startswith=unit_path)
    return (
        Assignment.objects.select_related("course")
        .defer("user_ids")
        .filter(Exists(reached))
        .order_by("-created_at", "-pk")
    )


# --- progress reports --------------------------------------------------------------


def reports_listing(reports: QuerySet[ProgressReport]) -> QuerySet[ProgressReport]:
    return reports.annotate(
        submission_count=Count("submissions"),
        last_submitted_at=Max("submissions__submitted_at"),
    ).order_by("-period_start", "unit__path", "pk")
