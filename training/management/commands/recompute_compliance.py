import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from training.certificates.services import certificates_issue_missing
from training.compliance.recompute import compliance_recompute
from training.programmes.models import Programme
from training.programmes.rulebook import (
    audience_queryset,
    cycle_and_rule,
    programme_rules,
)

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Recompute the current cycle's compliance of every published programme "
        "(or of the given ones), showing progress."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--programme",
            dest="programme_ids",
            type=int,
            action="append",
            metavar="ID",
            help="Only this programme (repeat for several).",
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            help="Evaluate as of this date (YYYY-MM-DD); default: today.",
        )
        parser.add_argument(
            "--no-certificates",
            action="store_true",
            help="Do not queue certificates for people who newly meet a programme "
            "that issues them.",
        )

    def handle(
        self, *args, programme_ids=None, today=None, no_certificates=False, **options
    ):
        today = today or timezone.localdate()
        loaded = programme_rules(programme_ids)
        if programme_ids:
            unknown = set(programme_ids) - set(loaded)
            if unknown:
                raise CommandError(
                    "Not published (or no published version): "
                    + ", ".join(str(i) for i in sorted(unknown))
                )
        if not loaded:
            self.stdout.write("No published programmes.")
            return
        names = dict(
            Programme.objects.filter(pk__in=list(loaded)).values_list("pk", "name")
        )
        grand_total = 0
        started = time.monotonic()
        for programme_id, versions in loaded.items():
            found = cycle_and_rule(versions, today)
            rule = found[1] if found else versions[-1]
            total = audience_queryset(rule).count()
            label = f"#{programme_id} {names.get(programme_id, '')}"
            self._bar(label, 0, total)
            written = compliance_recompute(
                programme_ids=[programme_id],
                today=today,
                progress=lambda n, label=label, total=total: self._bar(label, n, total),
            )[programme_id]
            self._bar(label, written, max(total, written))
            self.stdout.write("")
            grand_total += written
        if not no_certificates:
            batches = certificates_issue_missing(programme_ids=list(loaded))
            for batch in batches:
                self.stdout.write(
                    f"Certificates queued for {batch.total} people of "
                    f"{names.get(batch.programme_id, '')} (batch {batch.pk})."
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"{grand_total} compliance rows written for {len(loaded)} "
                f"programme(s) in {time.monotonic() - started:.1f} s."
            )
        )

    def _bar(self, label: str, done: int, total: int) -> None:
        filled = BAR_WIDTH if not total else min(BAR_WIDTH, done * BAR_WIDTH // total)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stdout.write(f"\r{label} [{bar}] {done}/{total}", ending="")
        self.stdout.flush()
