"""Certificate pages: the learner's own, the scoped list and its export, one
certificate (download, revoke, re-issue), issue by hand, bulk batches and their
progress JSON, revocation offers, a class's ZIP, and who may open what."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cms.models import AuditEvent
from tests.factories.training import make_class, make_completed_class, make_programme
from training.certificates.models import (
    Certificate,
    CertificateBatch,
    CertificateReview,
    CertificateTemplate,
)
from training.certificates.services import (
    certificate_batch_create,
    certificate_issue,
    certificate_revoke,
    certificate_status,
)
from training.classes.forms import ClassForm
from training.classes.services import class_update
from training.compliance.programme_forms import ProgrammeEditForm
from training.ledger.services import ledger_entry_reverse

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def done_class(tree, coordinator, people):
    return make_completed_class(
        tree.city_a,
        actor=coordinator,
        passed=[people["A1"], people["A2"]],
        failed=[people["CITY-A"]],
    )


@pytest.fixture
def issued(done_class, coordinator, people):
    """A1's and A2's class certificates."""
    return {
        code: certificate_issue(
            person=people[code], training_class=done_class, actor=coordinator
        )[0]
        for code in ("A1", "A2")
    }


def _copies(certificate: Certificate, n: int) -> None:
    """Extra rows for query counts: same file, new numbers (no PDF rendering)."""
    for i in range(n):
        Certificate.objects.create(
            code=f"ZZZZZZZZZZZZ{i:04d}",
            subject_key=f"{certificate.subject_key}:copy{i}",
            kind=certificate.kind,
            person=certificate.person,
            unit=certificate.unit,
            training_class=certificate.training_class,
            template=certificate.template,
            fields=certificate.fields,
            pdf=certificate.pdf.name,
            sha256=certificate.sha256,
            issued_at=timezone.now(),
        )


# --- my certificates ------------------------------------------------------------


def test_learner_sees_own_certificates(client, learner, issued):
    client.force_login(learner)
    response = client.get(reverse("training:certificates_mine"))
    assert response.status_code == 200
    html = response.content.decode()
    assert issued["A1"].number in html
    assert issued["A2"].number not in html
    assert reverse("training:certificate_download", args=[issued["A1"].code]) in html
    assert reverse("training:certificate_verify", args=[issued["A1"].code]) in html
    assert "certificate-status-valid" in html


def test_my_certificates_without_staff_record(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("training:certificates_mine"))
    assert response.status_code == 200
    assert 'id="no-person"' in response.content.decode()


def test_learning_page_links_to_my_certificates():
    from courses.selectors_learning import certificates_url

    assert certificates_url() == reverse("training:certificates_mine")


# --- the list ---------------------------------------------------------------------


def test_list_is_scoped_and_filtered(client, coordinator, coordinator_b, issued):
    url = reverse("training:certificate_list")
    client.force_login(coordinator)
    assert client.get(url).context["page"].paginator.count == 2
    page = client.get(url, {"q": "P-A1"}).context["page"]
    assert [c.pk for c in page.object_list] == [issued["A1"].pk]
    page = client.get(url, {"q": issued["A2"].number.lower()}).context["page"]
    assert [c.pk for c in page.object_list] == [issued["A2"].pk]
    certificate_revoke(certificate=issued["A1"], actor=coordinator, reason="有误")
    page = client.get(url, {"status": "revoked"}).context["page"]
    assert [c.pk for c in page.object_list] == [issued["A1"].pk]
    page = client.get(url, {"status": "valid"}).context["page"]
    assert [c.pk for c in page.object_list] == [issued["A2"].pk]
    a2 = issued["A2"].person.unit
    page = client.get(url, {"unit": a2.pk}).context["page"]
    assert [c.pk for c in page.object_list] == [issued["A2"].pk]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert (
        client.get(url, {"issued_from": tomorrow}).context["page"].paginator.count == 0
    )
    client.force_login(coordinator_b)
    assert client.get(url).context["page"].paginator.count == 0


def test_list_needs_a_view_role(client, learner, issued):
    client.force_login(learner)
    assert client.get(reverse("training:certificate_list")).status_code == 403


def test_list_query_count_does_not_grow(
    client, coordinator, issued, django_assert_max_num_queries
):
    client.force_login(coordinator)
    url = reverse("training:certificate_list")
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _copies(issued["A1"], 30)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url, {"status": "valid"})
    assert response.context["page"].paginator.count == 32
    with django_assert_max_num_queries(16):
        client.get(url)


def test_export_is_filtered_and_audited(client, coordinator, issued):
    client.force_login(coordinator)
    response = client.get(
        reverse("training:certificate_list"), {"q": "P-A2", "format": "xlsx"}
    )
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb["证书"].iter_rows(values_only=True))
    assert rows[0][0] == "证书编号"
    assert [r[0] for r in rows[1:]] == [issued["A2"].number]
    assert rows[1][11] == "有效"
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.EXPORT, detail__export="certificates"
    ).exists()


# --- one certificate --------------------------------------------------------------


def test_detail_shows_the_record(client, coordinator, issued):
    client.force_login(coordinator)
    certificate = issued["A1"]
    response = client.get(
        reverse("training:certificate_detail", args=[certificate.code])
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert certificate.sha256[:32] in html
    assert certificate.fields["name"] in html
    assert 'id="revoke-form"' in html
    assert 'id="reissue-form"' in html


def test_other_city_gets_404_for_everything(client, coordinator_b, issued):
    client.force_login(coordinator_b)
    code = issued["A1"].code
    for name in ("certificate_detail", "certificate_download"):
        assert client.get(reverse(f"training:{name}", args=[code])).status_code == 404
    for name in ("certificate_revoke", "certificate_reissue"):
        response = client.post(reverse(f"training:{name}", args=[code]), {})
        assert response.status_code == 404
    assert certificate_status(issued["A1"]) == "valid"
    for bad in ("0" * 16, "not-a-number"):
        url = reverse("training:certificate_detail", args=[bad])
        assert client.get(url).status_code == 404


def test_learner_downloads_own_but_not_others(client, learner, issued):
    client.force_login(learner)
    own = issued["A1"]
    response = client.get(reverse("training:certificate_download", args=[own.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    filename = f"{own.fields['name']}-{own.number}.pdf"
    assert f"filename*=utf-8''{quote(filename)}" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == own.pdf.open("rb").read()
    other = issued["A2"]
    url = reverse("training:certificate_download", args=[other.code])
    assert client.get(url).status_code == 404
    url = reverse("training:certificate_detail", args=[other.code])
    assert client.get(url).status_code == 404


def test_manager_download_is_audited(client, coordinator, issued):
    client.force_login(coordinator)
    url = reverse("training:certificate_download", args=[issued["A2"].code])
    assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.EXPORT, detail__export="certificate_pdf"
    ).exists()


def test_leader_views_but_cannot_revoke(client, leader, issued):
    client.force_login(leader)
    code = issued["A1"].code
    response = client.get(reverse("training:certificate_detail", args=[code]))
    assert response.status_code == 200
    assert 'id="revoke-form"' not in response.content.decode()
    response = client.post(
        reverse("training:certificate_revoke", args=[code]), {"revoke-reason": "x"}
    )
    assert response.status_code == 403
    assert certificate_status(issued["A1"]) == "valid"


def test_coordinator_revokes_with_a_reason(client, coordinator, issued):
    client.force_login(coordinator)
    certificate = issued["A1"]
    url = reverse("training:certificate_revoke", args=[certificate.code])
    response = client.post(url, {"revoke-reason": ""})
    assert response.status_code == 400
    assert response.context["revoke_form"].errors
    response = client.post(url, {"revoke-reason": "学时记录有误"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revocation.reason == "学时记录有误"
    html = client.get(response["Location"]).content.decode()
    assert 'id="certificate-revoked"' in html
    assert 'id="revoke-form"' not in html
    # Revoking twice is a form error, not a crash.
    response = client.post(url, {"revoke-reason": "再次"})
    assert response.status_code == 400


def test_coordinator_reissues(client, coordinator, issued):
    client.force_login(coordinator)
    old = issued["A2"]
    response = client.post(
        reverse("training:certificate_reissue", args=[old.code]),
        {"reissue-reason": "姓名有误"},
    )
    old.refresh_from_db()
    new = old.replaced_by
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "training:certificate_detail", args=[new.code]
    )
    assert certificate_status(old) == "superseded"
    html = client.get(
        reverse("training:certificate_detail", args=[old.code])
    ).content.decode()
    assert 'id="replaced-by-link"' in html
    assert 'id="reissue-form"' not in html


# --- issue by hand ---------------------------------------------------------------


def test_issue_one_for_a_person(client, coordinator, done_class, people):
    client.force_login(coordinator)
    url = reverse("training:certificate_issue")
    person = people["A1"]
    response = client.get(url, {"employee_no": person.employee_no})
    assert response.context["person"] == person
    value = f"class:{done_class.pk}"
    assert value in dict(response.context["form"].fields["subject"].choices)
    response = client.post(url, {"person": person.pk, "subject": value})
    certificate = Certificate.objects.get(person=person)
    assert response["Location"] == reverse(
        "training:certificate_detail", args=[certificate.code]
    )
    assert certificate.issued_by == coordinator
    # Now it is listed as issued and no longer offered.
    response = client.get(url, {"person": person.pk})
    assert response.context["issued"][0]["certificate"] == certificate
    assert not response.context["form"].fields["subject"].choices


def test_issue_refuses_a_failed_member_and_other_cities(
    client, coordinator, coordinator_b, done_class, people
):
    client.force_login(coordinator)
    url = reverse("training:certificate_issue")
    response = client.get(url, {"person": people["CITY-A"].pk})
    assert not response.context["form"].fields["subject"].choices
    response = client.post(
        url, {"person": people["CITY-A"].pk, "subject": f"class:{done_class.pk}"}
    )
    assert response.status_code == 400
    response = client.get(url, {"employee_no": people["B1"].employee_no})
    assert response.context["person"] is None
    assert response.context["lookup"].errors
    client.force_login(coordinator_b)
    assert client.get(url, {"person": people["A1"].pk}).status_code == 403
    assert not Certificate.objects.exists()


# --- batches ------------------------------------------------------------------------


def test_class_batch_runs_and_reports_progress(
    client, coordinator, done_class, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("training:certificate_batch_new"), {"class": done_class.pk}
        )
    # (Completing the class queued a system batch too; it has not run here.)
    batch = CertificateBatch.objects.get(requested_by=coordinator)
    assert response["Location"] == reverse(
        "training:certificate_batch_detail", args=[batch.pk]
    )
    data = client.get(
        reverse("training:certificate_batch_status", args=[batch.pk])
    ).json()
    assert data == {
        "status": "done",
        "status_display": data["status_display"],
        "finished": True,
        "total": 2,
        "processed": 2,
        "issued": 2,
        "skipped": 0,
        "errors": 0,
        "percent": 100,
    }
    html = client.get(response["Location"]).content.decode()
    assert "data-task-progress" not in html
    assert html.count("/certificates/") >= 2
    assert Certificate.objects.filter(batch=batch).count() == 2


def test_running_batch_page_polls_and_refreshes(client, coordinator, done_class):
    batch = certificate_batch_create(
        actor=coordinator, training_class=done_class, enqueue=False
    )
    client.force_login(coordinator)
    html = client.get(
        reverse("training:certificate_batch_detail", args=[batch.pk])
    ).content.decode()
    assert "data-task-progress" in html
    assert 'http-equiv="refresh"' in html
    assert "task-progress.js" in html
    assert 'id="resume-form"' not in html
    data = client.get(
        reverse("training:certificate_batch_status", args=[batch.pk])
    ).json()
    assert (data["status"], data["finished"], data["percent"]) == ("queued", False, 0)


def test_stalled_batch_can_be_resumed(client, coordinator, done_class):
    batch = certificate_batch_create(
        actor=coordinator, training_class=done_class, enqueue=False
    )
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    CertificateBatch.objects.filter(pk=batch.pk).update(
        status="running", created_at=an_hour_ago, heartbeat_at=an_hour_ago
    )
    client.force_login(coordinator)
    url = reverse("training:certificate_batch_detail", args=[batch.pk])
    assert 'id="resume-form"' in client.get(url).content.decode()
    response = client.post(
        reverse("training:certificate_batch_resume", args=[batch.pk])
    )
    assert response["Location"] == url
    batch.refresh_from_db()
    assert batch.status == "queued"


def test_other_city_cannot_batch_or_see_batches(
    client, coordinator, coordinator_b, done_class
):
    client.force_login(coordinator_b)
    response = client.post(
        reverse("training:certificate_batch_new"), {"class": done_class.pk}
    )
    assert response.status_code in (403, 404)
    assert not CertificateBatch.objects.filter(requested_by=coordinator_b).exists()
    batch = certificate_batch_create(
        actor=coordinator, training_class=done_class, enqueue=False
    )
    for name in ("certificate_batch_detail", "certificate_batch_status"):
        url = reverse(f"training:{name}", args=[batch.pk])
        assert client.get(url).status_code == 404
    url = reverse("training:certificate_batch_resume", args=[batch.pk])
    assert client.post(url).status_code == 404


def test_programme_batch_with_nobody_waiting_says_so(client, coordinator, tree):
    programme = make_programme(tree.city_a, hours_required=Decimal("90")).programme
    client.force_login(coordinator)
    response = client.post(
        reverse("training:certificate_batch_new"),
        {"programme": programme.pk},
        follow=True,
        **EN,
    )
    assert response.redirect_chain[-1][0] == reverse(
        "training:programme_detail", args=[programme.pk]
    )
    assert "Nobody is waiting for a certificate here." in response.content.decode()
    assert 'id="programme-certificates-batch"' in response.content.decode()


def test_class_page_offers_certificate_buttons(client, coordinator, leader, done_class):
    url = reverse("training:class_detail", args=[done_class.pk])
    client.force_login(coordinator)
    html = client.get(url).content.decode()
    assert 'id="class-certificates-batch"' in html
    assert 'id="class-certificates-zip"' in html
    client.force_login(leader)
    html = client.get(url).content.decode()
    assert 'id="class-certificates"' in html
    assert 'id="class-certificates-batch"' not in html


# --- revocation offers ------------------------------------------------------------


@pytest.fixture
def review(issued, coordinator, people):
    entry = people["A1"].ledger_entries.get(source="class")
    ledger_entry_reverse(entry=entry, actor=coordinator, reason="未实际参训")
    return CertificateReview.objects.get(certificate=issued["A1"])


def test_reviews_keep_needs_a_note(client, coordinator, review):
    client.force_login(coordinator)
    response = client.get(reverse("training:certificate_reviews"))
    assert [row["review"] for row in response.context["rows"]] == [review]
    assert "未实际参训" in response.content.decode()
    url = reverse("training:certificate_review_decide", args=[review.pk])
    response = client.post(url, {"action": "keep", "note": ""})
    assert response.status_code == 400
    response = client.post(url, {"action": "keep", "note": "已补训"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.outcome, review.note) == ("kept", "已补训")
    assert certificate_status(review.certificate) == "valid"
    assert client.get(url).status_code == 405


def test_reviews_revoke(client, coordinator, review):
    client.force_login(coordinator)
    url = reverse("training:certificate_review_decide", args=[review.pk])
    assert client.post(url, {"action": "revoke", "note": ""}).status_code == 302
    review.certificate.refresh_from_db()
    assert certificate_status(review.certificate) == "revoked"
    list_url = reverse("training:certificate_list")
    assert client.get(list_url).context["open_reviews"] == 0


def test_reviews_for_leaders_and_other_cities(client, leader, coordinator_b, review):
    client.force_login(leader)
    response = client.get(reverse("training:certificate_reviews"))
    assert [row["may_decide"] for row in response.context["rows"]] == [False]
    url = reverse("training:certificate_review_decide", args=[review.pk])
    assert client.post(url, {"action": "revoke"}).status_code == 403
    client.force_login(coordinator_b)
    assert client.get(reverse("training:certificate_reviews")).context["rows"] == []
    assert client.post(url, {"action": "revoke"}).status_code == 404
    review.refresh_from_db()
    assert review.decided_at is None


# --- the class ZIP -----------------------------------------------------------------


def test_class_zip_holds_the_valid_certificates(
    client, coordinator, coordinator_b, leader, issued, done_class
):
    certificate_revoke(certificate=issued["A2"], actor=coordinator, reason="有误")
    url = reverse("training:class_certificates_zip", args=[done_class.pk])
    client.force_login(coordinator)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    a1 = issued["A1"]
    name = f"{a1.fields['name']}-{a1.number}.pdf"
    assert archive.namelist() == [name]
    assert archive.read(name) == a1.pdf.open("rb").read()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.EXPORT, detail__export="class_certificates_zip"
    ).exists()
    for other in (coordinator_b, leader):
        client.force_login(other)
        assert client.get(url).status_code == 403


# --- the training record and the class / programme forms ---------------------------


def test_training_record_lists_certificates(client, learner, issued):
    client.force_login(learner)
    html = client.get(reverse("training:my_training_record")).content.decode()
    assert 'id="record-certificates"' in html
    assert issued["A1"].number in html
    response = client.get(reverse("training:my_training_record_xlsx"))
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb["证书"].iter_rows(values_only=True))
    assert rows[1][0] == issued["A1"].number
    assert rows[1][4] == "有效"


def test_forms_expose_the_certificate_fields(coordinator, tree):
    assert {"issues_certificate", "certificate_template"} <= set(
        ClassForm(actor=coordinator).fields
    )
    assert "certificate_template" in ProgrammeEditForm().fields
    template = CertificateTemplate.objects.get(is_default=True)
    training_class = make_class(tree.city_a, actor=coordinator)
    class_update(
        training_class=training_class,
        actor=coordinator,
        issues_certificate=False,
        certificate_template=template,
    )
    training_class.refresh_from_db()
    assert training_class.certificate_template == template
    assert not training_class.issues_certificate
