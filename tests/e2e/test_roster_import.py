"""A coordinator imports a roster in the browser: a file with bad rows is rejected
as a whole with every bad row listed; the corrected file goes in; the people show
up in the list. Elements are found by id, not by text, so the test keeps passing
when the interface is translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import Workbook

from training.org import services
from training.org.models import OrgUnit, Person, RosterImport

pytestmark = pytest.mark.e2e

PASSWORD = "coordinator-pass-2026"

GOOD_ROWS = [
    {
        "employee_no": "310100101",
        "full_name": "王建国",
        "unit_code": "SH-PD",
        "category": "检察官",
        "is_quota": "是",
        "grade": "三级高级检察官",
        "leadership_level": "县处级",
        "position_title": "第一检察部主任",
    },
    {
        "employee_no": "310100102",
        "full_name": "陈晓梅",
        "unit_code": "SH-PD",
        "category": "检察官助理",
    },
    {
        "employee_no": "310100103",
        "full_name": "刘洋",
        "unit_code": "SH-PD",
        "category": "书记员",
    },
    {
        "employee_no": "310100104",
        "full_name": "赵敏",
        "unit_code": "SH-1",
        "category": "司法警察",
    },
]


@pytest.fixture
def world(transactional_db, home_page):
    """Province → 市院 → 基层院, and a coordinator for the 市院 subtree."""
    from django.contrib.auth import get_user_model

    services.role_groups_ensure()
    province = services.org_unit_create(
        code="SH", name="上海市人民检察院", level=OrgUnit.Level.PROVINCIAL
    )
    city = services.org_unit_create(
        code="SH-1",
        name="上海市人民检察院第一分院",
        level=OrgUnit.Level.MUNICIPAL,
        parent=province,
    )
    basic = services.org_unit_create(
        code="SH-PD",
        name="上海市浦东新区人民检察院",
        level=OrgUnit.Level.BASIC,
        parent=city,
    )
    coordinator = get_user_model().objects.create_user(
        username="coord01",
        email="coord01@example.cn",
        password=PASSWORD,
        full_name="李协调",
    )
    services.role_grant_create(user=coordinator, role="coordinator", unit=city)
    return {"province": province, "city": city, "basic": basic, "user": coordinator}


def write_roster(path: Path, rows: list[dict]) -> Path:
    """An XLSX in the published format: the Chinese headers of ROSTER_COLUMNS."""
    wb = Workbook()
    ws = wb.active
    ws.title = "人员名册"
    ws.append([column.header for column in services.ROSTER_COLUMNS])
    for row in rows:
        ws.append([row.get(column.key, "") for column in services.ROSTER_COLUMNS])
    wb.save(path)
    return path


def sign_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def upload(page, path: Path) -> None:
    page.goto("/roster/")
    page.set_input_files("#roster-upload-form input[type=file]", str(path))
    page.click("#roster-upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/roster/\d+/$"))


def test_coordinator_imports_roster_all_or_nothing(page, world, tmp_path, screenshot):
    sign_in(page, "coord01", PASSWORD)

    # The home page greets the coordinator and offers the roster import.
    assert "李协调" in page.inner_text("main h1")
    roster_link = page.locator("main a.panel-card[href='/roster/']")
    assert roster_link.count() == 1
    screenshot(page, "home-zh.png")
    roster_link.click()
    page.wait_for_url(re.compile(r"/roster/$"))
    assert page.locator("a[href='/roster/template.xlsx']").count() >= 1

    # Row 4 names a unit that does not exist, row 6 one outside the scope.
    bad_rows = [
        *GOOD_ROWS[:2],
        {**GOOD_ROWS[2], "unit_code": "XX-999"},
        GOOD_ROWS[3],
        {
            "employee_no": "310100105",
            "full_name": "孙丽",
            "unit_code": "SH",
            "category": "检察官",
        },
    ]
    upload(page, write_roster(tmp_path / "名册-有误.xlsx", bad_rows))

    errors = page.locator("#roster-errors")
    errors.wait_for()
    assert page.locator("#roster-success").count() == 0
    assert page.locator("#roster-rejected").is_visible()
    cells = [
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in errors.locator("tbody tr").all()
    ]
    assert [row[0] for row in cells] == ["4", "6"]
    assert cells[0][1] == "单位代码"
    assert "XX-999" in cells[0][2]
    assert "SH" in cells[1][2]
    # All or nothing: not one of the good rows was written.
    assert Person.objects.count() == 0
    assert RosterImport.objects.get().status == RosterImport.Status.REJECTED
    screenshot(page, "roster-errors.png")

    # The corrected file goes in whole.
    fixed_rows = [
        *GOOD_ROWS,
        {
            "employee_no": "310100105",
            "full_name": "孙丽",
            "unit_code": "SH-PD",
            "category": "检察官",
        },
    ]
    upload(page, write_roster(tmp_path / "名册.xlsx", fixed_rows))
    success = page.locator("#roster-success")
    success.wait_for()
    assert page.locator("#roster-errors").count() == 0
    assert page.locator(".stat-value").all_inner_texts() == ["5", "5", "0"]
    assert Person.objects.count() == 5

    # The people list shows them, and the import history lists both uploads.
    page.click("main a[href='/people/']")
    page.wait_for_url(re.compile(r"/people/$"))
    table = page.locator("#people-table")
    for row in fixed_rows:
        assert row["full_name"] in table.inner_text()
    assert "上海市浦东新区人民检察院" in table.inner_text()

    page.goto("/roster/")
    assert page.locator("#roster-imports tbody tr").count() == 2

    # Filtering by unit keeps the filter in the export link.
    page.goto("/units/")
    page.click(f"#unit-tree a[href='/people/?unit={world['city'].pk}']")
    page.wait_for_url(re.compile(r"/people/\?unit=\d+$"))
    assert page.locator("#people-table tbody tr").count() == 5
    export = page.locator("a[href^='/people/export.xlsx']")
    assert (
        export.get_attribute("href") == f"/people/export.xlsx?unit={world['city'].pk}"
    )


def test_progress_page_polls_until_the_import_finishes(page, world):
    """Large files are checked in a background task; the page polls the status
    endpoint and shows the result once the task is done."""
    record = RosterImport.objects.create(
        uploaded_by=world["user"],
        original_name="大名册.xlsx",
        status=RosterImport.Status.RUNNING,
        total_rows=2000,
        processed_rows=500,
    )
    sign_in(page, "coord01", PASSWORD)
    page.goto(f"/roster/{record.pk}/")

    bar = page.locator("#roster-progress-bar")
    assert bar.get_attribute("value") == "25"
    assert page.locator("#roster-progress-text").get_attribute("aria-live") == "polite"

    RosterImport.objects.filter(pk=record.pk).update(processed_rows=1500)
    page.wait_for_function(
        "document.getElementById('roster-progress-bar').value === 75"
    )
    assert "1500" in page.inner_text("#roster-progress-text")

    RosterImport.objects.filter(pk=record.pk).update(
        status=RosterImport.Status.SUCCEEDED,
        processed_rows=2000,
        created_count=2000,
    )
    page.locator("#roster-success").wait_for()
    assert page.locator("#roster-progress").count() == 0
