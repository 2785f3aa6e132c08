"""factory_boy factories and small builders shared by the suite.

Tree nodes and role grants go through the real services, so the paths, groups and
audit rows a test sees are the ones production would write.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from factory.django import DjangoModelFactory, Password
from openpyxl import Workbook

from training.org.identity import national_id_with_check_digit
from training.org.models import OrgUnit, Person, RoleGrant
from training.org.services import ROSTER_COLUMNS, org_unit_create, role_grant_create

User = get_user_model()

PASSWORD = "correct-horse-2026"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Role = RoleGrant.Role


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"u{n:05d}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.cn")
    full_name = factory.Sequence(lambda n: f"测试{n}号")
    password = Password(PASSWORD)
    is_active = True


class OrgUnitFactory(DjangoModelFactory):
    """``OrgUnitFactory(parent=city)`` adds a child through ``org_unit_create``."""

    class Meta:
        model = OrgUnit

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.LazyAttribute(lambda o: f"{o.code}人民检察院")
    short_name = ""
    level = OrgUnit.Level.BASIC
    kind = OrgUnit.Kind.PROCURATORATE
    sort_order = 0
    parent = None

    @classmethod
    def _create(cls, model_class, *, parent=None, **kwargs):
        return org_unit_create(parent=parent, **kwargs)


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    unit = factory.SubFactory(OrgUnitFactory)
    employee_no = factory.Sequence(lambda n: f"E{n:06d}")
    user = factory.SubFactory(
        UserFactory,
        username=factory.SelfAttribute("..employee_no"),
        full_name=factory.Sequence(lambda n: f"人员{n}"),
    )
    category = Person.Category.PROSECUTOR
    grade = Person.Grade.PROSECUTOR_3


def grant(user, role: str, unit: OrgUnit, actor=None) -> RoleGrant:
    """Give ``user`` a role on ``unit`` through the service (groups, audit and all)."""
    return role_grant_create(user=user, role=role, unit=unit, actor=actor)


def national_id(seq: int, birth: str = "19850615", area: str = "310101") -> str:
    """A valid 18-character ID number (checksum included), distinct per ``seq``."""
    return national_id_with_check_digit(f"{area}{birth}{seq % 1000:03d}")


# --- roster workbooks ---------------------------------------------------------

HEADERS = [c.header for c in ROSTER_COLUMNS]


def roster_row(unit: OrgUnit | str, employee_no: str, **extra: Any) -> dict[str, Any]:
    """One good row, keyed by the Chinese headers; ``extra`` uses headers too."""
    code = unit if isinstance(unit, str) else unit.code
    row: dict[str, Any] = {
        "工号": employee_no,
        "姓名": f"名册{employee_no}",
        "单位代码": code,
        "人员类别": "检察官",
    }
    row.update(extra)
    return row


def roster_xlsx(
    rows: Iterable[Mapping[str, Any]], headers: list[str] | None = None
) -> bytes:
    """An XLSX with one header row: ``headers`` or every header the rows use."""
    rows = list(rows)
    if headers is None:
        used = {key for row in rows for key in row}
        headers = [h for h in HEADERS if h in used]
    wb = Workbook()
    ws = wb.active
    ws.title = "人员名册"
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) for h in headers])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def roster_upload(
    rows: Iterable[Mapping[str, Any]],
    headers: list[str] | None = None,
    name: str = "名册.xlsx",
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, roster_xlsx(rows, headers), content_type=XLSX_TYPE)
