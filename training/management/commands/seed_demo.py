"""Build the demo world: units, people (through the roster import), demo logins with
their roles, and a few content pages. Safe to run again: existing rows are found by
unit code, employee number and page slug and left alone."""

from __future__ import annotations

import io
import random
import time
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from openpyxl import load_workbook
from wagtail.models import Page, Site

from assessments import demo as assessments_demo
from cms.models import HomePage, StandardPage
from cms.search import search_entries_rebuild
from courses import demo as courses_demo
from training.demo import org as demo
from training.org.models import OrgUnit, Person, RoleGrant, RosterImport
from training.org.selectors import people_visible_to
from training.org.services import (
    ROSTER_COLUMNS,
    org_unit_create,
    role_grant_create,
    role_groups_ensure,
    roster_import_create,
    roster_template_workbook,
)

DEMO_PASSWORD = "demo-pass-2026"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Command(BaseCommand):
    help = (
        "Create the demo world (units, ~60 people, demo logins, pages). Idempotent; "
        "refused unless DEBUG is on."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo only runs with DEBUG on (development settings): it creates "
                f"logins whose password ({DEMO_PASSWORD!r}) is public. Never run it "
                "against a production database."
            )
        started = time.monotonic()
        with transaction.atomic():
            self.seed_units()
            self.seed_people()
            self.seed_logins()
            self.seed_pages()
            self.seed_programmes()
            self.seed_assessments()
            self.seed_courses()
            self.seed_training()
            # Also indexes pages published before the search table existed.
            search_entries_rebuild()
        self.print_summary(time.monotonic() - started)

    # --- units ---------------------------------------------------------------------

    def seed_units(self) -> None:
        specs = demo.demo_units()
        existing = set(
            OrgUnit.objects.filter(code__in=[s.code for s in specs]).values_list(
                "code", flat=True
            )
        )
        created = 0
        for spec in specs:
            if spec.code in existing:
                continue
            # Looked up each time: treebeard derives the child's path from the
            # parent's current numchild, and the parent may be new in this run.
            parent = OrgUnit.objects.get(code=spec.parent) if spec.parent else None
            org_unit_create(
                code=spec.code,
                name=spec.name,
                short_name=spec.short_name,
                level=spec.level,
                kind=spec.kind,
                parent=parent,
                sort_order=spec.sort_order,
            )
            created += 1
        self.stdout.write(f"Units: {len(specs)} in the demo tree, {created} created.")

    # --- people --------------------------------------------------------------------

    def seed_people(self) -> None:
        rows = demo.demo_people(random.Random(demo.SEED))
        numbers = [row["employee_no"] for row in rows]
        on_file = set(
            Person.objects.filter(employee_no__in=numbers).values_list(
                "employee_no", flat=True
            )
        )
        # A login made by hand (createsuperuser admin) cannot become a person
        # through the import, which rejects a username that is already taken.
        accounts_only = set(
            get_user_model()
            .objects.filter(username__in=numbers, person__isnull=True)
            .values_list("username", flat=True)
        )
        for username in sorted(accounts_only):
            self.stdout.write(
                f"  {username}: account exists without a person record; "
                "kept as an account only."
            )
        skip = on_file | accounts_only
        missing = [row for row in rows if row["employee_no"] not in skip]
        if not missing:
            self.stdout.write(f"People: all {len(rows)} already on file.")
            return
        record = roster_import_create(
            actor=None,
            uploaded_file=SimpleUploadedFile(
                "demo-roster.xlsx", self.roster_workbook(missing), XLSX
            ),
            language="zh-hans",
        )
        record.refresh_from_db()
        if record.status != RosterImport.Status.SUCCEEDED:
            lines = [
                f"第 {e['row']} 行 {e['column']}: {e['message']}" for e in record.errors
            ]
            raise CommandError(
                f"The demo roster was not imported ({record.get_status_display()}):\n"
                + "\n".join(lines or ["(no details; is a task worker needed?)"])
            )
        self.stdout.write(
            f"People: {len(rows)} in the demo roster, {record.created_count} imported "
            f"through roster import #{record.pk}."
        )

    @staticmethod
    def roster_workbook(rows: list[dict]) -> bytes:
        """The coordinators' download template, filled in as a coordinator would."""
        wb = load_workbook(io.BytesIO(roster_template_workbook()))
        ws = wb.worksheets[0]
        header = [cell.value for cell in ws[1]]
        keys = {c.header: c.key for c in ROSTER_COLUMNS}
        for row in rows:
            ws.append([row.get(keys[h]) for h in header])
        buffer = io.BytesIO()
        wb.save(buffer)
        return buffer.getvalue()

    # --- logins --------------------------------------------------------------------

    def seed_logins(self) -> None:
        User = get_user_model()
        role_groups_ensure()
        units = OrgUnit.objects.in_bulk(
            [login.unit for login in demo.DEMO_LOGINS], field_name="code"
        )
        changed = 0
        for login in demo.DEMO_LOGINS:
            user = User.objects.get(username=login.username)
            fields = []
            if not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                fields.append("password")
            if not user.is_active:
                user.is_active = True
                fields.append("is_active")
            if login.username in demo.SUPERUSERS and not (
                user.is_superuser and user.is_staff
            ):
                user.is_superuser = user.is_staff = True
                fields += ["is_superuser", "is_staff"]
            if not user.full_name:
                user.full_name = login.description
                fields.append("full_name")
            if not user.email:
                user.email = f"{login.username}@{demo.EMAIL_DOMAIN}"
                fields.append("email")
            if fields:
                user.save(update_fields=fields)
                changed += 1
            if login.role:
                role_grant_create(
                    user=user, role=login.role, unit=units[login.unit], actor=None
                )
        self.stdout.write(
            f"Logins: {len(demo.DEMO_LOGINS)} demo logins, {changed} updated."
        )

    # --- pages ---------------------------------------------------------------------

    def seed_pages(self) -> None:
        site = Site.objects.filter(is_default_site=True).first()
        root = site.root_page.specific if site else None
        if not isinstance(root, HomePage):
            root = HomePage.objects.first()
        if root is None:
            raise CommandError("No HomePage found; run `manage.py migrate` first.")
        if root.intro.strip() in demo.STOCK_HOME_INTROS:
            root.intro = demo.HOME_INTRO
            root.save_revision().publish()
            self.stdout.write("Pages: home page introduction written.")
        created = 0
        for spec in demo.DEMO_PAGES:
            # Fetched afresh: add_child updates the parent's numchild and path data.
            home = Page.objects.get(pk=root.pk)
            if home.get_children().filter(slug=spec.slug).exists():
                continue
            page = StandardPage(
                title=spec.title,
                slug=spec.slug,
                introduction=spec.introduction,
                body=spec.body,
            )
            home.add_child(instance=page)
            page.save_revision().publish()
            created += 1
        self.stdout.write(
            f"Pages: {len(demo.DEMO_PAGES)} pages under “{root.title}”, "
            f"{created} created."
        )

    # --- question bank, quizzes and attempts ------------------------------------

    def seed_assessments(self) -> None:
        User = get_user_model()
        logins = User.objects.in_bulk(
            [login.username for login in demo.DEMO_LOGINS], field_name="username"
        )
        unit = OrgUnit.objects.get(code=demo.EXAM_TAKERS_UNIT)
        # Learners under the coordinator's unit, so the coordinator can grade them
        # and finds the ungraded answer in the grading queue.
        others = list(
            User.objects.filter(
                person__unit__path__startswith=unit.path, is_active=True
            )
            .exclude(username__in=logins)
            .order_by("username")
        )
        assessments_demo.seed(
            editor=logins["editor"],
            grader=logins["coordinator"],
            learner=logins["learner"],
            others=others,
            stdout=self.stdout,
        )

    # --- courses, assignments and progress ---------------------------------------

    def seed_courses(self) -> None:
        User = get_user_model()
        logins = User.objects.in_bulk(
            [login.username for login in demo.DEMO_LOGINS], field_name="username"
        )
        coordinator = logins["coordinator"]
        unit = OrgUnit.objects.get(code=demo.COURSE_UNIT)
        # The coordinator's assignment covers the people of the unit subtree that
        # the coordinator may manage (courses re-checks the scope).
        in_scope = people_visible_to(coordinator, manage=True).filter(
            unit__path__startswith=unit.path, user__is_active=True
        )
        other_logins = [u for u in logins if u != "learner"]
        unit_users = [
            person.user
            for person in in_scope.exclude(user__username__in=other_logins).order_by(
                "user__username"
            )
        ]
        colleagues = [
            user
            for user in unit_users
            if user.username != "learner"
            and user.person.unit.code == demo.COURSE_DEPARTMENT
        ]
        courses_demo.seed(
            editor=logins["editor"],
            publisher=logins["admin"],
            coordinator=coordinator,
            learner=logins["learner"],
            unit_label=f"{unit.name}（含下级单位）",
            unit_users=unit_users,
            colleagues=colleagues,
            stdout=self.stdout,
        )

    # --- summary -------------------------------------------------------------------

    def seed_programmes(self) -> None:
        """The national rules, owned by the supreme procuratorate (before any credit
        is written, so every credit is measured against them)."""
        from training.programmes.national import programmes_national_ensure

        programmes_national_ensure(owner_unit=OrgUnit.objects.get(code="SPP"))
        self.stdout.write("Programmes: the national training rules are in place.")

    def seed_training(self) -> None:
        """学时 history, a political rotation class with attendance, external records
        waiting for approval, exemptions, progress reports (one late) and
        certificates (one revoked, one re-issued)."""
        from training.demo.certificates import seed_certificates
        from training.demo.classes import seed_classes
        from training.demo.ledger import seed_ledger_history
        from training.demo.records import seed_records
        from training.demo.reports import seed_reports

        seed_ledger_history(stdout=self.stdout)
        seed_classes(stdout=self.stdout)
        seed_records(stdout=self.stdout)
        seed_reports(stdout=self.stdout)
        seed_certificates(stdout=self.stdout)

    def print_summary(self, seconds: float) -> None:
        units = OrgUnit.objects.in_bulk(
            [login.unit for login in demo.DEMO_LOGINS], field_name="code"
        )
        table = [("username", "password", "role", "unit")]
        for login in demo.DEMO_LOGINS:
            table.append(
                (
                    login.username,
                    DEMO_PASSWORD,
                    f"{login.role or 'learner'}（{login.description}）",
                    f"{units[login.unit].name}（{login.unit}）",
                )
            )
        widths = [max(_width(row[i]) for row in table) for i in range(4)]
        rule = "  ".join("-" * w for w in widths)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo logins"))
        for index, row in enumerate(table):
            self.stdout.write(
                "  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip()
            )
            if index == 0:
                self.stdout.write(rule)
        self.stdout.write("")
        if settings.MFA_ENFORCED:
            self.stdout.write(
                self.style.WARNING(
                    "MFA_ENFORCED is on: coordinator, leader, editor and admin must "
                    "set up TOTP at their first login."
                )
            )
        else:
            self.stdout.write(
                "MFA_ENFORCED is off in these (dev) settings, so the demo logins work "
                "without TOTP."
            )
        self.stdout.write(
            f"Totals: {OrgUnit.objects.count()} units, "
            f"{Person.objects.count()} people, "
            f"{RoleGrant.objects.count()} role grants, "
            f"{StandardPage.objects.count()} content pages. ({seconds:.1f} s)"
        )


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
