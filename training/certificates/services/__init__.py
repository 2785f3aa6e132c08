"""Certificates: issue (one, in bulk, automatically), revoke, re-issue, verify.

Issuing renders the PDF outside any lock, stores it, then inserts the row; the
unique (subject, generation) constraint decides races, and the loser removes its
file. A bulk run keeps its list of people on the ``CertificateBatch`` row and skips
whoever already has the certificate, so running it again after a crash finishes the
job without duplicates.

This package re-exports the public names, so ``training.certificates.services``
stays the front door; the code lives by what it does:

- ``codes``: certificate numbers and the public verification helpers;
- ``render``: what a certificate says, its HTML and PDF, the admin preview;
- ``issue``: issuing one certificate;
- ``revoke``: status, revoke and re-issue;
- ``reviews``: revocation offers after reversed credit;
- ``batches``: bulk and automatic issue, with their background tasks.

Modules in the package import each other by full path, never from here.
"""

from training.certificates.services.batches import (
    BATCH_STALE_AFTER,
    PROGRESS_EVERY,
    actor_unit,
    certificate_batch_create,
    certificate_batch_enqueue,
    certificate_batch_resume,
    certificate_batch_run,
    certificate_batch_task,
    certificate_batches_resume_stale,
    certificate_issue_task,
    certificates_issue_missing,
    certificates_on_class_completed,
    certificates_on_compliance,
)
from training.certificates.services.codes import (
    CODE_ALPHABET,
    CODE_LENGTH,
    certificate_code_new,
    certificate_code_normalise,
    certificate_file_matches,
    certificate_verify_url,
    mask_name,
)
from training.certificates.services.issue import certificate_issue
from training.certificates.services.render import (
    SAMPLE_VALUES,
    Subject,
    certificate_fields,
    certificate_html,
    certificate_pdf,
    certificate_template_preview,
    template_for,
)
from training.certificates.services.reviews import (
    certificate_review_decide,
    certificates_review_after_reversal,
)
from training.certificates.services.revoke import (
    certificate_reissue,
    certificate_revoke,
    certificate_status,
)

__all__ = [
    "BATCH_STALE_AFTER",
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "PROGRESS_EVERY",
    "SAMPLE_VALUES",
    "Subject",
    "actor_unit",
    "certificate_batch_create",
    "certificate_batch_enqueue",
    "certificate_batch_resume",
    "certificate_batch_run",
    "certificate_batch_task",
    "certificate_batches_resume_stale",
    "certificate_code_new",
    "certificate_code_normalise",
    "certificate_fields",
    "certificate_file_matches",
    "certificate_html",
    "certificate_issue",
    "certificate_issue_task",
    "certificate_pdf",
    "certificate_reissue",
    "certificate_review_decide",
    "certificate_revoke",
    "certificate_status",
    "certificate_template_preview",
    "certificate_verify_url",
    "certificates_issue_missing",
    "certificates_on_class_completed",
    "certificates_on_compliance",
    "certificates_review_after_reversal",
    "mask_name",
    "template_for",
]
