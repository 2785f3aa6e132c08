"""The leadership dashboard in a real browser, on the demo data: the demo leader
(浙江省院) opens /reports/, drills down two levels to a basic procuratorate,
lists who is not yet compliant, opens one person and sees why, and downloads the
units table as XLSX. With SCREENSHOTS=1 the screens are saved for the docs."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.e2e.test_staff_screens import _login

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo(transactional_db, home_page, settings):
    from django.core.management import call_command

    settings.DEBUG = True  # seed_demo refuses to run otherwise
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False


def test_leader_drills_down_to_a_person_and_exports(
    page, live_server, demo, screenshot
):
    from django.contrib.auth import get_user_model

    leader = get_user_model().objects.get(username="leader")
    _login(page, live_server, leader)
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto("/reports/")
    assert page.locator("h1").first.inner_text()
    # Chart.js is served from our own static files and draws on a canvas; each chart
    # keeps its data table for screen readers and for copying.
    page.wait_for_selector("canvas")
    screenshot(page, "reports-dashboard.png")
    rows = page.locator("a.drill-link")
    assert rows.count() >= 2
    city = page.locator("a.drill-link", has_text="杭州")
    city.first.click()

    # Level 2: the units of 杭州市院, the breadcrumbs keep the way back.
    page.wait_for_selector("[data-unit-crumb]")
    city_title = page.locator("h1").first.inner_text()
    assert "杭州" in city_title
    page.locator("a.drill-link").first.click()
    # Level 3: a basic procuratorate (short names in the table, full in the title);
    # 杭州市院 is now a crumb on the way back.
    page.wait_for_function(
        "title => document.querySelector('h1').innerText !== title", arg=city_title
    )
    assert page.locator("[data-unit-crumb]", has_text="杭州").count() == 1

    # The people of that unit who are not yet compliant.
    page.locator("#dashboard-people-link").click()
    page.wait_for_url("**/people/**")
    page.locator("[data-tab=not_compliant]").click()
    page.wait_for_load_state()
    why = page.locator("a.why-link", has_text="为何未达标")
    assert why.count() >= 1
    screenshot(page, "reports-people.png")
    why.first.click()
    page.wait_for_load_state()
    body = page.locator("main").inner_text()
    assert "学时" in body
    assert "未达标" in body or "尚未达标" in body or "进行中" in body

    # Back to the dashboard; the units table as an Excel file.
    page.go_back()
    page.locator("#back-to-dashboard").click()
    with page.expect_download() as info:
        page.locator("#export-units").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    assert sheet.freeze_panes == "A2"
    headers = [cell.value for cell in sheet[1]]
    assert "单位" in " ".join(str(h) for h in headers)
    assert sheet.max_row >= 2
