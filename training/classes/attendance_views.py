"""Attendance pages of a class (培训班): the check-in screen of a session, the
XLSX import and its template. Thin like the class pages: the class comes from
``training.classes.selectors``, the writes from ``training.classes.attendance`` and
``training.classes.attendance_import``, which check permissions once more.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cms.xlsx import XLSX_CONTENT_TYPE as XLSX
from training.classes import attendance
from training.classes import attendance_import as xlsx_import
from training.classes.forms import AttendanceImportForm
from training.classes.models import AttendanceRecord, ClassMember
from training.classes.selectors import class_get_managed
from training.classes.services import CLOSED
from training.org.forms import add_service_errors


def _checkin_rows(training_class, session, data=None, *, all_present=False):
    members = list(
        training_class.members.filter(status=ClassMember.Status.CONFIRMED)
        .select_related("person__user", "person__unit")
        .order_by("person__unit__path", "person__employee_no")
    )
    records = {r.member_id: r for r in AttendanceRecord.objects.filter(session=session)}
    rows = []
    for member in members:
        record = records.get(member.pk)
        if data is not None:
            status = data.get(f"status-{member.pk}", "")
            reason = data.get(f"reason-{member.pk}", "")
        elif all_present:
            status, reason = AttendanceRecord.Status.PRESENT, ""
        else:
            status = record.status if record else ""
            reason = record.leave_reason if record else ""
        rows.append(
            {
                "member": member,
                "status": status,
                "reason": reason,
                "recorded": record is not None,
                "errors": [],
            }
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def attendance_checkin(request, pk: int, session_id: int):
    training_class = class_get_managed(user=request.user, pk=pk)
    session = get_object_or_404(training_class.sessions, pk=session_id)
    is_open = training_class.status not in CLOSED
    if request.method == "POST":
        rows = _checkin_rows(training_class, session, request.POST)
        statuses = {
            row["member"].pk: (row["status"], row["reason"])
            for row in rows
            if row["status"]
        }
        try:
            count = attendance.attendance_bulk_record(
                session=session, statuses=statuses, actor=request.user
            )
        except ValidationError as exc:
            by_member = exc.message_dict if hasattr(exc, "error_dict") else {}
            for row in rows:
                row["errors"] = by_member.get(str(row["member"].pk), [])
            if not by_member:
                messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Attendance saved: %(count)d records written or changed.")
                % {"count": count},
            )
            return redirect("training:attendance_checkin", pk=pk, session_id=session_id)
    else:
        rows = _checkin_rows(
            training_class, session, all_present=request.GET.get("all_present") == "1"
        )
    return render(
        request,
        "training/classes/attendance_form.html",
        {
            "training_class": training_class,
            "session": session,
            "sessions": list(training_class.sessions.all()),
            "rows": rows,
            "has_errors": any(row["errors"] for row in rows),
            "statuses": AttendanceRecord.Status.choices,
            "is_open": is_open,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def attendance_import(request, pk: int):
    training_class = class_get_managed(user=request.user, pk=pk)
    form = AttendanceImportForm(request.POST or None, request.FILES or None)
    import_errors = []
    if request.method == "POST" and form.is_valid():
        try:
            count = xlsx_import.attendance_import(
                training_class=training_class,
                file=form.cleaned_data["file"],
                actor=request.user,
            )
        except xlsx_import.AttendanceImportError as exc:
            import_errors = exc.errors
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Attendance imported: %(count)d records written or changed.")
                % {"count": count},
            )
            return redirect("training:class_detail", pk=pk)
    return render(
        request,
        "training/classes/attendance_import.html",
        {
            "training_class": training_class,
            "form": form,
            "import_errors": import_errors,
        },
    )


@login_required
@require_GET
def attendance_template(request, pk: int):
    training_class = class_get_managed(user=request.user, pk=pk)
    return HttpResponse(
        xlsx_import.attendance_template_workbook(training_class),
        content_type=XLSX,
        headers={
            "Content-Disposition": (
                f'attachment; filename="attendance-{training_class.pk}.xlsx"'
            )
        },
    )
