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
