"""Progress reports to the level above (定期向上一级报告).

A unit's coordinator opens the report for a month, quarter or year, sees the live
figures of the unit's whole subtree, adds problems and comments and submits. Each
submission freezes the figures as JSON and as a PDF (with its SHA-256), so what was
reported never changes when the ledger does. The parent unit's coordinators see which
child units reported on time, late or not at all, and may return a report for
revision with a comment; the revision is a new submission, the earlier ones stay.

Figures are aggregated with a handful of grouped queries over the unit path prefix,
whatever the number of people.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.pdf import render_pdf
from training.classes.models import ClassMember, TrainingClass
from training.compliance.models import ComplianceStatus
from training.ledger.models import ExternalRecord
from training.notifications.models import Notification
from training.org import selectors
from training.org.models import OrgUnit, RoleGrant
from training.programmes.models import Programme
from training.reports.models import ProgressReport, ReportSubmission

Period = ProgressReport.Period
Status = ComplianceStatus.Status
DEFAULT_DUE_DAYS = 10
PDF_TEMPLATE = "training/reports/report_pdf.html"
# Reporting units: procuratorates and their dispatched offices; internal departments
# report through their procuratorate.
REPORTING_KINDS = (
    OrgUnit.Kind.PROCURATORATE,
    OrgUnit.Kind.BRANCH,
    OrgUnit.Kind.OFFICE,
)
# Until cms.AuditEvent.Action lists them, the raw values are stored.
AUDIT_SUBMITTED = AuditEvent.Action.REPORT_SUBMITTED
AUDIT_RETURNED = AuditEvent.Action.REPORT_RETURNED


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


# --- writes -------------------------------------------------------------------------


def _require_manager(actor, unit: OrgUnit) -> None:
    if actor is None or not selectors.unit_in_scope(actor, unit, manage=True):
        raise PermissionDenied


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


@transaction.atomic
def progress_report_get_or_create(
    *, unit: OrgUnit, period: str, period_start: dt.date, actor
) -> ProgressReport:
    _require_manager(actor, unit)
    start, end = report_period_bounds(period, period_start)
    report = ProgressReport.objects.filter(
        unit=unit, period=period, period_start=start
    ).first()
    if report is not None:
        return report
    report = ProgressReport(
        unit=unit,
        period=period,
        period_start=start,
        period_end=end,
        due_on=report_due_on(end),
        created_by=actor,
    )
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def progress_report_update(
    *, report: ProgressReport, actor, problems: str, comments: str
) -> ProgressReport:
    """Save the coordinator's text while the report is a draft or returned."""
    _require_manager(actor, report.unit)
    if report.status == ProgressReport.Status.SUBMITTED:
        raise ValidationError(_("A submitted report cannot be changed."))
    report.problems = problems
    report.comments = comments
    report.full_clean()
    report.save(update_fields=["problems", "comments"])
    return report


def _coordinators_of(unit: OrgUnit, *, climb: bool) -> list[int]:
    """Users holding the coordinator role on ``unit``; with ``climb``, on the nearest
    ancestor that has any, so a report never goes unseen."""
    paths = [unit.path]
    if climb:
        paths += [
            unit.path[:i]
            for i in range(len(unit.path) - OrgUnit.steplen, 0, -OrgUnit.steplen)
        ]
    grants = RoleGrant.objects.filter(
        role=RoleGrant.Role.COORDINATOR,
        unit__path__in=paths,
        user__is_active=True,
    ).values_list("unit__path", "user_id")
    by_path: dict[str, list[int]] = defaultdict(list)
    for path, user_id in grants:
        by_path[path].append(user_id)
    for path in paths:
        if by_path.get(path):
            return sorted(set(by_path[path]))
    return []


def _notify(user_ids, *, key: str, title: str, body: str, url: str) -> None:
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                kind=Notification.Kind.REPORT,
                title=title[:200],
                body=body,
                url=url,
                dedupe_key=f"{key}:{user_id}"[:120],
            )
            for user_id in user_ids
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def progress_report_submit(
    *, report: ProgressReport, actor, problems: str, comments: str
) -> ReportSubmission:
    """Freeze the figures, render the PDF and send the report up one level."""
    _require_manager(actor, report.unit)
    report = ProgressReport.objects.select_for_update().get(pk=report.pk)
    if report.status == ProgressReport.Status.SUBMITTED:
        raise ValidationError(
            _("This report has been submitted. It can be revised only if returned.")
        )
    report.problems = problems
    report.comments = comments
    report.status = ProgressReport.Status.SUBMITTED
    report.full_clean()
    report.save(update_fields=["problems", "comments", "status"])

    number = ReportSubmission.objects.filter(report=report).order_by("-number").first()
    number = (number.number if number else 0) + 1
    data = progress_report_data(
        unit=report.unit, period_start=report.period_start, period_end=report.period_end
    )
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        pdf = render_pdf(
            PDF_TEMPLATE,
            {
                "report": report,
                "data": data,
                "number": number,
                "problems": problems,
                "comments": comments,
                "submitted_by": actor,
                "submitted_at": now,
                "period_label": report_period_label(report.period, report.period_start),
            },
        )
    submission = ReportSubmission(
        report=report,
        number=number,
        data=data,
        problems=problems,
        comments=comments,
        sha256=hashlib.sha256(pdf).hexdigest(),
        submitted_by=actor,
    )
    submission.pdf.save(
        f"report-{report.unit.code}-{report.period_start:%Y%m%d}-{number}.pdf",
        ContentFile(pdf),
        save=False,
    )
    submission.full_clean()
    submission.save()
    # auto_now_add stamps its own time; keep the one printed in the PDF.
    ReportSubmission.objects.filter(pk=submission.pk).update(submitted_at=now)
    submission.submitted_at = now

    parent = report.unit.get_parent()
    if parent is not None:
        with translation.override(settings.LANGUAGE_CODE):
            overview = reverse("training:progress_report_children")
            _notify(
                _coordinators_of(parent, climb=True),
                key=f"report:{submission.pk}",
                title=_("%(unit)s submitted its progress report for %(period)s")
                % {
                    "unit": report.unit.name,
                    "period": report_period_label(report.period, report.period_start),
                },
                body="",
                url=f"{overview}?unit={parent.pk}&period={report.period}"
                f"&start={report.period_start.isoformat()}",
            )
    audit_record(
        action=AUDIT_SUBMITTED,
        actor=actor,
        target=report,
        detail={
            "submission": submission.pk,
            "number": number,
            "sha256": submission.sha256,
        },
    )
    return submission


@transaction.atomic
def progress_report_return(
    *, submission: ReportSubmission, actor, comment: str
) -> ReportSubmission:
    """Send a submitted report back for revision, with the reason."""
    report = ProgressReport.objects.select_for_update().get(pk=submission.report_id)
    if not progress_report_can_return(actor, report):
        raise PermissionDenied
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what needs to be revised.")})
    latest = ReportSubmission.objects.filter(report=report).order_by("-number").first()
    if report.status != ProgressReport.Status.SUBMITTED or latest.pk != submission.pk:
        raise ValidationError(_("Only the latest submitted version can be returned."))
    submission = latest
    submission.returned_by = actor
    submission.returned_at = timezone.now()
    submission.return_comment = comment
    submission.save(update_fields=["returned_by", "returned_at", "return_comment"])
    report.status = ProgressReport.Status.RETURNED
    report.save(update_fields=["status"])

    recipients = set(_coordinators_of(report.unit, climb=False))
    if submission.submitted_by_id:
        recipients.add(submission.submitted_by_id)
    with translation.override(settings.LANGUAGE_CODE):
        _notify(
            sorted(recipients),
            key=f"report-returned:{submission.pk}",
            title=_("Your progress report for %(period)s was returned for revision")
            % {"period": report_period_label(report.period, report.period_start)},
            body=comment,
            url=reverse("training:progress_report_detail", args=[report.pk]),
        )
    audit_record(
        action=AUDIT_RETURNED,
        actor=actor,
        target=report,
        detail={"submission": submission.pk, "comment": comment},
    )
    return submission
