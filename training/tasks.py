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
    from training.services.compliance import compliance_recompute

    written = compliance_recompute(programme_ids=programme_ids)
    return {str(k): v for k, v in written.items()}


@task()
def reminders_send_task(today: str | None = None, force_digest: bool = False) -> dict:
    """Daily reminders and the Monday digest (``today`` as YYYY-MM-DD, optional)."""
    import datetime as dt

    from training.services.reminders import reminders_send

    day = dt.date.fromisoformat(today) if today else None
    return reminders_send(today=day, force_digest=force_digest)
