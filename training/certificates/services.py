"""Certificates: issue (one, in bulk, automatically), revoke, re-issue, verify.

Issuing renders the PDF outside any lock, stores it, then inserts the row; the
unique (subject, generation) constraint decides races, and the loser removes its
file. A bulk run keeps its list of people on the ``CertificateBatch`` row and skips
whoever already has the certificate, so running it again after a crash finishes the
job without duplicates.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.pdf import PDF_CONTENT_TYPE, html_to_pdf
from cms.signing import sign_pdf, signing_enabled
from cms.tasks import task_enqueue_or_defer
from training.certificates.models import (
    PLACEHOLDER_RE,
    Certificate,
    CertificateBatch,
    CertificateReview,
    CertificateRevocation,
    CertificateTemplate,
)
from training.classes.models import ClassMember, TrainingClass
from training.compliance.models import ComplianceStatus
from training.ledger.models import LedgerEntry
from training.notifications.models import Notification
from training.org.models import Person
from training.org.selectors import (
    require_manage_role,
    require_manager_of,
    unit_in_scope,
)
from training.programmes import rules
from training.programmes.models import Programme

logger = logging.getLogger(__name__)

# Crockford base 32: no I, L, O, U, so a number read aloud or typed is unambiguous.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
_CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})

# A batch whose worker has not reported for this long may be resumed by hand.
BATCH_STALE_AFTER = dt.timedelta(minutes=2)


def certificate_code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def certificate_code_normalise(raw: str) -> str | None:
    """A typed or scanned number → the stored code, or None when it cannot be one.
    Dashes, spaces and case do not matter; O/I/L read as 0/1."""
    code = re.sub(r"[\s\-]", "", raw or "").upper().translate(_CROCKFORD_ALIASES)
    return code if _CODE_RE.match(code) else None


def certificate_verify_url(code: str) -> str:
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return base + reverse("training:certificate_verify", args=[code])


def mask_name(name: str) -> str:
    """张三明 → 张*明, 张三 → 张*, 欧阳小明 → 欧**明: enough to match a paper in hand,
    not enough to learn who someone is."""
    chars = list(name.strip())
    if len(chars) <= 1:
        return "*"
    if len(chars) == 2:
        return chars[0] + "*"
    return chars[0] + "*" * (len(chars) - 2) + chars[-1]


# --- What a certificate says ---------------------------------------------------


@dataclass
class Subject:
    """What a certificate is for, resolved and checked for eligibility."""

    kind: str
    person: Person
    programme: Programme | None = None
    cycle_start: dt.date | None = None
    training_class: TrainingClass | None = None

    @property
    def key(self) -> str:
        if self.kind == Certificate.Kind.CLASS:
            return f"class:{self.training_class.pk}:{self.person.pk}"
        return f"programme:{self.programme.pk}:{self.person.pk}:{self.cycle_start}"

    @property
    def template_choice(self) -> CertificateTemplate | None:
        owner = self.training_class or self.programme
        return owner.certificate_template


def _date(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def _subject_values(subject: Subject) -> dict[str, str]:
    """The printed facts, checked: raises ValidationError when not eligible."""
    person = subject.person
    if subject.kind == Certificate.Kind.CLASS:
        training_class = subject.training_class
        member = ClassMember.objects.filter(
            training_class=training_class, person=person
        ).first()
        if (
            training_class.status != TrainingClass.Status.COMPLETED
            or member is None
            or member.result != ClassMember.Result.PASSED
        ):
            raise ValidationError(
                _("%(name)s did not pass the class “%(class)s”.")
                % {"name": person.full_name, "class": training_class.name}
            )
        return {
            "subject": training_class.name,
            "start": _date(training_class.starts_on),
            "end": _date(training_class.ends_on),
            "hours": f"{rules.format_amount(training_class.credited_hours)} 学时",
            "days": f"{rules.format_amount(training_class.credited_days)} 天",
            "result": "合格",
        }
    status = ComplianceStatus.objects.filter(
        person=person,
        programme=subject.programme,
        cycle_start=subject.cycle_start,
        status=ComplianceStatus.Status.COMPLIANT,
    ).first()
    if status is None:
        raise ValidationError(
            _("%(name)s has not met “%(programme)s” in this cycle.")
            % {"name": person.full_name, "programme": subject.programme.name}
        )
    return {
        "subject": subject.programme.name,
        "start": _date(status.cycle_start),
        "end": _date(status.met_on or status.cycle_end),
        "hours": f"{rules.format_amount(status.hours)} 学时",
        "days": f"{rules.format_amount(status.days)} 天",
        "result": "合格",
    }


def _body(template: CertificateTemplate, values: dict[str, str]) -> list[str]:
    """The body text with its placeholders filled in, as paragraphs."""
    return [
        PLACEHOLDER_RE.sub(
            lambda m: values.get(m.group(1), ""), block.replace("\n", "")
        ).strip()
        for block in re.split(r"\n\s*\n", template.body.strip())
    ]


def certificate_fields(
    *,
    template: CertificateTemplate,
    values: dict[str, str],
    code: str,
    issued_on: dt.date,
) -> dict:
    values = {**values, "issued": _date(issued_on)}
    return {
        "code": code,
        "number": "-".join(code[i : i + 4] for i in range(0, len(code), 4)),
        "title": template.title,
        "issuing_body": template.issuing_body,
        "signature_line": template.signature_line,
        "orientation": template.orientation,
        "body": _body(template, values),
        "verify_url": certificate_verify_url(code),
        "verify_base": settings.WAGTAILADMIN_BASE_URL.rstrip("/")
        + reverse("training:certificate_verify_lookup"),
        **values,
    }


# --- Rendering -------------------------------------------------------------------

_seal_cache: dict[tuple, str] = {}


def _seal_data_uri(template: CertificateTemplate) -> str:
    """The seal as a data URI, read once per image (a bulk run prints it 1,000×)."""
    image = template.seal
    if image is None:
        return ""
    key = (image.pk, image.file.name)
    found = _seal_cache.get(key)
    if found is None:
        rendition = image.get_rendition("max-400x400|format-png")
        with rendition.file.open("rb") as handle:
            found = "data:image/png;base64," + base64.b64encode(handle.read()).decode()
        _seal_cache.clear()
        _seal_cache[key] = found
    return found


def _qr_data_uri(url: str) -> str:
    import segno

    # A small PNG: WeasyPrint draws an SVG QR code path by path, ten times slower.
    # A fixed mask skips segno's mask scoring (three times faster; any mask scans).
    return segno.make(url, error="m", mask=0).png_data_uri(
        scale=4, border=0, dark="#222"
    )


def certificate_html(*, fields: dict, template: CertificateTemplate) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "training/certificates/certificate_pdf.html",
            {
                "f": fields,
                "seal": _seal_data_uri(template),
                "qr": _qr_data_uri(fields["verify_url"]),
            },
        )


def certificate_pdf(*, fields: dict, template: CertificateTemplate) -> bytes:
    data = html_to_pdf(certificate_html(fields=fields, template=template), lean=True)
    if signing_enabled():
        data = sign_pdf(
            data,
            reason=f"{fields['title']} {fields['number']}",
            location=fields["issuing_body"],
        )
    return data


SAMPLE_VALUES = {
    "name": "张喆堃",
    "unit": "浙江省杭州市西湖区人民检察院",
    "subject": "2026年度政治轮训",
    "start": "2026年3月1日",
    "end": "2026年3月5日",
    "hours": "40 学时",
    "days": "5 天",
    "result": "合格",
}


def certificate_template_preview(*, template: CertificateTemplate, mode: str):
    """The admin preview: the template filled with a sample person."""
    fields = certificate_fields(
        template=template,
        values=SAMPLE_VALUES,
        code="PREV1EW0SAMP1E00".translate(_CROCKFORD_ALIASES),
        issued_on=timezone.localdate(),
    )
    if mode == "pdf":
        return HttpResponse(
            certificate_pdf(fields=fields, template=template),
            content_type=PDF_CONTENT_TYPE,
        )
    return HttpResponse(certificate_html(fields=fields, template=template))


def template_for(subject: Subject) -> CertificateTemplate:
    template = subject.template_choice
    if template is None:
        template = CertificateTemplate.objects.filter(is_default=True).first()
    if template is None:
        raise ValidationError(
            _("No certificate template: mark one as the default in the admin.")
        )
    return template


# --- Issue -----------------------------------------------------------------------


def _require_may_issue(actor, subject: Subject) -> None:
    if actor is None:
        return  # the system, on completion or compliance
    if subject.kind == Certificate.Kind.CLASS:
        from training.classes.services import class_may_manage

        if class_may_manage(actor, subject.training_class):
            return
        raise PermissionDenied(_("Only the class's organisers issue its certificates."))
    require_manager_of(actor, subject.person)


def certificate_issue(
    *,
    person: Person,
    programme: Programme | None = None,
    cycle_start: dt.date | None = None,
    training_class: TrainingClass | None = None,
    actor=None,
    batch: CertificateBatch | None = None,
    replaces: Certificate | None = None,
) -> tuple[Certificate, bool]:
    """Issue the certificate for a passed class member or a person who met a
    programme in the cycle starting ``cycle_start``. Returns (certificate, created);
    when the subject already has one (and this is not a re-issue) that one."""
    if (programme is None) == (training_class is None):
        raise ValueError("Give a programme or a class.")
    kind = Certificate.Kind.CLASS if training_class else Certificate.Kind.PROGRAMME
    subject = Subject(kind, person, programme, cycle_start, training_class)
    _require_may_issue(actor, subject)
    latest = (
        Certificate.objects.filter(subject_key=subject.key)
        .order_by("-generation")
        .first()
    )
    if latest is not None and replaces is None:
        return latest, False
    generation = latest.generation + 1 if latest else 1

    person = Person.objects.select_related("unit", "user").get(pk=person.pk)
    subject.person = person
    values = _subject_values(subject)
    values.update(name=person.full_name, unit=person.unit.name)
    template = template_for(subject)
    issued_at = timezone.now()
    code = certificate_code_new()
    fields = certificate_fields(
        template=template,
        values=values,
        code=code,
        issued_on=timezone.localdate(issued_at),
    )
    data = certificate_pdf(fields=fields, template=template)
    certificate = Certificate(
        code=code,
        subject_key=subject.key,
        generation=generation,
        kind=kind,
        person=person,
        unit=person.unit,
        programme=programme,
        cycle_start=cycle_start if programme else None,
        training_class=training_class,
        template=template,
        fields=fields,
        sha256=hashlib.sha256(data).hexdigest(),
        signed=signing_enabled(),
        replaces=replaces,
        batch=batch,
        issued_at=issued_at,
        # A batch runs as the system, on behalf of whoever asked for it.
        issued_by=actor if actor is not None else getattr(batch, "requested_by", None),
    )
    certificate.pdf.save(f"{code}.pdf", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            certificate.save()
            audit_record(
                action=AuditEvent.Action.CERTIFICATE_ISSUED,
                actor=actor,
                target=certificate,
                actor_label="" if actor else "system",
                detail={"subject": subject.key, "generation": generation},
            )
    except IntegrityError:
        # Someone issued the same certificate a moment ago (a concurrent run).
        certificate.pdf.delete(save=False)
        return Certificate.objects.get(
            subject_key=subject.key, generation=generation
        ), False
    except BaseException:
        certificate.pdf.delete(save=False)  # no row, so no file either
        raise
    return certificate, True


def certificate_status(certificate: Certificate) -> str:
    """valid / revoked / superseded (revoked and replaced by a newer one)."""
    if getattr(certificate, "replaced_by", None) is not None:
        return "superseded"
    if getattr(certificate, "revocation", None) is not None:
        return "revoked"
    return "valid"


def _lock_certificate(certificate: Certificate) -> Certificate:
    return (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("person__unit", "training_class", "programme")
        .get(pk=certificate.pk)
    )


def _require_may_revoke(actor, certificate: Certificate) -> None:
    subject = Subject(
        certificate.kind,
        certificate.person,
        certificate.programme,
        certificate.cycle_start,
        certificate.training_class,
    )
    if actor is None:
        raise PermissionDenied
    _require_may_issue(actor, subject)


def _notify_revoked(certificate: Certificate, reason: str) -> None:
    Notification.objects.get_or_create(
        dedupe_key=f"certificate:{certificate.pk}:revoked",
        defaults={
            "user_id": certificate.person.user_id,
            "kind": Notification.Kind.CERTIFICATE,
            "title": (
                _("Your certificate %(number)s was revoked")
                % {"number": certificate.number}
            )[:200],
            "body": reason,
            "url": reverse("training:certificates_mine"),
        },
    )


@transaction.atomic
def certificate_revoke(
    *,
    certificate: Certificate,
    actor,
    reason: str,
    reversal: LedgerEntry | None = None,
) -> CertificateRevocation:
    certificate = _lock_certificate(certificate)
    _require_may_revoke(actor, certificate)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the certificate is revoked.")})
    if CertificateRevocation.objects.filter(certificate=certificate).exists():
        raise ValidationError(_("This certificate has already been revoked."))
    revocation = _record_revocation(certificate, actor, reason, reversal=reversal)
    _notify_revoked(certificate, revocation.reason)
    return revocation


def _record_revocation(
    certificate: Certificate, actor, reason: str, *, reversal=None
) -> CertificateRevocation:
    """The revocation row, its audit event, and the open offers it settles."""
    revocation = CertificateRevocation(
        certificate=certificate,
        reason=reason[:500],
        revoked_by=actor,
        reversal=reversal,
    )
    revocation.full_clean()
    revocation.save()
    CertificateReview.objects.filter(
        certificate=certificate, decided_at__isnull=True
    ).update(
        decided_at=timezone.now(),
        decided_by=actor,
        outcome=CertificateReview.Outcome.REVOKED,
        note=reason[:500],
    )
    audit_record(
        action=AuditEvent.Action.CERTIFICATE_REVOKED,
        actor=actor,
        target=certificate,
        detail={"reason": revocation.reason},
    )
    return revocation


@transaction.atomic
def certificate_reissue(*, certificate: Certificate, actor, reason: str) -> Certificate:
    """A new certificate (new number, today's data) in place of ``certificate``,
    which is revoked (if it was not already) and from then on shows as superseded."""
    certificate = _lock_certificate(certificate)
    _require_may_revoke(actor, certificate)
    if Certificate.objects.filter(replaces=certificate).exists():
        raise ValidationError(_("This certificate has already been re-issued."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the certificate is re-issued.")})
    if not CertificateRevocation.objects.filter(certificate=certificate).exists():
        # Stored text is read by everyone: in the site language, not the actor's.
        with translation.override(settings.LANGUAGE_CODE):
            stored = _("Re-issued: %(reason)s") % {"reason": reason.strip()}
        _record_revocation(certificate, actor, stored)
    new, _created = certificate_issue(
        person=certificate.person,
        programme=certificate.programme,
        cycle_start=certificate.cycle_start,
        training_class=certificate.training_class,
        actor=actor,
        replaces=certificate,
    )
    return new


def certificate_file_matches(*, certificate: Certificate, upload) -> bool:
    """Does an uploaded PDF hash to the stored SHA-256?"""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return secrets.compare_digest(digest.hexdigest(), certificate.sha256)


# --- Reversed credit → offer revocation ------------------------------------------


def certificates_review_after_reversal(
    *, reversal: LedgerEntry
) -> list[CertificateReview]:
    """Offer to revoke the valid certificates that a reversed ledger entry may no
    longer support: the class's certificate when class credit was reversed, and a
    programme's certificate when the person no longer meets it in that cycle.
    Called after the person's compliance has been refreshed."""
    entry = reversal.reverses
    valid = Certificate.objects.filter(person_id=entry.person_id).exclude(
        Exists(CertificateRevocation.objects.filter(certificate=OuterRef("pk")))
    )
    affected = []
    for certificate in valid:
        if certificate.kind == Certificate.Kind.CLASS:
            if entry.source_key.startswith(f"class:{certificate.training_class_id}:"):
                affected.append(certificate)
            continue
        # The certificate's cycle, if the reversed entry falls inside it.
        cycle_status = (
            ComplianceStatus.objects.filter(
                person_id=entry.person_id,
                programme_id=certificate.programme_id,
                cycle_start=certificate.cycle_start,
                cycle_start__lte=entry.occurred_on,
                due_on__gte=entry.occurred_on,
            )
            .values_list("status", flat=True)
            .first()
        )
        if (
            cycle_status is not None
            and cycle_status != ComplianceStatus.Status.COMPLIANT
        ):
            affected.append(certificate)
    reviews = []
    for certificate in affected:
        review, _created = CertificateReview.objects.get_or_create(
            certificate=certificate, reversal=reversal
        )
        reviews.append(review)
    return reviews


@transaction.atomic
def certificate_review_decide(
    *, review: CertificateReview, actor, revoke: bool, note: str = ""
) -> CertificateReview:
    review = (
        CertificateReview.objects.select_for_update(of=("self",))
        .select_related("certificate__person__unit", "reversal")
        .get(pk=review.pk)
    )
    _require_may_revoke(actor, review.certificate)
    if review.decided_at:
        raise ValidationError(_("This revocation offer has already been decided."))
    note = (note or "").strip()
    if revoke:
        with translation.override(settings.LANGUAGE_CODE):
            reason = note or (
                _("The credit it rested on was reversed: %(reason)s")
                % {"reason": review.reversal.reason}
            )
        certificate_revoke(
            certificate=review.certificate,
            actor=actor,
            reason=reason,
            reversal=review.reversal,
        )
        review.refresh_from_db()
        return review
    if not note:
        raise ValidationError({"note": _("Say why the certificate stays valid.")})
    review.decided_at = timezone.now()
    review.decided_by = actor
    review.outcome = CertificateReview.Outcome.KEPT
    review.note = note[:500]
    review.save(update_fields=["decided_at", "decided_by", "outcome", "note"])
    return review


# --- Bulk and automatic issue ----------------------------------------------------


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
            from training.org.selectors import people_visible_to

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
    from training.org.models import RoleGrant
    from training.org.selectors import MANAGE_ROLES

    grant = (
        RoleGrant.objects.filter(user=actor, role__in=MANAGE_ROLES)
        .select_related("unit")
        .order_by("unit__depth")
        .first()
    )
    return grant.unit if grant else None


def certificate_batch_enqueue(*, batch_id: int) -> None:
    from training.certificates.services import certificate_batch_task

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
    from training.certificates.services import certificate_issue_task

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
    from training.certificates.services import certificate_batch_run

    batch = certificate_batch_run(batch_id=batch_id)
    return {"issued": batch.issued, "skipped": batch.skipped}


@task()
def certificate_issue_task(person_id: int, programme_id: int, cycle_start: str) -> str:
    """One certificate, issued automatically when a person meets a programme."""
    import datetime as dt

    from django.core.exceptions import ValidationError

    from training.certificates.services import certificate_issue
    from training.org.models import Person
    from training.programmes.models import Programme

    try:
        certificate, _created = certificate_issue(
            person=Person.objects.get(pk=person_id),
            programme=Programme.objects.get(pk=programme_id),
            cycle_start=dt.date.fromisoformat(cycle_start),
        )
    except ValidationError:
        return ""  # no longer compliant by the time the task ran
    return certificate.code
