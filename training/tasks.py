from django_tasks import task

from training.services import roster_import_run


@task()
def roster_import_task(import_id: int) -> int:
    """Background roster import for large files; progress is on the RosterImport row."""
    record = roster_import_run(import_id=import_id)
    return record.pk
