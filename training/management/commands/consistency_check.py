import json
import sys

from django.core.management.base import BaseCommand

from training.consistency.checks import CHECKS, CHUNK, consistency_check


class Command(BaseCommand):
    help = (
        "Check that stored statuses and roll-ups equal a recount from the ledger, "
        "that every certificate's PDF exists and matches its SHA-256, and the "
        "ledger's invariants. Exit status 1 when anything does not match."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            dest="checks",
            action="append",
            choices=CHECKS,
            help="Only this check (repeat for several); default: all.",
        )
        parser.add_argument("--chunk-size", type=int, default=CHUNK)
        parser.add_argument(
            "--no-hashes",
            action="store_true",
            help="Check that certificate files exist, without reading them.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print the report as JSON."
        )

    def handle(self, *args, checks=None, chunk_size=CHUNK, **options):
        as_json = options["json"]

        def progress(name: str, count: int) -> None:
            if not as_json:
                self.stderr.write(f"\r{name}: {count:,}", ending="")
                self.stderr.flush()

        report = consistency_check(
            checks=checks or CHECKS,
            chunk_size=chunk_size,
            hashes=not options["no_hashes"],
            progress=progress,
        )
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self.stderr.write("")
            self._summary(report)
        if not report.ok:
            sys.exit(1)

    def _summary(self, report) -> None:
        for name, count in report.checked.items():
            self.stdout.write(f"checked {name}: {count:,}")
        for name, value in report.totals.items():
            self.stdout.write(f"total {name}: {value}")
        for problem in report.warnings:
            self.stdout.write(
                f"WARNING {problem.check}/{problem.kind} {problem.id}: {problem.detail}"
            )
        for problem in report.mismatches:
            self.stdout.write(
                self.style.ERROR(
                    f"MISMATCH {problem.check}/{problem.kind} {problem.id}: "
                    f"{problem.detail}"
                )
            )
        if report.ok:
            self.stdout.write(self.style.SUCCESS("Consistent."))
        else:
            counts = ", ".join(f"{k} {v}" for k, v in report.mismatch_counts.items())
            self.stdout.write(self.style.ERROR(f"Mismatches: {counts}."))
