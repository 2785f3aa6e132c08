from django.core.management.base import BaseCommand

from training.compliance.rollups import rollups_rebuild_current


class Command(BaseCommand):
    help = (
        "Recount the unit roll-ups of every current cycle from the compliance rows "
        "(nightly, after the recompute): repairs any drift the per-person refreshes "
        "left behind."
    )

    def handle(self, *args, **options):
        cycles, written = rollups_rebuild_current()
        self.stdout.write(f"{written} roll-up row(s) rebuilt for {cycles} cycle(s).")
