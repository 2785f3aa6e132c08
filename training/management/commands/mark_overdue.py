from django.core.management.base import BaseCommand

from training.compliance.recompute import compliance_mark_overdue


class Command(BaseCommand):
    help = (
        "Mark as 未达标 the cycles whose due date has passed while still in progress, "
        "and recount the current cycles' unit roll-ups (run daily after midnight)."
    )

    def handle(self, *args, **options):
        marked = compliance_mark_overdue()
        self.stdout.write(f"{marked} cycle(s) marked overdue.")
