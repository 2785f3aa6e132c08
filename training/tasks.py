from django_tasks import task

from training.services import roster_import_run


@task()
def roster_import_task(import_id: int) -> int:
    """Background roster import for large files; progress is on the RosterImport row."""
    record = roster_import_run(import_id=import_id)
    return record.pk


@task()
def compliance_recompute_task(programme_ids: list[int] | None = None) -> dict:
    """Full recompute (after a rule is published, a unit moved, or nightly)."""
    from training.services.certificates import certificates_issue_missing
    from training.services.compliance import compliance_recompute

    written = compliance_recompute(programme_ids=programme_ids)
    # People who met a certificate-issuing programme in the recompute get theirs.
    certificates_issue_missing(programme_ids=written.keys())
    return {str(k): v for k, v in written.items()}


@task()
def reminders_send_task(today: str | None = None, force_digest: bool = False) -> dict:
    """Daily reminders and the Monday digest (``today`` as YYYY-MM-DD, optional)."""
    import datetime as dt

    from training.services.reminders import reminders_send

    day = dt.date.fromisoformat(today) if today else None
    return reminders_send(today=day, force_digest=force_digest)


@task()
def certificate_batch_task(batch_id: int) -> dict:
    """Bulk certificate issue; progress on the CertificateBatch row, resumable."""
    from training.services.certificates import certificate_batch_run

    batch = certificate_batch_run(batch_id=batch_id)
    return {"issued": batch.issued, "skipped": batch.skipped}


@task()
def certificate_issue_task(person_id: int, programme_id: int, cycle_start: str) -> str:
    """One certificate, issued automatically when a person meets a programme."""
    import datetime as dt

    from django.core.exceptions import ValidationError

    from training.models import Person, Programme
    from training.services.certificates import certificate_issue

    try:
        certificate, _created = certificate_issue(
            person=Person.objects.get(pk=person_id),
            programme=Programme.objects.get(pk=programme_id),
            cycle_start=dt.date.fromisoformat(cycle_start),
        )
    except ValidationError:
        return ""  # no longer compliant by the time the task ran
    return certificate.code


@task()
def report_export_task(export_id: int) -> dict:
    """A background dashboard export (XLSX); progress on the ReportExport row."""
    from training.services.exports import report_export_run

    export = report_export_run(export_id=export_id)
    return {"status": export.status, "rows": export.done}
