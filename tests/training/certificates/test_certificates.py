"""Certificate services through the real services on small data: who may issue,
what the stored record holds, idempotent and resumable bulk runs, automatic issue,
revocation offers, re-issue, masking, certificate numbers, rare characters in
names and the template's placeholders."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import subprocess
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from cms import fonts
from tests.factories import PersonFactory
from tests.factories.training import (
    complete_class,
    credit,
    default_certificate_template_ensure,
    make_class,
    make_programme,
)
from training.certificates.models import (
    Certificate,
    CertificateBatch,
    CertificateReview,
    CertificateTemplate,
)
from training.certificates.services import (
    CODE_ALPHABET,
    certificate_batch_create,
    certificate_batch_resume,
    certificate_batch_run,
    certificate_code_normalise,
    certificate_fields,
    certificate_issue,
    certificate_reissue,
    certificate_review_decide,
    certificate_revoke,
    certificate_status,
    certificate_template_preview,
    mask_name,
)
from training.certificates.services import issue as certificate_issue_module
from training.classes.models import TrainingClass
from training.compliance.models import ComplianceStatus
from training.ledger.services import ledger_entry_reverse
from training.programmes.services import programme_update

CROCKFORD = re.compile(rf"^[{CODE_ALPHABET}]{{16}}$")


# --- helpers -------------------------------------------------------------------


def pdf_text(path: str | Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(  # noqa: S603
        ["pdftotext", str(path), "-"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def squeeze(text: str) -> str:
    """Without whitespace: a long Chinese line may wrap anywhere."""
    return "".join(text.split())


def row_snapshot(certificate: Certificate) -> dict:
    row = Certificate.objects.filter(pk=certificate.pk).values().get()
    with open(certificate.pdf.path, "rb") as handle:
        row["pdf_bytes"] = handle.read()
    return row


def cycle_start_of(person, programme) -> dt.date:
    return (
        ComplianceStatus.objects.filter(person=person, programme=programme)
        .order_by("-cycle_start")
        .values_list("cycle_start", flat=True)
        .first()
    )


@pytest.fixture
def done_class(tree, coordinator, people):
    training_class = make_class(tree.city_a, actor=coordinator, sessions=2)
    return complete_class(
        training_class,
        actor=coordinator,
        passed=[people["A1"], people["A2"]],
        failed=[people["CITY-A"]],
    )


@pytest.fixture
def annual(tree):
    """A yearly 90 学时 programme for everyone under the province."""
    return make_programme(tree.prov, hours_required=Decimal("90")).programme


# --- who may issue, and to whom --------------------------------------------------


def test_issue_for_a_passed_class_member(done_class, coordinator, people):
    certificate, created = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    assert created
    assert certificate.kind == Certificate.Kind.CLASS
    assert certificate.subject == done_class
    assert certificate.generation == 1
    assert certificate.issued_by == coordinator
    assert certificate_status(certificate) == "valid"


def test_issue_for_a_compliant_programme_cycle(annual, coordinator, people):
    person = people["A1"]
    credit(person, "95")
    start = cycle_start_of(person, annual)
    certificate, created = certificate_issue(
        person=person, programme=annual, cycle_start=start, actor=coordinator
    )
    assert created
    assert certificate.kind == Certificate.Kind.PROGRAMME
    assert (certificate.programme, certificate.cycle_start) == (annual, start)
    assert certificate.fields["subject"] == annual.name
    assert certificate.fields["hours"] == "95 学时"


def test_refused_for_a_failed_member(done_class, coordinator, people):
    with pytest.raises(ValidationError):
        certificate_issue(
            person=people["CITY-A"], training_class=done_class, actor=coordinator
        )
    assert not Certificate.objects.exists()


def test_refused_for_a_non_compliant_person(annual, coordinator, people):
    person = people["A1"]
    credit(person, "30")
    with pytest.raises(ValidationError):
        certificate_issue(
            person=person,
            programme=annual,
            cycle_start=cycle_start_of(person, annual),
            actor=coordinator,
        )
    assert not Certificate.objects.exists()


def test_another_units_coordinator_cannot_issue(
    done_class, annual, coordinator_b, people
):
    with pytest.raises(PermissionDenied):
        certificate_issue(
            person=people["A1"], training_class=done_class, actor=coordinator_b
        )
    credit(people["A1"], "95")
    with pytest.raises(PermissionDenied):
        certificate_issue(
            person=people["A1"],
            programme=annual,
            cycle_start=cycle_start_of(people["A1"], annual),
            actor=coordinator_b,
        )
    assert not Certificate.objects.exists()


def test_leader_cannot_issue(done_class, annual, leader, people):
    with pytest.raises(PermissionDenied):
        certificate_issue(person=people["A1"], training_class=done_class, actor=leader)
    credit(people["A1"], "95")
    with pytest.raises(PermissionDenied):
        certificate_issue(
            person=people["A1"],
            programme=annual,
            cycle_start=cycle_start_of(people["A1"], annual),
            actor=leader,
        )
    with pytest.raises(PermissionDenied):
        certificate_batch_create(actor=leader, training_class=done_class)
    assert not Certificate.objects.exists()


# --- the record ------------------------------------------------------------------


def test_code_is_crockford_and_unique(done_class, coordinator, people):
    first, _ = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    second, _ = certificate_issue(
        person=people["A2"], training_class=done_class, actor=coordinator
    )
    for certificate in (first, second):
        assert CROCKFORD.match(certificate.code)
        assert certificate.number == "-".join(
            certificate.code[i : i + 4] for i in range(0, 16, 4)
        )
    assert first.code != second.code


def test_snapshot_holds_every_printed_field(done_class, coordinator, people):
    person = people["A1"]
    certificate, _ = certificate_issue(
        person=person, training_class=done_class, actor=coordinator
    )
    fields = certificate.fields
    issued = timezone.localdate(certificate.issued_at)
    assert fields["name"] == person.full_name
    assert fields["unit"] == person.unit.name
    assert fields["subject"] == done_class.name
    assert fields["start"] == "2026年5月11日"
    assert fields["end"] == "2026年5月15日"
    assert fields["hours"] == "40 学时"
    assert fields["days"] == "5 天"
    assert fields["result"] == "合格"
    assert fields["issued"] == f"{issued.year}年{issued.month}月{issued.day}日"
    assert fields["code"] == certificate.code
    assert fields["number"] == certificate.number
    assert fields["verify_url"].endswith(f"/certificates/verify/{certificate.code}/")
    template = certificate.template
    assert (fields["title"], fields["issuing_body"], fields["orientation"]) == (
        template.title,
        template.issuing_body,
        template.orientation,
    )
    # Every printed value is in the snapshot, and what the snapshot says is printed.
    text = squeeze(pdf_text(certificate.pdf.path))
    printed = ["title", "number", "issued", "signature_line", "name", "unit"]
    printed += ["subject", "start", "end", "hours", "days", "result"]
    for key in printed:
        assert fields[key], key
        assert squeeze(fields[key]) in text, key
    for paragraph in fields["body"]:
        assert squeeze(paragraph) in text


def test_stored_pdf_hashes_to_the_stored_sha256(done_class, coordinator, people):
    certificate, _ = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    certificate = Certificate.objects.get(pk=certificate.pk)
    with certificate.pdf.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == certificate.sha256
    assert certificate.pdf.name.endswith(f"{certificate.code}.pdf")
    assert certificate.signed is False


def test_revoke_and_reissue_never_update_the_certificate_row(
    done_class, coordinator, people
):
    certificate, _ = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    before = row_snapshot(certificate)
    new = certificate_reissue(certificate=certificate, actor=coordinator, reason="错字")
    assert row_snapshot(certificate) == before
    new_before = row_snapshot(new)
    certificate_revoke(certificate=new, actor=coordinator, reason="学时有误")
    assert row_snapshot(new) == new_before
    assert row_snapshot(certificate) == before


# --- idempotency and resumable batches -----------------------------------------


def counts(batch: CertificateBatch) -> tuple:
    return (batch.status, batch.total, batch.issued, batch.skipped)


def test_bulk_issue_twice_issues_each_certificate_once(done_class, coordinator):
    first = certificate_batch_create(
        actor=coordinator, training_class=done_class, enqueue=False
    )
    first = certificate_batch_run(batch_id=first.pk)
    assert counts(first) == ("done", 2, 2, 0)
    second = certificate_batch_create(
        actor=coordinator, training_class=done_class, enqueue=False
    )
    second = certificate_batch_run(batch_id=second.pk)
    assert counts(second) == ("done", 2, 0, 2)
    assert Certificate.objects.count() == 2
    assert Certificate.objects.filter(batch=first).count() == 2


def test_interrupted_batch_resumes_without_duplicates(
    tree, coordinator, people, django_capture_on_commit_callbacks
):
    extra = PersonFactory(unit=tree.a1, user__full_name="赵四")
    passed = [people["A1"], people["A2"], people["CITY-A"], extra]
    training_class = make_class(tree.city_a, actor=coordinator, sessions=1)
    TrainingClass.objects.filter(pk=training_class.pk).update(issues_certificate=False)
    training_class = complete_class(training_class, actor=coordinator, passed=passed)
    # One of them already has the certificate (issued by hand before the batch).
    certificate_issue(
        person=people["A1"], training_class=training_class, actor=coordinator
    )
    batch = certificate_batch_create(
        actor=coordinator, training_class=training_class, enqueue=False
    )
    assert batch.total == 4
    # The worker issued one certificate of the batch, then died.
    certificate_issue(person=people["A2"], training_class=training_class, batch=batch)
    stale = timezone.now() - dt.timedelta(minutes=10)
    CertificateBatch.objects.filter(pk=batch.pk).update(
        status=CertificateBatch.Status.RUNNING,
        started_at=stale,
        heartbeat_at=stale,
        processed=2,
    )
    batch.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        certificate_batch_resume(batch=batch, actor=coordinator)
    batch.refresh_from_db()
    assert batch.status == CertificateBatch.Status.DONE
    assert (batch.total, batch.processed, batch.issued, batch.skipped) == (4, 4, 3, 1)
    assert batch.errors == []
    assert Certificate.objects.filter(training_class=training_class).count() == 4
    assert Certificate.objects.filter(batch=batch).count() == 3
    assert sorted(Certificate.objects.values_list("person_id", flat=True)) == sorted(
        p.pk for p in passed
    )


def test_a_live_batch_cannot_be_resumed(done_class, coordinator):
    batch = certificate_batch_create(
        actor=coordinator, training_class=done_class, enqueue=False
    )
    CertificateBatch.objects.filter(pk=batch.pk).update(
        status=CertificateBatch.Status.RUNNING, heartbeat_at=timezone.now()
    )
    batch.refresh_from_db()
    with pytest.raises(ValidationError):
        certificate_batch_resume(batch=batch, actor=coordinator)


def test_stalled_batches_are_queued_again_by_the_sweep(
    done_class, coordinator, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    stalled = certificate_batch_create(
        actor=coordinator, training_class=done_class, enqueue=False
    )
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    CertificateBatch.objects.filter(pk=stalled.pk).update(
        status=CertificateBatch.Status.RUNNING, heartbeat_at=long_ago
    )
    live = certificate_batch_create(
        actor=coordinator, training_class=done_class, enqueue=False
    )
    CertificateBatch.objects.filter(pk=live.pk).update(
        status=CertificateBatch.Status.RUNNING, heartbeat_at=timezone.now()
    )
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("resume_certificate_batches", stdout=out)
    assert f"({stalled.pk})" in out.getvalue()
    stalled.refresh_from_db()
    live.refresh_from_db()
    assert stalled.status == CertificateBatch.Status.DONE  # immediate task backend
    assert live.status == CertificateBatch.Status.RUNNING  # its worker is alive
    assert Certificate.objects.count() == 2
    out = io.StringIO()
    call_command("resume_certificate_batches", stdout=out)
    assert "No stalled" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_concurrent_issue_of_one_subject_makes_one_row(
    tree, coordinator, people, monkeypatch, settings
):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (SQLite serialises writers)")
    default_certificate_template_ensure()
    annual = make_programme(tree.prov, hours_required=Decimal("90")).programme
    person = people["A1"]
    credit(person, "95")
    start = cycle_start_of(person, annual)
    # Both callers render before either inserts: the unique constraint decides.
    barrier = threading.Barrier(2, timeout=30)
    render = certificate_issue_module.certificate_pdf

    def render_then_wait(**kwargs):
        data = render(**kwargs)
        barrier.wait()
        return data

    monkeypatch.setattr(certificate_issue_module, "certificate_pdf", render_then_wait)
    outcomes: list = []

    def issue():
        try:
            outcomes.append(
                certificate_issue(
                    person=person, programme=annual, cycle_start=start, actor=None
                )
            )
        except Exception as error:  # reported by the assert below
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert sorted(created for _c, created in outcomes) == [False, True]
    assert {c.pk for c, _created in outcomes} == {Certificate.objects.get().pk}
    stored = list(Path(settings.MEDIA_ROOT).rglob("*.pdf"))
    assert [p.name for p in stored] == [f"{Certificate.objects.get().code}.pdf"]


# --- automatic issue -------------------------------------------------------------


def test_completing_a_class_issues_certificates_after_commit(
    tree, coordinator, people, django_capture_on_commit_callbacks
):
    training_class = make_class(tree.city_a, actor=coordinator, sessions=1)
    with django_capture_on_commit_callbacks(execute=True):
        complete_class(
            training_class,
            actor=coordinator,
            passed=[people["A1"], people["A2"]],
            failed=[people["CITY-A"]],
        )
        assert not Certificate.objects.exists()  # not before the commit
    issued = Certificate.objects.filter(training_class=training_class)
    assert sorted(issued.values_list("person_id", flat=True)) == sorted(
        [people["A1"].pk, people["A2"].pk]
    )
    batch = CertificateBatch.objects.get(training_class=training_class)
    assert (batch.status, batch.issued, batch.requested_by) == ("done", 2, None)
    assert all(c.issued_by is None for c in issued)


def test_class_without_certificates_issues_none(
    tree, coordinator, people, django_capture_on_commit_callbacks
):
    training_class = make_class(tree.city_a, actor=coordinator, sessions=1)
    TrainingClass.objects.filter(pk=training_class.pk).update(issues_certificate=False)
    training_class.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        complete_class(training_class, actor=coordinator, passed=[people["A1"]])
    assert not Certificate.objects.exists()
    assert not CertificateBatch.objects.exists()


def test_becoming_compliant_issues_the_programme_certificate(
    annual, people, django_capture_on_commit_callbacks
):
    programme_update(programme=annual, actor=None, issues_certificate=True)
    person = people["A1"]
    with django_capture_on_commit_callbacks(execute=True):
        credit(person, "50")
    assert not Certificate.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        credit(person, "45", on=dt.date(2026, 4, 1))
    certificate = Certificate.objects.get()
    assert (certificate.person, certificate.programme) == (person, annual)
    assert certificate.cycle_start == cycle_start_of(person, annual)
    assert certificate.issued_by is None
    # More credit in the same cycle: still one certificate.
    with django_capture_on_commit_callbacks(execute=True):
        credit(person, "10", on=dt.date(2026, 5, 1))
    assert Certificate.objects.count() == 1


def test_no_programme_certificate_unless_the_programme_issues_them(
    annual, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        credit(people["A1"], "95")
    assert not Certificate.objects.exists()


def test_bulk_recompute_issues_missing_certificates_in_a_batch(
    annual, people, django_capture_on_commit_callbacks
):
    from training.compliance.recompute import compliance_recompute_task

    # Compliant before the programme issued certificates: nobody has one yet.
    credit(people["A1"], "95")
    credit(people["B1"], "91")
    credit(people["A2"], "10")
    programme_update(programme=annual, actor=None, issues_certificate=True)
    assert not Certificate.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        compliance_recompute_task.enqueue()
    batch = CertificateBatch.objects.get(programme=annual)
    assert (batch.status, batch.total, batch.issued) == ("done", 2, 2)
    assert batch.requested_by is None
    assert sorted(
        Certificate.objects.filter(batch=batch).values_list("person_id", flat=True)
    ) == sorted([people["A1"].pk, people["B1"].pk])
    # Nothing is missing any more: a second recompute queues no batch.
    with django_capture_on_commit_callbacks(execute=True):
        compliance_recompute_task.enqueue()
    assert CertificateBatch.objects.count() == 1
    assert Certificate.objects.count() == 2


# --- revocation offers after a reversal ----------------------------------------


def test_reversed_class_credit_offers_revocation(done_class, coordinator, people):
    certificate, _ = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    entry = people["A1"].ledger_entries.get(source="class")
    reversal = ledger_entry_reverse(entry=entry, actor=coordinator, reason="未参训")
    review = CertificateReview.objects.get(certificate=certificate)
    assert review.reversal == reversal
    assert certificate_status(certificate) == "valid"  # offered, not done
    certificate_review_decide(review=review, actor=coordinator, revoke=True)
    certificate = Certificate.objects.get(pk=certificate.pk)
    assert certificate_status(certificate) == "revoked"
    assert certificate.revocation.reversal == reversal
    review.refresh_from_db()
    assert (review.outcome, review.decided_by) == ("revoked", coordinator)


def test_keeping_a_certificate_needs_a_note(done_class, coordinator, people):
    certificate, _ = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    entry = people["A1"].ledger_entries.get(source="class")
    ledger_entry_reverse(entry=entry, actor=coordinator, reason="重复登记")
    review = CertificateReview.objects.get(certificate=certificate)
    with pytest.raises(ValidationError) as raised:
        certificate_review_decide(
            review=review, actor=coordinator, revoke=False, note="  "
        )
    assert "note" in raised.value.message_dict
    review = certificate_review_decide(
        review=review, actor=coordinator, revoke=False, note="已补录学时，证书有效"
    )
    assert (review.outcome, review.note) == ("kept", "已补录学时，证书有效")
    certificate = Certificate.objects.get(pk=certificate.pk)
    assert certificate_status(certificate) == "valid"
    with pytest.raises(ValidationError):
        certificate_review_decide(review=review, actor=coordinator, revoke=True)


def test_reversal_that_leaves_the_person_compliant_makes_no_offer(
    annual, coordinator, people
):
    person = people["A1"]
    credit(person, "95")
    extra = credit(person, "10", on=dt.date(2026, 4, 1))
    certificate, _ = certificate_issue(
        person=person,
        programme=annual,
        cycle_start=cycle_start_of(person, annual),
        actor=coordinator,
    )
    ledger_entry_reverse(entry=extra, actor=coordinator, reason="重复登记")
    assert not CertificateReview.objects.filter(certificate=certificate).exists()


def test_reversal_that_makes_the_person_non_compliant_offers_revocation(
    annual, coordinator, people
):
    person = people["A1"]
    entry = credit(person, "95")
    certificate, _ = certificate_issue(
        person=person,
        programme=annual,
        cycle_start=cycle_start_of(person, annual),
        actor=coordinator,
    )
    reversal = ledger_entry_reverse(entry=entry, actor=coordinator, reason="重复登记")
    review = CertificateReview.objects.get(certificate=certificate)
    assert review.reversal == reversal
    assert review.decided_at is None


# --- re-issue and revoke ---------------------------------------------------------


def test_reissue_makes_a_new_generation(done_class, coordinator, people):
    old, _ = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    new = certificate_reissue(certificate=old, actor=coordinator, reason="姓名有误")
    old = Certificate.objects.get(pk=old.pk)
    assert new.code != old.code
    assert (new.subject_key, new.generation) == (old.subject_key, old.generation + 1)
    assert new.replaces == old
    assert certificate_status(old) == "superseded"
    assert certificate_status(new) == "valid"
    with pytest.raises(ValidationError):
        certificate_reissue(certificate=old, actor=coordinator, reason="再次补发")
    assert Certificate.objects.count() == 2


def test_revoke_twice_is_refused(done_class, coordinator, people):
    certificate, _ = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    certificate_revoke(certificate=certificate, actor=coordinator, reason="弄虚作假")
    with pytest.raises(ValidationError):
        certificate_revoke(certificate=certificate, actor=coordinator, reason="再次")


def test_revoke_and_reissue_need_a_reason(done_class, coordinator, people):
    certificate, _ = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    with pytest.raises(ValidationError) as raised:
        certificate_revoke(certificate=certificate, actor=coordinator, reason=" ")
    assert "reason" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        certificate_reissue(certificate=certificate, actor=coordinator, reason="")
    assert "reason" in raised.value.message_dict
    certificate = Certificate.objects.get(pk=certificate.pk)
    assert certificate_status(certificate) == "valid"
    assert Certificate.objects.count() == 1


def test_other_units_coordinator_cannot_revoke(
    done_class, coordinator, coordinator_b, people
):
    certificate, _ = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    with pytest.raises(PermissionDenied):
        certificate_revoke(certificate=certificate, actor=coordinator_b, reason="越权")
    with pytest.raises(PermissionDenied):
        certificate_reissue(certificate=certificate, actor=coordinator_b, reason="越权")
    assert certificate_status(Certificate.objects.get(pk=certificate.pk)) == "valid"


# --- masking and certificate numbers -------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三明", "张*明"),
        ("张三", "张*"),
        ("欧阳小明", "欧**明"),
        ("张", "*"),
        ("", "*"),
        ("  张三明 ", "张*明"),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    "typed",
    [
        "7K3M-9QXD-4ZRT-B2WN",
        "7k3m 9qxd 4zrt b2wn",
        "7K3M9QXD4ZRTB2WN",
        " 7k3m-9qxd-4zrt-b2wn\n",
    ],
)
def test_normalise_accepts_dashes_spaces_and_case(typed):
    assert certificate_code_normalise(typed) == "7K3M9QXD4ZRTB2WN"


def test_normalise_reads_o_as_zero_and_i_l_as_one():
    assert certificate_code_normalise("OOOO-IIII-LLLL-oil0") == "0000111111110110"


@pytest.mark.parametrize(
    "typed",
    ["", "7K3M-9QXD-4ZRT-B2W", "7K3M-9QXD-4ZRT-B2WNN", "7K3M-9QXD-4ZRT-B2WU", None],
)
def test_normalise_rejects_wrong_length_or_alphabet(typed):
    assert certificate_code_normalise(typed) is None


codes = st.text(alphabet=CODE_ALPHABET, min_size=16, max_size=16)
_ALIASED = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _outside_alphabet(char: str) -> bool:
    if char.isspace() or char == "-":
        return False  # separators are dropped, not rejected
    return any(c not in CODE_ALPHABET for c in char.upper().translate(_ALIASED))


@given(code=codes)
def test_any_code_round_trips(code):
    assert certificate_code_normalise(code) == code
    grouped = "-".join(code[i : i + 4] for i in range(0, 16, 4))
    assert certificate_code_normalise(grouped.lower()) == code


@given(
    code=codes,
    position=st.integers(min_value=0, max_value=15),
    bad=st.characters().filter(_outside_alphabet),
)
def test_a_character_outside_the_alphabet_is_rejected(code, position, bad):
    typed = code[:position] + bad + code[position + 1 :]
    assert certificate_code_normalise(typed) is None


@given(length=st.integers(min_value=0, max_value=40).filter(lambda n: n != 16))
def test_any_other_length_is_rejected(length):
    assert certificate_code_normalise("A" * length) is None


# --- rare characters ------------------------------------------------------------


@pytest.mark.parametrize("name", ["李喆堃", "王𠮷䶮"])
def test_rare_characters_print(tree, coordinator, name):
    person = PersonFactory(unit=tree.a1, user__full_name=name)
    training_class = make_class(tree.city_a, actor=coordinator, sessions=1)
    TrainingClass.objects.filter(pk=training_class.pk).update(issues_certificate=False)
    training_class = complete_class(training_class, actor=coordinator, passed=[person])
    certificate, _ = certificate_issue(
        person=person, training_class=training_class, actor=coordinator
    )
    assert certificate.fields["name"] == name
    text = squeeze(pdf_text(certificate.pdf.path))
    assert name in text
    assert tree.a1.name in text


def test_gb2312_name_uses_one_embedded_font(done_class, coordinator, people):
    if not fonts.installed():
        pytest.skip(f"the certificate font {fonts.FAMILY} is not installed")
    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts (poppler-utils) is not installed")
    people["A1"].user.full_name = "王建国"
    people["A1"].user.save(update_fields=["full_name"])
    certificate, _ = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    listing = subprocess.run(  # noqa: S603
        ["pdffonts", certificate.pdf.path],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[2:]  # after the two header lines
    assert len(listing) == 1, listing
    assert "JCPX" in listing[0]
    assert "王建国" in squeeze(pdf_text(certificate.pdf.path))


# --- the template ----------------------------------------------------------------


def make_template(**fields) -> CertificateTemplate:
    values = {
        "name": "测试模板",
        "title": "培训合格证明",
        "issuing_body": "某省人民检察院",
        "body": "{name}同志参加{subject}，成绩{result}。",
        "signature_line": "某省人民检察院政治部",
        **fields,
    }
    return CertificateTemplate(**values)


def test_template_rejects_unknown_placeholders(db):
    template = make_template(body="{name}同志{grade}参加{subject}{score}。")
    with pytest.raises(ValidationError) as raised:
        template.full_clean()
    message = " ".join(raised.value.message_dict["body"])
    assert "{grade}" in message
    assert "{score}" in message
    make_template(
        body="{name}{unit}{subject}{start}{end}{hours}{days}{result}{issued}"
    ).full_clean()


def test_body_paragraphs_split_on_blank_lines(db):
    template = make_template(
        body="{name}同志\n参加{subject}，\n\n成绩{result}。\n  \n特发此证。"
    )
    fields = certificate_fields(
        template=template,
        values={"name": "张三", "subject": "政治轮训", "result": "合格"},
        code="0" * 16,
        issued_on=dt.date(2026, 6, 1),
    )
    # A single line break is only a wrap in the editor, not a new paragraph.
    assert fields["body"] == ["张三同志参加政治轮训，", "成绩合格。", "特发此证。"]
    assert fields["issued"] == "2026年6月1日"
    assert fields["number"] == "0000-0000-0000-0000"


def test_portrait_template_renders(db):
    template = make_template(orientation=CertificateTemplate.Orientation.PORTRAIT)
    template.save()
    response = certificate_template_preview(template=template, mode="pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    if shutil.which("pdfinfo"):
        info = subprocess.run(
            ["pdfinfo", "-"],  # noqa: S607
            input=response.content,
            capture_output=True,
            check=True,
        ).stdout.decode()
        size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info)
        width, height = float(size.group(1)), float(size.group(2))
        assert width < height  # A4 portrait
        assert re.search(r"Pages:\s+1\b", info)
    html = certificate_template_preview(template=template, mode="").content.decode()
    assert "A4 portrait" in html
    assert "张喆堃" in html
