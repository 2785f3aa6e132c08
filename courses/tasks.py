from django_tasks import task

from courses.services import assignment_run


@task()
def assignment_run_task(assignment_id: int) -> int:
    """Enrol an assignment's people in batches; safe to run again."""
    return assignment_run(assignment_id=assignment_id).created
