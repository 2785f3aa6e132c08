"""A read-only consistency check of the records that prove training: run it after
restoring a backup, after a crash, or nightly.

What it recounts, in chunks so 300,000 people cost a few queries per chunk, never a
query per row:

* ``statuses`` — every ``ComplianceStatus``: its 学时, days, online 学时,
  centralised days and pending 学时 equal a recount from the ledger (the same
  rule engine, ``training.programmes.rules``, over the same entries), and its status
  agrees with whether the recounted credits meet the version's requirement;
* ``rollups`` — every ``UnitRollup`` / ``UnitRollupMonth`` equals a recount of the
  status rows (as of the day each roll-up row was built, for the at-risk count);
* ``certificates`` — every certificate's PDF exists and hashes to the stored
  SHA-256; a PDF no certificate refers to is reported as a warning;
* ``ledger`` — reversals reverse exactly one ordinary entry of the same person with
  the negated amounts, credits from courses, tests, classes and approved records
  are not negative, no person's total is negative, and approved external records
  hold the entry their approval wrote.

Mismatches are listed with ids (at most ``LIST_LIMIT`` per check; all are counted).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from training.certificates.models import Certificate
from training.classes.models import ClassMember
from training.compliance.models import ComplianceStatus, Exemption
from training.compliance.rollup_models import UnitRollup, UnitRollupMonth
from training.compliance.rollups import _count as rollups_count
from training.compliance.services import ENTRY_FIELDS, _counted
from training.ledger.models import ExternalRecord, LedgerEntry
from training.programmes import rules
from training.programmes.models import ProgrammeVersion
from training.programmes.rulebook import Rule, _rule_of

CHECKS = ("statuses", "rollups", "certificates", "ledger")
CHUNK = 5000
LIST_LIMIT = 200
HASH_BLOCK = 1 << 16
AMOUNT_FIELDS = ("hours", "days", "online_hours", "centralised_days", "pending_hours")
ROLLUP_FIELDS = (
    "total",
    "compliant",
    "in_progress",
    "overdue",
    "exempt",
    "at_risk",
    "hours",
    "online_hours",
)
ORDINARY_SOURCES = (
    LedgerEntry.Source.COURSE,
    LedgerEntry.Source.QUIZ,
    LedgerEntry.Source.CLASS,
    LedgerEntry.Source.EXTERNAL,
)


@dataclass
class Problem:
    check: str
    kind: str
    id: str
    detail: str = ""


@dataclass
class ConsistencyReport:
    checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    mismatch_counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    mismatches: list[Problem] = field(default_factory=list)
    warning_counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    warnings: list[Problem] = field(default_factory=list)
    # A fingerprint of the ledger and the certificates, to compare two databases
    # (a source and its restored backup) beyond "each is consistent in itself".
    totals: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def mismatch(self, check: str, kind: str, pk, detail: str = "") -> None:
        self.mismatch_counts[check] += 1
        if self.mismatch_counts[check] <= LIST_LIMIT:
            self.mismatches.append(Problem(check, kind, str(pk), detail))

    def warn(self, check: str, kind: str, pk, detail: str = "") -> None:
        self.warning_counts[check] += 1
        if self.warning_counts[check] <= LIST_LIMIT:
            self.warnings.append(Problem(check, kind, str(pk), detail))

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked": dict(self.checked),
            "mismatch_counts": dict(self.mismatch_counts),
            "mismatches": [asdict(p) for p in self.mismatches],
            "warning_counts": dict(self.warning_counts),
            "warnings": [asdict(p) for p in self.warnings],
            "totals": self.totals,
        }


Progress = Callable[[str, int], None] | None


def consistency_check(
    *,
    checks: Iterable[str] = CHECKS,
    chunk_size: int = CHUNK,
    hashes: bool = True,
    progress: Progress = None,
) -> ConsistencyReport:
    """Run the named checks (all by default) and return what they found."""
    report = ConsistencyReport()
    wanted = set(checks)
    unknown = wanted - set(CHECKS)
    if unknown:
        raise ValueError(f"Unknown checks: {', '.join(sorted(unknown))}")
    if "ledger" in wanted:
        _check_ledger(report)
    if "statuses" in wanted:
        _check_statuses(report, chunk_size=chunk_size, progress=progress)
    if "rollups" in wanted:
        _check_rollups(report)
    if "certificates" in wanted:
        _check_certificates(
            report, chunk_size=chunk_size, hashes=hashes, progress=progress
        )
    return report


# --- the ledger ----------------------------------------------------------------------


def _listed(report: ConsistencyReport, check: str, kind: str, queryset, detail):
    """Report each row of ``queryset`` (only the first LIST_LIMIT are fetched)."""
    total = queryset.count()
    for row in queryset.order_by("pk")[:LIST_LIMIT]:
        report.mismatch(check, kind, row.pk, detail(row))
    # Count the rest without listing them.
    report.mismatch_counts[check] += max(total - LIST_LIMIT, 0)


def _check_ledger(report: ConsistencyReport) -> None:
    Source = LedgerEntry.Source
    entries = LedgerEntry.objects.all()
    totals = entries.aggregate(
        n=Count("id"),
        hours=Sum("hours"),
        days=Sum("days"),
        reversals=Count("id", filter=Q(source=Source.REVERSAL)),
    )
    report.checked["ledger_entries"] = totals["n"]
    report.totals.update(
        ledger_entries=str(totals["n"]),
        ledger_reversals=str(totals["reversals"]),
        ledger_hours=str(totals["hours"] or Decimal(0)),
        ledger_days=str(totals["days"] or Decimal(0)),
    )

    def describe(row) -> str:
        return f"person {row.person_id}, {row.source}, {row.hours} 学时 {row.days} 天"

    _listed(
        report,
        "ledger",
        "reversal_without_original",
        entries.filter(source=Source.REVERSAL, reverses__isnull=True),
        describe,
    )
    _listed(
        report,
        "ledger",
        "reverses_but_not_a_reversal",
        entries.filter(reverses__isnull=False).exclude(source=Source.REVERSAL),
        describe,
    )
    _listed(
        report,
        "ledger",
        "reversal_of_a_reversal",
        entries.filter(source=Source.REVERSAL, reverses__source=Source.REVERSAL),
        describe,
    )
    _listed(
        report,
        "ledger",
        "reversal_does_not_cancel",
        entries.filter(source=Source.REVERSAL, reverses__isnull=False).exclude(
            hours=-F("reverses__hours"),
            days=-F("reverses__days"),
            person_id=F("reverses__person_id"),
            occurred_on=F("reverses__occurred_on"),
        ),
        lambda row: f"reverses {row.reverses_id}: {describe(row)}",
    )
    _listed(
        report,
        "ledger",
        "negative_credit",
        entries.filter(source__in=ORDINARY_SOURCES).filter(
            Q(hours__lt=0) | Q(days__lt=0)
        ),
        describe,
    )
    negative = (
        entries.values("person_id")
        .annotate(h=Sum("hours"), d=Sum("days"))
        .filter(Q(h__lt=0) | Q(d__lt=0))
        .order_by("person_id")
    )
    for row in negative[:LIST_LIMIT]:
        report.mismatch(
            "ledger",
            "negative_total",
            row["person_id"],
            f"total {row['h']} 学时 {row['d']} 天",
        )
    report.mismatch_counts["ledger"] += max(negative.count() - LIST_LIMIT, 0)
    records = ExternalRecord.objects.all()
    report.checked["external_records"] = records.count()
    _listed(
        report,
        "ledger",
        "approved_record_without_entry",
        records.filter(
            status=ExternalRecord.Status.APPROVED, ledger_entry__isnull=True
        ),
        lambda row: f"person {row.person_id}",
    )
    _listed(
        report,
        "ledger",
        "record_entry_differs",
        records.filter(ledger_entry__isnull=False).exclude(
            status=ExternalRecord.Status.APPROVED,
            person_id=F("ledger_entry__person_id"),
            hours=F("ledger_entry__hours"),
            days=F("ledger_entry__days"),
        ),
        lambda row: (
            f"person {row.person_id}, entry {row.ledger_entry_id}, status {row.status}"
        ),
    )


# --- compliance statuses ----------------------------------------------------------


def _person_chunks(chunk_size: int) -> Iterator[tuple[int, int]]:
    """(first, last) person id ranges covering every person with a status row,
    each holding about ``chunk_size`` people (keyset pagination, no OFFSET)."""
    last = 0
    base = ComplianceStatus.objects.order_by("person_id").values_list(
        "person_id", flat=True
    )
    while True:
        ids = list(base.filter(person_id__gt=last).distinct()[:chunk_size])
        if not ids:
            return
        yield ids[0], ids[-1]
        last = ids[-1]


def _load_versions() -> dict[int, Rule]:
    versions = ProgrammeVersion.objects.filter(
        pk__in=ComplianceStatus.objects.values("version_id")
    ).select_related("programme__owner_unit")
    return {
        v.pk: _rule_of(v)
        for v in versions.prefetch_related(
            "audience_units", "required_courses", "required_quizzes", "required_classes"
        )
    }


def _done_in_chunk(first: int, last: int, wanted: dict[str, set[int]]) -> dict:
    """{kind: {person id: [(item id, date)]}} of required items done by the people
    of the chunk (asked only when some version requires such items)."""
    from assessments.models import Attempt
    from courses.models import Enrollment

    done: dict[str, dict[int, list]] = {k: defaultdict(list) for k in wanted}
    if wanted["courses"]:
        for pid, item, when in Enrollment.objects.filter(
            user__person__id__gte=first,
            user__person__id__lte=last,
            course_id__in=wanted["courses"],
            completed_at__isnull=False,
        ).values_list("user__person__id", "course_id", "completed_at"):
            done["courses"][pid].append((item, timezone.localdate(when)))
    if wanted["quizzes"]:
        for pid, item, when in Attempt.objects.filter(
            user__person__id__gte=first,
            user__person__id__lte=last,
            quiz_id__in=wanted["quizzes"],
            passed=True,
            graded_at__isnull=False,
        ).values_list("user__person__id", "quiz_id", "graded_at"):
            done["quizzes"][pid].append((item, timezone.localdate(when)))
    if wanted["classes"]:
        for pid, item, day in ClassMember.objects.filter(
            person_id__gte=first,
            person_id__lte=last,
            training_class_id__in=wanted["classes"],
            result=ClassMember.Result.PASSED,
        ).values_list("person_id", "training_class_id", "training_class__ends_on"):
            done["classes"][pid].append((item, day))
    return done


def _check_statuses(
    report: ConsistencyReport, *, chunk_size: int, progress: Progress
) -> None:
    versions = _load_versions()
    wanted = {"courses": set(), "quizzes": set(), "classes": set()}
    for rule in versions.values():
        wanted["courses"] |= rule.requirement.courses
        wanted["quizzes"] |= rule.requirement.quizzes
        wanted["classes"] |= rule.requirement.classes
    Status = ComplianceStatus.Status
    for first, last in _person_chunks(chunk_size):
        statuses = list(
            ComplianceStatus.objects.filter(
                person_id__gte=first, person_id__lte=last
            ).values_list(
                "pk",
                "person_id",
                "version_id",
                "cycle_start",
                "cycle_end",
                "due_on",
                "status",
                *AMOUNT_FIELDS,
            )
        )
        start = min(row[3] for row in statuses)
        end = max(row[5] for row in statuses)
        entries: dict[int, list] = defaultdict(list)
        for person_id, *values in LedgerEntry.objects.filter(
            person_id__gte=first, person_id__lte=last, occurred_on__range=(start, end)
        ).values_list("person_id", *ENTRY_FIELDS):
            entries[person_id].append(tuple(values))
        pending: dict[int, list] = defaultdict(list)
        for person_id, day, hours, programme_id in ExternalRecord.objects.filter(
            person_id__gte=first,
            person_id__lte=last,
            status=ExternalRecord.Status.PENDING,
            ended_on__range=(start, end),
        ).values_list("person_id", "ended_on", "hours", "programme_id"):
            pending[person_id].append((day, hours, programme_id))
        exemptions: dict[tuple[int, int], list] = defaultdict(list)
        for person_id, programme_id, since, until in Exemption.objects.filter(
            person_id__gte=first, person_id__lte=last, revoked_at__isnull=True
        ).values_list("person_id", "programme_id", "valid_from", "valid_until"):
            exemptions[(person_id, programme_id)].append((since, until))
        done = _done_in_chunk(first, last, wanted)
        for pk, person_id, version_id, c_start, c_end, due, status, *stored in statuses:
            rule = versions[version_id]
            cycle = rules.Cycle(c_start, c_end, due)
            credits = rules.credits_in(_counted(entries[person_id], rule), cycle)
            credits.pending_hours = sum(
                (
                    hours
                    for day, hours, programme_id in pending[person_id]
                    if cycle.contains(day)
                    and (not rule.earmarked or programme_id == rule.programme_id)
                ),
                Decimal(0),
            )
            for key in ("courses", "quizzes", "classes"):
                setattr(
                    credits,
                    key,
                    frozenset(
                        item
                        for item, day in done[key].get(person_id, ())
                        if cycle.contains(day)
                    ),
                )
            report.checked["statuses"] += 1
            differs = [
                f"{name} {have} ≠ {getattr(credits, name)}"
                for name, have in zip(AMOUNT_FIELDS, stored, strict=True)
                if have != getattr(credits, name)
            ]
            if differs:
                report.mismatch(
                    "statuses",
                    "amounts",
                    pk,
                    f"person {person_id}, programme {rule.programme_id}, "
                    f"cycle {c_start}: " + "; ".join(differs),
                )
                continue
            # Whether the recounted credits meet the requirement does not depend on
            # the day; in progress vs. overdue and exemptions do, so those are
            # checked only as far as the day does not matter.
            met = (
                rules.evaluate(rule.requirement, credits, cycle, due).status
                == rules.COMPLIANT
            )
            wrong = False
            if status == Status.EXEMPT:
                wrong = not any(
                    since <= due and until >= c_start
                    for since, until in exemptions[(person_id, rule.programme_id)]
                )
            elif status == Status.COMPLIANT:
                wrong = not met
            elif status in (Status.IN_PROGRESS, Status.NON_COMPLIANT):
                wrong = met
            else:
                wrong = True
            if wrong:
                report.mismatch(
                    "statuses",
                    "status",
                    pk,
                    f"person {person_id}, programme {rule.programme_id}, "
                    f"cycle {c_start}: stored {status}, recount "
                    f"{'meets' if met else 'does not meet'} the requirement",
                )
        if progress:
            progress("statuses", report.checked["statuses"])


# --- roll-ups ----------------------------------------------------------------------


def _rollup_key(row: UnitRollup) -> tuple:
    return (
        row.unit_id,
        row.programme_id,
        row.cycle_start,
        row.category,
        row.grade,
        row.leadership_level,
        row.is_quota,
    )


def _check_rollups(report: ConsistencyReport) -> None:
    """One programme cycle at a time: the grouped recount runs in the database
    (``rollups._count``, the function that writes them), the comparison here."""
    cycles = set(
        ComplianceStatus.objects.values_list("programme_id", "cycle_start").distinct()
    ) | set(UnitRollup.objects.values_list("programme_id", "cycle_start").distinct())
    for programme_id, cycle_start in sorted(cycles):
        stored = {
            _rollup_key(r): r
            for r in UnitRollup.objects.filter(
                programme_id=programme_id, cycle_start=cycle_start
            )
        }
        statuses = ComplianceStatus.objects.filter(
            programme_id=programme_id, cycle_start=cycle_start
        )
        # at_risk depends on the day a row was built; recount as of each such day.
        days = {r.built_on for r in stored.values()} or {timezone.localdate()}
        expected_by_day: dict[dt.date, dict] = {}
        months: list[UnitRollupMonth] = []
        for day in sorted(days):
            rows, months = rollups_count(statuses, day)
            expected_by_day[day] = {_rollup_key(r): r for r in rows}
        expected_keys = set(next(iter(expected_by_day.values())))
        report.checked["rollups"] += len(expected_keys | set(stored))
        for key in sorted(expected_keys | set(stored), key=str):
            row = stored.get(key)
            if row is None:
                report.mismatch("rollups", "missing_row", key, "no stored roll-up row")
                continue
            if key not in expected_keys:
                report.mismatch(
                    "rollups", "stale_row", row.pk, f"{key}: counts nobody now"
                )
                continue
            want = expected_by_day[row.built_on][key]
            differs = [
                f"{name} {getattr(row, name)} ≠ {getattr(want, name)}"
                for name in ROLLUP_FIELDS
                if getattr(row, name) != getattr(want, name)
            ]
            if differs:
                report.mismatch("rollups", "counts", row.pk, "; ".join(differs))
        stored_months = {
            (m.unit_id, m.month): m
            for m in UnitRollupMonth.objects.filter(
                programme_id=programme_id, cycle_start=cycle_start
            )
        }
        expected_months = {(m.unit_id, m.month): m.met for m in months}
        report.checked["rollup_months"] += len(
            set(stored_months) | set(expected_months)
        )
        for key in sorted(set(stored_months) | set(expected_months)):
            have = stored_months[key].met if key in stored_months else None
            want = expected_months.get(key)
            if have != want:
                report.mismatch(
                    "rollups",
                    "month",
                    f"{programme_id}:{cycle_start}:{key[0]}:{key[1]:%Y-%m}",
                    f"met {have} ≠ {want}",
                )


# --- certificates -------------------------------------------------------------------


def _sha256(storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        for block in iter(lambda: handle.read(HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def _stored_files(storage, folder: str) -> Iterator[str]:
    try:
        dirs, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in dirs:
        yield from _stored_files(storage, f"{folder}/{sub}")


def _check_certificates(
    report: ConsistencyReport, *, chunk_size: int, hashes: bool, progress: Progress
) -> None:
    storage = Certificate._meta.get_field("pdf").storage
    referenced: set[str] = set()
    fingerprint = hashlib.sha256()
    rows = (
        Certificate.objects.order_by("pk")
        .values_list("pk", "code", "pdf", "sha256")
        .iterator(chunk_size=chunk_size)
    )
    for pk, code, name, sha256 in rows:
        report.checked["certificates"] += 1
        fingerprint.update(f"{code}:{sha256}\n".encode())
        referenced.add(name)
        if not name or not storage.exists(name):
            report.mismatch("certificates", "file_missing", pk, f"{code}: {name}")
            continue
        if hashes:
            found = _sha256(storage, name)
            if found != sha256:
                report.mismatch(
                    "certificates",
                    "hash_differs",
                    pk,
                    f"{code}: stored {sha256[:12]}…, file {found[:12]}…",
                )
        if progress and report.checked["certificates"] % chunk_size == 0:
            progress("certificates", report.checked["certificates"])
    report.totals["certificates"] = str(report.checked["certificates"])
    report.totals["certificates_fingerprint"] = fingerprint.hexdigest()
    upload_to = Certificate._meta.get_field("pdf").upload_to
    folder = upload_to.split("/%", 1)[0].split(os.sep, 1)[0]
    for name in _stored_files(storage, folder):
        if name not in referenced:
            report.warn(
                "certificates", "orphan_file", name, "no certificate refers to it"
            )
