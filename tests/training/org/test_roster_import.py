"""Roster import service: all rows or none, every bad row reported."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict

from cms.models import AuditEvent
from tests.factories import (
    PersonFactory,
    Role,
    grant,
    national_id,
    roster_row,
    roster_upload,
)
from training.org.identity import national_id_hash
from training.org.models import Person, RosterImport
from training.org.services import roster_import_create, roster_import_run

User = get_user_model()


def run(rows, actor=None, headers=None):
    return roster_import_create(
        actor=actor, uploaded_file=roster_upload(rows, headers), language="en"
    )


def counts():
    return Person.objects.count(), User.objects.count()


def errors_by_row(record):
    found = {}
    for error in record.errors:
        found.setdefault(error["row"], []).append(error)
    return found


def test_good_file_creates_users_and_people(tree):
    record = run(
        [
            roster_row(
                tree.a1,
                "310100001",
                姓名="张明",
                员额="是",
                检察官等级="三级高级检察官",
                领导职务级别="县处级",
                职务="第一检察部主任",
                电子邮箱="ZhangMing@Example.cn",
                入职日期="2015-07-01",
            ),
            roster_row(tree.a2, "310100002", 姓名="李华", 人员类别="书记员"),
        ]
    )
    assert record.status == RosterImport.Status.SUCCEEDED, record.errors
    assert (record.created_count, record.updated_count) == (2, 0)
    person = Person.objects.select_related("user").get(employee_no="310100001")
    user = person.user
    assert user.username == "310100001"
    assert user.full_name == "张明"
    assert user.email == "zhangming@example.cn"
    assert not user.has_usable_password()
    assert person.unit == tree.a1
    assert person.category == Person.Category.PROSECUTOR
    assert person.is_quota
    assert person.grade == Person.Grade.SENIOR_3
    assert person.leadership_level == Person.LeadershipLevel.COUNTY
    assert person.position_title == "第一检察部主任"
    assert str(person.joined_on) == "2015-07-01"
    clerk = Person.objects.get(employee_no="310100002")
    assert clerk.category == Person.Category.CLERK
    assert clerk.grade == ""
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.ROSTER_IMPORTED, target_id=str(record.pk)
    ).exists()


def test_excel_numbers_and_dates_are_read(tree):
    import datetime as dt

    row = roster_row(tree.a1, "x", 入职日期=dt.datetime(2020, 3, 1))
    row["工号"] = 310100009  # typed as a number in Excel
    record = run([row])
    assert record.status == RosterImport.Status.SUCCEEDED, record.errors
    person = Person.objects.get(employee_no="310100009")
    assert person.joined_on == dt.date(2020, 3, 1)


def test_reimport_updates_instead_of_duplicating(tree):
    first = run([roster_row(tree.a1, "E1", 职务="科员"), roster_row(tree.a1, "E2")])
    assert first.status == RosterImport.Status.SUCCEEDED
    before = counts()
    second = run(
        [
            roster_row(tree.a2, "E1", 姓名="新名字", 职务="副科长"),
            roster_row(tree.a1, "E2"),
        ]
    )
    assert second.status == RosterImport.Status.SUCCEEDED, second.errors
    # Only E1 really changed; E2 is the same as before.
    assert (second.created_count, second.updated_count) == (0, 1)
    assert counts() == before
    person = Person.objects.select_related("user").get(employee_no="E1")
    assert person.position_title == "副科长"
    assert person.unit == tree.a2
    assert person.user.full_name == "新名字"


def test_reimporting_the_same_file_changes_nothing(tree):
    rows = [roster_row(tree.a1, "E1", 职务="科员", 身份证号=national_id(3))]
    assert run(rows).created_count == 1
    before = counts()
    again = run(rows)
    assert again.status == RosterImport.Status.SUCCEEDED, again.errors
    assert (again.created_count, again.updated_count) == (0, 0)
    assert counts() == before


def test_absent_column_keeps_value_blank_cell_clears_it(tree):
    run([roster_row(tree.a1, "E1", 职务="科员", 电子邮箱="e1@example.cn")])
    # No 职务 column at all: the title stays.
    run([roster_row(tree.a1, "E1", 电子邮箱="e1@example.cn")])
    assert Person.objects.get(employee_no="E1").position_title == "科员"
    # 职务 column present but blank: the title is cleared.
    run(
        [roster_row(tree.a1, "E1", 职务=None)],
        headers=["工号", "姓名", "单位代码", "人员类别", "职务"],
    )
    assert Person.objects.get(employee_no="E1").position_title == ""


BAD_ROWS = [
    # (extra cells, column header, words expected in the message)
    ({"单位代码": "NOPE"}, "单位代码", "NOPE"),
    ({"检察官等级": "六级检察官"}, "检察官等级", "六级检察官"),
    ({"人员类别": "书记员", "检察官等级": "一级检察官"}, "检察官等级", "prosecutor"),
    ({"入职日期": "2020-13-45"}, "入职日期", "2020-13-45"),
    ({"入职日期": "去年"}, "入职日期", "去年"),
    ({"人员类别": "法官"}, "人员类别", "法官"),
    ({"员额": "也许"}, "员额", "也许"),
    ({"电子邮箱": "not-an-email"}, "电子邮箱", "not-an-email"),
    ({"姓名": ""}, "姓名", "required"),
    ({"工号": "含 空格"}, "工号", ""),
]


@pytest.mark.parametrize(("extra", "column", "words"), BAD_ROWS)
def test_one_bad_row_rejects_the_whole_file(tree, extra, column, words):
    before = counts()
    record = run(
        [
            roster_row(tree.a1, "GOOD1"),
            roster_row(tree.a1, "BAD", **extra),
            roster_row(tree.a1, "GOOD2"),
        ]
    )
    assert record.status == RosterImport.Status.REJECTED
    assert counts() == before
    assert [(e["row"], e["column"]) for e in record.errors] == [(3, column)]
    assert words in record.errors[0]["message"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ROSTER_REJECTED).exists()


def test_every_bad_row_is_listed(tree):
    bad_id = national_id(1)[:-1] + ("0" if national_id(1)[-1] != "0" else "1")
    before = counts()
    record = run(
        [
            roster_row(tree.a1, "D1"),  # row 2
            roster_row(tree.a1, "D1"),  # row 3: duplicate 工号
            roster_row("NOWHERE", "U1"),  # row 4: unknown unit
            roster_row(tree.a1, "G1", 检察官等级="大检察官"),  # row 5: bad grade
            roster_row(tree.a1, "G2", 人员类别="书记员", 检察官等级="一级检察官"),  # 6
            roster_row(tree.a1, "T1", 入职日期="2021/02/30"),  # row 7: bad date
            roster_row(tree.a1, "I1", 身份证号=bad_id),  # row 8: bad ID number
            roster_row(tree.a1, "OK"),  # row 9: fine
        ]
    )
    assert record.status == RosterImport.Status.REJECTED
    assert counts() == before
    rows = errors_by_row(record)
    assert sorted(rows) == [3, 4, 5, 6, 7, 8]
    assert rows[3][0]["column"] == "工号"
    assert "row 2" in rows[3][0]["message"]
    assert rows[4][0]["column"] == "单位代码"
    assert rows[5][0]["column"] == "检察官等级"
    assert rows[6][0]["column"] == "检察官等级"
    assert rows[7][0]["column"] == "入职日期"
    assert rows[8][0]["column"] == "身份证号"
    for error in record.errors:
        assert error["message"]


def test_invalid_id_number_is_not_echoed(tree):
    good = national_id(7)
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    record = run([roster_row(tree.a1, "I1", 身份证号=bad)])
    assert record.status == RosterImport.Status.REJECTED
    assert record.errors[0]["column"] == "身份证号"
    assert bad not in str(record.errors)
    assert bad[-4:] not in str(record.errors)
    for event in AuditEvent.objects.all():
        assert bad not in str(model_to_dict(event))


def test_missing_required_column_is_a_file_error(tree):
    rows = [{"工号": "E1", "姓名": "甲", "人员类别": "检察官"}]
    before = counts()
    record = run(rows)
    assert record.status == RosterImport.Status.REJECTED
    assert counts() == before
    assert len(record.errors) == 1
    assert record.errors[0]["row"] == 1
    assert "单位代码" in record.errors[0]["message"]


def _zip_bytes():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "payload",
    [b"id,name\n1,2\n", b"", b"\x89PNG\r\n\x1a\n" + bytes(64), _zip_bytes()],
    ids=["csv", "empty", "png", "zip"],
)
def test_not_an_xlsx_is_rejected(tree, payload):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("名册.xlsx", payload, content_type="text/csv")
    before = counts()
    record = roster_import_create(actor=None, uploaded_file=upload, language="en")
    assert record.status == RosterImport.Status.REJECTED
    assert counts() == before
    assert record.errors[0]["row"] == 1
    assert "XLSX" in record.errors[0]["message"]


def test_header_only_file_is_rejected(tree):
    record = run([], headers=["工号", "姓名", "单位代码", "人员类别"])
    assert record.status == RosterImport.Status.REJECTED
    assert record.errors


def test_blank_trailing_rows_are_ignored(tree):
    rows = [roster_row(tree.a1, "E1"), {}, {}]
    record = run(rows, headers=["工号", "姓名", "单位代码", "人员类别"])
    assert record.status == RosterImport.Status.SUCCEEDED, record.errors
    assert record.total_rows == 1


def test_national_id_is_stored_only_as_hmac_and_last4(tree):
    number = national_id(42)
    record = run([roster_row(tree.a1, "E1", 身份证号=number.lower())])
    assert record.status == RosterImport.Status.SUCCEEDED, record.errors
    person = Person.objects.get(employee_no="E1")
    assert person.national_id_hash == national_id_hash(number)
    assert person.national_id_last4 == number[-4:]
    assert person.masked_national_id.endswith(number[-4:])
    rows = [
        *Person.objects.values(),
        *User.objects.values(),
        *RosterImport.objects.values(),
        *AuditEvent.objects.values(),
    ]
    for row in rows:
        for value in row.values():
            assert number not in str(value)
            assert number[:14] not in str(value)


def test_same_id_number_on_another_employee_is_refused(tree):
    number = national_id(5)
    assert run([roster_row(tree.a1, "E1", 身份证号=number)]).status == "succeeded"
    before = counts()
    record = run([roster_row(tree.a1, "E2", 身份证号=number)])
    assert record.status == RosterImport.Status.REJECTED
    assert counts() == before
    assert record.errors[0]["column"] == "身份证号"
    assert "E1" in record.errors[0]["message"]
    assert number not in str(record.errors)


def test_same_id_number_twice_in_one_file_is_refused(tree):
    number = national_id(6)
    record = run(
        [
            roster_row(tree.a1, "E1", 身份证号=number),
            roster_row(tree.a1, "E2", 身份证号=number),
        ]
    )
    assert record.status == RosterImport.Status.REJECTED
    assert [(e["row"], e["column"]) for e in record.errors] == [(3, "身份证号")]


def test_blank_id_number_keeps_the_one_on_file(tree):
    number = national_id(8)
    run([roster_row(tree.a1, "E1", 身份证号=number)])
    record = run([roster_row(tree.a1, "E1", 身份证号="")])
    assert record.status == RosterImport.Status.SUCCEEDED, record.errors
    assert Person.objects.get(employee_no="E1").national_id_hash == national_id_hash(
        number
    )


def test_username_taken_by_an_account_without_person(tree):
    User.objects.create_user(username="E1", email="x@example.cn")
    before = counts()
    record = run([roster_row(tree.a1, "E1")])
    assert record.status == RosterImport.Status.REJECTED
    assert counts() == before
    assert record.errors[0]["column"] == "工号"


def test_email_of_another_account_is_refused(tree):
    User.objects.create_user(username="someone", email="taken@example.cn")
    record = run([roster_row(tree.a1, "E1", 电子邮箱="taken@example.cn")])
    assert record.status == RosterImport.Status.REJECTED
    assert record.errors[0]["column"] == "电子邮箱"


# --- scope of the uploader -------------------------------------------------------


def test_coordinator_imports_inside_subtree(tree, coordinator):
    record = run(
        [roster_row(tree.a1, "E1"), roster_row(tree.city_a, "E2")], coordinator
    )
    assert record.status == RosterImport.Status.SUCCEEDED, record.errors
    assert record.uploaded_by == coordinator


def test_coordinator_cannot_create_people_outside_subtree(tree, coordinator):
    before = counts()
    record = run([roster_row(tree.a1, "E1"), roster_row(tree.b1, "E2")], coordinator)
    assert record.status == RosterImport.Status.REJECTED
    assert counts() == before
    assert [(e["row"], e["column"]) for e in record.errors] == [(3, "单位代码")]


def test_coordinator_cannot_take_over_person_outside_subtree(tree, coordinator):
    outsider = PersonFactory(unit=tree.b1, employee_no="B-001")
    record = run([roster_row(tree.a1, "B-001", 姓名="改名")], coordinator)
    assert record.status == RosterImport.Status.REJECTED
    assert [(e["row"], e["column"]) for e in record.errors] == [(2, "工号")]
    outsider.refresh_from_db()
    assert outsider.unit == tree.b1
    assert outsider.user.full_name != "改名"


def test_leader_and_learner_may_not_import(tree, leader, learner):
    for user in (leader, learner):
        with pytest.raises(PermissionDenied):
            run([roster_row(tree.a1, "E1")], user)
    assert not RosterImport.objects.exists()


# --- large files in the background -----------------------------------------------


def test_large_file_goes_through_the_background_task(
    tree, settings, django_capture_on_commit_callbacks
):
    settings.ROSTER_IMPORT_SYNC_MAX_ROWS = 3
    rows = [roster_row(tree.a1, f"BG{n}") for n in range(5)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record = run(rows)
        # Queued, not done: nothing is written before the transaction commits.
        assert record.status == RosterImport.Status.PENDING
        assert not Person.objects.filter(employee_no__startswith="BG").exists()
    assert callbacks
    record.refresh_from_db()
    assert record.status == RosterImport.Status.SUCCEEDED, record.errors
    assert record.percent == 100
    assert record.created_count == 5
    assert record.task_id
    assert Person.objects.filter(employee_no__startswith="BG").count() == 5


def test_rerunning_a_finished_import_changes_nothing(tree):
    record = run([roster_row(tree.a1, "E1")])
    before = counts()
    again = roster_import_run(import_id=record.pk)
    assert again.status == RosterImport.Status.SUCCEEDED
    assert counts() == before


def test_stored_upload_does_not_keep_clear_id_numbers(tree):
    """The design stores only the HMAC and the last four characters of ID numbers;
    the uploaded workbook kept on disk must not hold them in clear either."""
    from openpyxl import load_workbook

    number = national_id(77)
    record = run([roster_row(tree.a1, "E1", 身份证号=number)])
    assert record.status == RosterImport.Status.SUCCEEDED
    if not record.file or not record.file.storage.exists(record.file.name):
        return
    wb = load_workbook(record.file.path, read_only=True)
    cells = [
        str(c) for row in wb.worksheets[0].iter_rows(values_only=True) for c in row
    ]
    assert number not in cells


def test_email_taken_with_other_case_is_refused(tree):
    """Logins by e-mail match case-insensitively: two accounts must not share one."""
    User.objects.create_user(username="someone", email="Taken@Example.cn")
    record = run([roster_row(tree.a1, "E1", 电子邮箱="taken@example.cn")])
    assert record.status == RosterImport.Status.REJECTED
    assert record.errors[0]["column"] == "电子邮箱"


@pytest.mark.parametrize("rank", ["superuser", "admin"])
def test_coordinator_cannot_take_over_a_higher_account(tree, coordinator, rank):
    """A roster row may set the e-mail (then "forgot password" mails the new address)
    and the active flag. A coordinator must not do that to an account holding more
    rights than they could grant: that is an account takeover."""
    boss = PersonFactory(unit=tree.a1, employee_no="BOSS")
    if rank == "superuser":
        boss.user.is_superuser = True
        boss.user.save(update_fields=["is_superuser"])
    else:
        grant(boss.user, Role.ADMIN, tree.city_a)
    old_email = boss.user.email
    run(
        [
            roster_row(
                tree.a1,
                "BOSS",
                姓名=boss.user.full_name,
                电子邮箱="attacker@example.cn",
                在职="否",
            )
        ],
        coordinator,
    )
    boss.user.refresh_from_db()
    assert boss.user.email == old_email
    assert boss.user.is_active
