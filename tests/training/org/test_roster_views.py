"""The roster pages: upload, template download, import detail and status JSON."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import roster_row, roster_upload
from training.org.models import Person, RosterImport
from training.org.services import ROSTER_COLUMNS

UPLOAD = reverse("training:roster_upload")
TEMPLATE = reverse("training:roster_template")


def status_url(record):
    return reverse("training:roster_import_status", args=[record.pk])


def detail_url(record):
    return reverse("training:roster_import_detail", args=[record.pk])


def test_coordinator_uploads_a_good_file(client, tree, coordinator):
    client.force_login(coordinator)
    assert client.get(UPLOAD).status_code == 200
    response = client.post(
        UPLOAD, {"file": roster_upload([roster_row(tree.a1, "E1", 姓名="王五")])}
    )
    record = RosterImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(record)
    assert record.status == RosterImport.Status.SUCCEEDED, record.errors
    assert record.uploaded_by == coordinator
    assert Person.objects.get(employee_no="E1").user.full_name == "王五"
    page = client.get(detail_url(record))
    assert page.status_code == 200


def test_bad_rows_are_shown_on_the_detail_page(client, tree, coordinator):
    client.force_login(coordinator)
    client.post(
        UPLOAD,
        {"file": roster_upload([roster_row(tree.a1, "E1", 入职日期="2021-02-30")])},
    )
    record = RosterImport.objects.get()
    assert record.status == RosterImport.Status.REJECTED
    content = client.get(detail_url(record)).content.decode()
    assert "入职日期" in content
    assert "2021-02-30" in content
    assert not Person.objects.exists()


def test_upload_refuses_other_extensions(client, tree, coordinator):
    client.force_login(coordinator)
    response = client.post(
        UPLOAD, {"file": SimpleUploadedFile("名册.csv", b"a,b\n", "text/csv")}
    )
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert not RosterImport.objects.exists()


def test_upload_of_a_broken_xlsx_is_reported_not_crashed(client, tree, coordinator):
    client.force_login(coordinator)
    response = client.post(
        UPLOAD, {"file": SimpleUploadedFile("名册.xlsx", b"not a zip", "text/plain")}
    )
    assert response.status_code == 302
    record = RosterImport.objects.get()
    assert record.status == RosterImport.Status.REJECTED


def test_coordinator_upload_outside_scope_writes_nothing(client, tree, coordinator):
    client.force_login(coordinator)
    client.post(UPLOAD, {"file": roster_upload([roster_row(tree.b1, "E1")])})
    record = RosterImport.objects.get()
    assert record.status == RosterImport.Status.REJECTED
    assert record.errors[0]["column"] == "单位代码"
    assert not Person.objects.exists()


@pytest.mark.parametrize("who", ["learner", "leader"])
def test_users_without_manage_role_get_403(client, tree, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(UPLOAD).status_code == 403
    response = client.post(UPLOAD, {"file": roster_upload([roster_row(tree.a1, "E1")])})
    assert response.status_code == 403
    assert client.get(TEMPLATE).status_code == 403
    assert not RosterImport.objects.exists()
    assert not Person.objects.filter(employee_no="E1").exists()


def test_template_download_has_the_roster_headers(client, coordinator):
    client.force_login(coordinator)
    response = client.get(TEMPLATE)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    header = next(wb.worksheets[0].iter_rows(values_only=True))
    assert list(header) == [c.header for c in ROSTER_COLUMNS]


def test_filled_template_imports(client, tree, coordinator):
    """The downloaded template, filled in, is accepted as it is."""
    client.force_login(coordinator)
    wb = load_workbook(io.BytesIO(client.get(TEMPLATE).content))
    ws = wb.worksheets[0]
    ws.append(["T-1", "赵六", tree.a2.code, "检察官", "是", "一级检察官"])
    buffer = io.BytesIO()
    wb.save(buffer)
    upload = SimpleUploadedFile("template.xlsx", buffer.getvalue())
    client.post(UPLOAD, {"file": upload})
    record = RosterImport.objects.get()
    assert record.status == RosterImport.Status.SUCCEEDED, record.errors
    assert Person.objects.get(employee_no="T-1").grade == "p1"


def test_status_json(client, tree, coordinator):
    client.force_login(coordinator)
    client.post(UPLOAD, {"file": roster_upload([roster_row(tree.a1, "E1")])})
    record = RosterImport.objects.get()
    data = client.get(status_url(record)).json()
    assert data["status"] == "succeeded"
    assert data["finished"] is True
    assert data["percent"] == 100
    assert data["total_rows"] == data["processed_rows"] == 1
    assert data["error_count"] == 0


def test_background_import_through_the_page(
    client, tree, coordinator, settings, django_capture_on_commit_callbacks
):
    settings.ROSTER_IMPORT_SYNC_MAX_ROWS = 3
    client.force_login(coordinator)
    rows = [roster_row(tree.a1, f"BG{n}") for n in range(4)]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(UPLOAD, {"file": roster_upload(rows)})
    assert response.status_code == 302
    record = RosterImport.objects.get()
    data = client.get(status_url(record)).json()
    assert data["status"] == "succeeded"
    assert data["percent"] == 100
    assert Person.objects.filter(employee_no__startswith="BG").count() == 4


def test_pending_import_reports_progress(client, tree, coordinator, settings):
    settings.ROSTER_IMPORT_SYNC_MAX_ROWS = 1
    client.force_login(coordinator)
    rows = [roster_row(tree.a1, f"BG{n}") for n in range(2)]
    # No on-commit execution: the task has not run yet.
    client.post(UPLOAD, {"file": roster_upload(rows)})
    record = RosterImport.objects.get()
    data = client.get(status_url(record)).json()
    assert data["finished"] is False
    assert data["status"] == "pending"
    assert 0 <= data["percent"] < 100
    assert data["total_rows"] == 2


def test_another_coordinator_cannot_see_the_import(
    client, tree, coordinator, coordinator_b
):
    client.force_login(coordinator)
    client.post(UPLOAD, {"file": roster_upload([roster_row(tree.a1, "E1")])})
    record = RosterImport.objects.get()
    client.force_login(coordinator_b)
    assert client.get(detail_url(record)).status_code == 404
    assert client.get(status_url(record)).status_code == 404
    assert record.original_name not in client.get(UPLOAD).content.decode()


def test_superuser_sees_any_import(client, tree, coordinator, superuser):
    client.force_login(coordinator)
    client.post(UPLOAD, {"file": roster_upload([roster_row(tree.a1, "E1")])})
    record = RosterImport.objects.get()
    client.force_login(superuser)
    assert client.get(status_url(record)).status_code == 200


def test_bad_id_number_is_not_shown_on_the_page(client, tree, coordinator):
    from tests.factories import national_id

    good = national_id(9)
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    client.force_login(coordinator)
    client.post(
        UPLOAD, {"file": roster_upload([roster_row(tree.a1, "E1", 身份证号=bad)])}
    )
    record = RosterImport.objects.get()
    content = client.get(detail_url(record)).content.decode()
    assert "身份证号" in content
    assert bad not in content
