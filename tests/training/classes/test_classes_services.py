"""Class services: quotas, capacity, attendance, completion and its credit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments.models import Attempt
from cms.models import AuditEvent
from tests.factories import PersonFactory
from tests.factories.assessments import quiz as make_quiz
from tests.factories.training import make_class, make_programme
from training.classes.attendance import attendance_bulk_record, attendance_record
from training.classes.models import AttendanceRecord, ClassMember, TrainingClass
from training.classes.selectors import classes_visible_to
from training.classes.services import (
    class_complete,
    class_create,
    class_member_withdraw,
    class_nominate,
    class_outcomes,
    class_quota_set,
    class_session_add,
    class_update,
)
from training.ledger.models import LedgerEntry

P, L, V, A = "present", "late", "leave", "absent"


@pytest.fixture
def klass(tree, coordinator):
    return make_class(tree.city_a, actor=coordinator, sessions=5, capacity=5)


def _mark(training_class, member, statuses, actor=None):
    for session, status in zip(training_class.sessions.all(), statuses, strict=False):
        attendance_record(
            session=session,
            member=member,
            status=status,
            leave_reason="出差" if status == V else "",
            actor=actor,
        )


# --- create and update --------------------------------------------------------


def test_create_needs_manage_scope(tree, coordinator, coordinator_b, leader):
    with pytest.raises(PermissionDenied):
        make_class(tree.city_a, actor=coordinator_b)
    with pytest.raises(PermissionDenied):
        make_class(tree.city_a, actor=leader)
    training_class = make_class(tree.a1, actor=coordinator)
    assert training_class.created_by == coordinator
    assert training_class.status == TrainingClass.Status.PLANNED


def test_create_validates_dates(tree, coordinator):
    with pytest.raises(ValidationError) as exc:
        class_create(
            actor=coordinator,
            organiser_unit=tree.city_a,
            name="x",
            kind="on_the_job",
            place="x",
            starts_on=dt.date(2026, 5, 2),
            ends_on=dt.date(2026, 5, 1),
            capacity=3,
            credited_hours=Decimal(1),
            credited_days=Decimal(1),
        )
    assert "ends_on" in exc.value.message_dict


def test_update_by_other_unit_refused(klass, coordinator, coordinator_b, tree):
    with pytest.raises(PermissionDenied):
        class_update(training_class=klass, actor=coordinator_b, name="改名")
    # Moving the class to a unit the actor does not manage is refused too.
    with pytest.raises(PermissionDenied):
        class_update(training_class=klass, actor=coordinator, organiser_unit=tree.b1)
    class_update(training_class=klass, actor=coordinator, name="改名")
    klass.refresh_from_db()
    assert klass.name == "改名"


def test_session_must_fall_inside_the_class(klass, coordinator):
    with pytest.raises(ValidationError) as exc:
        class_session_add(
            training_class=klass,
            actor=coordinator,
            date=dt.date(2026, 6, 1),
            starts_at=dt.time(9),
            ends_at=dt.time(11),
            title="x",
        )
    assert "date" in exc.value.message_dict


# --- quotas and nominations ---------------------------------------------------


def test_quota_only_below_organiser_and_within_capacity(klass, tree, coordinator):
    with pytest.raises(ValidationError):
        class_quota_set(training_class=klass, unit=tree.b1, seats=1, actor=coordinator)
    with pytest.raises(ValidationError):
        class_quota_set(
            training_class=klass, unit=tree.city_a, seats=1, actor=coordinator
        )
    class_quota_set(training_class=klass, unit=tree.a1, seats=3, actor=coordinator)
    with pytest.raises(ValidationError):  # 3 + 3 > capacity 5
        class_quota_set(training_class=klass, unit=tree.a2, seats=3, actor=coordinator)


def test_quota_enforced_for_the_persons_unit(tree, coordinator):
    klass = make_class(tree.prov, capacity=10)  # organised by the province (system)
    class_quota_set(training_class=klass, unit=tree.city_a, seats=2, actor=None)
    a1 = [PersonFactory(unit=tree.a1) for _ in range(3)]
    class_nominate(training_class=klass, person=a1[0], actor=coordinator)
    class_nominate(training_class=klass, person=a1[1], actor=coordinator)
    with pytest.raises(ValidationError, match=r"名额.*已用完"):
        class_nominate(training_class=klass, person=a1[2], actor=coordinator)
    member = klass.members.get(person=a1[0])
    assert member.nominating_unit == tree.city_a
    # Withdrawing frees the seat.
    class_member_withdraw(member=member, actor=coordinator)
    class_nominate(training_class=klass, person=a1[2], actor=coordinator)
    assert klass.members.filter(status="confirmed").count() == 2


def test_coordinator_without_quota_cannot_nominate(tree, coordinator_b, people):
    klass = make_class(tree.prov, capacity=10)
    class_quota_set(training_class=klass, unit=tree.city_a, seats=2, actor=None)
    with pytest.raises(ValidationError):
        class_nominate(training_class=klass, person=people["B1"], actor=coordinator_b)


def test_cannot_nominate_people_outside_scope(klass, coordinator_b, people):
    with pytest.raises(PermissionDenied):
        class_nominate(training_class=klass, person=people["A1"], actor=coordinator_b)
    assert not klass.members.exists()


def test_capacity_enforced(tree, coordinator):
    klass = make_class(tree.city_a, actor=coordinator, capacity=2)
    people = [PersonFactory(unit=tree.a2) for _ in range(3)]
    class_nominate(training_class=klass, person=people[0], actor=coordinator)
    class_nominate(training_class=klass, person=people[1], actor=coordinator)
    with pytest.raises(ValidationError, match="培训班已满"):
        class_nominate(training_class=klass, person=people[2], actor=coordinator)


def test_nominating_twice_refused(klass, coordinator, people):
    class_nominate(training_class=klass, person=people["A1"], actor=coordinator)
    with pytest.raises(ValidationError):
        class_nominate(training_class=klass, person=people["A1"], actor=coordinator)


def test_visibility(tree, coordinator, coordinator_b, leader, people, learner):
    own = make_class(tree.city_a, actor=coordinator, name="甲市班")
    province = make_class(tree.prov, name="省院班")
    class_quota_set(training_class=province, unit=tree.city_b, seats=2, actor=None)
    assert set(classes_visible_to(coordinator)) == {own}
    assert set(classes_visible_to(leader)) == {own}
    assert set(classes_visible_to(coordinator_b)) == {province}
    assert not classes_visible_to(learner).exists()
    class_nominate(training_class=own, person=people["A1"], actor=coordinator)
    assert set(classes_visible_to(learner)) == {own}
    # A province class with a CITY-B member shows up for CITY-B, not for CITY-A.
    plain = make_class(tree.prov, name="省院直办班")
    class_nominate(training_class=plain, person=people["B1"], actor=None)
    assert set(classes_visible_to(coordinator_b)) == {province, plain}
    assert set(classes_visible_to(coordinator)) == {own}


# --- attendance ---------------------------------------------------------------


def test_leave_needs_reason(klass, coordinator, people):
    member = class_nominate(
        training_class=klass, person=people["A1"], actor=coordinator
    )
    session = klass.sessions.first()
    with pytest.raises(ValidationError):
        attendance_record(
            session=session,
            member=member,
            status=V,
            leave_reason=" ",
            actor=coordinator,
        )
    assert not AttendanceRecord.objects.exists()
    attendance_record(
        session=session, member=member, status=V, leave_reason="病假", actor=coordinator
    )
    record = AttendanceRecord.objects.get()
    assert record.leave_reason == "病假"
    klass.refresh_from_db()
    assert klass.status == TrainingClass.Status.RUNNING


def test_bulk_record_all_or_nothing(klass, coordinator, people):
    m1 = class_nominate(training_class=klass, person=people["A1"], actor=coordinator)
    m2 = class_nominate(training_class=klass, person=people["A2"], actor=coordinator)
    session = klass.sessions.first()
    with pytest.raises(ValidationError) as exc:
        attendance_bulk_record(
            session=session,
            statuses={m1.pk: (P, ""), m2.pk: (V, "")},
            actor=coordinator,
        )
    assert set(exc.value.message_dict) == {str(m2.pk)}
    assert not AttendanceRecord.objects.exists()
    attendance_bulk_record(
        session=session, statuses={m1.pk: (P, ""), m2.pk: (L, "")}, actor=coordinator
    )
    # Changing one row updates it in place.
    attendance_bulk_record(
        session=session, statuses={m2.pk: (A, "")}, actor=coordinator
    )
    assert dict(AttendanceRecord.objects.values_list("member_id", "status")) == {
        m1.pk: P,
        m2.pk: A,
    }


def test_attendance_refused_to_other_unit(klass, coordinator, coordinator_b, people):
    member = class_nominate(
        training_class=klass, person=people["A1"], actor=coordinator
    )
    with pytest.raises(PermissionDenied):
        attendance_record(
            session=klass.sessions.first(),
            member=member,
            status=P,
            actor=coordinator_b,
        )


def test_attendance_for_other_class_member_refused(klass, tree, coordinator, people):
    other = make_class(tree.city_a, actor=coordinator, sessions=1)
    stranger = class_nominate(
        training_class=other, person=people["A2"], actor=coordinator
    )
    with pytest.raises(ValidationError):
        attendance_bulk_record(
            session=klass.sessions.first(),
            statuses={stranger.pk: (P, "")},
            actor=coordinator,
        )


# --- completion ---------------------------------------------------------------


def test_attendance_percent_and_results(klass, coordinator, people, tree):
    good = class_nominate(training_class=klass, person=people["A1"], actor=coordinator)
    weak = class_nominate(training_class=klass, person=people["A2"], actor=coordinator)
    _mark(klass, good, [P, P, L, P, V])  # 4 of 5 = 80 %: passes at 80 %
    _mark(klass, weak, [P, A, V, P, P])  # 3 of 5 = 60 %
    outcomes = {o.member.pk: o for o in class_outcomes(klass)}
    assert outcomes[good.pk].percent == Decimal("80.0")
    assert outcomes[good.pk].passed
    assert outcomes[weak.pk].percent == Decimal("60.0")
    assert not outcomes[weak.pk].passed
    assert outcomes[weak.pk].note


def test_complete_credits_passed_members_once(tree, coordinator, people):
    programme = make_programme(tree.prov, hours_required=Decimal("90")).programme
    klass = make_class(tree.city_a, actor=coordinator, sessions=3, programme=programme)
    good = class_nominate(training_class=klass, person=people["A1"], actor=coordinator)
    weak = class_nominate(training_class=klass, person=people["A2"], actor=coordinator)
    gone = class_nominate(
        training_class=klass, person=people["CITY-A"], actor=coordinator
    )
    class_member_withdraw(member=gone, actor=coordinator)
    _mark(klass, good, [P, P, P])
    _mark(klass, weak, [A, A, P])
    class_complete(training_class=klass, actor=coordinator)

    good.refresh_from_db()
    weak.refresh_from_db()
    gone.refresh_from_db()
    assert (good.result, good.attendance_percent) == ("passed", Decimal("100.0"))
    assert (weak.result, weak.attendance_percent) == ("failed", Decimal("33.3"))
    assert weak.result_note
    assert gone.result == ""
    entry = LedgerEntry.objects.get()
    assert entry.person == people["A1"]
    assert entry.source == LedgerEntry.Source.CLASS
    assert entry.hours == Decimal("40")
    assert entry.days == Decimal("5")
    assert entry.is_centralised
    assert entry.programme == programme
    assert entry.occurred_on == klass.ends_on
    assert entry.source_key == f"class:{klass.pk}:{people['A1'].pk}"
    assert entry.created_by == coordinator
    klass.refresh_from_db()
    assert klass.status == TrainingClass.Status.COMPLETED
    assert klass.completed_by == coordinator
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CLASS_COMPLETED, target_id=str(klass.pk)
    ).exists()

    with pytest.raises(ValidationError):
        class_complete(training_class=klass, actor=coordinator)
    assert LedgerEntry.objects.count() == 1
    # Closed: no more attendance or nominations.
    with pytest.raises(ValidationError):
        attendance_record(
            session=klass.sessions.first(), member=weak, status=P, actor=coordinator
        )


def test_complete_needs_final_exam_pass(tree, coordinator, people):
    exam = make_quiz(kind="exam", title="结业考试")
    klass = make_class(
        tree.city_a, actor=coordinator, sessions=2, final_quiz=exam, kind="on_the_job"
    )
    passer = class_nominate(
        training_class=klass, person=people["A1"], actor=coordinator
    )
    failer = class_nominate(
        training_class=klass, person=people["A2"], actor=coordinator
    )
    for member in (passer, failer):
        _mark(klass, member, [P, P])
    Attempt.objects.create(
        quiz=exam, user=people["A1"].user, number=1, status="finished", passed=True
    )
    Attempt.objects.create(
        quiz=exam, user=people["A2"].user, number=1, status="finished", passed=False
    )
    class_complete(training_class=klass, actor=coordinator)
    results = dict(klass.members.values_list("person_id", "result"))
    assert results == {people["A1"].pk: "passed", people["A2"].pk: "failed"}
    entry = LedgerEntry.objects.get()
    assert entry.person == people["A1"]
    assert not entry.is_centralised


def test_complete_refused_to_other_unit_and_without_sessions(
    tree, coordinator, coordinator_b
):
    klass = make_class(tree.city_a, actor=coordinator)
    with pytest.raises(PermissionDenied):
        class_complete(training_class=klass, actor=coordinator_b)
    with pytest.raises(ValidationError):
        class_complete(training_class=klass, actor=coordinator)
    klass.refresh_from_db()
    assert klass.status == TrainingClass.Status.PLANNED


def test_completion_member_counts(klass, coordinator, people):
    class_nominate(training_class=klass, person=people["A1"], actor=coordinator)
    assert ClassMember.objects.filter(training_class=klass).count() == 1
