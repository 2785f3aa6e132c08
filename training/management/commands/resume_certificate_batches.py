from django.core.management.base import BaseCommand
from django.db import transaction

from training.certificates.services import certificate_batches_resume_stale


class Command(BaseCommand):
    help = (
        "Queue again the certificate batches whose worker stopped reporting for more "
        "than two minutes (a killed worker, a restart). Safe to run every few minutes: "
        "a resumed batch skips the certificates already issued."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            resumed = certificate_batches_resume_stale()
        if resumed:
            self.stdout.write(
                f"Queued again: {len(resumed)} batch(es) "
                f"({', '.join(str(pk) for pk in resumed)})."
            )
        else:
            self.stdout.write("No stalled certificate batches.")
