"""Bulk and automatic issue: batches, their background tasks, and the hooks.

A bulk run keeps its list of people on the ``CertificateBatch`` row and skips
whoever already has the certificate, so running it again after a crash finishes
the job without duplicates. The hooks (a class completed, a person newly met a
programme, a bulk recompute) queue work after commit; the ``@task()`` functions
that run it live here, next to the services they call.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from cms.tasks import task_enqueue_or_defer
from training.certificates.models import Certificate, CertificateBatch
from training.certificates.services.issue import _require_may_issue, certificate_issue
from training.certificates.services.render import Subject
from training.classes.models import ClassMember, TrainingClass
from training.compliance.models import ComplianceStatus
from training.org.models import Person, RoleGrant
from training.org.selectors import (
    MANAGE_ROLES,
    people_visible_to,
    require_manage_role,
    unit_in_scope,
)
from training.programmes.models import Programme

# A batch whose worker has not reported for this long may be resumed by hand.
BATCH_STALE_AFTER = dt.timedelta(minutes=2)


def _class_eligible(training_class: TrainingClass) -> list[list]:
    return [
        [pid, None]
        for pid in ClassMember.objects.filter(
            training_class=training_class, result=ClassMember.Result.PASSED
        )
        .order_by("person_id")
        .values_list("person_id", flat=True)
    ]


def _programme_missing(programme: Programme, statuses) -> list[list]:
    """Compliant people of ``programme`` (in ``statuses``) with no certificate for
    that cycle yet, revoked ones included (those are re-issued by hand)."""
    has = Certificate.objects.filter(
        person_id=OuterRef("person_id"),
        programme_id=programme.pk,
        cycle_start=OuterRef("cycle_start"),
    )
    return [
        [pid, start.isoformat()]
        for pid, start in statuses.filter(
            programme=programme, status=ComplianceStatus.Status.COMPLIANT
        )
        .exclude(Exists(has))
        .order_by("person_id", "cycle_start")
        .values_list("person_id", "cycle_start")
    ]


def certificate_batch_create(
    *,
    actor=None,
    training_class: TrainingClass | None = None,
    programme: Programme | None = None,
    enqueue: bool = True,
) -> CertificateBatch:
    """Queue a bulk issue for a completed class's passed members, or for a
    programme's compliant people (in the actor's scope) who have none yet."""
    if training_class is not None:
        if actor is not None:
            _require_may_issue(
                actor, Subject(Certificate.Kind.CLASS, None, None, None, training_class)
            )
        if training_class.status != TrainingClass.Status.COMPLETED:
            raise ValidationError(
                _("Certificates are issued once the class has been completed.")
            )
        items = _class_eligible(training_class)
        unit = training_class.organiser_unit
    else:
        statuses = ComplianceStatus.objects.all()
        if actor is not None:
            require_manage_role(actor)

            statuses = statuses.filter(person__in=people_visible_to(actor, manage=True))
            unit = actor_unit(actor) or programme.owner_unit
        else:
            unit = programme.owner_unit
        if not programme.issues_certificate and actor is None:
            raise ValidationError(_("This programme does not issue certificates."))
        items = _programme_missing(programme, statuses)
    if not items:
        raise ValidationError(_("Nobody is waiting for a certificate here."))
    batch = CertificateBatch.objects.create(
        programme=programme,
        training_class=training_class,
        unit=unit,
        requested_by=actor,
        person_ids=items,
        total=len(items),
    )
    if enqueue:
        transaction.on_commit(lambda: certificate_batch_enqueue(batch_id=batch.pk))
    return batch


def actor_unit(actor):
    """The highest unit on which ``actor`` manages: where their batches belong."""
    grant = (
        RoleGrant.objects.filter(user=actor, role__in=MANAGE_ROLES)
        .select_related("unit")
        .order_by("unit__depth")
        .first()
    )
    return grant.unit if grant else None


def certificate_batch_enqueue(*, batch_id: int) -> None:

    result = task_enqueue_or_defer(certificate_batch_task, batch_id)
    if result is not None:
        CertificateBatch.objects.filter(pk=batch_id).update(task_id=str(result.id)[:64])


def certificate_batch_resume(*, batch: CertificateBatch, actor) -> CertificateBatch:
    """Start a batch again after its worker died (or it failed): it carries on
    where it stopped; what was issued is skipped."""
    if batch.requested_by_id != getattr(actor, "pk", None):
        require_manage_role(actor)
        if not unit_in_scope(actor, batch.unit, manage=True):
            raise PermissionDenied
    stale = batch.heartbeat_at is None or (
        timezone.now() - batch.heartbeat_at > BATCH_STALE_AFTER
    )
    if batch.status == CertificateBatch.Status.DONE or (
        batch.status == CertificateBatch.Status.RUNNING and not stale
    ):
        raise ValidationError(_("This batch is still running or already finished."))
    CertificateBatch.objects.filter(pk=batch.pk).update(
        status=CertificateBatch.Status.QUEUED
    )
    transaction.on_commit(lambda: certificate_batch_enqueue(batch_id=batch.pk))
    batch.refresh_from_db()
    return batch


def certificate_batches_resume_stale() -> list[int]:
    """Queue again every batch whose worker stopped reporting (killed, machine
    restarted), or that never reached the queue (no task id: the queue was down
    when it was created): for a scheduler, so nobody has to press 继续发放.
    Returns their ids."""
    cutoff = timezone.now() - BATCH_STALE_AFTER
    stale = list(
        CertificateBatch.objects.filter(
            Q(status=CertificateBatch.Status.RUNNING, heartbeat_at__lt=cutoff)
            | Q(
                status=CertificateBatch.Status.QUEUED, task_id="", created_at__lt=cutoff
            )
        ).values_list("pk", flat=True)
    )
    CertificateBatch.objects.filter(pk__in=stale).update(
        status=CertificateBatch.Status.QUEUED
    )
    for batch_id in stale:
        transaction.on_commit(
            lambda batch_id=batch_id: certificate_batch_enqueue(batch_id=batch_id)
        )
    return stale


PROGRESS_EVERY = 10


def certificate_batch_run(*, batch_id: int) -> CertificateBatch:
    """Issue every certificate of the batch that does not exist yet."""
    batch = CertificateBatch.objects.select_related(
        "training_class", "programme", "requested_by"
    ).get(pk=batch_id)
    if batch.status == CertificateBatch.Status.DONE:
        return batch
    now = timezone.now()
    CertificateBatch.objects.filter(pk=batch.pk).update(
        status=CertificateBatch.Status.RUNNING,
        started_at=batch.started_at or now,
        heartbeat_at=now,
    )
    errors: list[dict] = []
    processed = 0
    for chunk in _chunks(batch.person_ids, 200):
        people = Person.objects.select_related("unit", "user").in_bulk(
            [pid for pid, _start in chunk]
        )
        for pid, start in chunk:
            person = people.get(pid)
            processed += 1
            if person is None:
                continue
            try:
                certificate_issue(
                    person=person,
                    programme=batch.programme,
                    cycle_start=dt.date.fromisoformat(start) if start else None,
                    training_class=batch.training_class,
                    batch=batch,
                )
            except ValidationError as error:
                errors.append({"person": person.full_name, "error": error.messages[0]})
            if processed % PROGRESS_EVERY == 0:
                CertificateBatch.objects.filter(pk=batch.pk).update(
                    processed=processed, heartbeat_at=timezone.now()
                )
    issued = Certificate.objects.filter(batch=batch).count()
    CertificateBatch.objects.filter(pk=batch.pk).update(
        status=CertificateBatch.Status.DONE,
        processed=processed,
        issued=issued,
        skipped=max(processed - issued - len(errors), 0),
        errors=errors[:500],
        heartbeat_at=timezone.now(),
        finished_at=timezone.now(),
    )
    batch.refresh_from_db()
    return batch


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def certificates_on_compliance(*, person_id: int, met: list[tuple[int, dt.date]]):
    """A person newly met programmes: issue the certificates of those that issue
    one, after commit and in the background (rendering is not the refresh's job)."""
    issuing = set(
        Programme.objects.filter(
            pk__in={p for p, _s in met}, issues_certificate=True
        ).values_list("pk", flat=True)
    )
    for programme_id, cycle_start in met:
        if programme_id in issuing:
            transaction.on_commit(
                lambda p=programme_id, s=cycle_start: _enqueue_one(person_id, p, s)
            )


def _enqueue_one(person_id: int, programme_id: int, cycle_start: dt.date) -> None:

    task_enqueue_or_defer(
        certificate_issue_task, person_id, programme_id, cycle_start.isoformat()
    )


def certificates_issue_missing(*, programme_ids: Iterable[int] | None = None) -> list:
    """After a bulk recompute: one system batch per certificate-issuing programme
    with compliant people who have no certificate yet."""
    programmes = Programme.objects.filter(
        issues_certificate=True, status=Programme.Status.PUBLISHED
    )
    if programme_ids is not None:
        programmes = programmes.filter(pk__in=list(programme_ids))
    batches = []
    for programme in programmes:
        try:
            batches.append(certificate_batch_create(programme=programme))
        except ValidationError:
            continue  # nobody waiting
    return batches


def certificates_on_class_completed(*, training_class: TrainingClass) -> None:
    if not training_class.issues_certificate:
        return
    with contextlib.suppress(ValidationError):  # nobody passed
        certificate_batch_create(training_class=training_class)


@task()
def certificate_batch_task(batch_id: int) -> dict:
    """Bulk certificate issue; progress on the CertificateBatch row, resumable."""
    batch = certificate_batch_run(batch_id=batch_id)
    return {"issued": batch.issued, "skipped": batch.skipped}


@task()
def certificate_issue_task(person_id: int, programme_id: int, cycle_start: str) -> str:
    """One certificate, issued automatically when a person meets a programme."""
    import datetime as dt

    from django.core.exceptions import ValidationError

    try:
        certificate, _created = certificate_issue(
            person=Person.objects.get(pk=person_id),
            programme=Programme.objects.get(pk=programme_id),
            cycle_start=dt.date.fromisoformat(cycle_start),
        )
    except ValidationError:
        return ""  # no longer compliant by the time the task ran
    return certificate.code
