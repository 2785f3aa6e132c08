"""The status check: every ``ComplianceStatus`` recounted from the ledger, by the
same rule engine over the same entries, in chunks of people."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from django.utils import timezone

from training.classes.models import ClassMember
from training.compliance.models import ComplianceStatus, Exemption
from training.compliance.services import ENTRY_FIELDS, _counted
from training.consistency.report import (
    ConsistencyReport,
    Progress,
)
from training.ledger.models import ExternalRecord, LedgerEntry
from training.programmes import rules
from training.programmes.models import ProgrammeVersion
from training.programmes.rulebook import Rule, _rule_of

AMOUNT_FIELDS = ("hours", "days", "online_hours", "centralised_days", "pending_hours")


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


def check_statuses(
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
