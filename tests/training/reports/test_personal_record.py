"""Personal training record (个人培训档案): HTML, PDF, XLSX, scope."""

import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cms.models import AuditEvent
from tests.factories.training import credit, make_programme
from training.compliance.services import compliance_refresh_person
from training.ledger.models import LedgerEntry
from training.reports.record import personal_record

YEAR = timezone.localdate().year
MY = reverse("training:my_training_record")
MY_PDF = reverse("training:my_training_record_pdf")
MY_XLSX = reverse("training:my_training_record_xlsx")


def urls(person):
    return [
        reverse(name, args=[person.pk])
        for name in (
            "training:person_training_record",
            "training:person_training_record_pdf",
            "training:person_training_record_xlsx",
        )
    ]


@pytest.fixture
def history(people, tree):
    make_programme(tree.prov, hours_required=Decimal("10"))
    person = people["A1"]
    credit(person, "3", on=dt.date(YEAR - 1, 6, 1), source=LedgerEntry.Source.COURSE)
    credit(person, "4", days="1", on=dt.date(YEAR, 2, 1), title="岗位练兵")
    credit(person, "2", on=dt.date(YEAR, 3, 1), source=LedgerEntry.Source.COURSE)
    compliance_refresh_person(person_id=person.pk, days=[dt.date(YEAR - 1, 6, 1)])
    return person


def test_selector_groups_by_year(history):
    record = personal_record(person=history)
    years = record["years"]
    assert [y["year"] for y in years] == [YEAR, YEAR - 1]
    assert years[0]["hours"] == Decimal("6")
    assert years[0]["days"] == Decimal("1")
    assert years[0]["online_hours"] == Decimal("2")
    assert years[1]["online_hours"] == Decimal("3")
    assert record["totals"]["hours"] == Decimal("9")
    assert [s.due_on.year for s in years[0]["compliance"]] == [YEAR]
    assert record["certificates"] == []


def test_learner_sees_own_record(client, learner, history):
    client.force_login(learner)
    response = client.get(MY)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="record-year-{YEAR}"' in html
    assert "岗位练兵" in html


def test_pdf(client, learner, history):
    client.force_login(learner)
    response = client.get(MY_PDF)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.detail == {"format": "pdf"}
    name = history.user.full_name
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"],  # noqa: S607
            input=response.content,
            capture_output=True,
            check=True,
        ).stdout.decode()
    else:
        pypdf = pytest.importorskip("pypdf")
        reader = pypdf.PdfReader(io.BytesIO(response.content))
        text = "".join(page.extract_text() for page in reader.pages)
    assert name in text


def test_xlsx(client, coordinator, history):
    client.force_login(coordinator)
    response = client.get(urls(history)[2])
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames == ["学时记录", "年度合计", "达标情况", "培训班", "证书"]
    ws = wb["学时记录"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:5] == ("年度", "日期", "培训内容", "来源", "学时")
    assert ws.freeze_panes == "A2"
    assert len(rows) == 4
    totals = list(wb["年度合计"].iter_rows(values_only=True))
    assert totals[1][0] == YEAR


@pytest.mark.parametrize("role_user", ["coordinator", "leader"])
def test_scoped_staff_see_record(client, history, role_user, request):
    client.force_login(request.getfixturevalue(role_user))
    for url in urls(history):
        assert client.get(url).status_code == 200


def test_other_unit_and_other_learner_refused(client, coordinator_b, people, history):
    client.force_login(coordinator_b)
    for url in urls(history):
        response = client.get(url)
        assert response.status_code == 403
        assert "岗位练兵".encode() not in response.content
    client.force_login(people["A2"].user)
    for url in urls(history):
        assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_no_staff_record(client, coordinator):
    client.force_login(coordinator)
    assert client.get(MY).status_code == 200
    assert client.get(MY_PDF).status_code == 403
    assert client.get(MY_XLSX).status_code == 403


def test_record_page_queries(client, learner, history, django_assert_max_num_queries):
    client.force_login(learner)
    client.get(MY)
    with django_assert_max_num_queries(12):
        client.get(MY)
