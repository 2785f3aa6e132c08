"""Progress reports to the level above (定期向上一级报告), the writes.

A unit's coordinator opens the report for a month, quarter or year, sees the live
figures of the unit's whole subtree, adds problems and comments and submits. Each
submission freezes the figures as JSON and as a PDF (with its SHA-256), so what was
reported never changes when the ledger does. The parent unit's coordinators see which
child units reported on time, late or not at all, and may return a report for
revision with a comment; the revision is a new submission, the earlier ones stay.

The reads (periods, visibility, figures, the child units' overview) are in
``training.reports.progress_selectors``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.pdf import render_pdf
from training.notifications.models import Notification
from training.org import selectors
from training.org.models import OrgUnit, RoleGrant
from training.reports.models import ProgressReport, ReportSubmission
from training.reports.progress_selectors import (
    progress_report_can_return,
    progress_report_data,
    report_due_on,
    report_period_bounds,
    report_period_label,
)

PDF_TEMPLATE = "training/reports/report_pdf.html"
# Until cms.AuditEvent.Action lists them, the raw values are stored.
AUDIT_SUBMITTED = AuditEvent.Action.REPORT_SUBMITTED
AUDIT_RETURNED = AuditEvent.Action.REPORT_RETURNED


# --- writes -------------------------------------------------------------------------


def _require_manager(actor, unit: OrgUnit) -> None:
    if actor is None or not selectors.unit_in_scope(actor, unit, manage=True):
        raise PermissionDenied


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
