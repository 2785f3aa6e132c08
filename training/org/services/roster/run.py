"""Running a roster import: the upload, the run (read, parse, check, then write
all rows or none), resuming imports that missed the queue, and the task."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.tasks import task_enqueue_or_defer
from training.org.models import Person, RosterImport
from training.org.selectors import MANAGE_ROLES, user_has_role
from training.org.services.roster.check import _check_rows
from training.org.services.roster.parse import FileRejected, _parse_row, _read_rows
from training.org.services.roster.write import _write
from training.org.signals import people_changed

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 500


# --- entry points --------------------------------------------------------------------


def _may_import(actor) -> bool:
    return actor is None or user_has_role(actor, *MANAGE_ROLES)


def roster_import_create(
    *, actor, uploaded_file: UploadedFile, language: str | None = None
) -> RosterImport:
    """Store an uploaded roster and import it now (small) or in a task (large)."""
    if not _may_import(actor):
        raise PermissionDenied
    record = RosterImport.objects.create(
        uploaded_by=actor,
        file=uploaded_file,
        original_name=uploaded_file.name[:255],
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
    )
    try:
        columns, rows = _read_rows(record.file.path)
    except FileRejected as exc:
        return _reject_file(record, str(exc))
    record.total_rows = len(rows)
    record.save(update_fields=["total_rows"])
    if len(rows) > settings.ROSTER_IMPORT_SYNC_MAX_ROWS:

        def enqueue() -> None:
            result = task_enqueue_or_defer(roster_import_task, import_id=record.pk)
            if result is not None:
                RosterImport.objects.filter(pk=record.pk).update(task_id=str(result.id))

        transaction.on_commit(enqueue)
        return record
    # Small files are imported now, from the rows already read (no second parse).
    with translation.override(record.language):
        return _run(record, parsed=(columns, rows))


def _discard_upload(record: RosterImport) -> None:
    """The uploaded workbook carries national ID numbers in clear: once the import
    has finished (either way) only its outcome is kept, never the file."""
    if record.file:
        record.file.delete(save=False)
        RosterImport.objects.filter(pk=record.pk).update(file="")


def _reject_file(record: RosterImport, message: str) -> RosterImport:
    _discard_upload(record)
    record.status = RosterImport.Status.REJECTED
    record.errors = [{"row": 1, "column": "", "message": message}]
    record.finished_at = timezone.now()
    record.save(update_fields=["status", "errors", "finished_at"])
    audit_record(
        action=AuditEvent.Action.ROSTER_REJECTED,
        actor=record.uploaded_by,
        target=record,
        detail={"errors": 1},
    )
    return record


def roster_import_run(*, import_id: int) -> RosterImport:
    """Check every row, then write all of them or none. Safe to call again: a
    finished import is returned as it is."""
    record = RosterImport.objects.select_related("uploaded_by").get(pk=import_id)
    if record.is_finished:
        return record
    with translation.override(record.language):
        return _run(record)


# A large import's task is queued right after its upload commits; one still
# without a task id this long after the upload never reached the queue.
RESUME_AFTER = dt.timedelta(minutes=1)


def roster_imports_resume_stale() -> list[int]:
    """Queue the large imports that never reached the queue (it was down at upload
    time): for the scheduler. Returns their ids."""
    waiting = list(
        RosterImport.objects.filter(
            status=RosterImport.Status.PENDING,
            task_id="",
            total_rows__gt=settings.ROSTER_IMPORT_SYNC_MAX_ROWS,
            created_at__lt=timezone.now() - RESUME_AFTER,
        ).values_list("pk", flat=True)
    )
    for import_id in waiting:
        result = task_enqueue_or_defer(roster_import_task, import_id=import_id)
        if result is None:
            break  # still down; the next run tries again
        RosterImport.objects.filter(pk=import_id).update(task_id=str(result.id))
    return waiting


def _run(record: RosterImport, parsed=None) -> RosterImport:
    actor = record.uploaded_by
    RosterImport.objects.filter(pk=record.pk).update(
        status=RosterImport.Status.RUNNING, processed_rows=0
    )
    if parsed is None:
        try:
            parsed = _read_rows(record.file.path)
        except FileRejected as exc:
            return _reject_file(record, str(exc))
    columns, rows = parsed

    results = []
    for index, (number, row) in enumerate(rows, start=1):
        results.append(_parse_row(number, row, columns))
        if index % PROGRESS_EVERY == 0:
            RosterImport.objects.filter(pk=record.pk).update(processed_rows=index)
    existing = _check_rows(results, actor)
    errors = [error for result in results for error in result.errors]
    record.total_rows = len(rows)
    record.processed_rows = len(rows)
    if not rows:
        errors = [{"row": 2, "column": "", "message": _("The file has no data rows.")}]
    if errors:
        _discard_upload(record)
        record.status = RosterImport.Status.REJECTED
        record.errors = errors
        record.finished_at = timezone.now()
        record.save(
            update_fields=[
                "status",
                "errors",
                "finished_at",
                "total_rows",
                "processed_rows",
            ]
        )
        audit_record(
            action=AuditEvent.Action.ROSTER_REJECTED,
            actor=actor,
            target=record,
            detail={"rows": len(rows), "errors": len(errors)},
        )
        return record

    RosterImport.objects.filter(pk=record.pk).update(
        status=RosterImport.Status.WRITING, processed_rows=len(rows)
    )
    try:
        with transaction.atomic():
            created, updated, touched = _write(results, existing)
            people_changed.send(sender=Person, person_ids=touched)
            record.status = RosterImport.Status.SUCCEEDED
            record.created_count = created
            record.updated_count = updated
            record.errors = []
            record.finished_at = timezone.now()
            record.save(
                update_fields=[
                    "status",
                    "created_count",
                    "updated_count",
                    "errors",
                    "finished_at",
                    "total_rows",
                    "processed_rows",
                ]
            )
            audit_record(
                action=AuditEvent.Action.ROSTER_IMPORTED,
                actor=actor,
                target=record,
                detail={"rows": len(rows), "created": created, "updated": updated},
            )
    except IntegrityError:
        # Another import or an admin edit took an employee number or e-mail between
        # the check and the write. Nothing was written; the user can simply retry.
        logger.exception("roster import %s: conflict while writing", record.pk)
        record.status = RosterImport.Status.FAILED
        record.errors = [
            {
                "row": 1,
                "column": "",
                "message": _(
                    "Someone changed the same people while this file was imported; "
                    "nothing was written. Upload the file again."
                ),
            }
        ]
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "errors", "finished_at"])
    _discard_upload(record)
    return record


@task()
def roster_import_task(import_id: int) -> int:
    """Background roster import for large files; progress is on the RosterImport row."""
    record = roster_import_run(import_id=import_id)
    return record.pk
