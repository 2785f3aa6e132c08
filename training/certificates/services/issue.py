"""Issue one certificate: by hand, from a batch, or automatically.

Issuing renders the PDF outside any lock, stores it, then inserts the row; the
unique (subject, generation) constraint decides races, and the loser removes its
file. A re-issue is the same path with ``replaces`` set (see ``revoke``).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.signing import signing_enabled
from training.certificates.models import Certificate, CertificateBatch
from training.certificates.services.codes import certificate_code_new
from training.certificates.services.render import (
    Subject,
    _subject_values,
    certificate_fields,
    certificate_pdf,
    template_for,
)
from training.classes.models import TrainingClass
from training.classes.selectors import class_may_manage
from training.org.models import Person
from training.org.selectors import require_manager_of
from training.programmes.models import Programme


def _require_may_issue(actor, subject: Subject) -> None:
    if actor is None:
        return  # the system, on completion or compliance
    if subject.kind == Certificate.Kind.CLASS:
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
