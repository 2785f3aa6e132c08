"""Reads of certificates: public lookup, the learner's own, a manager's scope."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from training.certificates.models import (
    Certificate,
    CertificateReview,
    CertificateRevocation,
)
from training.org.selectors import VIEW_ROLES, _path_q, scope_paths


def certificate_public(code: str) -> Certificate | None:
    """A certificate by number for the public verify page (nothing else loaded)."""
    return (
        Certificate.objects.select_related("revocation", "replaced_by")
        .only(
            "code",
            "fields",
            "sha256",
            "issued_at",
            "signed",
            "revocation__reason",
            "revocation__revoked_at",
            "replaced_by__code",
        )
        .filter(code=code)
        .first()
    )


def _scoped(queryset: QuerySet, user, field: str, roles=VIEW_ROLES) -> QuerySet:
    paths = scope_paths(user, roles)
    if paths is None:
        return queryset
    if not paths:
        return queryset.none()
    return queryset.filter(_path_q(paths, field))


def _listing(queryset: QuerySet[Certificate]) -> QuerySet[Certificate]:
    return queryset.select_related(
        "person__user",
        "person__unit",
        "programme",
        "training_class",
        "revocation",
        "replaced_by",
    )


def certificates_of(person) -> list[Certificate]:
    """A person's certificates, newest first (for the learner and the record)."""
    return list(_listing(Certificate.objects.filter(person=person)))


def certificates_visible_to(user) -> QuerySet[Certificate]:
    """Certificates of people in the user's scope (by the person's current unit:
    the certificate follows the person, like the rest of their record)."""
    return _listing(_scoped(Certificate.objects.all(), user, "person__unit__path"))


def with_status(queryset: QuerySet[Certificate], status: str) -> QuerySet[Certificate]:
    revoked = Exists(CertificateRevocation.objects.filter(certificate=OuterRef("pk")))
    replaced = Exists(Certificate.objects.filter(replaces=OuterRef("pk")))
    if status == "valid":
        return queryset.exclude(revoked)
    if status == "revoked":
        return queryset.filter(revoked).exclude(replaced)
    if status == "superseded":
        return queryset.filter(replaced)
    return queryset


def reviews_open_for(user) -> QuerySet[CertificateReview]:
    queryset = _scoped(
        CertificateReview.objects.filter(decided_at__isnull=True),
        user,
        "certificate__person__unit__path",
    )
    return queryset.select_related(
        "certificate__person__user", "certificate__person__unit", "reversal"
    )
