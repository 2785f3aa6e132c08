"""Daily reminders (提醒): deadlines approaching, overdue cycles and a weekly digest
for coordinators, as in-app notifications and e-mail.

Run once a day (``manage.py send_reminders`` or ``reminders_send_task``). Every
notification has a unique ``dedupe_key``, so a second run the same day, or two runs
at once, insert nothing new and send no second e-mail: rows go in with
``bulk_create(ignore_conflicts=True)`` and e-mails are claimed with one UPDATE per
chunk that stamps a value unique to this run.

Scale: statuses are read in keyset-paginated chunks with the user and programme
joined in, so the number of queries grows with chunks, not with rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from training.compliance.models import ComplianceStatus
from training.compliance.recompute import compliance_mark_overdue
from training.notifications.models import Notification
from training.org.models import RoleGrant
from training.programmes import rules
from training.programmes.models import Programme

logger = logging.getLogger(__name__)

CHUNK = 2000
DEFAULT_REMINDER_DAYS = (30, 7, 1)
# First runs on a database with years of history should not mail people about
# cycles that closed long ago; ``None`` lifts the limit.
DEFAULT_OVERDUE_LOOKBACK_DAYS = 366

Status = ComplianceStatus.Status
Kind = Notification.Kind


def reminder_days() -> tuple[int, ...]:
    return tuple(getattr(settings, "TRAINING_REMINDER_DAYS", DEFAULT_REMINDER_DAYS))


def _language() -> str:
    return getattr(settings, "LANGUAGE_CODE", "zh-hans")


def _chunks(queryset, fields: tuple[str, ...]) -> Iterator[list[tuple]]:
    """Rows of ``fields`` (the first must be ``pk``) in keyset-paginated chunks."""
    last = 0
    while True:
        rows = list(
            queryset.filter(pk__gt=last).order_by("pk").values_list(*fields)[:CHUNK]
        )
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _insert_new(candidates: list[Notification]) -> list[str]:
    """Insert the candidates not sent before; the dedupe keys this run added.

    A concurrent run may insert the same key between the check and the insert;
    ``ignore_conflicts`` drops it and the e-mail claim keeps the mail single."""
    if not candidates:
        return []
    keys = [n.dedupe_key for n in candidates]
    existing = set(
        Notification.objects.filter(dedupe_key__in=keys).values_list(
            "dedupe_key", flat=True
        )
    )
    fresh = [n for n in candidates if n.dedupe_key not in existing]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=CHUNK)
    return [n.dedupe_key for n in fresh]


def _url(name: str, fallback: str) -> str:
    # The compliance pages are another module's; fall back if they are absent.
    try:
        return reverse(name)
    except NoReverseMatch:
        return reverse(fallback)


def _status_url() -> str:
    return _url("training:my_compliance", "training:my_record")


def _due_soon(today: dt.date, offsets: tuple[int, ...]) -> list[str]:
    by_date = {today + dt.timedelta(days=d): d for d in offsets}
    statuses = ComplianceStatus.objects.filter(
        status=Status.IN_PROGRESS,
        due_on__in=list(by_date),
        person__is_active=True,
        person__user__is_active=True,
    )
    fields = ("pk", "due_on", "person__user_id", "programme__name", "missing")
    url = _status_url()
    added: list[str] = []
    for rows in _chunks(statuses, fields):
        candidates = []
        for pk, due_on, user_id, programme, missing in rows:
            days = by_date[due_on]
            phrases = "；".join(str(p) for p in rules.missing_phrases(missing or {}))
            candidates.append(
                Notification(
                    user_id=user_id,
                    kind=Kind.DUE_SOON,
                    title=_("%(programme)s: due in %(days)s days, on %(date)s")
                    % {"programme": programme, "days": days, "date": due_on},
                    body=phrases,
                    url=url,
                    dedupe_key=f"due:{days}:{pk}:{due_on}",
                )
            )
        added += _insert_new(candidates)
    return added


def _overdue(today: dt.date) -> list[str]:
    statuses = ComplianceStatus.objects.filter(
        status=Status.NON_COMPLIANT,
        due_on__lt=today,
        person__is_active=True,
        person__user__is_active=True,
    )
    lookback = getattr(
        settings, "TRAINING_OVERDUE_LOOKBACK_DAYS", DEFAULT_OVERDUE_LOOKBACK_DAYS
    )
    if lookback is not None:
        statuses = statuses.filter(due_on__gte=today - dt.timedelta(days=lookback))
    fields = ("pk", "due_on", "person__user_id", "programme__name", "missing")
    url = _status_url()
    added: list[str] = []
    for rows in _chunks(statuses, fields):
        candidates = [
            Notification(
                user_id=user_id,
                kind=Kind.OVERDUE,
                title=_("%(programme)s: not completed by %(date)s")
                % {"programme": programme, "date": due_on},
                body="；".join(str(p) for p in rules.missing_phrases(missing or {})),
                url=url,
                dedupe_key=f"overdue:{pk}:{due_on}",
            )
            for pk, due_on, user_id, programme, missing in rows
        ]
        added += _insert_new(candidates)
    return added


def overdue_counts_by_unit(today: dt.date) -> dict[int, list[tuple[str, int]]]:
    """{programme id: sorted [(unit path, overdue people)]}: one grouped query for
    the whole country, summed per coordinator by path prefix."""
    grouped = (
        ComplianceStatus.objects.filter(
            status=Status.NON_COMPLIANT, due_on__lt=today, person__is_active=True
        )
        .values("programme_id", "unit__path")
        .annotate(n=Count("person_id", distinct=True))
        .values_list("programme_id", "unit__path", "n")
        .order_by()
    )
    by_programme: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for programme_id, path, n in grouped:
        by_programme[programme_id].append((path, n))
    for rows in by_programme.values():
        rows.sort()
    return dict(by_programme)


def _sum_under(rows: list[tuple[str, int]], roots: list[str]) -> int:
    """Paths under a root are one contiguous run of the sorted list."""
    paths = [p for p, _n in rows]
    total = 0
    for root in roots:
        i = bisect_left(paths, root)
        while i < len(paths) and paths[i].startswith(root):
            total += rows[i][1]
            i += 1
    return total


def _coordinator_roots() -> dict[int, list[str]]:
    grants = RoleGrant.objects.filter(
        role=RoleGrant.Role.COORDINATOR,
        unit__is_active=True,
        user__is_active=True,
    ).values_list("user_id", "unit__path")
    paths: dict[int, set[str]] = defaultdict(set)
    for user_id, path in grants:
        paths[user_id].add(path)
    roots: dict[int, list[str]] = {}
    for user_id, found in paths.items():
        kept: list[str] = []
        for path in sorted(found):
            if not any(path.startswith(r) for r in kept):
                kept.append(path)
        roots[user_id] = kept
    return roots


def _digest(today: dt.date) -> list[str]:
    counts = overdue_counts_by_unit(today)
    if not counts:
        return []
    names = dict(
        Programme.objects.filter(pk__in=list(counts)).values_list("pk", "name")
    )
    iso_year, iso_week, _weekday = today.isocalendar()
    url = _url("training:evaluation", "training:people_list")
    candidates = []
    for user_id, roots in _coordinator_roots().items():
        lines = []
        for programme_id, rows in sorted(counts.items(), key=lambda i: names[i[0]]):
            n = _sum_under(rows, roots)
            if n:
                lines.append(
                    _("%(programme)s: %(count)s people overdue")
                    % {"programme": names[programme_id], "count": n}
                )
        if not lines:
            continue
        candidates.append(
            Notification(
                user_id=user_id,
                kind=Kind.DIGEST,
                title=_("Weekly digest: people overdue in your units (%(week)s)")
                % {"week": f"{iso_year}-W{iso_week}"},
                body="\n".join(lines),
                url=url,
                dedupe_key=f"digest:{user_id}:{iso_year}-W{iso_week}",
            )
        )
    return _insert_new(candidates)


def _email(keys: list[str]) -> tuple[int, int]:
    """Send the notifications with these keys that nobody has e-mailed yet.

    Each chunk is claimed by stamping ``emailed_at`` with a value unique to this
    run, then read back by that value: a concurrent run claims other rows or none.
    Returns (sent, skipped for lack of an address)."""
    sent = skipped = 0
    if not keys:
        return sent, skipped
    connection = get_connection()
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
    for i in range(0, len(keys), CHUNK):
        part = keys[i : i + CHUNK]
        waiting = Notification.objects.filter(
            dedupe_key__in=part, emailed_at__isnull=True
        )
        skipped += waiting.filter(user__email="").count()
        stamp = timezone.now()
        claimed = waiting.exclude(user__email="").update(emailed_at=stamp)
        if not claimed:
            continue
        mine = Notification.objects.filter(
            dedupe_key__in=part, emailed_at=stamp
        ).select_related("user")
        failed = []
        for note in mine:
            subject = f"【{_('Training')}】{note.title}"
            body = render_to_string(
                "training/email/notification.txt",
                {"notification": note, "user": note.user, "link": base + note.url},
            )
            try:
                send_mail(
                    subject,
                    body,
                    None,
                    [note.user.email],
                    connection=connection,
                )
                sent += 1
            except Exception:  # one bad address must not stop the others
                logger.exception("Reminder e-mail %s failed", note.pk)
                failed.append(note.pk)
        if failed:
            Notification.objects.filter(pk__in=failed).update(emailed_at=None)
    return sent, skipped


def reminders_send(
    *, today: dt.date | None = None, force_digest: bool = False
) -> dict[str, int]:
    """Write today's reminders and e-mail the new ones. Safe to run again."""
    today = today or timezone.localdate()
    # Cycles that ended yesterday still say "in progress" until someone looks:
    # settle them first so today's overdue notices include them.
    compliance_mark_overdue(today=today)
    with translation.override(_language()):
        due = _due_soon(today, reminder_days())
        overdue = _overdue(today)
        digest = _digest(today) if force_digest or today.weekday() == 0 else []
        sent, skipped = _email(due + overdue + digest)
    return {
        "due_soon": len(due),
        "overdue": len(overdue),
        "digest": len(digest),
        "emailed": sent,
        "no_email": skipped,
    }


@task()
def reminders_send_task(today: str | None = None, force_digest: bool = False) -> dict:
    """Daily reminders and the Monday digest (``today`` as YYYY-MM-DD, optional)."""
    import datetime as dt

    day = dt.date.fromisoformat(today) if today else None
    return reminders_send(today=day, force_digest=force_digest)
