"""The personal training record (个人培训档案) of a person — the signed-in user's
own, or one a coordinator or leader may see — as a page, a PDF and a workbook."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from openpyxl import Workbook

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.pdf import PDF_CONTENT_TYPE, render_pdf
from cms.xlsx import sheet_with_header, xlsx_response
from training.org import selectors
from training.org.models import Person
from training.reports.record import personal_record


def _record_context(person: Person, is_me: bool) -> dict:
    return {
        **personal_record(person=person),
        "is_me": is_me,
        "printed_at": timezone.localtime(),
    }


def _record_html(request, person: Person | None, *, is_me: bool):
    context = {"person": person, "is_me": is_me, "years": []}
    if person is not None:
        context = _record_context(person, is_me)
    return render(request, "training/reports/training_record.html", context)


def _audit_record_export(request, person: Person, kind: str) -> None:
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=request.user,
        target=person,
        target_label=f"个人培训档案 {person.employee_no}",
        detail={"format": kind},
        request=request,
    )


def _record_pdf(request, person: Person | None, *, is_me: bool):
    if person is None:
        raise PermissionDenied
    pdf = render_pdf(
        "training/reports/training_record_print.html",
        _record_context(person, is_me),
        request=request,
    )
    _audit_record_export(request, person, "pdf")
    return HttpResponse(
        pdf,
        content_type=PDF_CONTENT_TYPE,
        headers={
            "Content-Disposition": (
                f'attachment; filename="training-record-{person.employee_no}.pdf"'
            )
        },
    )


RECORD_ENTRY_HEADERS = (
    "年度",
    "日期",
    "培训内容",
    "来源",
    "学时",
    "天数",
    "线上",
    "集中培训",
    "专项计入",
    "说明",
)


RECORD_YEAR_HEADERS = ("年度", "学时合计", "天数合计", "线上学时合计")


RECORD_COMPLIANCE_HEADERS = (
    "培训项目",
    "周期开始",
    "周期结束",
    "截止日期",
    "状态",
    "学时",
    "天数",
    "线上学时",
)


RECORD_CLASS_HEADERS = ("培训班", "开始日期", "结束日期", "结果", "出勤率(%)")


RECORD_CERTIFICATE_HEADERS = (
    "证书编号",
    "证书名称",
    "培训项目/培训班",
    "发证日期",
    "状态",
)


CERTIFICATE_STATUS = {"valid": "有效", "revoked": "已撤销", "superseded": "已换发"}


def _record_xlsx(request, person: Person | None, *, is_me: bool):
    if person is None:
        raise PermissionDenied
    record = personal_record(person=person)
    wb = Workbook(write_only=True)
    ws = sheet_with_header(wb, "学时记录", RECORD_ENTRY_HEADERS)
    for year in record["years"]:
        for e in year["entries"]:
            ws.append(
                [
                    year["year"],
                    e.occurred_on,
                    e.title,
                    e.get_source_display(),
                    e.hours,
                    e.days,
                    "是" if e.is_online else "否",
                    "是" if e.is_centralised else "否",
                    e.programme.name if e.programme else "",
                    e.reason,
                ]
            )
    ws = sheet_with_header(wb, "年度合计", RECORD_YEAR_HEADERS)
    for year in record["years"]:
        ws.append([year["year"], year["hours"], year["days"], year["online_hours"]])
    ws = sheet_with_header(wb, "达标情况", RECORD_COMPLIANCE_HEADERS)
    for year in record["years"]:
        for s in year["compliance"]:
            ws.append(
                [
                    s.programme.name,
                    s.cycle_start,
                    s.cycle_end,
                    s.due_on,
                    s.get_status_display(),
                    s.hours,
                    s.days,
                    s.online_hours,
                ]
            )
    ws = sheet_with_header(wb, "培训班", RECORD_CLASS_HEADERS)
    for year in record["years"]:
        for m in year["classes"]:
            ws.append(
                [
                    m.training_class.name,
                    m.training_class.starts_on,
                    m.training_class.ends_on,
                    m.get_result_display(),
                    m.attendance_percent,
                ]
            )
    ws = sheet_with_header(wb, "证书", RECORD_CERTIFICATE_HEADERS)
    for c in record["certificates"]:
        ws.append(
            [
                c.number,
                c.fields.get("title", ""),
                c.fields.get("subject", ""),
                timezone.localdate(c.issued_at),
                CERTIFICATE_STATUS[c.status],
            ]
        )
    _audit_record_export(request, person, "xlsx")
    return xlsx_response(wb, f"training-record-{person.employee_no}")


_RECORD_FORMATS = {"html": _record_html, "pdf": _record_pdf, "xlsx": _record_xlsx}


@login_required
def my_training_record(request, fmt: str = "html"):
    return _RECORD_FORMATS[fmt](
        request, selectors.person_of_user(request.user), is_me=True
    )


@login_required
def person_training_record(request, pk: int, fmt: str = "html"):
    person = selectors.person_get(user=request.user, person_id=pk)
    return _RECORD_FORMATS[fmt](
        request, person, is_me=person.user_id == request.user.pk
    )
