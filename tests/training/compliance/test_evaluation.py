"""Annual evaluation (考评): scope, met / not met, export, query counts."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cms.models import AuditEvent
from tests.factories import PersonFactory
from tests.factories.training import credit, make_programme
from training.compliance.recompute import compliance_recompute
from training.compliance.selectors import annual_evaluation, evaluation_rows
from training.ledger.models import LedgerEntry

YEAR = timezone.localdate().year
ON = dt.date(YEAR, 1, 10)
PAGE = reverse("training:evaluation")
EXPORT = reverse("training:evaluation_export")


@pytest.fixture
def programmes(tree):
    return (
        make_programme(tree.prov, name="年度岗位培训", hours_required=Decimal("10")),
        make_programme(tree.prov, name="网络学时", online_hours_required=Decimal("5")),
    )


@pytest.fixture
def graded(people, programmes):
    """A1 meets both rules; A2 meets only the first."""
    credit(people["A1"], "10", on=ON, source=LedgerEntry.Source.COURSE)
    credit(people["A2"], "10", on=ON)
    compliance_recompute()
    return programmes


def test_selector_marks_unmet_and_scopes(coordinator, people, graded):
    people_qs = annual_evaluation(user=coordinator, year=YEAR)
    by_no = {p.employee_no: p for p in people_qs}
    assert sorted(by_no) == ["P-A1", "P-A2", "P-CITY-A"]
    assert by_no["P-A1"].rules_unmet == 0
    assert by_no["P-A2"].rules_applied == 2
    assert by_no["P-A2"].rules_unmet == 1
    rows = {
        r.person.employee_no: r for r in evaluation_rows(people=people_qs, year=YEAR)
    }
    assert rows["P-A1"].met_all
    assert not rows["P-A2"].met_all
    assert [s.programme.name for s in rows["P-A2"].unmet] == ["网络学时"]


def test_met_filter_and_unit_filter(coordinator, people, graded, tree):
    unmet = annual_evaluation(user=coordinator, year=YEAR, met=False)
    assert sorted(p.employee_no for p in unmet) == ["P-A2", "P-CITY-A"]
    met = annual_evaluation(user=coordinator, year=YEAR, met=True)
    assert [p.employee_no for p in met] == ["P-A1"]
    a2 = annual_evaluation(user=coordinator, year=YEAR, unit=tree.a2)
    assert [p.employee_no for p in a2] == ["P-A2"]
    assert not annual_evaluation(user=coordinator, year=YEAR - 5, met=False)


@pytest.mark.parametrize("role_user", ["coordinator", "leader"])
def test_page_lists_only_scope(client, people, graded, role_user, request):
    client.force_login(request.getfixturevalue(role_user))
    response = client.get(PAGE, {"year": YEAR})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="evaluation-person-{people["A2"].pk}" class="evaluation-unmet"' in html
    assert f'id="evaluation-person-{people["A1"].pk}" class="evaluation-met"' in html
    assert "P-B1" not in html
    assert "P-CITY-B" not in html


def test_learner_and_other_unit_filter_refused(
    client, learner, coordinator_b, people, graded, tree
):
    client.force_login(learner)
    assert client.get(PAGE).status_code == 403
    assert client.get(EXPORT).status_code == 403
    client.force_login(coordinator_b)
    response = client.get(PAGE, {"year": YEAR, "unit": tree.a1.pk})
    assert response.status_code == 200
    assert response.context["rows"] is None  # unit outside scope: form error
    assert "P-A1" not in response.content.decode()


def test_bad_year_redisplays_form(client, coordinator, people):
    client.force_login(coordinator)
    response = client.get(PAGE, {"year": "abc"})
    assert response.status_code == 200
    assert response.context["form"].errors["year"]


def test_export(client, coordinator, people, graded):
    client.force_login(coordinator)
    response = client.get(EXPORT, {"year": YEAR})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == (
        "工号",
        "姓名",
        "单位",
        "人员类别",
        "适用培训项目",
        "是否全部达标",
        "未达标项目",
    )
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b
    by_no = {row[0]: row for row in rows[1:]}
    assert sorted(by_no) == ["P-A1", "P-A2", "P-CITY-A"]
    assert by_no["P-A1"][5] == "是"
    assert by_no["P-A2"][5] == "否"
    assert by_no["P-A2"][6] == "网络学时"
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == coordinator
    assert event.detail["rows"] == 3


def test_page_queries_constant_in_people(
    client, coordinator, people, programmes, tree, django_assert_num_queries
):
    compliance_recompute()
    client.force_login(coordinator)
    client.get(PAGE, {"year": YEAR})  # warm up session, grants

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = client.get(PAGE, {"year": YEAR})
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.context["rows"])

    few, n_few = count()
    for i in range(20):
        PersonFactory(unit=tree.a2, employee_no=f"X-{i:03d}")
    compliance_recompute()
    many, n_many = count()
    assert n_many == n_few + 20
    assert many == few
    assert many <= 12
