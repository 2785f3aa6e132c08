"""The catalogue page and its editorial workflow, set up idempotently.

Run after every ``migrate`` (courses/receivers.py) and by seed_demo and the e2e
fixtures, which rebuild the home page after a flush.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import (
    GroupApprovalTask,
    GroupPagePermission,
    Page,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from courses.models import CourseIndexPage

CATALOGUE_SLUG = "courses"
CATALOGUE_TITLE = "课程中心"
WORKFLOW_NAME = "课程审核"
REVIEWERS_GROUP = "课程审核员"
# training's ROLE_GROUPS name for the editor role; created here too so the page
# permissions can be attached before training's groups are refreshed.
EDITORS_GROUP = "课程编辑"

EDITOR_PAGE_PERMISSIONS = ("add_page", "change_page")
REVIEWER_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page")


def _home_page() -> Page | None:
    site = Site.objects.filter(is_default_site=True).select_related("root_page")
    site = site.first()
    if site is not None:
        return site.root_page
    return Page.objects.filter(depth=2).order_by("path").first()


@transaction.atomic
def course_catalogue_ensure() -> CourseIndexPage | None:
    """The /courses/ index page under the home page, the "课程审核" moderation
    workflow on it, and page permissions for course editors (draft, submit for
    review) and reviewers (publish). ``None`` while there is no home page."""
    home = _home_page()
    if home is None:
        return None
    index = CourseIndexPage.objects.child_of(home).filter(slug=CATALOGUE_SLUG).first()
    if index is None:
        index = CourseIndexPage(title=CATALOGUE_TITLE, slug=CATALOGUE_SLUG)
        Page.objects.get(pk=home.pk).add_child(instance=index)
        index.save_revision().publish()

    reviewers, _ = Group.objects.get_or_create(name=REVIEWERS_GROUP)
    editors, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    admin_access = Permission.objects.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    ).first()
    if admin_access is not None:
        reviewers.permissions.add(admin_access)
    page_perms = {
        p.codename: p
        for p in Permission.objects.filter(
            content_type__app_label="wagtailcore",
            codename__in=REVIEWER_PAGE_PERMISSIONS,
        )
    }
    for group, codenames in (
        (editors, EDITOR_PAGE_PERMISSIONS),
        (reviewers, REVIEWER_PAGE_PERMISSIONS),
    ):
        for codename in codenames:
            if codename in page_perms:
                GroupPagePermission.objects.get_or_create(
                    group=group, page=index, permission=page_perms[codename]
                )

    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    task = GroupApprovalTask.objects.filter(name=WORKFLOW_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=WORKFLOW_NAME)
    task.groups.add(reviewers)
    WorkflowTask.objects.get_or_create(
        workflow=workflow, task=task, defaults={"sort_order": 0}
    )
    WorkflowPage.objects.get_or_create(page=index, defaults={"workflow": workflow})
    return index
