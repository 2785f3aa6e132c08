from django_tasks import task

from assessments.services import attempts_close_overdue


@task()
def close_overdue_attempts_task() -> int:
    """The sweep: close and grade attempts whose time ran out."""
    return attempts_close_overdue()
