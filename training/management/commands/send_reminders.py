"""Daily reminders: ``manage.py send_reminders [--date YYYY-MM-DD] [--digest]``.

Schedule it once a day (see docs/reminders-and-reports.md); running it twice sends
nothing twice."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from training.compliance.reminders import reminders_send


class Command(BaseCommand):
    help = "Write due-soon, overdue and weekly-digest notifications and e-mail them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", help="Act as if today were this date (YYYY-MM-DD)."
        )
        parser.add_argument(
            "--digest",
            action="store_true",
            help="Send the coordinators' weekly digest even if today is not Monday.",
        )

    def handle(self, *args, date=None, digest=False, **options):
        today = None
        if date:
            try:
                today = dt.date.fromisoformat(date)
            except ValueError as error:
                raise CommandError(f"--date: {error}") from error
        counts = reminders_send(today=today, force_digest=digest)
        self.stdout.write(
            "due soon: {due_soon}, overdue: {overdue}, digests: {digest}, "
            "e-mailed: {emailed}, without e-mail address: {no_email}".format(**counts)
        )
