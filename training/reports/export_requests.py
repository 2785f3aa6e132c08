"""Background dashboard exports, the requesting side: ask for an export (scope
checked as the requester), queue it, and notice and requeue the ones that stalled
(their worker died, or the queue lost them)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cms.audit import audit_record
from cms.tasks import task_enqueue_or_defer
from training.reports.dashboard import PEOPLE_STATUSES
from training.reports.export_models import ReportExport
from training.reports.export_run import KIND_PEOPLE, KINDS, report_export_task
from training.reports.forms import dashboard_filter_from, filter_params

Status = ReportExport.Status

STALE_AFTER = dt.timedelta(minutes=5)


# --- background exports: request, restart ---------------------------------------------


def _truthy(value) -> bool:
    return str(value or "").lower() in ("1", "true", "on", "yes")


def report_export_request(
    *, user, kind: str, params, request=None, enqueue: bool = True
) -> ReportExport:
    """Queue a background export of ``kind`` for the dashboard filters in
    ``params`` (a QueryDict or a dict). PermissionDenied for a unit outside the
    user's scope, ValidationError for anything else wrong."""
    if kind not in KINDS:
        raise ValidationError(_("There is no such export."))
    form, f = dashboard_filter_from(user, params)  # PermissionDenied: out of scope
    if f is None:
        raise ValidationError(
            [str(e) for errors in form.errors.values() for e in errors]
        )
    if f.programme is None:
        raise ValidationError(_("There is no published programme to export."))
    stored = filter_params(f)
    if kind == KIND_PEOPLE:
        status = params.get("status") or ""
        if status and status not in PEOPLE_STATUSES:
            raise ValidationError(_("Unknown status filter."))
        if status:
            stored["status"] = status
        if _truthy(params.get("at_risk")):
            stored["at_risk"] = "1"
    # The run has no request: it writes headers in the language asked in.
    stored["lang"] = translation.get_language() or settings.LANGUAGE_CODE
    with transaction.atomic():
        export = ReportExport(kind=kind, params=stored, unit=f.unit, requested_by=user)
        export.full_clean()
        export.save()
        audit_record(
            action="report.export.request",
            actor=user,
            target=export,
            target_label=f"{KINDS[kind]} · {f.unit.name}",
            detail={"kind": kind, "params": stored},
            request=request,
        )
        if enqueue:
            transaction.on_commit(lambda: report_export_enqueue(export_id=export.pk))
    return export


def report_export_enqueue(*, export_id: int) -> None:
    task_enqueue_or_defer(report_export_task, export_id)


def _stale_q(now: dt.datetime | None = None) -> Q:
    """Running without a heartbeat for STALE_AFTER, or queued that long and never
    picked up (the queue lost it)."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    return (
        Q(status=Status.RUNNING, heartbeat_at__lt=cutoff)
        | Q(status=Status.QUEUED, heartbeat_at__lt=cutoff)
        | Q(status=Status.QUEUED, heartbeat_at__isnull=True, created_at__lt=cutoff)
    )


def report_export_is_stale(export: ReportExport) -> bool:
    if export.status not in (Status.QUEUED, Status.RUNNING):
        return False
    last = export.heartbeat_at or export.created_at
    return timezone.now() - last > STALE_AFTER


def report_export_restart(*, export: ReportExport, actor, request=None) -> bool:
    """Queue a stalled export again (a new run from the first row). Idempotent:
    only a stale export is requeued, and requeueing makes it fresh, so a second
    press does nothing. True when it was queued again."""
    if export.requested_by_id != getattr(actor, "pk", None):
        raise PermissionDenied
    now = timezone.now()
    with transaction.atomic():
        requeued = (
            ReportExport.objects.filter(_stale_q(now), pk=export.pk).update(
                status=Status.QUEUED,
                done=0,
                started_at=None,
                heartbeat_at=now,
                error="",
            )
            == 1
        )
        if requeued:
            audit_record(
                action="report.export.restart",
                actor=actor,
                target=export,
                detail={"kind": export.kind},
                request=request,
            )
            transaction.on_commit(lambda: report_export_enqueue(export_id=export.pk))
    export.refresh_from_db()
    return requeued


def report_exports_resume_stale() -> list[int]:
    """Requeue every stalled export (for a scheduler or the management command)."""
    now = timezone.now()
    stale = list(
        ReportExport.objects.filter(_stale_q(now)).values_list("pk", flat=True)
    )
    with transaction.atomic():
        ReportExport.objects.filter(_stale_q(now), pk__in=stale).update(
            status=Status.QUEUED, done=0, started_at=None, heartbeat_at=now
        )
        for export_id in stale:
            transaction.on_commit(
                lambda export_id=export_id: report_export_enqueue(export_id=export_id)
            )
    return stale
