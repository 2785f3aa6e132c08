"""``manage.py recompute_compliance`` recomputes and reports progress."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from tests.factories.training import credit, make_programme
from training.compliance.models import ComplianceStatus


def test_recompute_command(tree, people):
    version = make_programme(tree.city_a, hours_required=Decimal("10"))
    ComplianceStatus.objects.all().delete()
    credit(people["A1"], "10", on=dt.date(2026, 3, 1))
    ComplianceStatus.objects.all().delete()
    out = io.StringIO()
    call_command(
        "recompute_compliance",
        "--programme",
        str(version.programme_id),
        "--today",
        "2026-06-01",
        stdout=out,
    )
    rows = dict(
        ComplianceStatus.objects.filter(programme=version.programme).values_list(
            "person__employee_no", "status"
        )
    )
    assert rows == {
        "P-CITY-A": "in_progress",
        "P-A1": "compliant",
        "P-A2": "in_progress",
    }
    assert "3/3" in out.getvalue()
    assert "3 compliance rows written" in out.getvalue()


def test_unknown_programme(db):
    with pytest.raises(CommandError):
        call_command("recompute_compliance", "--programme", "999", stdout=io.StringIO())
