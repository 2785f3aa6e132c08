"""The record pages: submit with evidence, approve, download, correct, exempt — and
none of it across units."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories.training import credit, make_programme
from training.compliance.models import ComplianceStatus, Exemption
from training.compliance.services import compliance_refresh_person
from training.ledger.models import (
    ApprovalDelegation,
    ExternalEvidence,
    ExternalRecord,
    LedgerEntry,
)
from training.ledger.services import external_record_submit
from training.notifications.models import Notification

YEAR = timezone.localdate().year
DAY = dt.date(YEAR, 1, 1)
PDF = b"%PDF-1.4 evidence"


def pdf(name="证书.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def submit(person, title="专题研修班"):
    return external_record_submit(
        person=person,
        actor=person.user,
        title=title,
        provider="国家检察官学院",
        started_on=DAY,
        ended_on=DAY,
        hours=Decimal("8"),
        days=Decimal("1"),
        is_centralised=True,
        files=[pdf()],
    )


def form_data(**overrides):
    data = {
        "title": "专题研修班",
        "provider": "国家检察官学院",
        "started_on": DAY.isoformat(),
        "ended_on": DAY.isoformat(),
        "hours": "12",
        "days": "2",
        "is_centralised": "on",
        "note": "",
        "files": [pdf(), pdf("签到表.png", b"\x89PNG\r\n\x1a\nxxxx")],
    }
    data.update(overrides)
    return data


# --- submitting -------------------------------------------------------------------


def test_learner_submits_with_several_files(client, learner):
    client.force_login(learner)
    assert client.get(reverse("training:record_new")).status_code == 200
    response = client.post(reverse("training:record_new"), form_data())
    record = ExternalRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("training:record_detail", args=[record.pk])
    assert record.person.user == learner
    assert record.status == "pending"
    assert record.hours == Decimal("12")
    assert sorted(e.original_name for e in record.evidence.all()) == [
        "签到表.png",
        "证书.pdf",
    ]
    page = client.get(reverse("training:records_mine"))
    assert page.status_code == 200
    assert f'id="record-{record.pk}"' in page.content.decode()


@pytest.mark.parametrize(
    "files",
    [
        [SimpleUploadedFile("run.exe", b"MZ...")],
        [pdf("fake.pdf", b"MZ not a pdf")],
        [pdf("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))],
        [],
    ],
    ids=["extension", "content", "size", "missing"],
)
def test_bad_evidence_is_refused(client, learner, files):
    client.force_login(learner)
    response = client.post(reverse("training:record_new"), form_data(files=files))
    assert response.status_code == 200
    assert response.context["form"].errors["files"]
    assert not ExternalRecord.objects.exists()
    assert not ExternalEvidence.objects.exists()


def test_dates_and_amounts_are_checked(client, learner):
    client.force_login(learner)
    later = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = client.post(
        reverse("training:record_new"),
        form_data(ended_on=later, hours="", days=""),
    )
    errors = response.context["form"].errors
    assert "ended_on" in errors
    assert "hours" in errors
    assert not ExternalRecord.objects.exists()


def test_coordinator_submits_for_a_person_in_scope_only(
    client, coordinator, coordinator_b, people
):
    url = reverse("training:record_new_for_person", args=[people["A2"].pk])
    client.force_login(coordinator_b)
    assert client.get(url).status_code == 403
    assert client.post(url, form_data()).status_code == 403
    client.force_login(coordinator)
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["for_other"]
    assert client.post(url, form_data()).status_code == 302
    record = ExternalRecord.objects.get()
    assert record.person == people["A2"]
    assert record.submitted_by == coordinator


def test_learner_withdraws(client, learner, people):
    record = submit(people["A1"])
    client.force_login(people["A2"].user)
    url = reverse("training:record_withdraw", args=[record.pk])
    assert client.post(url).status_code == 404
    client.force_login(learner)
    assert client.post(url).status_code == 302
    record.refresh_from_db()
    assert record.status == "withdrawn"


# --- approving --------------------------------------------------------------------


def test_coordinator_approves_from_the_detail_page(client, coordinator, people):
    record = submit(people["A1"])
    client.force_login(coordinator)
    detail = client.get(reverse("training:record_detail", args=[record.pk]))
    assert detail.status_code == 200
    assert 'id="decide-form"' in detail.content.decode()
    decide = reverse("training:record_decide", args=[record.pk])
    response = client.post(decide, {"action": "reject", "reason": ""})
    assert response.status_code == 400  # a rejection needs a reason
    record.refresh_from_db()
    assert record.status == "pending"
    response = client.post(decide, {"action": "approve"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == "approved"
    assert record.ledger_entry.hours == Decimal("8")
    assert Notification.objects.get().user == people["A1"].user


def test_learner_cannot_approve_own_record(client, learner, people):
    record = submit(people["A1"])
    client.force_login(learner)
    detail = client.get(reverse("training:record_detail", args=[record.pk]))
    assert 'id="decide-form"' not in detail.content.decode()
    response = client.post(
        reverse("training:record_decide", args=[record.pk]), {"action": "approve"}
    )
    assert response.status_code == 403
    assert client.get(reverse("training:record_approvals")).status_code == 403
    record.refresh_from_db()
    assert record.status == "pending"
    assert not LedgerEntry.objects.exists()


def test_other_city_sees_nothing_and_changes_nothing(client, coordinator_b, people):
    record = submit(people["A1"])
    evidence = record.evidence.get()
    client.force_login(coordinator_b)
    urls = [
        reverse("training:record_detail", args=[record.pk]),
        reverse("training:record_evidence", args=[record.pk, evidence.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"PDF" not in b"".join(getattr(response, "streaming_content", [b""]))
    assert (
        client.post(
            reverse("training:record_decide", args=[record.pk]), {"action": "approve"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("training:record_approvals"), {"record": [record.pk]}
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("training:record_withdraw", args=[record.pk])).status_code
        == 404
    )
    queue = client.get(reverse("training:record_approvals"))
    assert record.title not in queue.content.decode()
    record.refresh_from_db()
    assert record.status == "pending"
    assert not LedgerEntry.objects.exists()
    assert not Notification.objects.exists()


def test_evidence_download_in_scope(client, coordinator, learner, people):
    record = submit(people["A1"])
    evidence = record.evidence.get()
    url = reverse("training:record_evidence", args=[record.pk, evidence.pk])
    for user in (coordinator, learner):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
    # Another person's evidence id under this record is not found.
    other = submit(people["A2"]).evidence.get()
    client.force_login(coordinator)
    assert (
        client.get(
            reverse("training:record_evidence", args=[record.pk, other.pk])
        ).status_code
        == 404
    )


def test_queue_lists_and_bulk_approves(client, coordinator, people, tree):
    records = [submit(people[c]) for c in ("A1", "A2", "B1")]
    client.force_login(coordinator)
    response = client.get(reverse("training:record_approvals"))
    listed = [r.pk for r in response.context["page"].object_list]
    assert sorted(listed) == sorted(r.pk for r in records[:2])
    filtered = client.get(reverse("training:record_approvals"), {"unit": tree.a2.pk})
    assert [r.pk for r in filtered.context["page"].object_list] == [records[1].pk]
    response = client.post(
        reverse("training:record_approvals"), {"record": [r.pk for r in records[:2]]}
    )
    assert response.status_code == 302
    assert ExternalRecord.objects.filter(status="approved").count() == 2
    assert records[2].__class__.objects.get(pk=records[2].pk).status == "pending"


def test_queue_query_count_does_not_grow(
    client, coordinator, people, django_assert_max_num_queries
):
    client.force_login(coordinator)
    submit(people["A1"])
    client.get(reverse("training:record_approvals"))  # warm the session
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("training:record_approvals"))
    for i in range(15):
        submit(people["A2" if i % 2 else "CITY-A"], title=f"研修班{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("training:record_approvals"))
    assert len(response.context["page"].object_list) == 16


def test_delegation_page_moves_the_queue(client, coordinator, people, tree):
    record = submit(people["A1"])
    client.force_login(coordinator)
    url = reverse("training:record_delegation")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"unit": tree.city_a.pk, "approver_unit": tree.a1.pk})
    assert bad.status_code == 400
    assert (
        client.post(
            url, {"unit": tree.b1.pk, "approver_unit": tree.prov.pk}
        ).status_code
        == 400
    )
    response = client.post(url, {"unit": tree.a1.pk, "approver_unit": tree.prov.pk})
    assert response.status_code == 302
    delegation = ApprovalDelegation.objects.get()
    assert delegation.created_by == coordinator
    page = client.get(url)
    assert f'id="delegation-{tree.a1.pk}"' in page.content.decode()
    queue = client.get(reverse("training:record_approvals"))
    assert record.pk not in [r.pk for r in queue.context["page"].object_list]
    clear = reverse("training:record_delegation_clear", args=[tree.a1.pk])
    assert client.post(clear).status_code == 302
    assert not ApprovalDelegation.objects.exists()


# --- ledger corrections -----------------------------------------------------------


@pytest.fixture
def annual(tree):
    return make_programme(tree.prov, hours_required=Decimal("90"))


def status_of(person, version):
    compliance_refresh_person(person_id=person.pk)
    return ComplianceStatus.objects.get(
        person=person, programme=version.programme, cycle_start=DAY
    ).status


def test_reversal_keeps_both_entries_and_changes_compliance(
    client, coordinator, people, annual
):
    person = people["A1"]
    entry = credit(person, "95", on=DAY)
    assert status_of(person, annual) == "compliant"
    client.force_login(coordinator)
    url = reverse("training:person_ledger_reverse", args=[person.pk, entry.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "重复登记"}).status_code == 302
    assert LedgerEntry.objects.filter(person=person).count() == 2
    assert status_of(person, annual) == "in_progress"
    page = client.get(reverse("training:person_ledger", args=[person.pk]))
    content = page.content.decode()
    assert f'id="entry-{entry.pk}"' in content
    assert f'href="#entry-{entry.pk}"' in content  # the reversal links back
    assert page.context["rows"][0]["total_hours"] == 0
    client.force_login(person.user)
    mine = client.get(reverse("training:records_mine")).content.decode()
    assert f'href="#entry-{entry.pk}"' in mine
    client.force_login(coordinator)
    # A second reversal of the same entry is refused.
    assert client.post(url, {"reason": "再次"}).status_code == 400
    assert LedgerEntry.objects.filter(person=person).count() == 2


def test_manual_adjustment(client, coordinator, people, annual):
    person = people["A2"]
    client.force_login(coordinator)
    url = reverse("training:person_ledger_adjust", args=[person.pk])
    data = {
        "title": "补录：集中轮训",
        "occurred_on": DAY.isoformat(),
        "hours": "90",
        "days": "",
        "reason": "",
    }
    assert client.post(url, data).status_code == 400
    assert client.post(url, {**data, "reason": "纸质签到补录"}).status_code == 302
    entry = LedgerEntry.objects.get(person=person)
    assert entry.source == "adjustment"
    assert entry.created_by == coordinator
    assert status_of(person, annual) == "compliant"


def test_ledger_pages_are_scoped(client, coordinator_b, learner, people):
    person = people["A1"]
    entry = credit(person, "5", on=DAY)
    for user in (coordinator_b, learner):
        client.force_login(user)
        assert (
            client.get(reverse("training:person_ledger", args=[person.pk])).status_code
            == 403
        )
        assert (
            client.post(
                reverse("training:person_ledger_reverse", args=[person.pk, entry.pk]),
                {"reason": "x"},
            ).status_code
            == 403
        )
        assert (
            client.post(
                reverse("training:person_ledger_adjust", args=[person.pk]),
                {
                    "title": "x",
                    "occurred_on": DAY.isoformat(),
                    "hours": "5",
                    "reason": "x",
                },
            ).status_code
            == 403
        )
    assert LedgerEntry.objects.count() == 1


def test_ledger_page_query_count(
    client, coordinator, people, django_assert_max_num_queries
):
    person = people["A1"]
    for i in range(10):
        credit(person, "1", on=DAY + dt.timedelta(days=i))
    client.force_login(coordinator)
    url = reverse("training:person_ledger", args=[person.pk])
    client.get(url)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


# --- exemptions -------------------------------------------------------------------


def test_exemption_pages(client, coordinator, coordinator_b, people, annual):
    person = people["A1"]
    url = reverse("training:person_exemptions", args=[person.pk])
    data = {
        "programme": annual.programme.pk,
        "valid_from": DAY.isoformat(),
        "valid_until": dt.date(YEAR, 12, 31).isoformat(),
        "reason": "病假",
    }
    client.force_login(coordinator_b)
    assert client.get(url).status_code == 403
    assert client.post(url, data).status_code == 403
    assert not Exemption.objects.exists()

    client.force_login(coordinator)
    assert client.get(url).status_code == 200
    assert client.post(url, {**data, "valid_until": "2000-01-01"}).status_code == 400
    assert client.post(url, data).status_code == 302
    exemption = Exemption.objects.get()
    assert status_of(person, annual) == "exempt"

    revoke = reverse("training:person_exemption_revoke", args=[person.pk, exemption.pk])
    client.force_login(coordinator_b)
    assert client.post(revoke, {"revoke_reason": "x"}).status_code == 403
    client.force_login(coordinator)
    assert client.post(revoke, {"revoke_reason": ""}).status_code == 400
    assert client.post(revoke, {"revoke_reason": "已返岗"}).status_code == 302
    assert status_of(person, annual) == "in_progress"
    page = client.get(url)
    assert "exemption-revoked" in page.content.decode()


def test_reversing_class_credit_offers_certificate_revocation(
    client, coordinator, people, tree
):
    from tests.factories.training import make_completed_class
    from training.certificates.models import CertificateReview
    from training.certificates.services import certificate_issue

    person = people["A1"]
    training_class = make_completed_class(
        tree.city_a, actor=coordinator, passed=[person]
    )
    certificate, _created = certificate_issue(
        person=person, training_class=training_class, actor=coordinator
    )
    entry = person.ledger_entries.get(source="class")
    client.force_login(coordinator)
    response = client.post(
        reverse("training:person_ledger_reverse", args=[person.pk, entry.pk]),
        {"reason": "未实际参训"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert CertificateReview.objects.filter(certificate=certificate).count() == 1
    page = response.content.decode()
    assert "1 valid certificate rested on this credit." in page
    assert reverse("training:certificate_reviews") in page
