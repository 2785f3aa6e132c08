"""Progress reports: live data, frozen submissions (JSON and PDF), return flow,
late detection, the parent's overview and cross-unit refusal."""

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.factories import Role, UserFactory, grant
from tests.factories.training import credit, make_programme
from training.compliance.recompute import compliance_recompute
from training.notifications.models import Notification
from training.reports.models import ProgressReport, ReportSubmission
from training.reports.progress_selectors import (
    child_report_overview,
    progress_report_data,
    report_period_bounds,
)
from training.reports.progress_services import (
    progress_report_get_or_create,
    progress_report_return,
    progress_report_submit,
)

Q3 = dt.date(2026, 7, 1)


@pytest.fixture
def annual(tree, people):
    version = make_programme(tree.prov, hours_required=Decimal("10"))
    compliance_recompute(today=dt.date(2026, 8, 1))
    return version


@pytest.fixture
def prov_coordinator(tree):
    user = UserFactory(username="coord-prov", full_name="省院管理员")
    grant(user, Role.COORDINATOR, tree.prov)
    return user


@pytest.fixture
def report(tree, coordinator, annual):
    return progress_report_get_or_create(
        unit=tree.city_a, period="quarter", period_start=Q3, actor=coordinator
    )


def test_period_bounds():
    assert report_period_bounds("month", dt.date(2026, 2, 14)) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
    )
    assert report_period_bounds("quarter", dt.date(2026, 8, 20)) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
    )
    assert report_period_bounds("year", dt.date(2026, 8, 20)) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
    )
    with pytest.raises(ValidationError):
        report_period_bounds("week", dt.date(2026, 8, 20))


def test_get_or_create_normalises_and_sets_due(report, tree, coordinator, settings):
    assert (report.period_start, report.period_end) == (Q3, dt.date(2026, 9, 30))
    assert report.due_on == dt.date(2026, 10, 10)
    again = progress_report_get_or_create(
        unit=tree.city_a,
        period="quarter",
        period_start=dt.date(2026, 8, 15),
        actor=coordinator,
    )
    assert again.pk == report.pk


def test_get_or_create_needs_manage_scope(tree, coordinator_b, leader):
    for actor in (coordinator_b, leader):
        with pytest.raises(PermissionDenied):
            progress_report_get_or_create(
                unit=tree.city_a, period="quarter", period_start=Q3, actor=actor
            )


def test_data_counts_subtree(tree, people, annual, django_assert_max_num_queries):
    credit(people["A1"], "12", on=dt.date(2026, 7, 5))
    with django_assert_max_num_queries(8):
        data = progress_report_data(
            unit=tree.city_a, period_start=Q3, period_end=dt.date(2026, 9, 30)
        )
    [row] = data["programmes"]
    assert row["total"] == 3  # CITY-A, A1, A2
    assert row["compliant"] == 1
    assert row["rate"] == "33.3"
    by_code = {c["code"]: c["programmes"][0] for c in data["children"]}
    assert by_code["A1"]["rate"] == "100.0"
    assert by_code["A2"]["rate"] == "0.0"
    assert data["external_records"] == {"count": 0, "hours": "0.00", "days": "0.0"}
    import json

    json.dumps(data)  # JSON-ready as it is


def test_submission_is_frozen(report, coordinator, people):
    submission = progress_report_submit(
        report=report, actor=coordinator, problems="进度偏慢", comments="无"
    )
    report.refresh_from_db()
    assert report.status == "submitted"
    assert submission.number == 1
    pdf = submission.pdf.read()
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() == submission.sha256
    frozen = submission.data
    assert frozen["programmes"][0]["compliant"] == 0

    credit(people["A1"], "20", on=dt.date(2026, 7, 5))
    live = progress_report_data(
        unit=report.unit, period_start=report.period_start, period_end=report.period_end
    )
    assert live["programmes"][0]["compliant"] == 1
    stored = ReportSubmission.objects.get(pk=submission.pk)
    assert stored.data == frozen
    with stored.pdf.open("rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == submission.sha256


def test_submit_twice_refused(report, coordinator):
    progress_report_submit(report=report, actor=coordinator, problems="", comments="")
    with pytest.raises(ValidationError):
        progress_report_submit(
            report=report, actor=coordinator, problems="", comments=""
        )
    assert ReportSubmission.objects.count() == 1


def test_submit_notifies_parent_coordinators(
    report, coordinator, prov_coordinator, coordinator_b
):
    progress_report_submit(report=report, actor=coordinator, problems="", comments="")
    notes = Notification.objects.filter(kind="report")
    assert list(notes.values_list("user", flat=True)) == [prov_coordinator.pk]


def test_return_flow(report, coordinator, prov_coordinator):
    first = progress_report_submit(
        report=report, actor=coordinator, problems="", comments=""
    )
    with pytest.raises(PermissionDenied):  # not the unit's own coordinator
        progress_report_return(submission=first, actor=coordinator, comment="x")
    with pytest.raises(ValidationError):
        progress_report_return(submission=first, actor=prov_coordinator, comment=" ")
    progress_report_return(
        submission=first, actor=prov_coordinator, comment="请补充问题"
    )
    report.refresh_from_db()
    assert report.status == "returned"
    assert Notification.objects.filter(
        kind="report", user=coordinator, body="请补充问题"
    ).exists()
    second = progress_report_submit(
        report=report, actor=coordinator, problems="已补充", comments=""
    )
    assert second.number == 2
    first.refresh_from_db()
    assert first.return_comment == "请补充问题"
    with pytest.raises(ValidationError):  # only the latest, only when submitted
        progress_report_return(
            submission=first, actor=prov_coordinator, comment="again"
        )


def _overview(user, tree, today):
    rows = child_report_overview(
        user=user, unit=tree.prov, period="quarter", period_start=Q3, today=today
    )
    return {row["unit"].code: row for row in rows}


def test_late_detection(tree, coordinator, coordinator_b, prov_coordinator, annual):
    on_time = progress_report_get_or_create(
        unit=tree.city_a, period="quarter", period_start=Q3, actor=coordinator
    )
    sub = progress_report_submit(
        report=on_time, actor=coordinator, problems="", comments=""
    )
    ReportSubmission.objects.filter(pk=sub.pk).update(
        submitted_at=dt.datetime(2026, 10, 8, 9, tzinfo=dt.UTC)
    )
    before_due = _overview(prov_coordinator, tree, dt.date(2026, 10, 9))
    assert before_due["CITY-A"]["state"] == "submitted"
    assert before_due["CITY-B"]["state"] == "pending"
    after_due = _overview(prov_coordinator, tree, dt.date(2026, 10, 11))
    assert after_due["CITY-B"]["state"] == "overdue"
    assert after_due["CITY-A"]["can_return"]

    late = progress_report_get_or_create(
        unit=tree.city_b, period="quarter", period_start=Q3, actor=coordinator_b
    )
    sub = progress_report_submit(
        report=late, actor=coordinator_b, problems="", comments=""
    )
    ReportSubmission.objects.filter(pk=sub.pk).update(
        submitted_at=dt.datetime(2026, 10, 20, 9, tzinfo=dt.UTC)
    )
    rows = _overview(prov_coordinator, tree, dt.date(2026, 10, 21))
    assert rows["CITY-B"]["state"] == "late"
    assert rows["CITY-B"]["is_late"]

    progress_report_return(
        submission=ReportSubmission.objects.get(pk=sub.pk),
        actor=prov_coordinator,
        comment="数据有误",
    )
    assert (
        _overview(prov_coordinator, tree, dt.date(2026, 10, 21))["CITY-B"]["state"]
        == "returned"
    )


def test_overview_needs_scope(tree, coordinator_b):
    with pytest.raises(PermissionDenied):
        child_report_overview(
            user=coordinator_b, unit=tree.city_a, period="quarter", period_start=Q3
        )


# --- pages ---------------------------------------------------------------------------


def test_pages_happy_path(client, tree, coordinator, annual):
    client.force_login(coordinator)
    response = client.post(
        reverse("training:progress_report_new"),
        {"unit": tree.city_a.pk, "period": "quarter", "day": "2026-08-01"},
    )
    report = ProgressReport.objects.get(unit=tree.city_a)
    assert response.url == reverse("training:progress_report_detail", args=[report.pk])
    page = client.get(response.url)
    assert b'id="submit-report"' in page.content
    assert b'id="live-preview"' in page.content
    client.post(
        response.url, {"action": "submit", "problems": "问题", "comments": "意见"}
    )
    report.refresh_from_db()
    assert report.status == "submitted"
    sub = report.submissions.get()
    page = client.get(response.url)
    assert b'id="submit-report"' not in page.content
    pdf = client.get(reverse("training:progress_report_submission_pdf", args=[sub.pk]))
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    listing = client.get(reverse("training:progress_report_list"))
    assert report in listing.context["page"].object_list


def test_new_report_rejects_unit_outside_scope(client, tree, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("training:progress_report_new"),
        {"unit": tree.city_b.pk, "period": "quarter", "day": "2026-08-01"},
    )
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert not ProgressReport.objects.exists()


def test_cross_unit_refused(client, report, coordinator, coordinator_b):
    sub = progress_report_submit(
        report=report, actor=coordinator, problems="", comments=""
    )
    client.force_login(coordinator_b)
    detail = reverse("training:progress_report_detail", args=[report.pk])
    assert client.get(detail).status_code == 404
    assert client.post(detail, {"action": "submit"}).status_code == 404
    pdf = reverse("training:progress_report_submission_pdf", args=[sub.pk])
    assert client.get(pdf).status_code == 404
    back = reverse("training:progress_report_return", args=[sub.pk])
    assert client.post(back, {"comment": "x"}).status_code == 404
    listing = client.get(reverse("training:progress_report_list"))
    assert report not in listing.context["page"].object_list
    report.refresh_from_db()
    assert report.status == "submitted"
    with pytest.raises(PermissionDenied):
        progress_report_submit(
            report=report, actor=coordinator_b, problems="", comments=""
        )


def test_learner_refused(client, report, learner):
    client.force_login(learner)
    assert client.get(reverse("training:progress_report_list")).status_code == 403
    detail = reverse("training:progress_report_detail", args=[report.pk])
    assert client.get(detail).status_code == 404


def test_children_page_and_return(
    client, tree, coordinator, prov_coordinator, report, django_assert_max_num_queries
):
    sub = progress_report_submit(
        report=report, actor=coordinator, problems="", comments=""
    )
    client.force_login(prov_coordinator)
    url = (
        reverse("training:progress_report_children")
        + f"?unit={tree.prov.pk}&period=quarter&start=2026-07-01"
    )
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.status_code == 200
    assert b'id="child-CITY-A"' in response.content
    assert b"return-form" in response.content
    response = client.post(
        reverse("training:progress_report_return", args=[sub.pk]), {"comment": ""}
    )
    report.refresh_from_db()
    assert report.status == "submitted"
    client.post(
        reverse("training:progress_report_return", args=[sub.pk]),
        {"comment": "请修改"},
    )
    report.refresh_from_db()
    assert report.status == "returned"


def test_children_query_count_is_flat(
    client, tree, prov_coordinator, coordinator, django_assert_max_num_queries
):
    from tests.factories import OrgUnitFactory

    for i in range(6):
        OrgUnitFactory(code=f"CITY-X{i}", level="municipal", parent=tree.prov)
    client.force_login(prov_coordinator)
    url = (
        reverse("training:progress_report_children")
        + f"?unit={tree.prov.pk}&period=quarter&start=2026-07-01"
    )
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert len(response.context["rows"]) == 8


def test_demo_seed_is_idempotent(db):
    from tests.factories import OrgUnitFactory
    from training.demo.reports import seed_reports

    zj = OrgUnitFactory(code="ZJ", level="provincial")
    js = OrgUnitFactory(code="JS", level="provincial")
    for code, parent in (
        ("ZJ-HZ", zj),
        ("ZJ-NB", zj),
        ("JS-NJ", js),
        ("JS-SZ", js),
    ):
        OrgUnitFactory(code=code, level="municipal", parent=parent)
    UserFactory(username="admin", is_superuser=True, is_staff=True)
    coordinator = UserFactory(username="coordinator")
    grant(
        coordinator,
        Role.COORDINATOR,
        OrgUnitFactory._meta.model.objects.get(code="ZJ-HZ"),
    )
    assert seed_reports() == {
        "ZJ-HZ": "submitted",
        "ZJ-NB": "returned",
        "JS-NJ": "submitted",
    }
    assert seed_reports() == {"ZJ-HZ": "kept", "ZJ-NB": "kept", "JS-NJ": "kept"}
    assert ReportSubmission.objects.count() == 3
    admin = UserFactory._meta.model.objects.get(username="admin")
    zj.refresh_from_db()
    js.refresh_from_db()
    states = {
        row["unit"].code: row["state"]
        for unit in (zj, js)
        for row in child_report_overview(
            user=admin,
            unit=unit,
            period="quarter",
            period_start=Q3,
            today=dt.date(2026, 11, 1),
        )
    }
    assert states == {
        "ZJ-HZ": "submitted",
        "ZJ-NB": "returned",
        "JS-NJ": "late",
        "JS-SZ": "overdue",
    }


def test_list_query_count(
    client, tree, coordinator, annual, django_assert_max_num_queries
):
    for day in (dt.date(2026, 1, 1), dt.date(2026, 4, 1), Q3):
        for unit in (tree.city_a, tree.a1, tree.a2):
            progress_report_get_or_create(
                unit=unit, period="quarter", period_start=day, actor=coordinator
            )
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("training:progress_report_list"))
    assert len(response.context["page"].object_list) == 9
