"""Staff screens inside the Wagtail admin (/admin/assessments/...): the grading queue,
results and their export, item analysis, question preview and regrade, and the
question import. Thin: reads come from ``assessments.selectors``, writes from
``assessments.services``; each view checks the Django permission the role groups
grant, the selectors add the unit scope.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from assessments import selectors, services
from assessments.forms import (
    GradeForm,
    QuestionImportForm,
    RegradeForm,
    ResultsFilterForm,
)
from assessments.models import (
    Attempt,
    AttemptItem,
    GradeChange,
    Question,
    QuestionImport,
    Quiz,
)
from cms.audit import audit_record
from cms.models import AuditEvent

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The person and unit of a learner live in training (above this app); the admin
# lists only follow the relation by name so a page of rows costs one query.
LEARNER_UNIT = "user__person__unit"


def _require(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


def _render(request, template: str, title: str, context: dict, icon: str = "doc-full"):
    context = {
        "page_title": title,
        "header_title": title,
        "header_icon": icon,
        **context,
    }
    return TemplateResponse(request, template, context)


# --- question preview and regrade -------------------------------------------------


def version_display(question: Question, version) -> dict:
    """Options with their right/wrong flag and the accepted answers per blank, for
    the admin's preview of a version."""
    if question.qtype == Question.Type.TRUE_FALSE:
        options = [
            {"key": "T", "text": "正确", "right": version.answer == "T"},
            {"key": "F", "text": "错误", "right": version.answer == "F"},
        ]
    else:
        key = version.answer if isinstance(version.answer, list) else [version.answer]
        options = [{**o, "right": o["key"] in key} for o in version.options]
    blanks = version.answer if question.qtype == Question.Type.FILL else []
    return {"options": options, "blanks": blanks}


def question_preview(request, pk: int):
    """The question as a learner sees it, with the key and explanation below."""
    _require(request.user, "assessments.view_question")
    question = get_object_or_404(Question.objects.select_related("subject"), pk=pk)
    versions = question.versions.all()
    number = request.GET.get("version")
    version = (
        versions.filter(number=number).first()
        if number and number.isascii() and number.isdigit()
        else question.current
    )
    if version is None:
        raise Http404
    return _render(
        request,
        "assessments/admin/question_preview.html",
        _("Preview: %(question)s") % {"question": question},
        {
            "question": question,
            "version": version,
            **version_display(question, version),
            "inspect_url": reverse(
                "wagtailsnippets_assessments_question:inspect", args=[question.pk]
            ),
        },
        icon="view",
    )


@require_http_methods(["GET", "POST"])
def question_regrade_view(request, pk: int):
    _require(request.user, "assessments.change_question")
    question = get_object_or_404(Question, pk=pk)
    inspect_url = reverse(
        "wagtailsnippets_assessments_question:inspect", args=[question.pk]
    )
    form = RegradeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.question_regrade(
                actor=request.user,
                question=question,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Regraded: %(n)s answers changed score.") % {"n": changed},
            )
            return redirect(inspect_url)
    used = AttemptItem.objects.filter(version__question=question).exclude(
        attempt__status=Attempt.Status.IN_PROGRESS
    )
    return _render(
        request,
        "assessments/admin/question_regrade.html",
        _("Regrade past attempts"),
        {
            "question": question,
            "form": form,
            "answer_count": used.count(),
            "inspect_url": inspect_url,
        },
        icon="redirect",
    )


# --- item analysis ----------------------------------------------------------------


def item_analysis_view(request, pk: int):
    _require(request.user, "assessments.change_quiz")
    quiz = get_object_or_404(Quiz, pk=pk)
    rows = selectors.item_analysis(quiz)
    keys = dict(
        Question.objects.filter(pk__in=[r["question"].pk for r in rows]).values_list(
            "pk", "current__answer"
        )
    )
    for row in rows:
        key = keys.get(row["question"].pk)
        key = key if isinstance(key, list) else [key]
        row["facility_percent"] = round(row["facility"] * 100)
        disc = row["discrimination"]
        row["flagged"] = disc is not None and disc < 0.2
        total = sum(c["count"] for c in row["choices"]) + row["blank"]
        for choice in row["choices"]:
            choice["percent"] = round(100 * choice["count"] / total) if total else 0
            choice["right"] = choice["key"] in key
        row["edit_url"] = reverse(
            "wagtailsnippets_assessments_question:edit", args=[row["question"].pk]
        )
    return _render(
        request,
        "assessments/admin/item_analysis.html",
        _("Item analysis: %(quiz)s") % {"quiz": quiz},
        {
            "quiz": quiz,
            "rows": rows,
            "learners": selectors.counted_attempts(quiz).count(),
        },
        icon="table",
    )


# --- grading ----------------------------------------------------------------------


def _gradable_item(user, item_id: int) -> AttemptItem:
    """A short answer the user may mark, or 404 whether it is outside the scope or
    does not exist (ids cannot be probed; Wagtail's admin would turn a 403 into a
    redirect home)."""
    item = (
        AttemptItem.objects.filter(
            pk=item_id,
            qtype=Question.Type.SHORT,
            attempt__in=selectors.attempts_visible_to(user, grade=True).values("pk"),
        )
        .select_related(
            "attempt__quiz", "attempt__user", "version__question", "graded_by"
        )
        .first()
    )
    if item is None:
        raise Http404
    return item


def grading_count_key(user) -> str:
    return f"assessments:grading-count:{user.pk}"


def grading_queue_view(request):
    _require(request.user, "assessments.grade_attempt")
    queue = selectors.grading_queue(request.user).select_related(
        f"attempt__{LEARNER_UNIT}"
    )
    page = Paginator(queue, 20).get_page(request.GET.get("p"))
    items = [
        {"item": item, "form": GradeForm(item=item, prefix=f"item-{item.pk}")}
        for item in page.object_list
    ]
    return _render(
        request,
        "assessments/admin/grading_queue.html",
        _("Grading queue"),
        {"page": page, "items": items},
        icon="edit",
    )


@require_http_methods(["GET", "POST"])
def grade_item_view(request, item_id: int):
    _require(request.user, "assessments.grade_attempt")
    item = _gradable_item(request.user, item_id)
    from_queue = request.POST.get("from") == "queue"
    prefix = f"item-{item.pk}" if from_queue else None
    form = GradeForm(request.POST or None, item=item, prefix=prefix)
    if request.method == "POST" and form.is_valid():
        try:
            services.item_grade(
                actor=request.user,
                item_id=item.pk,
                score=form.cleaned_data["score"],
                feedback=form.cleaned_data["feedback"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            cache.delete(grading_count_key(request.user))
            messages.success(
                request,
                _("Mark saved for %(name)s.")
                % {"name": item.attempt.user.get_full_name()},
            )
            if from_queue:
                return redirect("assessments_admin:grading")
            return redirect("assessments_admin:grade_item", item_id=item.pk)
    history = GradeChange.objects.filter(item=item).select_related("author")
    return _render(
        request,
        "assessments/admin/grade_item.html",
        _("Grade an answer"),
        {
            "item": item,
            "form": form,
            "history": history,
            "attempt_url": reverse("assessments_admin:attempt", args=[item.attempt_id]),
        },
        icon="edit",
    )


# --- results ----------------------------------------------------------------------


def _filtered_attempts(request):
    form = ResultsFilterForm(request.GET or None)
    attempts = selectors.attempts_visible_to(request.user).select_related(LEARNER_UNIT)
    if form.is_valid():
        data = form.cleaned_data
        if data["quiz"]:
            attempts = attempts.filter(quiz=data["quiz"])
        if data["status"]:
            attempts = attempts.filter(status=data["status"])
        if data["passed"]:
            attempts = attempts.filter(passed=data["passed"] == "yes")
        if data["unit"]:
            attempts = attempts.filter(
                **{f"{LEARNER_UNIT}__name__icontains": data["unit"].strip()}
            )
        if data["q"]:
            query = data["q"].strip()
            attempts = attempts.filter(
                Q(user__full_name__icontains=query) | Q(user__username__icontains=query)
            )
        if data["date_from"]:
            attempts = attempts.filter(started_at__date__gte=data["date_from"])
        if data["date_to"]:
            attempts = attempts.filter(started_at__date__lte=data["date_to"])
    return form, attempts.order_by("-started_at", "-pk")


def results_view(request):
    _require(request.user, "assessments.view_attempt")
    form, attempts = _filtered_attempts(request)
    page = Paginator(attempts, 50).get_page(request.GET.get("p"))
    query = request.GET.copy()
    query.pop("p", None)
    return _render(
        request,
        "assessments/admin/results.html",
        _("Results"),
        {"form": form, "page": page, "querystring": query.urlencode()},
        icon="list-ul",
    )


def _unit_name(user) -> str:
    person = getattr(user, "person", None)
    return person.unit.name if person is not None else ""


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


EXPORT_COLUMNS = (
    ("姓名", 14, lambda a: a.user.full_name),
    ("工号", 12, lambda a: a.user.username),
    ("单位", 26, lambda a: _unit_name(a.user)),
    ("测验/考试", 28, lambda a: a.quiz.title),
    ("第几次", 8, lambda a: a.number),
    ("开始时间", 18, lambda a: _local(a.started_at)),
    ("提交时间", 18, lambda a: _local(a.submitted_at)),
    ("状态", 10, lambda a: a.get_status_display()),
    ("得分", 8, lambda a: a.score),
    ("满分", 8, lambda a: a.max_score),
    ("得分率(%)", 10, lambda a: a.percent),
    ("是否通过", 9, lambda a: "" if a.passed is None else ("是" if a.passed else "否")),
    ("结束方式", 16, lambda a: a.get_closed_by_display() if a.closed_by else ""),
)


def results_export(request):
    """The filtered results as XLSX, within scope, logged."""
    _require(request.user, "assessments.view_attempt")
    _form, attempts = _filtered_attempts(request)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("成绩")
    ws.freeze_panes = "A2"
    for index, (_title, width, _getter) in enumerate(EXPORT_COLUMNS):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    header = []
    for title, _width, _getter in EXPORT_COLUMNS:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    count = 0
    for attempt in attempts.iterator(chunk_size=2000):
        row = []
        for _title, _width, getter in EXPORT_COLUMNS:
            value = getter(attempt)
            if isinstance(value, Decimal):
                value = float(value)
            cell = WriteOnlyCell(ws, value=value)
            if hasattr(value, "hour"):
                cell.number_format = "yyyy-mm-dd hh:mm"
            row.append(cell)
        ws.append(row)
        count += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    filters = {k: v for k, v in request.GET.items() if v}
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=request.user,
        target_label="测验成绩",
        detail={"rows": count, "filters": filters},
        request=request,
    )
    buffer.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        buffer, as_attachment=True, filename=f"results-{stamp}.xlsx", content_type=XLSX
    )


def attempt_detail_view(request, pk: int):
    _require(request.user, "assessments.view_attempt")
    attempt = (
        selectors.attempts_visible_to(request.user)
        .select_related(LEARNER_UNIT)
        .filter(pk=pk)
        .first()
    )
    if attempt is None:
        raise Http404
    items = attempt.items.select_related("version__question").order_by("position")
    can_grade = (
        request.user.has_perm("assessments.grade_attempt")
        and attempt.user_id != request.user.pk
        and attempt.status != Attempt.Status.IN_PROGRESS
    )
    return _render(
        request,
        "assessments/admin/attempt_detail.html",
        _("Attempt of %(name)s") % {"name": attempt.user.get_full_name()},
        {"attempt": attempt, "items": items, "can_grade": can_grade},
        icon="list-ul",
    )


# --- question import --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def import_upload(request):
    _require(request.user, "assessments.add_questionimport")
    _require(request.user, "assessments.add_question")
    form = QuestionImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        record = services.question_import(
            actor=request.user, file=form.cleaned_data["file"]
        )
        return redirect("assessments_admin:import_detail", pk=record.pk)
    imports = QuestionImport.objects.filter(created_by=request.user)[:20]
    return _render(
        request,
        "assessments/admin/import_upload.html",
        _("Import questions"),
        {"form": form, "imports": imports},
        icon="upload",
    )


def import_template(request):
    _require(request.user, "assessments.add_questionimport")
    return HttpResponse(
        services.question_template_workbook(),
        content_type=XLSX,
        headers={
            "Content-Disposition": 'attachment; filename="question-template.xlsx"'
        },
    )


def import_detail(request, pk: int):
    _require(request.user, "assessments.add_questionimport")
    imports = QuestionImport.objects.all()
    if not request.user.is_superuser:
        imports = imports.filter(created_by=request.user)
    record = get_object_or_404(imports, pk=pk)
    return _render(
        request,
        "assessments/admin/import_detail.html",
        _("Question import"),
        {"record": record},
        icon="upload",
    )
