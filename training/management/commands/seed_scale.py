"""National-scale benchmark data: ``seed_scale --units N --people M [--seed S]``.

Thin: the generator is ``training.demo.scale``. Refused when DEBUG is off unless
``--force`` (it writes hundreds of thousands of rows), and when seed_scale data is
already there unless ``--reset`` (which deletes only seed_scale data, by its ``S-``
code prefix, first).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from training.demo import scale


class Command(BaseCommand):
    help = (
        "Create national-scale data for benchmarks: a 5-level unit tree, staff with "
        "logins, a year of 学时 records with the course enrolments and exam attempts "
        "behind them (defaults: 3,600 units, 300,000 people)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=3600)
        parser.add_argument("--people", type=int, default=300_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete existing seed_scale data (codes starting with S-) first.",
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off."
        )
        parser.add_argument(
            "--recompute",
            action="store_true",
            help=(
                "Recompute compliance (and the unit roll-ups) for every published "
                "programme afterwards."
            ),
        )
        parser.add_argument(
            "--certificates",
            type=int,
            default=None,
            help=(
                "With --recompute: issue real certificates (PDF, ~80 ms each) to this "
                "many people who met a certificate-issuing programme (default 500)."
            ),
        )

    def handle(
        self,
        *args,
        units,
        people,
        seed,
        reset,
        force,
        recompute,
        certificates,
        **options,
    ):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_scale writes hundreds of thousands of made-up people; it runs "
                "with DEBUG on, or with --force on a database meant for benchmarks."
            )
        asked_certificates = certificates is not None
        certificates = 500 if certificates is None else certificates
        if units < 4 or people < 1 or certificates < 0:
            raise CommandError(
                "Use --units 4 or more, --people 1 or more and --certificates 0 or "
                "more."
            )
        if reset:
            deleted = scale.scale_reset()
            self.stdout.write(f"Deleted earlier seed_scale data: {deleted}")
        elif scale.scale_data_exists():
            raise CommandError(
                f"seed_scale data (codes starting with {scale.PREFIX!r}) is already "
                "there. Use --reset to delete it and seed again."
            )
        started = time.monotonic()
        self._last = 0.0
        result = scale.scale_seed(
            units=units,
            people=people,
            seed=seed,
            progress=self.progress,
            recompute=recompute,
            certificates=certificates if recompute else 0,
        )
        self.stdout.write(
            f"Created {result.units} units, {result.people} people with logins, "
            f"{result.ledger_entries} ledger entries, {result.enrollments} course "
            f"enrolments and {result.attempts} exam attempts in "
            f"{time.monotonic() - started:.1f} s."
        )
        self.stdout.write(f"Seconds by phase: {result.seconds}")
        self.stdout.write(f"Mix: {result.mix}")
        self.stdout.write(f"National programmes: {result.programmes}")
        if recompute:
            self.stdout.write(
                f"Compliance (rows by programme id) and unit roll-ups recomputed: "
                f"{result.compliance}"
            )
            self.stdout.write(
                f"Certificates issued (real PDFs, a sample): {result.certificates}"
                + (
                    ""
                    if result.certificates >= certificates
                    else f" of {certificates} asked for (fewer people met)"
                )
            )
        elif asked_certificates and certificates:
            self.stdout.write(
                "No certificates: they need the compliance rows (--recompute)."
            )

    def progress(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < 2 and done != total:
            return
        self._last = now
        of = f"/{total}" if total else ""
        self.stdout.write(f"  {phase}: {done}{of}")
        self.stdout.flush()
