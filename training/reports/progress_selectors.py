"""Progress reports to the level above (定期向上一级报告), the reads: report periods,
the reports a user may see, the live figures of a unit's subtree, and which child
units have reported. The writes are in ``training.reports.progress_services``.

Figures are aggregated with a handful of grouped queries over the unit path prefix,
whatever the number of people.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from training.classes.models import ClassMember, TrainingClass
from training.compliance.models import ComplianceStatus
from training.ledger.models import ExternalRecord
from training.org import selectors
from training.org.models import OrgUnit
from training.programmes.models import Programme
from training.reports.models import ProgressReport, ReportSubmission

Period = ProgressReport.Period
Status = ComplianceStatus.Status
DEFAULT_DUE_DAYS = 10
# Reporting units: procuratorates and their dispatched offices; internal departments
# report through their procuratorate.
REPORTING_KINDS = (
    OrgUnit.Kind.PROCURATORATE,
    OrgUnit.Kind.BRANCH,
    OrgUnit.Kind.OFFICE,
)


# --- periods ----------------------------------------------------------------------


def report_period_bounds(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The month, quarter or year containing ``day``: (first day, last day)."""
    if period == Period.MONTH:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    if period == Period.QUARTER:
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = dt.date(day.year, first_month, 1)
        end_month = first_month + 2
        end = dt.date(day.year, end_month, calendar.monthrange(day.year, end_month)[1])
        return start, end
    if period == Period.YEAR:
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    raise ValidationError({"period": _("Choose month, quarter or year.")})


def report_due_on(period_end: dt.date) -> dt.date:
    days = getattr(settings, "TRAINING_REPORT_DUE_DAYS", DEFAULT_DUE_DAYS)
    return period_end + dt.timedelta(days=days)


def report_period_label(period: str, start: dt.date) -> str:
    """ "2026 年第 3 季度", "2026 年 7 月", "2026 年" (in the active language)."""
    if period == Period.MONTH:
        return _("%(year)s-%(month)02d") % {"year": start.year, "month": start.month}
    if period == Period.QUARTER:
        quarter = (start.month - 1) // 3 + 1
        return _("%(year)s Q%(quarter)s") % {"year": start.year, "quarter": quarter}
    return _("%(year)s (year)") % {"year": start.year}


# --- reads --------------------------------------------------------------------------


def progress_reports_visible_to(user) -> QuerySet[ProgressReport]:
    """Reports of the units the user's view scope covers (coordinators, leaders,
    admins of the unit or above)."""
    reports = ProgressReport.objects.select_related("unit")
    paths = selectors.scope_paths(user)
    if paths is None:
        return reports
    if not paths:
        return reports.none()
    query = Q()
    for path in paths:
        query |= Q(unit__path__startswith=path)
    return reports.filter(query)


def progress_report_get(*, user, report_id: int) -> ProgressReport:
    report = progress_reports_visible_to(user).filter(pk=report_id).first()
    if report is None:
        raise PermissionDenied
    return report


def report_submission_get(*, user, submission_id: int) -> ReportSubmission:
    reports = progress_reports_visible_to(user)
    submission = (
        ReportSubmission.objects.select_related("report__unit", "submitted_by")
        .filter(pk=submission_id, report__in=reports)
        .first()
    )
    if submission is None:
        raise PermissionDenied
    return submission


def _rate(compliant: int, total: int, exempt: int) -> str | None:
    counted = total - exempt
    if counted <= 0:
        return None
    return str((Decimal(compliant) * 100 / counted).quantize(Decimal("0.1")))


def _empty_counts() -> dict:
    return {"total": 0, **dict.fromkeys(Status.values, 0)}


def _finish(counts: dict) -> dict:
    counts["rate"] = _rate(
        counts[Status.COMPLIANT], counts["total"], counts[Status.EXEMPT]
    )
    return counts


def _local_range(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time.min)),
        timezone.make_aware(dt.datetime.combine(end, dt.time.max)),
    )


def progress_report_data(
    *, unit: OrgUnit, period_start: dt.date, period_end: dt.date
) -> dict:
    """Live figures for ``unit``'s subtree over the period, JSON-ready."""
    subtree = unit.path
    children = list(
        unit.get_children()
        .filter(is_active=True)
        .order_by("sort_order", "code")
        .values_list("pk", "code", "name", "path")
    )
    child_len = len(subtree) + OrgUnit.steplen

    # Compliance: one grouped query by programme, child prefix and status.
    grouped = (
        ComplianceStatus.objects.filter(
            unit__path__startswith=subtree,
            programme__status=Programme.Status.PUBLISHED,
            cycle_start__lte=period_end,
            cycle_end__gte=period_start,
        )
        .annotate(branch=Substr("unit__path", 1, child_len))
        .values("programme_id", "branch", "status")
        .annotate(n=Count("id"))
        .values_list("programme_id", "branch", "status", "n")
        .order_by()
    )
    by_programme: dict[int, dict] = defaultdict(_empty_counts)
    by_child: dict[tuple[int, str], dict] = defaultdict(_empty_counts)
    for programme_id, branch, status, n in grouped:
        for counts in (by_programme[programme_id], by_child[(programme_id, branch)]):
            counts[status] = counts.get(status, 0) + n
            counts["total"] += n
    overdue_people = (
        ComplianceStatus.objects.filter(
            unit__path__startswith=subtree,
            programme__status=Programme.Status.PUBLISHED,
            cycle_start__lte=period_end,
            cycle_end__gte=period_start,
            status=Status.NON_COMPLIANT,
        )
        .values("person_id")
        .distinct()
        .count()
    )
    programmes = list(
        Programme.objects.filter(pk__in=list(by_programme))
        .order_by("name")
        .values_list("pk", "name")
    )
    programme_rows = [
        {"id": pk, "name": name, **_finish(by_programme[pk])} for pk, name in programmes
    ]
    child_rows = []
    for child_pk, code, name, path in children:
        child_rows.append(
            {
                "id": child_pk,
                "code": code,
                "name": name,
                "programmes": [
                    {
                        "id": pk,
                        "name": pname,
                        **_finish(by_child.get((pk, path)) or _empty_counts()),
                    }
                    for pk, pname in programmes
                ],
            }
        )

    # Classes held in the period, organised in the subtree.
    classes = (
        TrainingClass.objects.filter(
            organiser_unit__path__startswith=subtree,
            starts_on__lte=period_end,
            ends_on__gte=period_start,
        )
        .exclude(status=TrainingClass.Status.CANCELLED)
        .annotate(
            participants=Count(
                "members",
                filter=Q(members__status=ClassMember.Status.CONFIRMED),
            ),
            completed=Count(
                "members", filter=Q(members__result=ClassMember.Result.PASSED)
            ),
        )
        .order_by("starts_on", "name")
        .values_list(
            "pk", "name", "starts_on", "ends_on", "status", "participants", "completed"
        )
    )
    class_rows = [
        {
            "id": pk,
            "name": name,
            "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat(),
            "status": status,
            "participants": participants,
            "completed": completed,
        }
        for pk, name, starts, ends, status, participants, completed in classes
    ]

    start_at, end_at = _local_range(period_start, period_end)
    external = ExternalRecord.objects.filter(
        person__unit__path__startswith=subtree,
        status=ExternalRecord.Status.APPROVED,
        decided_at__range=(start_at, end_at),
    ).aggregate(n=Count("id"), hours=Sum("hours"), days=Sum("days"))

    return {
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "programmes": programme_rows,
        "children": child_rows,
        "classes": {
            "count": len(class_rows),
            "participants": sum(r["participants"] for r in class_rows),
            "completed": sum(r["completed"] for r in class_rows),
            "items": class_rows,
        },
        "external_records": {
            "count": external["n"] or 0,
            "hours": str(external["hours"] or Decimal("0.00")),
            "days": str(external["days"] or Decimal("0.0")),
        },
        "overdue_people": overdue_people,
    }


def child_report_overview(
    *,
    user,
    unit: OrgUnit,
    period: str,
    period_start: dt.date,
    today: dt.date | None = None,
) -> list[dict]:
    """For each reporting child unit of ``unit``: has it reported for the period,
    when, late or returned? Three queries whatever the number of children."""
    if not selectors.unit_in_scope(user, unit):
        raise PermissionDenied
    start, end = report_period_bounds(period, period_start)
    due_on = report_due_on(end)
    today = today or timezone.localdate()
    children = list(
        unit.get_children()
        .filter(is_active=True, kind__in=REPORTING_KINDS)
        .order_by("sort_order", "code")
    )
    reports = {
        r.unit_id: r
        for r in ProgressReport.objects.filter(
            unit__in=children, period=period, period_start=start
        )
    }
    submissions: dict[int, list[ReportSubmission]] = defaultdict(list)
    for sub in (
        ReportSubmission.objects.filter(report__in=list(reports.values()))
        .select_related("submitted_by", "returned_by")
        .order_by("report_id", "number")
    ):
        submissions[sub.report_id].append(sub)
    rows = []
    for child in children:
        report = reports.get(child.pk)
        subs = submissions.get(report.pk, []) if report else []
        first = subs[0] if subs else None
        latest = subs[-1] if subs else None
        report_due = report.due_on if report else due_on
        first_on = timezone.localdate(first.submitted_at) if first else None
        if report and report.status == ProgressReport.Status.RETURNED:
            state = "returned"
        elif first is not None:
            state = "late" if first_on > report_due else "submitted"
        elif today > report_due:
            state = "overdue"
        else:
            state = "pending"
        rows.append(
            {
                "unit": child,
                "report": report,
                "submissions": list(reversed(subs)),
                "latest": latest,
                "first_submitted_at": first.submitted_at if first else None,
                "due_on": report_due,
                "state": state,
                "is_late": first_on > report_due if first else today > report_due,
                "is_returned": state == "returned",
                "can_return": bool(
                    latest
                    and report.status == ProgressReport.Status.SUBMITTED
                    and progress_report_can_return(user, report)
                ),
            }
        )
    return rows


def progress_report_can_return(actor, report: ProgressReport) -> bool:
    """Coordinators and admins of the parent unit or above, never of the unit
    itself only."""
    parent_path = report.unit.path[: -OrgUnit.steplen]
    if not parent_path:
        return bool(getattr(actor, "is_superuser", False))
    paths = selectors.scope_paths(actor, selectors.MANAGE_ROLES)
    if paths is None:
        return True
    return any(parent_path.startswith(p) for p in paths)
