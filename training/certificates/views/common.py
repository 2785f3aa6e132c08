"""Helpers the certificate pages share: status badges, PDF file names, who is
offered the revoke and re-issue forms, and finding a certificate the user may see
(in their scope, or their own; anything else is the same 404).
"""

from __future__ import annotations

import re

from django.http import Http404

from training.certificates import services as svc
from training.certificates.models import Certificate
from training.certificates.selectors import certificates_visible_to
from training.classes.selectors import class_may_manage
from training.org import selectors

_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _with_status(certificates):
    """Each certificate gets ``status`` for the badge (no queries: the selectors
    load the revocation and the replacement)."""
    for certificate in certificates:
        certificate.status = svc.certificate_status(certificate)
    return certificates


def _pdf_name(certificate: Certificate) -> str:
    name = certificate.fields.get("name") or certificate.person.full_name
    name = _UNSAFE_FILENAME.sub("_", name).strip() or "certificate"
    return f"{name}-{certificate.number}.pdf"


def _may_manage(user, certificate: Certificate) -> bool:
    """Whether the revoke and re-issue forms are offered: the same rule the
    services apply (class organisers for a class's certificate; managers of the
    person, never the person themselves, for a programme's)."""
    if certificate.kind == Certificate.Kind.CLASS:
        return class_may_manage(user, certificate.training_class)
    return user.pk != certificate.person.user_id and selectors.unit_in_scope(
        user, certificate.person.unit, manage=True
    )


def _detail_queryset(queryset):
    return queryset.select_related(
        "revocation__revoked_by",
        "replaces",
        "batch",
        "issued_by",
        "template",
        "training_class__organiser_unit",
    )


def _certificate_for(user, code: str) -> Certificate:
    """A certificate the user may see: in their scope, or their own."""
    normalised = svc.certificate_code_normalise(code)
    if normalised is None:
        raise Http404
    certificate = None
    if selectors.user_has_role(user, *selectors.VIEW_ROLES):
        certificate = (
            _detail_queryset(certificates_visible_to(user))
            .filter(code=normalised)
            .first()
        )
    if certificate is None:
        certificate = (
            _detail_queryset(
                Certificate.objects.select_related(
                    "person__user",
                    "person__unit",
                    "programme",
                    "replaced_by",
                )
            )
            .filter(code=normalised, person__user_id=user.pk)
            .first()
        )
    if certificate is None:
        raise Http404
    return certificate
