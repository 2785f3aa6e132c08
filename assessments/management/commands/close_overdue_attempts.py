from django.core.management.base import BaseCommand

from assessments.services import attempts_close_overdue


class Command(BaseCommand):
    help = "Close and grade exam attempts whose time ran out (run every minute)."

    def handle(self, *args, **options):
        closed = attempts_close_overdue()
        self.stdout.write(f"closed {closed} overdue attempt(s)")
