"""The consistency check (``training.consistency.checks``, ``manage.py
consistency_check``): silent on data written by the services, and each kind of
corruption — a status row edited, a roll-up edited, a certificate file deleted or
its hash changed, a reversal that no longer cancels, negative credit — is reported
with the row's id; the command exits 1 and speaks JSON. Its query count does not
grow with the number of people."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PersonFactory
from tests.factories.training import complete_class, credit, make_class, make_programme
from training.certificates.models import Certificate
from training.certificates.services import certificate_issue
from training.compliance.models import ComplianceStatus
from training.compliance.rollup_models import UnitRollup
from training.consistency.checks import consistency_check
from training.ledger.models import LedgerEntry
from training.ledger.services import ledger_entry_reverse


def kinds(report) -> set[tuple[str, str, str]]:
    return {(p.check, p.kind, p.id) for p in report.mismatches}


@pytest.fixture
def world(tree, people, coordinator):
    """A yearly programme with credit (one person compliant, one reversed), and a
    completed class whose two members hold certificates."""
    programme = make_programme(tree.prov, hours_required=Decimal("90")).programme
    credit(people["A1"], "95")
    credit(people["A2"], "30", on=dt.date(2026, 4, 1))
    wrong = credit(people["B1"], "12")
    ledger_entry_reverse(entry=wrong, actor=None, reason="录入错误")
    training_class = complete_class(
        make_class(tree.city_a, actor=coordinator, sessions=1),
        actor=coordinator,
        passed=[people["A1"], people["A2"]],
    )
    certificates = [
        certificate_issue(person=people[code], training_class=training_class)[0]
        for code in ("A1", "A2")
    ]
    return programme, certificates


def test_services_data_is_consistent(world):
    report = consistency_check()
    assert report.ok, report.mismatches
    assert report.checked["statuses"] == ComplianceStatus.objects.count() > 0
    assert report.checked["rollups"] == UnitRollup.objects.count() > 0
    assert report.checked["certificates"] == 2
    assert report.totals["ledger_reversals"] == "1"
    assert report.warnings == []


def test_edited_status_row_is_reported(world, people):
    row = ComplianceStatus.objects.get(person=people["A2"])
    ComplianceStatus.objects.filter(pk=row.pk).update(hours=Decimal("95"))
    report = consistency_check(checks=["statuses", "rollups"])
    assert ("statuses", "amounts", str(row.pk)) in kinds(report)
    # The roll-up still counts what the row said before: it no longer matches.
    assert report.mismatch_counts["rollups"] >= 1


def test_status_claiming_compliance_without_credit_is_reported(world, people):
    row = ComplianceStatus.objects.get(person=people["A2"])
    ComplianceStatus.objects.filter(pk=row.pk).update(
        status=ComplianceStatus.Status.COMPLIANT
    )
    report = consistency_check(checks=["statuses"])
    assert kinds(report) == {("statuses", "status", str(row.pk))}


def test_edited_rollup_is_reported(world):
    rollup = UnitRollup.objects.filter(compliant__gt=0).first()
    UnitRollup.objects.filter(pk=rollup.pk).update(compliant=rollup.compliant + 1)
    report = consistency_check(checks=["rollups"])
    assert kinds(report) == {("rollups", "counts", str(rollup.pk))}


def test_missing_file_and_changed_hash_are_reported(world):
    first, second = world[1]
    os.remove(first.pdf.path)
    Certificate.objects.filter(pk=second.pk).update(sha256="0" * 64)
    report = consistency_check(checks=["certificates"])
    assert kinds(report) == {
        ("certificates", "file_missing", str(first.pk)),
        ("certificates", "hash_differs", str(second.pk)),
    }


def test_orphan_file_is_a_warning_only(world, settings):
    orphan = settings.MEDIA_ROOT / "certificates" / "2026" / "01" / "ORPHAN.pdf"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"%PDF-1.7")
    report = consistency_check(checks=["certificates"])
    assert report.ok
    assert [(w.kind, w.id) for w in report.warnings] == [
        ("orphan_file", "certificates/2026/01/ORPHAN.pdf")
    ]


def test_ledger_invariants(world, people):
    reversal = LedgerEntry.objects.get(source=LedgerEntry.Source.REVERSAL)
    LedgerEntry.objects.filter(pk=reversal.pk).update(hours=Decimal("-13"))
    negative = LedgerEntry.objects.create(
        person=people["CITY-B"],
        source=LedgerEntry.Source.COURSE,
        title="损坏的记录",
        hours=Decimal("-3"),
        occurred_on="2026-03-01",
    )
    report = consistency_check(checks=["ledger"])
    found = kinds(report)
    assert ("ledger", "reversal_does_not_cancel", str(reversal.pk)) in found
    assert ("ledger", "negative_credit", str(negative.pk)) in found
    assert ("ledger", "negative_total", str(people["CITY-B"].pk)) in found
    assert ("ledger", "negative_total", str(people["B1"].pk)) in found  # 12 - 13


def test_command_exit_code_and_json(world, capsys):
    call_command("consistency_check", "--json")
    assert json.loads(capsys.readouterr().out)["ok"] is True
    os.remove(world[1][0].pdf.path)
    with pytest.raises(SystemExit) as exit_:
        call_command("consistency_check", "--json", "--check", "certificates")
    assert exit_.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["mismatch_counts"] == {"certificates": 1}
    assert out["mismatches"][0]["kind"] == "file_missing"


def test_queries_do_not_grow_with_people(tree, people):
    make_programme(tree.prov, hours_required=Decimal("90"))
    for person in people.values():
        credit(person, "10")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert consistency_check(checks=["statuses", "ledger"]).ok
        return len(captured)

    few = queries()
    for _ in range(12):
        credit(PersonFactory(unit=tree.a1), "95")
    assert queries() == few
