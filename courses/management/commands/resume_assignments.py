from django.core.management.base import BaseCommand

from courses.services.enrolment import assignments_resume_stale


class Command(BaseCommand):
    help = (
        "Queue again the course assignments that were queued more than 15 minutes "
        "ago and never started (the task queue was down). Safe to run every few "
        "minutes: an assignment run skips people already enrolled."
    )

    def handle(self, *args, **options):
        queued = assignments_resume_stale()
        if queued:
            self.stdout.write(
                f"Queued again: {len(queued)} assignment(s) "
                f"({', '.join(str(pk) for pk in queued)})."
            )
        else:
            self.stdout.write("No waiting assignments.")
