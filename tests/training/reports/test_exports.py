"""Dashboard exports: the small tables as XLSX, the PDF report, and background
exports (people, all subordinate units) with scope checked on request and on run,
progress, download by the requester only, audit events and flat query counts."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cms.models import AuditEvent
from tests.factories import PersonFactory, Role, UserFactory, grant
from tests.factories.training import credit, make_programme
from training.compliance.models import ComplianceStatus
from training.compliance.recompute import compliance_recompute
from training.org.models import RoleGrant
from training.reports import export_requests, export_run
from training.reports.dashboard import dashboard_get
from training.reports.export_models import ReportExport
from training.reports.forms import dashboard_filter_from

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
YEAR = timezone.localdate().year
ON = dt.date(YEAR, 1, 10)


@pytest.fixture
def annual(tree):
    return make_programme(tree.prov, name="年度岗位培训", hours_required=Decimal("90"))


@pytest.fixture
def world(people, annual):
    """A1 and B1 compliant, the others in progress; roll-ups built."""
    for code in ("A1", "B1"):
        credit(people[code], "95", on=ON)
    credit(people["A2"], "40.5", on=ON)
    compliance_recompute()
    return people


def _get(client, user, name, params=None, **kwargs):
    client.force_login(user)
    url = reverse(f"training:{name}", kwargs=kwargs or None)
    return client.get(url, params or {}, **EN)


def _book(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _dash(user, unit, programme):
    _form, f = dashboard_filter_from(user, {"unit": unit.pk, "programme": programme})
    return dashboard_get(user, f)


def _rows(ws):
    return [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]


# --- synchronous tables ------------------------------------------------------------


def test_units_table_matches_dashboard(client, world, coordinator, tree, annual):
    pid = annual.programme_id
    response = _get(
        client,
        coordinator,
        "dashboard_table_xlsx",
        {"unit": tree.city_a.pk, "programme": pid},
        table="units",
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    wb = _book(response)
    ws = wb.worksheets[0]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Rank", "Code", "Unit", "People"]
    assert "Compliance rate" in header
    assert ws["A1"].font.bold
    dash = _dash(coordinator, tree.city_a, pid)
    rows = _rows(ws)
    by_code = {r[1]: r for r in rows}
    rate_col = header.index("Compliance rate")
    for child in dash.children:
        row = by_code[child["code"]]
        assert row[3] == child["counts"].total
        assert row[4] == child["counts"].compliant
        assert Decimal(str(row[rate_col])) * 100 == child["counts"].rate
    a1 = by_code["A1"]
    assert a1[0] == 1 and a1[rate_col] == 1  # 100 % as a number
    assert ws.cell(row=rows.index(a1) + 2, column=rate_col + 1).number_format == "0.0%"
    total = rows[-1]
    assert total[2] == "Total" and total[3] == dash.summary.total == 3
    own = rows[-2]
    assert own[1] == "CITY-A" and own[3] == dash.own.total == 1
    # No CITY-B unit in the CITY-A table.
    assert "B1" not in by_code and "CITY-B" not in by_code
    about = wb.worksheets[-1]
    facts = {r[0]: r[1] for r in about.iter_rows(min_row=2, values_only=True)}
    assert facts["Unit"] == tree.city_a.name
    assert facts["Programme"] == "年度岗位培训"
    assert isinstance(facts["Generated at"], dt.datetime)
    event = AuditEvent.objects.get(action="report.export")
    assert event.detail["table"] == "units"
    assert event.detail["rows"] == len(rows)
    assert event.actor == coordinator


def test_breakdown_and_trend_tables(client, world, coordinator, tree, annual):
    pid = annual.programme_id
    params = {"unit": tree.city_a.pk, "programme": pid}
    dash = _dash(coordinator, tree.city_a, pid)
    wb = _book(
        _get(client, coordinator, "dashboard_table_xlsx", params, table="breakdown")
    )
    titles = wb.sheetnames
    assert titles[:4] == [
        "By category",
        "By grade",
        "By leadership level",
        "By focus group",
    ]
    category = wb["By category"]
    assert category.freeze_panes == "A2"
    counted = sum(r[1] for r in _rows(category))
    assert counted == sum(c.total for c in dash.by_category.values()) == 3

    wb = _book(_get(client, coordinator, "dashboard_table_xlsx", params, table="trend"))
    ws = wb.worksheets[0]
    assert ws["A1"].value == "Month"
    rows = _rows(ws)
    assert len(rows) == len(dash.trend)
    for row, point in zip(rows, dash.trend, strict=True):
        assert row[0].strftime("%Y-%m") == point["month"]
        assert row[1] == point["met"] and row[2] == point["cumulative"]


def test_table_errors(client, world, coordinator, tree, annual):
    pid = annual.programme_id
    unknown = _get(
        client, coordinator, "dashboard_table_xlsx", {"programme": pid}, table="nope"
    )
    assert unknown.status_code == 404
    other = _get(
        client,
        coordinator,
        "dashboard_table_xlsx",
        {"unit": tree.city_b.pk, "programme": pid},
        table="units",
    )
    assert other.status_code == 404
    missing = _get(
        client,
        coordinator,
        "dashboard_table_xlsx",
        {"unit": 999999, "programme": pid},
        table="units",
    )
    assert missing.status_code == 404
    bad = _get(
        client,
        coordinator,
        "dashboard_table_xlsx",
        {"unit": tree.city_a.pk, "programme": pid, "category": "astronaut"},
        table="units",
    )
    assert bad.status_code == 400
    assert b"astronaut" in bad.content
    learner_response = _get(
        client, world["A1"].user, "dashboard_table_xlsx", {}, table="units"
    )
    assert learner_response.status_code == 404
    assert not AuditEvent.objects.filter(action="report.export").exists()


def test_chinese_headers_and_filename(client, world, coordinator, tree, annual):
    client.force_login(coordinator)
    response = client.get(
        reverse("training:dashboard_table_xlsx", args=["units"]),
        {"unit": tree.city_a.pk, "programme": annual.programme_id},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert quote(tree.city_a.name) in response["Content-Disposition"]
    header = [c.value for c in _book(response).worksheets[0][1]]
    assert "单位" in header and "达标率" in header


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(  # noqa: S603
        ["pdftotext", "-layout", str(path), "-"],  # noqa: S607
        capture_output=True,
        check=True,
        text=True,
    )
    return result.stdout


def test_dashboard_pdf(client, world, coordinator, tree, annual, tmp_path):
    response = _get(
        client,
        coordinator,
        "dashboard_pdf",
        {"unit": tree.city_a.pk, "programme": annual.programme_id},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content, tmp_path)
    dash = _dash(coordinator, tree.city_a, annual.programme_id)
    assert tree.city_a.name in text
    assert "年度岗位培训" in text
    assert f"{dash.summary.rate}%" in text  # 1 of 3 compliant: 33.3 %
    assert tree.a1.name in text
    assert tree.b1.name not in text
    event = AuditEvent.objects.get(action="report.export")
    assert event.detail["table"] == "pdf"
    other = _get(
        client,
        coordinator,
        "dashboard_pdf",
        {"unit": tree.city_b.pk, "programme": annual.programme_id},
    )
    assert other.status_code == 404


# --- background exports ------------------------------------------------------------


def _request(client, user, params, *, kind="people"):
    client.force_login(user)
    return client.post(
        reverse("training:export_create"), {"kind": kind, **params}, **EN
    )


def _people_export(client, user, params, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _request(client, user, params)
    assert response.status_code == 302, response.content
    export = ReportExport.objects.get()
    assert response["Location"] == reverse("training:export_detail", args=[export.pk])
    export.refresh_from_db()
    return export


def _download(client, export):
    response = client.get(reverse("training:export_download", args=[export.pk]), **EN)
    assert response.status_code == 200
    return response, _book(response)


def test_people_export_runs_in_scope(
    client, world, coordinator, tree, annual, django_capture_on_commit_callbacks
):
    export = _people_export(
        client,
        coordinator,
        {"unit": tree.city_a.pk, "programme": annual.programme_id},
        django_capture_on_commit_callbacks,
    )
    assert export.status == ReportExport.Status.DONE, export.error
    assert export.total == export.done == 3
    assert export.filename.startswith("People compliance-甲市人民检察院-年度岗位培训-")
    assert export.filename.endswith(".xlsx")
    assert export.file.name.startswith("exports/")

    response, wb = _download(client, export)
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''" in response["Content-Disposition"]
    ws = wb.worksheets[0]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Full name", "Employee number", "Unit"]
    rows = _rows(ws)
    numbers = sorted(r[1] for r in rows)
    assert numbers == ["P-A1", "P-A2", "P-CITY-A"]  # never CITY-B's people
    a2 = next(r for r in rows if r[1] == "P-A2")
    assert a2[header.index("Status")] == "In progress"
    assert Decimal(str(a2[header.index("学时")])) == Decimal("40.5")
    assert Decimal(str(a2[header.index("学时 required")])) == Decimal("90")
    assert Decimal(str(a2[header.index("学时 still missing")])) == Decimal("49.5")
    assert isinstance(a2[header.index("Due on")], dt.datetime)
    a1 = next(r for r in rows if r[1] == "P-A1")
    assert a1[header.index("Met on")] is not None

    request_event = AuditEvent.objects.get(action="report.export.request")
    assert request_event.target_id == str(export.pk)
    assert request_event.detail["params"]["unit"] == str(tree.city_a.pk)
    download = AuditEvent.objects.get(action="report.export.download")
    assert download.actor == coordinator and download.target_id == str(export.pk)


def test_people_export_status_filter(
    client, world, leader, tree, annual, django_capture_on_commit_callbacks
):
    export = _people_export(
        client,
        leader,
        {
            "unit": tree.city_a.pk,
            "programme": annual.programme_id,
            "status": "not_compliant",
        },
        django_capture_on_commit_callbacks,
    )
    assert export.params["status"] == "not_compliant"
    _response, wb = _download(client, export)
    assert sorted(r[1] for r in _rows(wb.worksheets[0])) == ["P-A2", "P-CITY-A"]
    about = {r[0]: r[1] for r in wb.worksheets[-1].iter_rows(values_only=True)}
    assert "Not yet compliant" in about["Filters"]


def test_export_outside_scope_is_404_and_creates_nothing(
    client, world, coordinator, tree, annual
):
    response = _request(
        client, coordinator, {"unit": tree.city_b.pk, "programme": annual.programme_id}
    )
    assert response.status_code == 404
    bad = _request(
        client,
        coordinator,
        {"unit": tree.city_a.pk, "programme": annual.programme_id, "status": "x"},
    )
    assert bad.status_code == 400
    unknown = _request(client, coordinator, {"unit": tree.city_a.pk}, kind="secret")
    assert unknown.status_code == 400
    assert not ReportExport.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="report.").exists()


def test_someone_elses_export_is_404(
    client,
    world,
    coordinator,
    coordinator_b,
    superuser,
    tree,
    annual,
    django_capture_on_commit_callbacks,
):
    export = _people_export(
        client,
        coordinator,
        {"unit": tree.city_a.pk, "programme": annual.programme_id},
        django_capture_on_commit_callbacks,
    )
    colleague = UserFactory(username="coord-a2")
    grant(colleague, Role.COORDINATOR, tree.city_a)
    for other in (coordinator_b, superuser, colleague):
        client.force_login(other)
        for name in ("export_detail", "export_status", "export_download"):
            url = reverse(f"training:{name}", args=[export.pk])
            assert client.get(url).status_code == 404, (other, name)
        listing = client.get(reverse("training:export_list"))
        assert listing.status_code == 200
        assert f"export-{export.pk}" not in listing.content.decode()
    assert not AuditEvent.objects.filter(action="report.export.download").exists()


def test_lost_scope_fails_the_export(
    client, world, coordinator, tree, annual, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _request(
            client,
            coordinator,
            {"unit": tree.city_a.pk, "programme": annual.programme_id},
        )
    assert response.status_code == 302
    export = ReportExport.objects.get()
    assert export.status == ReportExport.Status.QUEUED
    RoleGrant.objects.filter(user=coordinator).delete()
    for callback in callbacks:
        callback()
    export.refresh_from_db()
    assert export.status == ReportExport.Status.FAILED
    assert export.error
    assert not export.file
    client.force_login(coordinator)
    detail = client.get(reverse("training:export_detail", args=[export.pk]), **EN)
    assert 'id="export-failed"' in detail.content.decode()
    download = client.get(reverse("training:export_download", args=[export.pk]))
    assert download.status_code == 404


def test_progress_pages(
    client, world, coordinator, tree, annual, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        _request(
            client,
            coordinator,
            {"unit": tree.city_a.pk, "programme": annual.programme_id},
        )
    export = ReportExport.objects.get()
    detail = client.get(reverse("training:export_detail", args=[export.pk]), **EN)
    html = detail.content.decode()
    assert "data-task-progress" in html
    assert reverse("training:export_status", args=[export.pk]) in html
    assert 'http-equiv="refresh"' in html  # works without JavaScript
    assert "task-progress.js" in html
    status = client.get(reverse("training:export_status", args=[export.pk])).json()
    assert status["status"] == "queued" and status["finished"] is False

    export_run.report_export_run(export_id=export.pk)
    status = client.get(reverse("training:export_status", args=[export.pk])).json()
    assert status["finished"] is True and status["percent"] == 100
    assert status["processed"] == status["total"] == 3
    html = client.get(
        reverse("training:export_detail", args=[export.pk]), **EN
    ).content.decode()
    assert reverse("training:export_download", args=[export.pk]) in html
    assert "data-task-progress" not in html
    listing = client.get(reverse("training:export_list"), **EN).content.decode()
    assert f'id="export-{export.pk}"' in listing
    assert reverse("training:export_download", args=[export.pk]) in listing


def test_stale_export_can_be_restarted_once(
    client, world, coordinator, tree, annual, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        _request(
            client,
            coordinator,
            {"unit": tree.city_a.pk, "programme": annual.programme_id},
        )
    export = ReportExport.objects.get()
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    ReportExport.objects.filter(pk=export.pk).update(
        status=ReportExport.Status.RUNNING,
        started_at=long_ago,
        heartbeat_at=long_ago,
        done=1,
    )
    url = reverse("training:export_detail", args=[export.pk])
    assert 'id="restart-form"' in client.get(url, **EN).content.decode()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.post(url).status_code == 302
    assert len(callbacks) == 1
    export.refresh_from_db()
    assert export.status == ReportExport.Status.DONE and export.done == 3
    # Not stale any more: a second press changes nothing.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(url)
    assert callbacks == []
    # The old run, should it wake up, cannot overwrite the new one.
    progress = export_run._Progress(export.pk, long_ago)
    with pytest.raises(export_run._Superseded):
        progress.update(done=1)


def test_units_all_export(
    client, world, leader, tree, annual, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    listing = client.get(
        reverse("training:export_list"),
        {"unit": tree.city_a.pk, "programme": annual.programme_id},
        **EN,
    ).content.decode()
    assert 'id="units-all-export"' in listing
    with django_capture_on_commit_callbacks(execute=True):
        response = _request(
            client,
            leader,
            {"unit": tree.prov.pk, "programme": annual.programme_id},
            kind="units_all",
        )
    assert response.status_code == 404  # PROV is above the leader's CITY-A
    with django_capture_on_commit_callbacks(execute=True):
        response = _request(
            client,
            leader,
            {"unit": tree.city_a.pk, "programme": annual.programme_id},
            kind="units_all",
        )
    export = ReportExport.objects.get()
    assert export.kind == "units_all" and export.status == "done", export.error
    _response, wb = _download(client, export)
    ws = wb.worksheets[0]
    assert ws.freeze_panes == "A2"
    rows = _rows(ws)
    assert [r[1] for r in rows] == ["CITY-A", "A1", "A2"]
    city, a1, a2 = rows
    assert city[0] == 0 and a1[0] == 1
    assert a1[2].startswith("\u3000")
    assert city[3] == 3 and city[4] == 1  # subtree: three people, one compliant
    assert a1[3] == 1 and a1[4] == 1 and a2[4] == 0


def _more_people(tree, annual, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        PersonFactory(unit=tree.a1 if i % 2 else tree.a2, employee_no=f"X-{i:05d}")
    compliance_recompute()
    assert ComplianceStatus.objects.filter(unit__path__startswith=tree.city_a.path)


def _run_queries(user, tree, annual) -> tuple[int, ReportExport]:
    export = export_requests.report_export_request(
        user=user,
        kind="people",
        params={"unit": tree.city_a.pk, "programme": annual.programme_id},
        enqueue=False,
    )
    with CaptureQueriesContext(connection) as queries:
        export_run.report_export_run(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == "done", export.error
    return len(queries), export


def test_run_queries_do_not_grow_with_rows(world, coordinator, tree, annual):
    _more_people(tree, annual, 30)
    small, export = _run_queries(coordinator, tree, annual)
    assert export.done == 33
    _more_people(tree, annual, 270, start=30)
    large, export = _run_queries(coordinator, tree, annual)
    assert export.done == 303
    assert large == small
    assert small <= 20


def test_export_list_queries(
    client, world, coordinator, tree, annual, django_assert_max_num_queries
):
    for _ in range(12):
        export_requests.report_export_request(
            user=coordinator,
            kind="people",
            params={"unit": tree.city_a.pk, "programme": annual.programme_id},
            enqueue=False,
        )
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("training:export_list"))
    assert response.status_code == 200


def test_resume_command_requeues_stalled_exports(
    world, coordinator, tree, annual, django_capture_on_commit_callbacks
):
    export = export_requests.report_export_request(
        user=coordinator,
        kind="people",
        params={"unit": tree.city_a.pk, "programme": annual.programme_id},
        enqueue=False,
    )
    fresh = export_requests.report_export_request(
        user=coordinator,
        kind="units_all",
        params={"unit": tree.city_a.pk, "programme": annual.programme_id},
        enqueue=False,
    )
    long_ago = timezone.now() - dt.timedelta(minutes=6)
    ReportExport.objects.filter(pk=export.pk).update(
        status=ReportExport.Status.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("resume_report_exports", stdout=out)
    assert f"({export.pk})" in out.getvalue()
    export.refresh_from_db()
    fresh.refresh_from_db()
    assert export.status == ReportExport.Status.DONE and export.done == 3
    assert fresh.status == ReportExport.Status.QUEUED  # not stale: left alone
