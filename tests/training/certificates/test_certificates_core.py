"""The certificate services end to end: issue, idempotency, revoke, re-issue,
verification by hash, and the revocation offer after a reversed class credit."""

import hashlib
import shutil
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories.training import make_completed_class
from training.certificates.models import (
    Certificate,
    CertificateBatch,
    CertificateReview,
)
from training.certificates.services import (
    certificate_batch_create,
    certificate_batch_run,
    certificate_file_matches,
    certificate_issue,
    certificate_reissue,
    certificate_review_decide,
    certificate_revoke,
    certificate_status,
)
from training.ledger.services import ledger_entry_reverse


@pytest.fixture
def done_class(tree, coordinator, people):
    return make_completed_class(
        tree.city_a,
        actor=coordinator,
        passed=[people["A1"], people["A2"]],
        failed=[people["CITY-A"]],
    )


def test_bulk_issue_twice_issues_each_certificate_once(done_class, coordinator):
    batch = certificate_batch_create(
        actor=coordinator, training_class=done_class, enqueue=False
    )
    batch = certificate_batch_run(batch_id=batch.pk)
    assert (batch.status, batch.issued, batch.total) == ("done", 2, 2)
    # Run it again (a resumed batch) and start a second batch: nothing new.
    certificate_batch_run(batch_id=batch.pk)
    CertificateBatch.objects.filter(pk=batch.pk).update(status="running")
    certificate_batch_run(batch_id=batch.pk)
    with pytest.raises(ValidationError):
        pass_again = certificate_batch_create(
            actor=coordinator, training_class=done_class, enqueue=False
        )
        certificate_batch_run(batch_id=pass_again.pk)
        raise ValidationError("second batch ran")
    assert Certificate.objects.count() == 2


def test_issue_stores_pdf_with_matching_hash(done_class, coordinator, people):
    certificate, created = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    assert created
    data = certificate.pdf.read()
    assert hashlib.sha256(data).hexdigest() == certificate.sha256
    assert certificate.fields["name"] == people["A1"].full_name
    upload = SimpleUploadedFile("c.pdf", data, content_type="application/pdf")
    assert certificate_file_matches(certificate=certificate, upload=upload)
    tampered = SimpleUploadedFile("c.pdf", data + b"%", content_type="application/pdf")
    assert not certificate_file_matches(certificate=certificate, upload=tampered)
    if shutil.which("pdftotext"):
        text = subprocess.run(  # noqa: S603
            ["pdftotext", certificate.pdf.path, "-"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert certificate.number in text


def test_failed_member_gets_no_certificate(done_class, coordinator, people):
    with pytest.raises(ValidationError):
        certificate_issue(
            person=people["CITY-A"], training_class=done_class, actor=coordinator
        )


def test_revoke_and_reissue(done_class, coordinator, people):
    old, _ = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    new = certificate_reissue(certificate=old, actor=coordinator, reason="姓名有误")
    old.refresh_from_db()
    assert certificate_status(old) == "superseded"
    assert old.replaced_by == new
    assert certificate_status(new) == "valid"
    assert new.code != old.code
    certificate_revoke(certificate=new, actor=coordinator, reason="学时记录有误")
    new.refresh_from_db()
    assert certificate_status(new) == "revoked"


def test_reversed_class_credit_offers_revocation(done_class, coordinator, people):
    certificate, _ = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    entry = people["A1"].ledger_entries.get(source="class")
    ledger_entry_reverse(entry=entry, actor=coordinator, reason="未实际参训")
    review = CertificateReview.objects.get(certificate=certificate)
    assert certificate_status(certificate) == "valid"  # only offered
    certificate_review_decide(review=review, actor=coordinator, revoke=True)
    certificate.refresh_from_db()
    assert certificate_status(certificate) == "revoked"
    assert certificate.revocation.reversal is not None


def test_other_units_coordinator_cannot_issue(done_class, coordinator_b, people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        certificate_issue(
            person=people["A1"], training_class=done_class, actor=coordinator_b
        )
