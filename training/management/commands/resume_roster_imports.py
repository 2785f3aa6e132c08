from django.core.management.base import BaseCommand

from training.org.services.roster.run import roster_imports_resume_stale


class Command(BaseCommand):
    help = (
        "Queue the large roster imports that never reached the task queue (it was "
        "down when they were uploaded). Safe to run every few minutes."
    )

    def handle(self, *args, **options):
        queued = roster_imports_resume_stale()
        if queued:
            self.stdout.write(
                f"Queued: {len(queued)} import(s) "
                f"({', '.join(str(pk) for pk in queued)})."
            )
        else:
            self.stdout.write("No waiting roster imports.")
