"""Demo classes for ``seed_demo``: one completed 政治轮训 class with attendance and
credit, one upcoming on-the-job class with quotas and nominations.

Written through the class services (as the system, ``actor=None``, except the
nominations of the upcoming class, which the demo coordinator makes). Idempotent:
classes are found by name and organiser; a completed class is left alone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from training.classes.attendance import attendance_bulk_record
from training.classes.models import TrainingClass
from training.classes.services import (
    class_complete,
    class_create,
    class_nominate,
    class_quota_set,
    class_session_add,
)
from training.org.models import OrgUnit, Person
from training.programmes.models import Programme

PROVINCE = "ZJ"
COMPLETED_NAME = "2026 年度政治轮训班（第一期）"
UPCOMING_NAME = "检察业务岗位培训班（2027 年第一期）"
COMPLETED_START = dt.date(2026, 4, 13)
SESSION_TOPICS = (
    "习近平法治思想专题辅导",
    "检察官职业道德：忠诚、公正、清廉、文明",
    "法律监督与群众工作",
    "检察工作信息化应用",
    "突发事件处置与舆情应对",
)
MEMBER_COUNT = 10
# (member index, session index): reason. Member 6 also misses a session, so one
# member does not complete the class (3 of 5 sessions, below 80 %).
LEAVES = {(2, 1): "出庭公诉", (6, 3): "病假"}
ABSENT = {(6, 0)}
LATE = {(4, 2)}
# Upcoming class: quotas for the two municipal procuratorates of the province.
UPCOMING_QUOTAS = {"ZJ-HZ": 6, "ZJ-NB": 4}
UPCOMING_NOMINEES = 4  # from the demo coordinator's unit (ZJ-HZ)


def _write(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def _demo_people(unit: OrgUnit, count: int, must_include: Person | None) -> list:
    """``count`` people spread over the unit's subtree (every n-th by number)."""
    people = list(
        Person.objects.filter(
            unit__path__startswith=unit.path, is_active=True, user__is_active=True
        )
        .exclude(pk=must_include.pk if must_include else None)
        .select_related("unit", "user")
        .order_by("employee_no")
    )
    wanted = count - (1 if must_include else 0)
    step = max(1, len(people) // max(1, wanted))
    chosen = people[::step][:wanted]
    return ([must_include] if must_include else []) + chosen


@transaction.atomic
def seed_classes(*, stdout=None) -> None:
    province = OrgUnit.objects.filter(code=PROVINCE).first()
    if province is None:
        _write(stdout, "Classes: no demo province; run the unit seeding first.")
        return
    User = get_user_model()
    learner = Person.objects.filter(user__username="learner").first()
    coordinator = User.objects.filter(username="coordinator").first()
    _seed_completed(province, learner, stdout)
    _seed_upcoming(province, coordinator, stdout)


def _seed_completed(province: OrgUnit, learner: Person | None, stdout) -> None:
    training_class = TrainingClass.objects.filter(
        name=COMPLETED_NAME, organiser_unit=province
    ).first()
    if training_class is not None and training_class.status in {
        TrainingClass.Status.COMPLETED,
        TrainingClass.Status.CANCELLED,
    }:
        _write(stdout, f"Classes: “{COMPLETED_NAME}” already completed.")
        return
    if training_class is None:
        training_class = class_create(
            actor=None,
            organiser_unit=province,
            name=COMPLETED_NAME,
            kind=TrainingClass.Kind.CENTRALISED,
            programme=Programme.objects.filter(key="political-2026").first(),
            place="浙江省检察官学院",
            starts_on=COMPLETED_START,
            ends_on=COMPLETED_START + dt.timedelta(days=len(SESSION_TOPICS) - 1),
            capacity=40,
            credited_hours=Decimal("40"),
            credited_days=Decimal("5"),
            min_attendance_percent=80,
            description="全省检察机关政治轮训，集中脱产学习五天。",
        )
        for index, topic in enumerate(SESSION_TOPICS):
            class_session_add(
                training_class=training_class,
                actor=None,
                date=COMPLETED_START + dt.timedelta(days=index),
                starts_at=dt.time(8, 30),
                ends_at=dt.time(11, 30),
                title=topic,
            )
    seated = set(training_class.members.values_list("person_id", flat=True))
    for person in _demo_people(province, MEMBER_COUNT, learner):
        if person.pk not in seated:
            class_nominate(training_class=training_class, person=person, actor=None)
    members = list(
        training_class.members.filter(status="confirmed").order_by(
            "person__employee_no"
        )
    )
    # The learner first, so the leave and absence land on other people.
    members.sort(key=lambda m: learner is None or m.person_id != learner.pk)
    for s_index, session in enumerate(training_class.sessions.all()):
        statuses = {}
        for m_index, member in enumerate(members):
            if (m_index, s_index) in LEAVES:
                statuses[member.pk] = ("leave", LEAVES[(m_index, s_index)])
            elif (m_index, s_index) in ABSENT:
                statuses[member.pk] = ("absent", "")
            elif (m_index, s_index) in LATE:
                statuses[member.pk] = ("late", "")
            else:
                statuses[member.pk] = ("present", "")
        attendance_bulk_record(session=session, statuses=statuses, actor=None)
    outcomes = class_complete(training_class=training_class, actor=None)
    passed = sum(1 for o in outcomes if o.passed)
    _write(
        stdout,
        f"Classes: “{COMPLETED_NAME}” completed, {passed} of {len(outcomes)} "
        "members credited.",
    )


def _seed_upcoming(province: OrgUnit, coordinator, stdout) -> None:
    if TrainingClass.objects.filter(
        name=UPCOMING_NAME, organiser_unit=province
    ).exists():
        _write(stdout, f"Classes: “{UPCOMING_NAME}” already there.")
        return
    starts = timezone.localdate() + dt.timedelta(days=30)
    training_class = class_create(
        actor=None,
        organiser_unit=province,
        name=UPCOMING_NAME,
        kind=TrainingClass.Kind.ON_THE_JOB,
        programme=None,
        place="杭州市人民检察院培训中心",
        starts_on=starts,
        ends_on=starts + dt.timedelta(days=2),
        capacity=12,
        credited_hours=Decimal("18"),
        credited_days=Decimal("3"),
        min_attendance_percent=80,
        description="岗位素能培训：案件审查、出庭和文书写作。",
    )
    for index, topic in enumerate(("案件审查实务", "出庭公诉技能", "检察文书写作")):
        class_session_add(
            training_class=training_class,
            actor=None,
            date=starts + dt.timedelta(days=index),
            starts_at=dt.time(14),
            ends_at=dt.time(17),
            title=topic,
        )
    units = OrgUnit.objects.in_bulk(list(UPCOMING_QUOTAS), field_name="code")
    for code, seats in UPCOMING_QUOTAS.items():
        if code in units:
            class_quota_set(
                training_class=training_class,
                unit=units[code],
                seats=seats,
                actor=None,
            )
    nominated = 0
    if "ZJ-HZ" in units:
        already = set(
            Person.objects.filter(
                class_memberships__training_class__name=COMPLETED_NAME
            ).values_list("pk", flat=True)
        )
        for person in _demo_people(units["ZJ-HZ"], UPCOMING_NOMINEES * 3, None):
            if nominated >= UPCOMING_NOMINEES:
                break
            if person.pk in already or person.user.username == "learner":
                continue
            class_nominate(
                training_class=training_class, person=person, actor=coordinator
            )
            nominated += 1
    _write(
        stdout,
        f"Classes: “{UPCOMING_NAME}” created with {len(units)} quotas and "
        f"{nominated} nominations.",
    )
