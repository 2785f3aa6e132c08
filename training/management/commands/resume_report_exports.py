from django.core.management.base import BaseCommand

from training.reports.export_requests import report_exports_resume_stale


class Command(BaseCommand):
    help = (
        "Queue again the report exports whose worker stopped reporting for more than "
        "five minutes (or that were never picked up). Safe to run every few minutes: "
        "a restarted export is written anew, and a stalled run that wakes up cannot "
        "overwrite it."
    )

    def handle(self, *args, **options):
        resumed = report_exports_resume_stale()
        if resumed:
            self.stdout.write(
                f"Queued again: {len(resumed)} export(s) "
                f"({', '.join(str(pk) for pk in resumed)})."
            )
        else:
            self.stdout.write("No stalled report exports.")
