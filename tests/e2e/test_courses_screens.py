"""The catalogue, the search, My learning and the coordinator's assignment screen
in the browser, on the seeded demo world; screenshots for docs/ (SCREENSHOTS=1).

Elements are found by id, name or URL, not by interface text."""

from __future__ import annotations

import io
import re

import pytest

from courses.models import Assignment, CoursePage
from training.org.models import OrgUnit

pytestmark = pytest.mark.e2e

PASSWORD = "demo-pass-2026"


@pytest.fixture
def demo_world(home_page, settings):
    from django.core.management import call_command

    settings.DEBUG = True  # seed_demo refuses to run otherwise
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def sign_out(page) -> None:
    page.context.clear_cookies()


def assert_header_fits(page) -> None:
    """At 1366 px no menu label wraps onto a second line."""
    heights = page.eval_on_selector_all(
        ".main-nav a, .lang-switch button",
        "els => els.map(e => e.getBoundingClientRect().height)",
    )
    assert heights and max(heights) < 48, heights


def test_catalogue_search_learning_and_assignment(page, demo_world, screenshot):
    sign_in(page, "learner")

    # Catalogue: cards, then a subject filter applied by the sidebar (no button).
    page.goto("/courses/")
    cards = page.locator("#course-grid .course-card")
    cards.first.wait_for()
    total = cards.count()
    assert total >= 6
    assert_header_fits(page)
    screenshot(page, "courses-catalogue.png")
    page.locator("input[name=subject]").nth(1).check()
    page.wait_for_url(re.compile(r"/courses/\?subject=\d+$"))
    assert 0 < page.locator("#course-grid .course-card").count() < total

    # The header's search button opens the search page; 突发 finds the
    # emergency-handling course (part of a word, no spaces in Chinese).
    page.click(".header-search button")
    page.wait_for_url(re.compile(r"/search/\?q=$"))
    page.fill("#search-q", "突发")
    page.press("#search-q", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q=%E7%AA%81%E5%8F%91$"))
    page.locator("#search-results").wait_for()
    assert page.locator("#search-results mark").count() >= 1
    screenshot(page, "search.png")

    page.goto("/learning/")
    page.locator("#learning-assigned").wait_for()
    screenshot(page, "my-learning.png")

    # The coordinator assigns a course to their unit subtree, previewing first.
    sign_out(page)
    sign_in(page, "coordinator")
    page.goto("/assign/")
    assert_header_fits(page)
    course = CoursePage.objects.live().order_by("title").first()
    unit = OrgUnit.objects.get(code="ZJ-HZ")
    page.select_option("select[name=course]", str(course.pk))
    page.check("input[name=target][value=audience]")
    assert page.locator("#panel-people").is_hidden()
    page.select_option("select[name=unit]", str(unit.pk))
    page.check("input[name=categories][value=prosecutor]")
    page.check("input[name=categories][value=assistant]")
    page.fill("input[name=due_on]", "2099-12-31")
    page.fill("textarea[name=reason]", "2026 年度岗位培训必修课程，请按期完成。")
    page.click("button[name=action][value=preview]:not(.visually-hidden)")
    page.locator("#assign-confirm").wait_for()
    assert int(page.inner_text("#preview-total .preview-number")) > 0
    assert not Assignment.objects.filter(
        course=course, created_by__username="coordinator", target_kind="audience"
    ).exists()
    screenshot(page, "assign.png")

    page.click("#assign-confirm")
    page.wait_for_url(re.compile(r"/assign/\d+/$"))
    page.locator("#assign-done").wait_for(timeout=20_000)
    screenshot(page, "assign-status.png")
