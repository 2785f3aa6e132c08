"""Class pages: who may open what, the check-in screen, import, completion, exports,
"my classes", and query counts of the list and roster pages."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.factories import PersonFactory
from tests.factories.training import make_class
from training.classes.attendance import attendance_record
from training.classes.models import (
    AttendanceRecord,
    ClassMember,
    ClassQuota,
    ClassSession,
    TrainingClass,
)
from training.classes.services import class_nominate, class_quota_set
from training.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def klass(tree, coordinator, people):
    training_class = make_class(tree.city_a, actor=coordinator, sessions=2)
    for code in ("A1", "A2"):
        class_nominate(
            training_class=training_class, person=people[code], actor=coordinator
        )
    return training_class


def url(name, *args):
    return reverse(f"training:{name}", args=args)


def _member(klass, code):
    return klass.members.get(person__employee_no=f"P-{code}")


# --- access -------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, klass):
    for target in (url("class_list"), url("class_mine"), url("class_detail", klass.pk)):
        response = client.get(target)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_other_city_coordinator_cannot_open_a_city_a_class(
    client, klass, coordinator_b
):
    client.force_login(coordinator_b)
    session = klass.sessions.first()
    member = _member(klass, "A1")
    gets = [
        url("class_detail", klass.pk),
        url("class_edit", klass.pk),
        url("class_quotas", klass.pk),
        url("class_nominate", klass.pk),
        url("class_session_new", klass.pk),
        url("attendance_checkin", klass.pk, session.pk),
        url("attendance_import", klass.pk),
        url("attendance_template", klass.pk),
        url("class_complete", klass.pk),
        url("class_roster_export", klass.pk),
    ]
    for target in gets:
        response = client.get(target)
        assert response.status_code in {403, 404}, target
        assert "P-A1" not in response.content.decode(errors="ignore")
    response = client.post(
        url("attendance_checkin", klass.pk, session.pk),
        {f"status-{member.pk}": "present"},
    )
    assert response.status_code in {403, 404}
    response = client.post(url("class_complete", klass.pk))
    assert response.status_code in {403, 404}
    response = client.post(url("class_edit", klass.pk), {"name": "x"})
    assert response.status_code in {403, 404}
    response = client.post(url("class_member_withdraw", klass.pk, member.pk))
    assert response.status_code in {403, 404}
    assert not AttendanceRecord.objects.exists()
    klass.refresh_from_db()
    assert klass.status == TrainingClass.Status.PLANNED
    assert _member(klass, "A1").status == ClassMember.Status.CONFIRMED
    assert klass.name != "x"
    response = client.get(url("class_list"))
    assert klass.name not in response.content.decode()


def test_coordinator_cannot_nominate_people_of_another_city(
    client, tree, coordinator, coordinator_b, people
):
    province = make_class(tree.prov, capacity=10)
    class_quota_set(training_class=province, unit=tree.city_b, seats=3, actor=None)
    class_quota_set(training_class=province, unit=tree.city_a, seats=3, actor=None)
    client.force_login(coordinator_b)
    # The search does not find CITY-A people.
    response = client.get(url("class_nominate", province.pk), {"q": "P-A1"})
    assert response.status_code == 200
    assert response.context["candidates"] == []
    # Posting a CITY-A id anyway is refused and writes nothing.
    response = client.post(
        url("class_nominate", province.pk), {"people": [people["A1"].pk]}
    )
    assert response.status_code == 403
    assert not province.members.exists()
    # Own people go in, counted against CITY-B's quota.
    response = client.post(
        url("class_nominate", province.pk), {"people": [people["B1"].pk]}
    )
    assert response.status_code == 302
    member = province.members.get()
    assert member.nominating_unit == tree.city_b
    # The roster shows coordinator_b only their own people.
    class_nominate(training_class=province, person=people["A1"], actor=coordinator)
    response = client.get(url("class_detail", province.pk))
    assert response.status_code == 200
    assert [m.person.employee_no for m in response.context["roster"]] == ["P-B1"]


def test_leader_reads_but_cannot_manage(client, klass, leader):
    client.force_login(leader)
    assert client.get(url("class_list")).status_code == 200
    response = client.get(url("class_detail", klass.pk))
    assert response.status_code == 200
    assert not response.context["may_manage"]
    assert client.get(url("class_edit", klass.pk)).status_code == 403
    assert client.get(url("class_create")).status_code == 403
    session = klass.sessions.first()
    assert (
        client.get(url("attendance_checkin", klass.pk, session.pk)).status_code == 403
    )


def test_learner_sees_only_own_classes(client, tree, coordinator, klass, learner):
    other = make_class(tree.city_a, actor=coordinator, name="别的班", sessions=1)
    attendance_record(
        session=klass.sessions.first(),
        member=_member(klass, "A1"),
        status="leave",
        leave_reason="病假",
        actor=coordinator,
    )
    client.force_login(learner)
    assert client.get(url("class_list")).status_code == 302  # to "my classes"
    response = client.get(url("class_mine"))
    assert response.status_code == 200
    page = response.content.decode()
    assert klass.name in page
    assert other.name not in page
    assert "病假" in page
    assert client.get(url("class_detail", other.pk)).status_code == 403
    # Their own class: only their own row of the roster.
    response = client.get(url("class_detail", klass.pk))
    assert [m.person.employee_no for m in response.context["roster"]] == ["P-A1"]
    assert client.get(url("class_roster_export", klass.pk)).status_code == 403
    assert client.get(url("class_edit", klass.pk)).status_code == 403


# --- create, sessions, quotas -------------------------------------------------


def test_create_class_via_form(client, tree, coordinator):
    client.force_login(coordinator)
    response = client.get(url("class_create"))
    assert 'id="class-form"' in response.content.decode()
    data = {
        "name": "岗位练兵班",
        "kind": "on_the_job",
        "organiser_unit": tree.a1.pk,
        "place": "甲一区院",
        "starts_on": "2026-09-01",
        "ends_on": "2026-09-03",
        "capacity": "20",
        "credited_hours": "18",
        "credited_days": "3",
        "min_attendance_percent": "80",
    }
    response = client.post(url("class_create"), {**data, "ends_on": "2026-08-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["ends_on"]
    # A unit outside the scope is not a valid choice.
    response = client.post(url("class_create"), {**data, "organiser_unit": tree.b1.pk})
    assert response.status_code == 200
    assert "organiser_unit" in response.context["form"].errors
    assert not TrainingClass.objects.exists()
    response = client.post(url("class_create"), data)
    training_class = TrainingClass.objects.get()
    assert response.status_code == 302
    assert training_class.organiser_unit == tree.a1
    assert training_class.created_by == coordinator


def test_add_session_and_quota(client, klass, coordinator, tree):
    client.force_login(coordinator)
    response = client.post(
        url("class_session_new", klass.pk),
        {"date": "2026-07-01", "starts_at": "09:00", "ends_at": "11:00", "title": "x"},
    )
    assert response.status_code == 200  # outside the class dates
    assert response.context["form"].errors["date"]
    response = client.post(
        url("class_session_new", klass.pk),
        {
            "date": "2026-05-13",
            "starts_at": "09:00",
            "ends_at": "11:00",
            "title": "案例",
        },
    )
    assert response.status_code == 302
    assert ClassSession.objects.filter(training_class=klass).count() == 3
    response = client.post(
        url("class_quotas", klass.pk), {"unit": tree.a1.pk, "seats": "4"}
    )
    assert response.status_code == 302
    assert ClassQuota.objects.get().seats == 4
    response = client.post(
        url("class_quotas", klass.pk), {"unit": tree.b1.pk, "seats": "4"}
    )
    assert response.status_code == 200  # B1 is not below CITY-A
    assert ClassQuota.objects.count() == 1


# --- the check-in screen ------------------------------------------------------


def test_checkin_screen_records_and_redisplays_errors(client, klass, coordinator):
    client.force_login(coordinator)
    session = klass.sessions.first()
    target = url("attendance_checkin", klass.pk, session.pk)
    a1, a2 = _member(klass, "A1"), _member(klass, "A2")
    response = client.get(target)
    assert 'id="attendance-form"' in response.content.decode()
    # "Everyone present" fills in the form without saving.
    response = client.get(target, {"all_present": "1"})
    assert {row["status"] for row in response.context["rows"]} == {"present"}
    assert not AttendanceRecord.objects.exists()
    # A leave without a reason: nothing saved, the row shows its error.
    response = client.post(
        target, {f"status-{a1.pk}": "present", f"status-{a2.pk}": "leave"}
    )
    assert response.status_code == 200
    assert f'id="error-{a2.pk}"' in response.content.decode()
    assert not AttendanceRecord.objects.exists()
    response = client.post(
        target,
        {
            f"status-{a1.pk}": "present",
            f"status-{a2.pk}": "leave",
            f"reason-{a2.pk}": "出庭",
        },
    )
    assert response.status_code == 302
    assert dict(AttendanceRecord.objects.values_list("member_id", "status")) == {
        a1.pk: "present",
        a2.pk: "leave",
    }


def test_checkin_ignores_members_of_other_classes(client, tree, klass, coordinator):
    other = make_class(tree.city_a, actor=coordinator, sessions=1)
    stranger = class_nominate(
        training_class=other,
        person=PersonFactory(unit=tree.a2),
        actor=coordinator,
    )
    client.force_login(coordinator)
    session = klass.sessions.first()
    client.post(
        url("attendance_checkin", klass.pk, session.pk),
        {f"status-{stranger.pk}": "present"},
    )
    assert not AttendanceRecord.objects.filter(member=stranger).exists()
    # A session id of another class is not found under this class.
    response = client.get(url("attendance_checkin", klass.pk, other.sessions.get().pk))
    assert response.status_code == 404


# --- import, completion, export -----------------------------------------------


def _upload(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["工号", "日期", "状态", "请假事由"])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "attendance.xlsx"
    return buffer


def test_import_page(client, klass, coordinator):
    client.force_login(coordinator)
    response = client.get(url("attendance_template", klass.pk))
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).worksheets[0]["A1"].value == (
        "工号"
    )
    response = client.post(
        url("attendance_import", klass.pk),
        {"file": _upload([["P-A1", "2026-05-11", "出勤", ""], ["P-A2", "x", "y", ""]])},
    )
    assert response.status_code == 200
    assert 'id="import-errors"' in response.content.decode()
    assert {e["row"] for e in response.context["import_errors"]} == {3}
    assert not AttendanceRecord.objects.exists()
    response = client.post(
        url("attendance_import", klass.pk),
        {"file": _upload([["P-A1", "2026-05-11", "出勤", ""]])},
    )
    assert response.status_code == 302
    assert AttendanceRecord.objects.count() == 1


def test_complete_with_confirmation(client, klass, coordinator):
    for session in klass.sessions.all():
        attendance_record(
            session=session,
            member=_member(klass, "A1"),
            status="present",
            actor=coordinator,
        )
    client.force_login(coordinator)
    response = client.get(url("class_complete", klass.pk))
    assert response.status_code == 200
    assert 'id="complete-class"' in response.content.decode()
    assert (response.context["passed"], response.context["failed"]) == (1, 1)
    assert not LedgerEntry.objects.exists()
    assert client.post(url("class_complete", klass.pk)).status_code == 302
    assert client.post(url("class_complete", klass.pk)).status_code == 302
    assert LedgerEntry.objects.count() == 1
    klass.refresh_from_db()
    assert klass.status == TrainingClass.Status.COMPLETED
    response = client.get(url("class_detail", klass.pk))
    assert 'id="complete-link"' not in response.content.decode()


def test_roster_export(client, klass, coordinator):
    client.force_login(coordinator)
    response = client.get(url("class_roster_export", klass.pk))
    assert response.status_code == 200
    rows = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    assert rows[0][0] == "工号"
    assert {r[0] for r in rows[1:]} == {"P-A1", "P-A2"}


# --- query counts -------------------------------------------------------------


def test_list_query_count(client, tree, coordinator, django_assert_max_num_queries):
    for index in range(8):
        training_class = make_class(
            tree.city_a, actor=coordinator, name=f"班{index}", sessions=2
        )
        class_nominate(
            training_class=training_class,
            person=PersonFactory(unit=tree.a1),
            actor=coordinator,
        )
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(url("class_list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 8


def test_detail_and_checkin_query_counts(
    client, tree, klass, coordinator, django_assert_max_num_queries
):
    for _ in range(15):
        member = class_nominate(
            training_class=klass, person=PersonFactory(unit=tree.a2), actor=coordinator
        )
        attendance_record(
            session=klass.sessions.first(),
            member=member,
            status="present",
            actor=coordinator,
        )
    client.force_login(coordinator)
    with django_assert_max_num_queries(16):
        response = client.get(url("class_detail", klass.pk))
    assert len(response.context["roster"]) == 17
    session = klass.sessions.first()
    with django_assert_max_num_queries(14):
        response = client.get(url("attendance_checkin", klass.pk, session.pk))
    assert len(response.context["rows"]) == 17
    with django_assert_max_num_queries(14):
        response = client.get(url("class_complete", klass.pk))
    assert len(response.context["outcomes"]) == 17
    with django_assert_max_num_queries(14):
        assert client.get(url("class_roster_export", klass.pk)).status_code == 200


def test_mine_query_count(
    client, tree, coordinator, learner, people, django_assert_max_num_queries
):
    for index in range(5):
        training_class = make_class(
            tree.city_a, actor=coordinator, name=f"班{index}", sessions=3
        )
        class_nominate(
            training_class=training_class, person=people["A1"], actor=coordinator
        )
    client.force_login(learner)
    with django_assert_max_num_queries(12):
        response = client.get(url("class_mine"))
    assert len(response.context["items"]) == 5
