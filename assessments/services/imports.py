"""Question bank import from an Excel workbook: every row or none.

The whole sheet is read and every row checked before anything is written, so an
editor fixes the listed rows and uploads the same file again instead of hunting
for half-imported questions. The rows are read and checked in ``import_rows``;
the template to start from is built in ``import_template``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from assessments.models import QuestionImport, Subject
from assessments.services.import_rows import (
    RowError,
    import_error,
    parse_row,
    read_rows,
)
from assessments.services.questions import question_create
from cms.audit import audit_record
from cms.models import AuditEvent

MAX_BYTES = 10 * 1024 * 1024


def question_import(*, actor, file) -> QuestionImport:
    """Check every row of ``file`` (an uploaded .xlsx), then create all its questions
    in one transaction, or none and a list of what to fix. Always returns the stored
    ``QuestionImport`` record."""
    name = getattr(file, "name", "") or "questions.xlsx"
    errors: list[dict] = []
    parsed: list[dict] = []
    rows: list = []
    size = getattr(file, "size", None)
    if not name.lower().endswith(".xlsx"):
        errors.append(
            import_error(0, "", _("Upload an .xlsx file (Excel 2007 or later)."))
        )
    elif size is not None and size > MAX_BYTES:
        errors.append(
            import_error(
                0,
                "",
                _("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // 2**20},
            )
        )
    else:
        data = file.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            errors.append(
                import_error(
                    0,
                    "",
                    _("The file is larger than %(mb)s MB.")
                    % {"mb": MAX_BYTES // 2**20},
                )
            )
        else:
            rows, errors = read_rows(data)
            if not rows and not errors:
                errors.append(import_error(0, "", _("The file holds no questions.")))
            subjects = {s.name: s for s in Subject.objects.all()}
            for number, values in rows:
                try:
                    parsed.append(parse_row(values, subjects))
                except RowError as exc:
                    errors.append(import_error(number, exc.column, exc.message))
    return _store(
        actor=actor, name=name, row_count=len(rows), parsed=parsed, errors=errors
    )


@transaction.atomic
def _store(
    *, actor, name: str, row_count: int, parsed: list[dict], errors: list[dict]
) -> QuestionImport:
    if errors:
        record = QuestionImport.objects.create(
            created_by=actor,
            file_name=name[:255],
            status=QuestionImport.Status.REJECTED,
            row_count=row_count,
            errors=errors,
        )
    else:
        for kwargs in parsed:
            question_create(actor=actor, **kwargs)
        record = QuestionImport.objects.create(
            created_by=actor,
            file_name=name[:255],
            status=QuestionImport.Status.DONE,
            row_count=row_count,
        )
    audit_record(
        action=AuditEvent.Action.CORRECTION,
        actor=actor,
        target=record,
        target_label=record.file_name,
        detail={
            "kind": "question_import",
            "status": record.status,
            "rows": record.row_count,
            "errors": len(errors),
        },
    )
    return record
